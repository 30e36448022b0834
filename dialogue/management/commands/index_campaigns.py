"""
`manage.py index_campaigns`: store the campaign bands (dialogue/campaigns.py) of the comments that
have none: those submitted before campaigns existed, while CAMPAIGN_GROUPING was off, or seeded in
bulk. New submissions are then grouped with them too. It does not group these comments with each
other: a campaign forms as submissions arrive, and the moderation decisions already taken on old
comments stay as they were.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Exists, OuterRef

from dialogue import campaigns
from dialogue.models import CampaignBand, Comment
from priorities.models import Statement


class Command(BaseCommand):
    help = "Store the campaign bands of comments that have none, so that new submissions are grouped with them."

    def add_arguments(self, parser):
        parser.add_argument("--statement", help="only the comments on the statement with this slug")
        parser.add_argument("--dry-run", action="store_true", help="count the comments without bands, change nothing")

    def handle(self, *args, statement=None, dry_run=False, verbosity=1, **options):
        # NOT EXISTS, an anti-join: `pk NOT IN (all the bands' comments)` is planned as a scan of
        # every band per comment once the bands outgrow work_mem (15 minutes and more at 100,000).
        comments = Comment.objects.filter(parent__isnull=True).exclude(
            Exists(CampaignBand.objects.filter(comment=OuterRef("pk")))
        )
        if statement:
            if not Statement.objects.filter(slug=statement).exists():
                raise CommandError(f"No statement has the slug {statement!r}.")
            comments = comments.filter(statement__slug=statement)
        if dry_run:
            if verbosity:
                self.stdout.write(f"{comments.count()} top-level comments have no campaign bands (nothing changed).")
            return
        with transaction.atomic():
            indexed = campaigns.index_many(
                comments.only("pk", "statement_id", "parent_id", "body").order_by("pk").iterator(chunk_size=2000)
            )
        if verbosity:
            self.stdout.write(f"Indexed {indexed} comments for campaign grouping.")
