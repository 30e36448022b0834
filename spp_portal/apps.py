from django.apps import AppConfig

from pagecache.cache import register_invalidation_listener

from . import replicas


class SppPortalConfig(AppConfig):
    """The project package: it composes the apps (home, search, health, API wiring)."""

    name = "spp_portal"

    def ready(self):
        if replicas.configured():
            # A replica is read only once it has every change the public pages were told of.
            register_invalidation_listener(replicas.note_primary_position)
