"""
Email every moderator a summary of what waits: `manage.py moderation_digest` (run it from cron).

Why it exists: a queue that nobody opens grows old. The digest tells each moderator, in
their preferred language, how many comments wait, how long the oldest has waited, how many
were hidden after reports, and which statements they concern. The digests are written into the
email outbox in one transaction (all or none); the outbox's worker sends them, with retries.
"""

from django.conf import settings
from django.core.mail import send_mail
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Count, Min
from django.template.loader import render_to_string
from django.utils import timezone, translation

from dialogue.adapter import email_subject, preferred_language, sender, user_display
from dialogue.models import Comment
from dialogue.notifications import moderators


class Command(BaseCommand):
    help = "Email moderators a summary of the pending and flagged comments."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Print the digest instead of sending it.")

    @transaction.atomic
    def handle(self, *args, dry_run, verbosity, **options):
        pending = Comment.objects.pending()
        summary = pending.aggregate(count=Count("pk"), oldest=Min("submitted_at"))
        context = {
            "pending": summary["count"],
            "oldest": summary["oldest"],
            "now": timezone.now(),
            "flagged": Comment.objects.flagged().count(),
            "by_statement": pending.values("statement__title", "statement__slug")
            .annotate(n=Count("pk"))
            .order_by("-n")[:10],
            "queue_url": f"{settings.PORTAL_URL}/{{language}}/moderation/",
        }
        sent = 0
        for moderator in moderators():
            language = preferred_language(moderator)
            with translation.override(language):
                body = render_to_string(
                    "dialogue/email/digest_message.txt",
                    {
                        **context,
                        "queue_url": context["queue_url"].format(language=language),
                        "name": user_display(moderator),
                    },
                )
                subject = email_subject(render_to_string("dialogue/email/digest_subject.txt", context))
                from_email = sender()
            if dry_run:
                self.stdout.write(f"To: {moderator.email}\nSubject: {subject}\n\n{body}")
                continue
            send_mail(subject, body, from_email, [moderator.email])
            sent += 1
        if verbosity and not dry_run:
            self.stdout.write(f"Digest queued for {sent} moderator(s). {summary['count']} pending.")
