"""Authentication: allauth's backend with permissions read in one query, and its sign-in form for officials."""

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from allauth.account.forms import LoginForm as AllauthLoginForm
from django.contrib.auth.models import Permission
from django.db.models import Q

from dialogue.roles import is_official


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


class LoginForm(AllauthLoginForm):
    """
    allauth's sign-in form, except that an official's session is never remembered: it ends when
    the browser closes, whatever the "remember me" box says (and OfficialSessionMiddleware ends
    it after a spell of inactivity). A remembered official's session on a shared computer is
    someone else's moderation queue.
    """

    def login(self, request, redirect_url=None):
        response = super().login(request, redirect_url)
        if is_official(self.user):
            # The session as it is now: after two-factor authentication the same session (its
            # key cycled, its expiry kept) becomes the signed-in one.
            request.session.set_expiry(0)
        return response
