"""
Give an existing account an official role: `manage.py grant_role EMAIL moderator|publisher`.

Why it exists: rights come from the Moderators and Publishers groups, and officials are
appointed by an administrator at the command line, not through a public page. A publisher
also gets admin access (Django's admin admits staff only). Both roles must set up
two-factor authentication at their next official page.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

ROLES = {"moderator": "Moderators", "publisher": "Publishers"}


def find_user(email):
    try:
        return get_user_model().objects.get(email__iexact=email)
    except get_user_model().DoesNotExist:
        raise CommandError(f"No account has the email address {email}.") from None


class Command(BaseCommand):
    help = "Grant an official role (moderator or publisher) to the account with this email address."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("role", choices=sorted(ROLES))
        parser.add_argument("--dry-run", action="store_true", help="Say what would change, change nothing.")

    @transaction.atomic
    def handle(self, *args, email, role, dry_run, verbosity, **options):
        user = find_user(email)
        group = Group.objects.get(name=ROLES[role])
        if user.groups.filter(pk=group.pk).exists():
            if verbosity:
                self.stdout.write(f"{email} already is a {role}.")
            return
        if not dry_run:
            user.groups.add(group)
            if role == "publisher" and not user.is_staff:
                user.is_staff = True
                user.save(update_fields=["is_staff"])
        if verbosity:
            prefix = "Would grant" if dry_run else "Granted"
            self.stdout.write(f"{prefix} {role} to {email}. Two-factor authentication is required at next use.")
