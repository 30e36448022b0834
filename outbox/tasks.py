"""
The Celery task that sends the outbox (run a worker: `celery -A spp_portal worker --beat`).

One task, published by the app servers after an outbox row commits and scheduled by Celery beat
every OUTBOX_SWEEP_SECONDS (CELERY_BEAT_SCHEDULE in settings): the scheduled run is the sweep that
sends retries whose time has come and anything whose task was lost. The task carries no message id:
the outbox table says what to send, so a duplicate task sends nothing twice.
"""

from celery import shared_task

from . import delivery


@shared_task(name="outbox.send_due", ignore_result=True)
def send_due() -> dict:
    outcome = delivery.send_due()
    purged = delivery.purge_sent()
    return {"sent": outcome.sent, "failed": outcome.failed, "purged": purged}
