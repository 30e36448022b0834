"""
Take an official role away: `manage.py revoke_role EMAIL moderator|publisher`.

Why it exists: the counterpart of grant_role, for when an official leaves the role. A
former publisher loses admin access unless another role or superuser status still needs it.
"""

from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from .grant_role import ROLES, find_user


class Command(BaseCommand):
    help = "Revoke an official role (moderator or publisher) from the account with this email address."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("role", choices=sorted(ROLES))
        parser.add_argument("--dry-run", action="store_true", help="Say what would change, change nothing.")

    @transaction.atomic
    def handle(self, *args, email, role, dry_run, verbosity, **options):
        user = find_user(email)
        group = Group.objects.get(name=ROLES[role])
        if not user.groups.filter(pk=group.pk).exists():
            if verbosity:
                self.stdout.write(f"{email} is not a {role}.")
            return
        if not dry_run:
            user.groups.remove(group)
            if role == "publisher" and user.is_staff and not user.is_superuser:
                user.is_staff = False
                user.save(update_fields=["is_staff"])
        if verbosity:
            self.stdout.write(f"{'Would revoke' if dry_run else 'Revoked'} {role} from {email}.")
