"""WSGI entry point for gunicorn (and runserver)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spp_portal.settings")

application = get_wsgi_application()

# An app server never sends email in a request: its outbox rows are sent (or, with a broker,
# handed to the Celery worker) by a background thread of this process (outbox/dispatch.py).
from outbox.dispatch import run_in_background  # noqa: E402 - needs the settings loaded above

run_in_background()
