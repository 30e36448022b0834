"""
Give an existing account an official role: `manage.py grant_role EMAIL moderator|publisher`.

A publisher also gets admin access (Django's admin admits staff only). Both roles must set up
two-factor authentication at their next official page. See dialogue/management/roles.py.
"""

from dialogue.management.roles import RoleCommand


class Command(RoleCommand):
    help = "Grant an official role (moderator or publisher) to the account with this email address."
    wanted = True
    already = "{email} already is a {role}."
    done = "Granted {role} to {email}. Two-factor authentication is required at next use."
    would = "Would grant {role} to {email}. Two-factor authentication is required at next use."

    def change(self, user, group, role):
        user.groups.add(group)
        if role == "publisher" and not user.is_staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
