"""What the tests that drive real app servers over HTTP share: ports, waiting, a cookie-keeping browser."""

import http.cookiejar
import re
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

PUBLIC_HOST = "localhost"
STATEMENT_SLUG = "2008-02-28-joint-statement-los-cabos"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_healthy(url: str, server: subprocess.Popen, log: Path, seconds: float = 60) -> None:
    """Poll /healthz until the server answers 200 (it takes a few seconds to start; never a fixed sleep)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"the server stopped; see {log}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {seconds:.0f} s; see {log}")


def moderator_session_code() -> str:
    """Code for `manage.py shell -c`: prints the session key of a signed-in demo moderator with MFA."""
    return (
        "from allauth.mfa.models import Authenticator\n"
        "from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret\n"
        "from django.contrib.auth import get_user_model\n"
        "from django.test import Client\n"
        "moderator = get_user_model().objects.get(email='moderator@example.com')\n"
        "if not Authenticator.objects.filter(user=moderator, type=Authenticator.Type.TOTP).exists():\n"
        "    TOTP.activate(moderator, generate_totp_secret())\n"
        "client = Client()\n"
        "client.force_login(moderator)\n"
        "print(client.cookies['sessionid'].value)\n"
    )


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """Cookies kept across requests (and servers on the same host), redirects not followed."""

    def __init__(self):
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect, urllib.request.HTTPErrorProcessor
        )

    def request(self, url: str, data: dict | None = None, headers: dict | None = None) -> tuple[int, str, dict]:
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        # Every request names the public host, as a load balancer passes it on.
        request = urllib.request.Request(url, data=body, headers={"Host": PUBLIC_HOST, **(headers or {})})  # noqa: S310
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode(), dict(response.headers)
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(), dict(error.headers)

    def form_token(self, url: str) -> str:
        status, page, _headers = self.request(url)
        assert status == 200, f"GET {url}: {status}"
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

    def sign_in(self, server: str, email: str, password: str) -> tuple[int, str, dict]:
        token = self.form_token(f"{server}/en/accounts/login/")
        return self.request(
            f"{server}/en/accounts/login/", {"csrfmiddlewaretoken": token, "login": email, "password": password}
        )

    def comment(self, server: str, text: str) -> tuple[int, str, dict]:
        url = f"{server}/en/dialogue/statements/{STATEMENT_SLUG}/comment/"
        token = self.form_token(url)
        return self.request(url, {"csrfmiddlewaretoken": token, "body": text, "language": "en", "about": ""})
