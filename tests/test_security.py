"""
Security hardening: production settings pass `check --deploy`, every page type carries the security
headers, error pages say nothing about the server, templates hold no inline script or style, and
every way to sign in goes through allauth's rate limits and two-factor authentication.
"""

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, path

from spp_portal import urls as root_urls

from .factories import PASSWORD, make_moderator, make_publisher, make_user, seed_statement
from .test_accounts import totp_code

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.django_db

PRODUCTION_ENV = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
    "DJANGO_ALLOWED_HOSTS": "portal.example.org",
    "DJANGO_HTTPS": "1",
    "PORTAL_URL": "https://portal.example.org",
}
LEAKS = re.compile(r"Traceback|Exception Value|DJANGO_|SECRET_KEY|settings\.py|site-packages|Django \d|Python \d|DEBUG")


def boom(request):
    raise RuntimeError("the-private-detail-of-a-failure")


# This module doubles as a URLconf (pytest.mark.urls) that adds a failing view to the portal's own.
urlpatterns = [path("test-only/boom/", boom), *root_urls.urlpatterns]


def production(*args: str) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    environment.update(PRODUCTION_ENV)
    return subprocess.run(  # noqa: S603
        [sys.executable, *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_is_clean_with_production_values():
    """`manage.py check --deploy` with production environment values: no warning, no error."""
    result = production("manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_https_turns_on_hsts_redirect_and_secure_cookies():
    """With DJANGO_HTTPS=1 the settings module asks for HSTS, the HTTPS redirect and cookies sent only over HTTPS."""
    code = (
        "import json, django; django.setup(); from django.conf import settings as s;"
        "print(json.dumps({k: getattr(s, k) for k in ['SECURE_HSTS_SECONDS', 'SECURE_SSL_REDIRECT',"
        "'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SESSION_COOKIE_HTTPONLY', 'SESSION_COOKIE_SAMESITE',"
        "'CSRF_COOKIE_SAMESITE', 'SECURE_PROXY_SSL_HEADER']}))"
    )
    result = production("-c", f"import os; os.environ['DJANGO_SETTINGS_MODULE'] = 'spp_portal.settings'; {code}")
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["SECURE_HSTS_SECONDS"] >= 31_536_000
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SESSION_COOKIE_SECURE"] is True and values["CSRF_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["SESSION_COOKIE_SAMESITE"] == values["CSRF_COOKIE_SAMESITE"] == "Lax"
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def assert_security_headers(response):
    csp = response.get("Content-Security-Policy", "")
    directives = {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}
    assert "script-src" in directives or "default-src" in directives, f"no script policy: {csp!r}"
    scripts = directives.get("script-src", directives.get("default-src"))
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts, csp
    assert "'unsafe-inline'" not in directives.get("style-src", []), csp
    assert directives.get("frame-ancestors") == ["'none'"], csp
    assert directives.get("object-src") == ["'none'"], csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    permissions = response.get("Permissions-Policy", "")
    for feature in ("camera", "microphone", "geolocation", "payment"):
        assert f"{feature}=()" in permissions, permissions
    assert directives.get("report-uri") == ["/csp-report"], csp
    assert directives.get("report-to") == ["csp"] and response["Reporting-Endpoints"] == 'csp="/csp-report"'


def signed_in(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


@pytest.mark.urls(__name__)
@pytest.mark.parametrize(
    ("who", "url", "status"),
    [
        ("anonymous", "/en/", 200),
        ("anonymous", "/fr/statements/{seed}/", 200),
        ("anonymous", "/es/accounts/login/", 200),
        ("anonymous", "/en/accounts/signup/", 200),
        ("stakeholder", "/en/dialogue/mine/", 200),
        ("moderator", "/en/moderation/", 200),
        ("publisher", "/admin/", 200),
        ("publisher", "/admin/priorities/statement/", 200),
        ("anonymous", "/admin/login/", 302),
        ("stakeholder", "/en/moderation/", 403),
        ("anonymous", "/en/no-such-page/", 404),
        ("anonymous", "/test-only/boom/", 500),
        ("anonymous", "/healthz", 200),
        ("anonymous", "/.well-known/security.txt", 200),
        ("anonymous", "/static/css/portal.css", 200),
    ],
)
def test_every_page_type_carries_the_security_headers(who, url, status):
    """Public, signed-in, official, admin, redirect and error pages all carry CSP and the other headers."""
    users = {"stakeholder": make_user, "moderator": make_moderator, "publisher": make_publisher}
    client = signed_in(users[who]()) if who in users else Client(raise_request_exception=False)
    response = client.get(url.format(seed=seed_statement().slug))
    assert response.status_code == status
    assert_security_headers(response)


def test_bad_request_page_carries_the_headers_and_says_nothing():
    """A request for a host the portal does not serve gets the portal's 400 page."""
    response = Client(raise_request_exception=False).get("/en/", headers={"host": "evil.example"})
    assert response.status_code == 400
    assert "Bad request" in response.text
    assert not LEAKS.search(response.text), LEAKS.search(response.text)
    assert_security_headers(response)


def test_csrf_failure_gets_the_portals_own_page():
    """A form posted without its CSRF token gets the portal's 403 page, not Django's diagnostic one."""
    client = Client(enforce_csrf_checks=True)
    response = client.post("/en/accounts/login/", {"login": "someone@example.org", "password": "x"})
    assert response.status_code == 403
    assert "CSRF verification failed" not in response.text
    assert "Form expired" in response.text
    assert '<html lang="en"' in response.text
    assert not LEAKS.search(response.text)
    assert_security_headers(response)


@pytest.mark.urls(__name__)
@pytest.mark.parametrize(
    ("who", "url", "status", "heading"),
    [
        ("anonymous", "/en/no-such-page/", 404, "Page not found"),
        ("anonymous", "/fr/nulle-part/", 404, "Page introuvable"),
        ("stakeholder", "/en/moderation/", 403, "Access denied"),
        ("anonymous", "/test-only/boom/", 500, "Something went wrong"),
    ],
)
def test_error_pages_are_generic_and_leak_nothing(who, url, status, heading):
    """Error pages say what happened in plain words: no traceback, setting, path, exception or version."""
    client = signed_in(make_user()) if who == "stakeholder" else Client(raise_request_exception=False)
    response = client.get(url)
    assert response.status_code == status
    assert heading in response.text
    assert "the-private-detail-of-a-failure" not in response.text
    assert not LEAKS.search(response.text), LEAKS.search(response.text)
    assert "Server" not in response or "/" not in response["Server"]


@override_settings(
    SECURE_SSL_REDIRECT=True,
    SECURE_HSTS_SECONDS=31_536_000,
    SECURE_HSTS_INCLUDE_SUBDOMAINS=True,
    SECURE_HSTS_PRELOAD=True,
    SESSION_COOKIE_SECURE=True,
    CSRF_COOKIE_SECURE=True,
)
def test_over_https_pages_carry_hsts_and_cookies_are_secure_httponly_and_samesite():
    """The production HTTPS settings (see the subprocess test above) as a browser receives them."""
    client = Client()
    assert client.get("/en/accounts/login/").status_code == 301, "plain HTTP is redirected to HTTPS"
    response = client.get("/en/accounts/login/", secure=True)
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    csrf = response.cookies[settings.CSRF_COOKIE_NAME]
    assert csrf["secure"] and csrf["httponly"] and csrf["samesite"] == "Lax"
    user = make_user()
    response = client.post("/en/accounts/login/", {"login": user.email, "password": PASSWORD}, secure=True)
    session = response.cookies[settings.SESSION_COOKIE_NAME]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"


TEMPLATE_DIRS = [ROOT / "templates", *ROOT.glob("*/templates")]
INLINE = {
    "event handler attribute": re.compile(r"<[a-zA-Z][^>]*\son[a-z]+\s*=", re.IGNORECASE),
    "inline <script>": re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.IGNORECASE),
    "<style> element": re.compile(r"<style[\s>]", re.IGNORECASE),
    "style= attribute": re.compile(r"<[a-zA-Z][^>]*\sstyle\s*=", re.IGNORECASE),
    "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
}


def test_no_template_holds_inline_script_style_or_event_handlers():
    """The CSP forbids inline code; every template of the portal respects it, so nothing breaks silently."""
    templates = [p for folder in TEMPLATE_DIRS for p in folder.rglob("*") if p.suffix in {".html", ".txt", ".xml"}]
    assert len(templates) > 40
    found = [
        f"{template.relative_to(ROOT)}: {what}: {match.group(0)[:80]!r}"
        for template in templates
        for what, pattern in INLINE.items()
        for match in pattern.finditer(template.read_text())
    ]
    assert not found, "\n".join(found)


def all_views(resolver=None, prefix=""):
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            yield from all_views(pattern, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.callback


class TestEveryWayToSignIn:
    def test_no_url_signs_in_around_allauth(self):
        """The only password forms are allauth's: no Django LoginView, and the admin's login is wrapped."""
        from django.contrib import admin
        from django.contrib.admin import AdminSite
        from django.contrib.auth.views import LoginView

        for route, view in all_views():
            assert getattr(view, "view_class", None) is not LoginView, route
        login = admin.site.login
        assert Path(login.__code__.co_filename).match("allauth/account/decorators.py"), "admin login not wrapped"
        assert login.__wrapped__.__func__ is AdminSite.login

    def test_admin_login_form_does_not_sign_in_and_sends_to_allauth(self, client):
        """Credentials posted to the admin's login URL sign no one in: the visitor is sent to allauth's sign-in."""
        publisher = make_publisher()
        response = client.post("/admin/login/", {"username": publisher.username, "password": PASSWORD})
        assert response.status_code == 302
        assert response["Location"].startswith("/en/accounts/login/?next=")
        assert not client.get("/en/").context["user"].is_authenticated

    def test_publisher_reaching_the_admin_needs_the_totp_code(self, client):
        """From /admin/ a publisher signs in with allauth: password, then the code, then the admin opens."""
        publisher = make_publisher()
        login = client.get("/admin/", follow=True).redirect_chain[-1][0]
        assert login.startswith("/en/accounts/login/")
        response = client.post(login, {"login": publisher.email, "password": PASSWORD})
        assert response["Location"] == "/en/accounts/2fa/authenticate/"
        assert client.get("/admin/").status_code == 302, "not signed in before the second factor"
        response = client.post("/en/accounts/2fa/authenticate/", {"code": "000000"})
        assert client.get("/admin/").status_code == 302, "a wrong code signs no one in"
        response = client.post("/en/accounts/2fa/authenticate/", {"code": totp_code(publisher.totp_secret)})
        assert response.status_code == 302 and response["Location"] == "/admin/"
        assert client.get("/admin/").status_code == 200

    def test_failed_attempts_count_across_languages_and_the_admin_route(self, client):
        """Wrong passwords in English, French, Spanish and through the admin's redirect share one counter."""
        publisher = make_publisher()
        for login in ("/en/accounts/login/", "/fr/accounts/login/", "/es/accounts/login/"):
            client.post(login, {"login": publisher.email, "password": "wrong-guess"})
        admin_login = client.get("/admin/", follow=True).redirect_chain[-1][0]
        client.post(admin_login, {"login": publisher.email, "password": "wrong-guess"})
        client.post(admin_login, {"login": publisher.email, "password": "wrong-guess"})
        response = client.post(admin_login, {"login": publisher.email, "password": PASSWORD})
        assert response.status_code in (200, 429)
        assert "Too many failed login attempts" in response.text
        assert client.get("/admin/").status_code == 302


# --- Headers everywhere, health reachable (issue 18, item 10) -------------------------------------


def production_requests(script: str, **environment) -> list:
    """Run `script` (which prints one JSON line last) with the production settings and a throwaway database."""
    code = (
        "import os, json, django; os.environ['DJANGO_SETTINGS_MODULE'] = 'spp_portal.settings'; django.setup();"
        "from django.test import Client; from django.conf import settings;"
        f"{script}"
    )
    result = production_with(environment, "-c", code)
    return json.loads(result.stdout.strip().splitlines()[-1])


def production_with(environment: dict, *args: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env.update(PRODUCTION_ENV, DATABASE_URL="sqlite:///:memory:", DJANGO_LOG_LEVEL="ERROR", **environment)
    env = {key: value for key, value in env.items() if value is not None}
    return subprocess.run(  # noqa: S603
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_with_https_enforced_the_health_check_answers_over_plain_http_and_the_redirect_carries_the_headers():
    """Load balancers probe /healthz over HTTP; everything else is redirected, with the security headers."""
    answers = production_requests(
        "c = Client(SERVER_NAME='portal.example.org');"
        "h = c.get('/healthz'); r = c.get('/en/?q=1');"
        "print(json.dumps([h.status_code, r.status_code, r['Location'], dict(r.items())]))"
    )
    health, redirect, location, headers = answers
    assert health == 200
    assert redirect == 301 and location == "https://portal.example.org/en/?q=1"
    for header in (
        "Content-Security-Policy",
        "X-Content-Type-Options",
        "X-Frame-Options",
        "Referrer-Policy",
        "Cross-Origin-Opener-Policy",
        "Permissions-Policy",
    ):
        assert header in headers, f"the redirect lacks {header}: {headers}"


@pytest.mark.parametrize(("asked", "preload"), [(None, False), ("1", True)])
def test_hsts_preload_only_when_a_setting_asks_for_it(asked, preload):
    """Preloading binds the domain and its subdomains to HTTPS for months: the domain's owner opts in."""
    answers = production_requests(
        "r = Client(SERVER_NAME='portal.example.org').get('/healthz', secure=True);"
        "print(json.dumps([settings.SECURE_HSTS_PRELOAD, r['Strict-Transport-Security']]))",
        DJANGO_HSTS_PRELOAD=asked,
    )
    assert answers[0] is preload
    assert answers[1].endswith("; preload") is preload
    check = production_with({"DJANGO_HSTS_PRELOAD": asked}, "manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert check.returncode == 0, check.stdout + check.stderr


def test_production_settings_refuse_to_start_without_portal_url():
    """The address used in every email: no silent default in production; the message names the variable."""
    result = production_with({"PORTAL_URL": None}, "manage.py", "check")
    assert result.returncode != 0
    assert "PORTAL_URL is not set" in result.stderr
    result = production_with({"PORTAL_URL": "portal.example.org"}, "manage.py", "check")
    assert result.returncode != 0 and "PORTAL_URL must start with https://" in result.stderr


def test_security_txt_gives_the_contact_from_settings(client, settings):
    """RFC 9116: Contact, Expires (within a year), Preferred-Languages and Canonical, as plain text."""
    import datetime

    from django.utils import timezone

    settings.SECURITY_CONTACT = "mailto:security@portal.example.org"
    settings.PORTAL_URL = "https://portal.example.org"
    response = client.get("/.well-known/security.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    fields = dict(line.split(": ", 1) for line in response.text.strip().splitlines())
    assert fields["Contact"] == "mailto:security@portal.example.org"
    assert fields["Preferred-Languages"] == "en, fr, es"
    assert fields["Canonical"] == "https://portal.example.org/.well-known/security.txt"
    expires = datetime.datetime.fromisoformat(fields["Expires"])
    assert timezone.now() < expires < timezone.now() + datetime.timedelta(days=365)


def test_security_txt_defaults_to_the_portal_s_sender_address():
    answers = production_requests(
        "print(json.dumps(Client(SERVER_NAME='portal.example.org').get('/.well-known/security.txt', secure=True)"
        ".content.decode().splitlines()[0]))",
        DEFAULT_FROM_EMAIL="North American Dialogue <dialogue@portal.example.org>",
        SECURITY_CONTACT=None,
    )
    assert answers == "Contact: mailto:dialogue@portal.example.org"


class TestCSPReports:
    URL = "/csp-report"
    REPORT_URI = {
        "csp-report": {
            "document-uri": "https://portal.example.org/en/",
            "violated-directive": "script-src-elem",
            "effective-directive": "script-src-elem",
            "blocked-uri": "https://evil.example/x.js",
            "original-policy": "default-src 'self'",
            "disposition": "enforce",
        }
    }
    REPORT_TO = [
        {
            "type": "csp-violation",
            "url": "https://portal.example.org/fr/",
            "body": {"documentURL": "https://portal.example.org/fr/", "effectiveDirective": "style-src-elem",
                     "blockedURL": "inline", "disposition": "enforce", "sample": "body{}"},
        }
    ]  # fmt: skip

    def post(self, client, body, content_type="application/csp-report", **extra):
        return client.post(self.URL, body if isinstance(body, bytes | str) else json.dumps(body), content_type, **extra)

    def test_a_report_uri_report_is_received_and_logged(self, client, log_lines):
        response = self.post(Client(enforce_csrf_checks=True), self.REPORT_URI)
        assert response.status_code == 204
        [line] = [line for line in log_lines if line["logger"] == "spp_portal.csp"]
        assert line["level"] == "WARNING" and line["event"] == "csp.violation"
        assert line["report"]["blocked-uri"] == "https://evil.example/x.js"
        assert "original-policy" not in line["report"], "only the fields worth keeping"
        assert line["request_id"] == response["X-Request-ID"]

    def test_a_report_to_report_is_received_and_logged(self, client, log_lines):
        response = self.post(client, self.REPORT_TO, content_type="application/reports+json")
        assert response.status_code == 204
        [line] = [line for line in log_lines if line["logger"] == "spp_portal.csp"]
        assert line["report"]["effectiveDirective"] == "style-src-elem"

    @pytest.mark.parametrize(
        "body",
        [b"", b"not json", b"[]", b"{}", b"null", b'{"csp-report": "x"}', b"[1, 2]", b"[" * 5000 + b"]" * 5000,
         b"\xff\xfe\x00", json.dumps({"csp-report": {"blocked-uri": "\x00" * 10}}).encode()],
        ids=["empty", "not-json", "empty-list", "empty-object", "null", "string-report", "numbers", "deep-nesting",
             "not-utf8", "nul-bytes"],
    )  # fmt: skip
    def test_anything_else_anyone_posts_is_a_4xx_never_a_500(self, body, log_lines):
        response = self.post(Client(raise_request_exception=False), body)
        assert 200 <= response.status_code < 500
        assert not [line for line in log_lines if line["level"] == "ERROR"]

    def test_an_oversized_report_is_refused_unread(self, settings, log_lines):
        huge = {"csp-report": {**self.REPORT_URI["csp-report"], "sample": "x" * settings.CSP_REPORT_MAX_BYTES}}
        assert self.post(Client(), huge).status_code == 413
        assert not [line for line in log_lines if line["logger"] == "spp_portal.csp"]

    def test_reports_are_rate_limited_per_address(self, settings, log_lines):
        settings.CSP_REPORT_RATE_LIMIT = (3, 60)
        statuses = [self.post(Client(REMOTE_ADDR="203.0.113.4"), self.REPORT_URI).status_code for _ in range(5)]
        assert statuses == [204, 204, 204, 429, 429]
        assert len([line for line in log_lines if line["logger"] == "spp_portal.csp"]) == 3
        assert self.post(Client(REMOTE_ADDR="198.51.100.4"), self.REPORT_URI).status_code == 204

    def test_only_post(self, client):
        assert client.get(self.URL).status_code == 405


def test_a_request_for_an_unknown_host_is_logged_as_a_warning_not_an_error(log_lines):
    """A scanner trying host names is not the portal failing: WARNING, so nobody is paged for it."""
    response = Client(raise_request_exception=False).get("/en/", headers={"host": "evil.example"})
    assert response.status_code == 400
    [line] = [line for line in log_lines if line["logger"] == "django.security.DisallowedHost"]
    assert line["level"] == "WARNING"
