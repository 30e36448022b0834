"""
How long a comment takes to submit with campaign grouping, beside the time without it
(CAMPAIGN_GROUPING off), on a statement that already holds many comments (issue 15).

`make bench` runs it last, in its own database, on EXPORT_STATEMENT (100,000 approved comments,
their campaign bands stored by `manage.py index_campaigns`). It submits SUBMISSIONS comments
through the real service (dialogue.services.comment_submit: checks, tracking number, event,
receipt in the outbox, grouping), alternating grouping on and off so that both meet the same
database; half are copies of a form letter from distinct stakeholders (they join one campaign:
candidates found, confirmed, joined), half are texts of their own. Alone, on a scratch database:

    DATABASE_URL=sqlite:///var/bench/campaigns.sqlite3 python -m tools.bench_campaigns --comments 5000
"""

import argparse
import os
import random
import statistics
import sys
import time

SUBMISSIONS = 40
LETTER = (
    "As a member of the regional chamber I ask the three governments to shorten wait times at the land "
    "crossings, publish the inspection standards in plain language and consult the municipalities before "
    "any new fee. Small exporters cannot absorb more delays; please fund the shared inspection lanes."
)


def measure(statement_slug: str, submissions: int = SUBMISSIONS) -> dict[bool, list[float]]:
    """Milliseconds per submission, grouping on (True) and off (False)."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth import get_user_model
    from django.test import override_settings

    from dialogue import services
    from dialogue.demo_corpus import CorpusWriter
    from dialogue.models import Stakeholder
    from priorities.models import Statement

    statement = Statement.objects.get(slug=statement_slug)
    writer = CorpusWriter(random.Random(15), {"en": statement.body_en or ""})  # noqa: S311 - bench texts
    User = get_user_model()
    run = User.objects.filter(username__startswith="campaign-bench-").count()
    times = {True: [], False: []}
    with override_settings(
        COMMENT_RATE_LIMIT=(10**9, 600), OUTBOX_DELIVERY_BACKEND="django.core.mail.backends.locmem.EmailBackend"
    ):
        for number in range(submissions):
            name = f"campaign-bench-{run + number}"
            user = User.objects.create_user(username=name, email=f"{name}@example.org")
            EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
            Stakeholder.objects.create(user=user, display_name=name)
            body = f"{LETTER} Signed, {name}." if number % 2 else writer.comment("en")
            grouping = number % 4 < 2
            with override_settings(CAMPAIGN_GROUPING=grouping):
                start = time.perf_counter()
                services.comment_submit(author=user, statement=statement, body=body, language="en")
                times[grouping].append((time.perf_counter() - start) * 1000)
    return times


def report(times: dict[bool, list[float]], statement_slug: str) -> None:
    from dialogue.models import Comment

    comments = Comment.objects.filter(statement__slug=statement_slug).count()

    def figures(values):
        ordered = sorted(values)
        return statistics.median(ordered), ordered[int(0.9 * (len(ordered) - 1))]

    on, off = figures(times[True]), figures(times[False])
    print(
        f"comment submission among {comments:,} comments: with campaign grouping p50 {on[0]:.1f} ms, "
        f"p90 {on[1]:.1f} ms; without p50 {off[0]:.1f} ms, p90 {off[1]:.1f} ms "
        f"({len(times[True])} + {len(times[False])} submissions, alternated)",
        flush=True,
    )


def seed(comments: int) -> str:
    """A scratch statement with `comments` approved demo comments and their bands (the stand-alone run)."""
    from django.core.management import call_command
    from django.db import connection, transaction

    from dialogue.demo import CommentSeeder
    from priorities.models import Statement

    call_command("seed_demo", "--statements", "1", verbosity=0)
    statement = Statement.objects.filter(slug__startswith="demo-statement-").order_by("slug").first()
    with transaction.atomic():
        CommentSeeder(statement, lambda message: None).seed(comments, 0, kind="approved")
    call_command("index_campaigns", "--statement", statement.slug, verbosity=0)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # what autovacuum does within a minute of a bulk load (as tools/bench.py)
    return statement.slug


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--comments", type=int, default=5000, help="approved comments to seed first (default 5,000)")
    parser.add_argument("--submissions", type=int, default=SUBMISSIONS)
    options = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spp_portal.settings")
    os.environ.setdefault("DJANGO_DEBUG", "1")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    slug = seed(options.comments)
    report(measure(slug, options.submissions), slug)
    return 0


if __name__ == "__main__":
    sys.exit(main())
