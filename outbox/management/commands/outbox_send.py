"""
Send the email outbox now: `manage.py outbox_send` (the sweep, for cron).

Why it exists: the outbox is sent by a Celery worker or by the app servers' background sender, and
both also sweep by themselves; this command is the same sweep for deployments that prefer cron, for
a worker that is down, and for operators who want to see what waits. Sent messages older than
OUTBOX_KEEP_SENT_DAYS are deleted on the way.
"""

from django.core.management.base import BaseCommand
from django.db.models import Min
from django.utils import timezone

from outbox import delivery
from outbox.models import Message


class Command(BaseCommand):
    help = "Send the emails that are due in the outbox (retries included); print what waits."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Say what waits; send nothing.")
        parser.add_argument(
            "--retry-failed", action="store_true", help="Queue the messages that were given up again, then send."
        )

    def handle(self, *args, dry_run, retry_failed, verbosity, **options):
        if dry_run:
            waiting = Message.objects.pending().aggregate(oldest=Min("created_at"))
            due = Message.objects.due(at=timezone.now()).count()
            self.stdout.write(
                f"{Message.objects.pending().count()} waiting ({due} due now, oldest {waiting['oldest'] or '-'}); "
                f"{Message.objects.failed().count()} given up."
            )
            return
        requeued = delivery.requeue_failed() if retry_failed else 0
        outcome = delivery.send_due()
        purged = delivery.purge_sent()
        if verbosity:
            self.stdout.write(
                f"{outcome.sent} sent, {outcome.failed} failed (retried later), {requeued} requeued, "
                f"{purged} old sent purged; {Message.objects.pending().count()} waiting."
            )
