"""
Set-up and fixtures shared by the whole suite: every test starts in English with an empty,
process-local cache; the fixtures several test files need are defined here once.
"""

import json
import logging

import pytest
from django.conf import settings
from django.core.cache import cache
from django.utils import translation

from spp_portal.logs import JsonFormatter, RequestContextFilter

from .factories import make_moderator


def pytest_configure(config):
    # Tests run in one process; a local-memory cache keeps them from sharing rate-limit
    # counters or cached pages with a `make run` on the same machine.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # Static files straight from the source folders: tests need no `collectstatic`.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.WHITENOISE_AUTOREFRESH = True
    settings.WHITENOISE_USE_FINDERS = True


@pytest.fixture
def generous_rate_limit(settings):
    """For tests that submit many comments as one stakeholder: the comment rate limit stays out of the way."""
    settings.COMMENT_RATE_LIMIT = (100_000, 600)


@pytest.fixture
def moderator():
    """A moderator with two-factor authentication set up, named as the decisions and emails show them."""
    return make_moderator(display_name="Moe")


@pytest.fixture(autouse=True)
def _english_by_default():
    """Requests activate their page's language in this thread; start every test from English."""
    translation.activate("en")
    yield
    translation.activate("en")


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def log_lines():
    """The JSON lines the portal's console handler would write, captured (parsed, in order)."""
    lines = []

    class Collect(logging.Handler):
        def emit(self, record):
            lines.append(json.loads(self.format(record)))

    handler = Collect()
    handler.addFilter(RequestContextFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    yield lines
    root.removeHandler(handler)


@pytest.fixture
def security_events(log_lines):
    """The security event log's lines (logger spp_portal.security), as they are written."""

    class Events(list):
        def named(self, event):
            return [line for line in log_lines if line["logger"] == "spp_portal.security" and line["event"] == event]

        def all(self):
            return [line for line in log_lines if line["logger"] == "spp_portal.security"]

    return Events()
