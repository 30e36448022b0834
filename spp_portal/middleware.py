"""Project-wide request handling."""

import time
from urllib.parse import urlencode, urlsplit

from allauth.mfa.models import Authenticator
from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject, CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from dialogue.precompiled import PrecompiledQuery
from dialogue.roles import is_official
from safeguards import events
from safeguards.events import security_event

from .auth import HAS_AUTHENTICATOR

# Officials need MFA (the same people as dialogue.roles.is_official).
requires_mfa = is_official


class SecurityHeadersMiddleware:
    """
    The headers django-csp and Django's SecurityMiddleware do not set: Permissions-Policy (the
    browser features the portal refuses) and Reporting-Endpoints (where the CSP's report-to
    sends violation reports). Two constant headers, so no library.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        response.setdefault("Reporting-Endpoints", settings.REPORTING_ENDPOINTS)
        return response


# The policies as headers, built once per process: the portal uses no nonce and no per-view policy.
_csp_headers: dict[bool, str] = {}


@receiver(setting_changed)
def _forget_csp_headers(setting, **kwargs):
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        _csp_headers.clear()


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """
    django-csp's middleware, without building the same policy twice for every response: with no
    nonce and no per-view policy (the portal has neither; a response or request with one goes to
    django-csp as it is), the header is a constant of the settings. Building it took a sixth of a
    cached page's time (make bench).
    """

    PER_RESPONSE = ("_csp_config", "_csp_update", "_csp_replace", "_csp_config_ro", "_csp_update_ro", "_csp_replace_ro")

    def process_response(self, request, response):
        per_response = any(getattr(response, name, None) is not None for name in self.PER_RESPONSE)
        if per_response or getattr(request, "_csp_nonce", None) is not None:
            return super().process_response(request, response)
        if settings.DEBUG and response.status_code in (404, 500):
            return response
        kinds = ((False, HEADER, "_csp_exempt"), (True, HEADER_REPORT_ONLY, "_csp_exempt_ro"))
        for report_only, header, exempt in kinds:
            policy = _csp_headers.get(report_only)
            if policy is None:
                policy = _csp_headers[report_only] = build_policy(report_only=report_only)
            name = "CONTENT_SECURITY_POLICY_REPORT_ONLY" if report_only else "CONTENT_SECURITY_POLICY"
            prefixes = tuple((getattr(settings, name, None) or {}).get("EXCLUDE_URL_PREFIXES") or ())
            if (
                policy
                and header not in response
                and not getattr(response, exempt, False)
                and not request.path_info.startswith(prefixes)
            ):
                response[header] = policy
        # As django-csp does: a nonce asked for after the header is written is an error, not a silent gap.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response


class RefuseInvalidCharactersMiddleware:
    """
    A path with a control character (a NUL byte, %00) is no page of the portal: 404. A query
    string with a NUL byte is a bad request: 400. Refused here, before any view could hand the
    value to the database (PostgreSQL refuses NUL in text: it would be a 500). Invalid UTF-8
    needs nothing here: Django keeps it percent-encoded in the path and replaces it in values.
    Form fields are checked by their forms, which keep what was typed and say what is wrong.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if any(ord(char) < 32 or ord(char) == 127 for char in request.path):
            raise Http404
        if any("\x00" in key or "\x00" in value for key, values in request.GET.lists() for value in values):
            return render(request, "400.html", status=400)
        return self.get_response(request)


class OfficialSessionMiddleware:
    """
    An official's session ends with the browser ("remember me" is refused to officials at sign-in:
    spp_portal.auth.LoginForm) and after OFFICIAL_IDLE_TIMEOUT seconds without a request: they are
    signed out and asked to sign in again, returning to the page they asked for.
    """

    SESSION_KEY = "official_last_seen"
    # The time of the last request is written at most this often: not a session save per request.
    RESOLUTION = 60

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not is_official(request.user):
            return self.get_response(request)
        session = request.session
        now = time.time()
        last_seen = session.get(self.SESSION_KEY)
        if last_seen is not None and now - last_seen > settings.OFFICIAL_IDLE_TIMEOUT:
            user = request.user
            logout(request)
            security_event(events.SESSION_IDLE_TIMEOUT, user=user, idle_seconds=round(now - last_seen))
            messages.info(
                request,
                _("You were signed out after %(minutes)d minutes without activity. Please sign in again.")
                % {"minutes": settings.OFFICIAL_IDLE_TIMEOUT // 60},
            )
            return redirect(f"{reverse('account_login')}?{urlencode({'next': self._return_to(request)})}")
        if last_seen is None or now - last_seen >= self.RESOLUTION:
            session[self.SESSION_KEY] = now
        if not session.get_expire_at_browser_close():
            # A role granted after a remembered sign-in: from now on the session ends with the browser.
            session.set_expiry(0)
        return self.get_response(request)

    @staticmethod
    def _return_to(request) -> str:
        """The page to come back to: this one, or for a form (which cannot be sent again) the page it was on."""
        if request.method in ("GET", "HEAD"):
            return request.get_full_path()
        referer = request.headers.get("Referer", "")
        if url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()}):
            parts = urlsplit(referer)
            return parts.path + (f"?{parts.query}" if parts.query else "")
        return reverse("home")


# allauth's is_mfa_enabled(user): any authenticator of the user's. Asked on every page of the officials:
# read with the user when the authentication backend did (spp_portal/auth.py), otherwise compiled once
# (dialogue/precompiled.py) rather than built by the ORM each time.
AUTHENTICATORS = PrecompiledQuery(Authenticator, lambda user: Authenticator.objects.filter(user_id=user), "user")


def is_mfa_enabled(user) -> bool:
    known = getattr(user, HAS_AUTHENTICATOR, None)
    return known if known is not None else AUTHENTICATORS.exists(user=user.pk)


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
