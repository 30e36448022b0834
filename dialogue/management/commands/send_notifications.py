"""
The notification sweep: `manage.py send_notifications` (from cron every minute, or the Celery beat
task `dialogue.send_notifications`, which runs the same pass).

Why it exists: some notifications have no request to ride on. Moderators are prompted when comments
start waiting, at most once every MODERATION_PROMPT_MINUTES; a comment period closes, or a scheduled
statement appears, because its time came; and the daily digests go out once a day, from
NOTIFICATION_DIGEST_HOUR. Each pass is one transaction holding the NotificationState row, so
several servers or workers running it never send anything twice; what it writes goes into the
email outbox, whose worker sends it.
"""

from django.core.management.base import BaseCommand

from dialogue import notifications
from dialogue.models import Notice


class Command(BaseCommand):
    help = "Prompt moderators, announce the record's changes to followers, and send the daily digests when due."

    def add_arguments(self, parser):
        parser.add_argument("--digests", action="store_true", help="Send the daily digests now, due or not.")
        parser.add_argument("--dry-run", action="store_true", help="Say what waits for a digest; send nothing.")

    def handle(self, *args, digests, dry_run, verbosity, **options):
        if dry_run:
            waiting = Notice.objects.count()
            people = Notice.objects.values("subscription__user").distinct().count()
            self.stdout.write(f"{waiting} notice(s) wait for the digests of {people} person(s).")
            return
        outcome = notifications.sweep(digests=True if digests else None)
        if verbosity:
            self.stdout.write(
                f"Moderators prompted: {outcome.prompts} email(s); followers told of the record's changes: "
                f"{outcome.announced} email(s); digests: {outcome.digests}."
            )
