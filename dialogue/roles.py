"""Officials: the accounts that hold a role in the portal (moderators, publishers, admin users)."""

# Anyone holding one of these permissions, or able to open the admin, is an official: they must
# use two-factor authentication, their sessions are kept short, and only they may bear a name
# that claims an official identity.
OFFICIAL_PERMISSIONS = ("dialogue.moderate_comment", "priorities.change_statement")


def is_official(user) -> bool:
    return user.is_authenticated and (
        user.is_staff or user.is_superuser or any(user.has_perm(perm) for perm in OFFICIAL_PERMISSIONS)
    )
