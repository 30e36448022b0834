from django.apps import AppConfig

from . import receivers


class SafeguardsConfig(AppConfig):
    """The bottom layer's other half: client addresses, rate limits and the security event log."""

    name = "safeguards"
    verbose_name = "Safeguards"

    def ready(self):
        # The security event log listens to allauth's and Django's account signals (logging only).
        receivers.connect()
