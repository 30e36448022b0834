"""Browser contexts for a given person: a session made by Django's test client, handed to Chromium."""

from tests.e2e.conftest import TIMEOUT_MS
from tests.factories import PASSWORD


def open_context(browser, live_server, user=None, *, locale="en-US", width=1280, height=900):
    """A fresh browser context on the live server, signed in as `user` when given (no sign-in form)."""
    from django.conf import settings
    from django.test import Client

    context = browser.new_context(base_url=live_server.url, locale=locale, viewport={"width": width, "height": height})
    context.set_default_timeout(TIMEOUT_MS)
    if user is not None:
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
    return context


def visit(page, url, kind):
    """Open a page kind's address; where it asks for the password again first, give it (the factories' one)."""
    response = page.goto(url)
    if kind.password_again and "/accounts/reauthenticate/" in page.url:
        page.locator("input[name='password']").fill(PASSWORD)
        with page.expect_navigation() as navigation:
            page.locator("main form [type=submit]").first.click()
        response = navigation.value
    return response
