# The outbox's Celery app, created with the project so that its task publishes through it.
from .celery import app as celery_app

__all__ = ["celery_app"]
