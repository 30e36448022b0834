"""Project-wide request handling."""

from urllib.parse import urlencode

from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

# Official roles: anyone holding one of these permissions, or able to open the admin, needs MFA.
OFFICIAL_PERMISSIONS = ("dialogue.moderate_comment", "priorities.change_statement")


def requires_mfa(user) -> bool:
    return user.is_authenticated and (
        user.is_staff or user.is_superuser or any(user.has_perm(perm) for perm in OFFICIAL_PERMISSIONS)
    )


class RequireMFAForOfficialsMiddleware:
    """Moderators and publishers must set up two-factor authentication before any official page opens."""

    def __init__(self, get_response):
        self.get_response = get_response
        # The admin has no language prefix; the moderators' pages have one per interface language.
        self.protected_prefixes = ("/admin/", *(f"/{code}/moderation/" for code, _name in settings.LANGUAGES))

    def __call__(self, request):
        if (
            request.path.startswith(self.protected_prefixes)
            and requires_mfa(request.user)
            and not is_mfa_enabled(request.user)
        ):
            messages.warning(
                request,
                _("Your role requires two-factor authentication. Set up an authenticator app to continue."),
            )
            return redirect(f"{reverse('mfa_activate_totp')}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)
