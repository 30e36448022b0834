"""The notification sweep as a Celery task, scheduled by beat (CELERY_BEAT_SCHEDULE in settings)."""

from celery import shared_task

from . import notifications


@shared_task(name="dialogue.send_notifications", ignore_result=True)
def send_notifications() -> dict:
    outcome = notifications.sweep()
    return {"prompts": outcome.prompts, "announced": outcome.announced, "digests": outcome.digests}
