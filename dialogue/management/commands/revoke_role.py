"""
Take an official role away: `manage.py revoke_role EMAIL moderator|publisher`.

The counterpart of grant_role, for when an official leaves the role. A former publisher loses
admin access unless superuser status still needs it. See dialogue/management/roles.py.
"""

from dialogue.management.roles import RoleCommand


class Command(RoleCommand):
    help = "Revoke an official role (moderator or publisher) from the account with this email address."
    wanted = False
    already = "{email} is not a {role}."
    done = "Revoked {role} from {email}."
    would = "Would revoke {role} from {email}."

    def change(self, user, group, role):
        user.groups.remove(group)
        if role == "publisher" and user.is_staff and not user.is_superuser:
            user.is_staff = False
            user.save(update_fields=["is_staff"])
