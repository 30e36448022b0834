from django.apps import AppConfig
from django.core import signals

from . import cache


class PagecacheConfig(AppConfig):
    """The bottom layer: whole-page and shared-fragment caching (see pagecache/cache.py)."""

    name = "pagecache"

    def ready(self):
        # The generation is read once per request, and only between these two signals.
        signals.request_started.connect(cache.request_started, dispatch_uid="pagecache.request_started")
        signals.request_finished.connect(cache.request_finished, dispatch_uid="pagecache.request_finished")
