"""
What grant_role and revoke_role share: finding the account, the role's group, --dry-run, one
transaction, and saying what changed.

Why it exists: rights come from the Moderators and Publishers groups, and officials are
appointed (and relieved) by an administrator at the command line, not through a public page.
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


class RoleCommand(BaseCommand):
    """A command taking EMAIL ROLE [--dry-run]; subclasses say whether the role is `wanted` and what changes."""

    wanted: bool  # True: the account should have the role afterwards; False: it should not
    already = ""  # "{email} already is a {role}." (said when nothing needs changing)
    done = ""  # "Granted {role} to {email}."
    would = ""  # "Would grant {role} to {email}."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("role", choices=sorted(ROLES))
        parser.add_argument("--dry-run", action="store_true", help="Say what would change, change nothing.")

    def change(self, user, group, role):
        raise NotImplementedError

    @transaction.atomic
    def handle(self, *args, email, role, dry_run, verbosity, **options):
        user = find_user(email)
        group = Group.objects.get(name=ROLES[role])
        if user.groups.filter(pk=group.pk).exists() == self.wanted:
            if verbosity:
                self.stdout.write(self.already.format(email=email, role=role))
            return
        if not dry_run:
            self.change(user, group, role)
        if verbosity:
            self.stdout.write((self.would if dry_run else self.done).format(email=email, role=role))
