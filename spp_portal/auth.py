"""Authentication backend: allauth's, with a user's permissions read in one query instead of two."""

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.contrib.auth.models import Permission
from django.db.models import Q


class AuthenticationBackend(AllauthBackend):
    """
    Every signed-in page asks one permission question or more (the navigation shows the
    moderation queue to moderators; statement pages let publishers preview drafts). Django's
    ModelBackend answers by reading the user's own and their groups' permissions in two
    queries; this reads both at once. The answer is kept on the user object for the request,
    exactly as ModelBackend does, so a role granted or revoked counts from the next request.
    """

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            permissions = Permission.objects.all()
            if not user_obj.is_superuser:
                permissions = permissions.filter(Q(user=user_obj) | Q(group__user=user_obj))
            user_obj._perm_cache = {
                f"{app_label}.{codename}"
                for app_label, codename in permissions.values_list("content_type__app_label", "codename").order_by()
            }
        return user_obj._perm_cache
