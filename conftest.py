"""Project-wide pytest set-up: every test starts with an empty, process-local cache."""

import pytest
from django.conf import settings


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


@pytest.fixture(autouse=True)
def _english_by_default():
    """Requests activate their page's language in this thread; start every test from English."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.activate("en")


@pytest.fixture(autouse=True)
def _empty_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
