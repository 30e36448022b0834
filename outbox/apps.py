from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutboxConfig(AppConfig):
    """The bottom layer for email: every message is a row first, sent by a worker (see outbox/delivery.py)."""

    name = "outbox"
    verbose_name = _("Email outbox")
