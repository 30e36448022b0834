"""
Browser journeys: Playwright (sync API) driving Debian's Chromium against pytest-django's live server.

No browser is downloaded: the tests use the `chromium` package at /usr/bin/chromium. Without it they
are skipped with one plain message, so the rest of `make test` still runs, except in CI (CI=true),
where a missing browser fails the run: CI must always prove the journeys.
"""

import os
import re
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
MISSING_CHROMIUM = f"Chromium not found at {CHROMIUM}: browser journeys skipped; apt-get install chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Without these Chromium keeps calling home, which floods a closed network and slows every test.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Short enough that a broken journey fails in seconds, long enough for a loaded 2-core machine.
TIMEOUT_MS = 10_000
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results"

# Playwright's sync API runs an asyncio event loop in this thread, which makes Django refuse
# database access from the test code (SynchronousOnlyOperation) although nothing here is async.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Without Chromium, skip before any set-up, from here, so pytest folds every skip into one line."""
    if CHROMIUM.exists():
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{MISSING_CHROMIUM} (CI must run them)", pytrace=False)
    pytest.skip(MISSING_CHROMIUM)


@pytest.fixture(scope="session")
def browser(django_db_setup):
    """One Chromium for the whole session: starting it is the slow part, contexts are cheap."""
    from django.db import connections
    from playwright.sync_api import sync_playwright

    # Once Playwright's event loop runs in this thread, asgiref hands Django new connection objects
    # (per context rather than per thread). They must carry the migration data Django serialized at
    # set-up, or serialized rollback silently restores nothing after the first flush.
    serialized = {
        connection.alias: connection._test_serialized_contents
        for connection in connections.all()
        if hasattr(connection, "_test_serialized_contents")
    }
    with sync_playwright() as playwright:
        for alias, contents in serialized.items():
            connections[alias]._test_serialized_contents = contents
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
        # Those connections would otherwise stay open and stop the test database from being dropped.
        connections.close_all()


@pytest.fixture(autouse=True)
def _uploads_in_a_temporary_folder(settings, tmp_path):
    """Files the journeys and the pages' world upload (attachments, documents) stay out of var/media."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def page(browser, live_server, request):
    """A fresh browser context (no cookies) per test; its page is screenshotted if the test fails."""
    context = browser.new_context(base_url=live_server.url, locale="en-US", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        SCREENSHOTS.mkdir(exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    context.close()


@pytest.fixture
def new_page(browser, live_server, request):
    """
    More people in one journey (a moderator, the public): each call opens a page in a fresh context,
    optionally signed in as `user` through a session made by Django's test client. Screenshotted on failure.
    """
    pages = []

    from tests.e2e.sessions import open_context

    def open_page(user=None, locale="en-US"):
        pages.append(open_context(browser, live_server, user, locale=locale).new_page())
        return pages[-1]

    yield open_page
    report = getattr(request.node, "rep_call", None)
    for number, page in enumerate(pages, start=1):
        if report is not None and report.failed:
            SCREENSHOTS.mkdir(exist_ok=True)
            name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)
            page.screenshot(path=str(SCREENSHOTS / f"{name}-{number}.png"), full_page=True)
        page.context.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so the `page` fixture knows whether the test failed."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
