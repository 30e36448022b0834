"""
The Celery application that runs the email outbox's worker: `celery -A spp_portal worker --beat`.

Configured from Django's settings (the CELERY_* names); its tasks are outbox.send_due and
dialogue.send_notifications (the notification sweep). The app
is created when the project package is imported (spp_portal/__init__.py), so the outbox's task
publishes through it from the app servers as well.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spp_portal.settings")

app = Celery("spp_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["outbox", "dialogue"])
