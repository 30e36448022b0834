"""
Demo comments, for `seed_demo` (make run) and the benchmarks in tools/: many comments, quickly and deterministically.

Not used by the running portal. Comments are bulk-created (with their moderation events) rather
than submitted through the services, which would take hours for the benchmark's 111,000.
"""

import datetime
import random

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.db import models

from . import organisations, services
from .demo_corpus import CorpusWriter
from .models import Comment, ModerationEvent, Organisation, RejectionReason, Stakeholder
from .text import fingerprint

PARTICIPANTS = 60


class CommentSeeder:
    """Bulk-creates demo comments quickly and deterministically (100,000 in well under a minute)."""

    BATCH = 2000

    # The share of new threads about one of the statement's directives (the rest are about the whole statement).
    ON_A_DIRECTIVE = 0.3

    def __init__(self, statement, say):
        self.statement = statement
        self.say = say
        self.rng = random.Random(f"comments:{statement.slug}")  # noqa: S311 - demo data, not security
        self.directives = list(statement.directives.order_by("pk").values_list("pk", "priority_id"))

    def participants(self):
        User = get_user_model()
        users = []
        for number in range(1, PARTICIPANTS + 1):
            email = f"participant{number:03d}@example.com"
            user, created = User.objects.get_or_create(username=f"participant{number:03d}", defaults={"email": email})
            if created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
                EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
                Stakeholder.objects.create(
                    user=user,
                    display_name=f"Participant {number}",
                    country=Stakeholder.Country.values[number % 4],
                    sector=Stakeholder.Sector.values[number % 7],
                    organisation="" if number % 3 else f"Organisation {number}",
                    preferred_language=["en", "fr", "es"][number % 3],
                )
            users.append(user)
        return users

    def tracking(self):
        chars = "".join(self.rng.choice("0123456789ABCDEFGHJKMNPQRSTVWXYZ") for _ in range(8))
        return f"SPP-{chars[:4]}-{chars[4:]}"

    STATUS_WEIGHTS = {
        "mixed": [80, 10, 6, 4],
        "pending": [0, 1, 0, 0],
        "approved": [1, 0, 0, 0],
    }

    def plan(self, count, kind="mixed"):
        """Deterministic specifications; replies point at earlier approved comments of the plan."""
        rng = self.rng
        writer = CorpusWriter(
            rng, {code: getattr(self.statement, f"body_{code}", "") or "" for code in ("en", "fr", "es")}
        )
        items = []
        approved_indexes = []
        start = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
        for index in range(count):
            language = rng.choice(["en", "en", "fr", "es"])
            status = rng.choices(
                [Comment.Status.APPROVED, Comment.Status.PENDING, Comment.Status.REJECTED, Comment.Status.HIDDEN],
                weights=self.STATUS_WEIGHTS[kind],
            )[0]
            parent = None
            if kind != "pending" and approved_indexes and rng.random() < 0.6:
                parent = rng.choice(approved_indexes[-200:])
                while items[parent]["depth"] >= Comment.MAX_DEPTH:
                    parent = items[parent]["parent"]
            body = writer.comment(language)
            # A reply is about what its thread is about, as the comment service makes it.
            if parent is not None:
                subject = items[parent]["subject"]
            elif self.directives and rng.random() < self.ON_A_DIRECTIVE:
                subject = rng.choice(self.directives)
            else:
                subject = (None, None)
            items.append(
                {
                    "tracking": self.tracking(),
                    "language": language,
                    "status": status,
                    "parent": parent,
                    "depth": 0 if parent is None else items[parent]["depth"] + 1,
                    "body": body,
                    "subject": subject,
                    "author": rng.randrange(PARTICIPANTS),
                    "submitted_at": start + datetime.timedelta(minutes=7 * index),
                    "reason": rng.choice(RejectionReason.values)
                    if status in (Comment.Status.REJECTED, Comment.Status.HIDDEN)
                    else "",
                }
            )
            if status == Comment.Status.APPROVED:
                approved_indexes.append(index)
        return items

    def seed(self, comments, pending, kind="mixed"):
        """`comments` of the given kind ("mixed" states or all "approved"), then `pending` more."""
        users = self.participants()
        moderator = get_user_model().objects.filter(username="moderator").first()
        created = 0
        for plan_kind, count in ((kind, comments), ("pending", pending)):
            if not count:
                continue
            items = self.plan(count, plan_kind)
            existing = dict(
                Comment.objects.filter(tracking_number__in=[i["tracking"] for i in items]).values_list(
                    "tracking_number", "pk"
                )
            )
            for depth in range(Comment.MAX_DEPTH + 1):
                level = [(n, i) for n, i in enumerate(items) if i["depth"] == depth and i["tracking"] not in existing]
                for offset in range(0, len(level), self.BATCH):
                    batch = level[offset : offset + self.BATCH]
                    objs = [self.comment(item, items, existing, users) for _n, item in batch]
                    Comment.objects.bulk_create(objs, batch_size=self.BATCH)
                    saved = dict(
                        Comment.objects.filter(tracking_number__in=[o.tracking_number for o in objs]).values_list(
                            "tracking_number", "pk"
                        )
                    )
                    existing.update(saved)
                    if depth == 0:
                        Comment.objects.filter(pk__in=saved.values()).update(thread=models.F("pk"))
                    self.events(objs, saved, moderator)
                    created += len(objs)
        self.say(f"Demo comments on {self.statement.slug}: {created} created.")

    def comment(self, item, items, existing, users):
        parent_pk = existing[items[item["parent"]]["tracking"]] if item["parent"] is not None else None
        root = item
        while root["parent"] is not None:
            root = items[root["parent"]]
        decided = item["status"] != Comment.Status.PENDING
        return Comment(
            statement=self.statement,
            parent_id=parent_pk,
            thread_id=existing.get(root["tracking"]) if parent_pk else None,
            depth=item["depth"],
            directive_id=item["subject"][0],
            priority_id=item["subject"][1],
            author=users[item["author"]],
            body=item["body"],
            language=item["language"],
            status=item["status"],
            tracking_number=item["tracking"],
            fingerprint=fingerprint(item["body"]),
            submitted_at=item["submitted_at"],
            decided_at=item["submitted_at"] + datetime.timedelta(hours=3) if decided else None,
            decision_reason=item["reason"],
        )

    def events(self, objs, saved, moderator):
        actions = {
            Comment.Status.APPROVED: ModerationEvent.Action.APPROVE,
            Comment.Status.REJECTED: ModerationEvent.Action.REJECT,
            Comment.Status.HIDDEN: ModerationEvent.Action.HIDE,
        }
        events = []
        for obj in objs:
            pk = saved[obj.tracking_number]
            events.append(
                ModerationEvent(
                    comment_id=pk,
                    actor=obj.author,
                    actor_name=obj.author.stakeholder.display_name,
                    action=ModerationEvent.Action.SUBMIT,
                    to_status=Comment.Status.PENDING,
                    created_at=obj.submitted_at,  # its history happened when the comment says it did
                )
            )
            if obj.status in actions:
                events.append(
                    ModerationEvent(
                        comment_id=pk,
                        actor=moderator,
                        actor_name="Moe Moderator" if moderator else "",
                        action=actions[obj.status],
                        from_status=Comment.Status.PENDING,
                        to_status=obj.status,
                        reason=obj.decision_reason,
                        created_at=obj.decided_at,
                    )
                )
        ModerationEvent.objects.bulk_create(events, batch_size=self.BATCH)


SHOWCASE_ORGANISATION = "Canadian Manufacturers Forum"
SHOWCASE_LETTER = (
    "As members of the North American trucking community we ask the three governments to publish "
    "the border wait-time targets every year and to report on them at each leaders' meeting."
)


def seed_showcase(statement, say) -> None:
    """
    Once each, what a consultation carries beside single comments, so `make run` shows it: the demo
    stakeholder's organisation verified by the demo moderator with a comment on its behalf, a comment
    published without its author's name, and a form letter sent by five participants (a campaign,
    three published, two waiting in the queue). Through the real services; skipped when already there.
    """
    if Organisation.objects.filter(name=SHOWCASE_ORGANISATION).exists():
        return
    User = get_user_model()
    stakeholder = User.objects.get(email="stakeholder@example.com")
    moderator = User.objects.get(email="moderator@example.com")
    participants = CommentSeeder(statement, say).participants()

    def approve(comment):
        services.comment_approve(comment=comment, moderator=moderator, seen=comment.fingerprint)

    forum = organisations.organisation_register(
        user=stakeholder,
        name=SHOWCASE_ORGANISATION,
        country="CA",
        sector=Stakeholder.Sector.INDUSTRY_ASSOCIATION,
        website="https://manufacturers-forum.example.com/",
        registry_id="775530-12345-7",
    )
    organisations.organisation_decide(
        organisation=forum, moderator=moderator, verify=True, note="Demo: registration number and website checked."
    )
    approve(
        services.comment_submit(
            author=stakeholder,
            statement=statement,
            body="Our members ask for one customs data set shared by the three countries, published in advance.",
            language="en",
            on_behalf_of=forum,
        )
    )
    approve(
        services.comment_submit(
            author=participants[4],
            statement=statement,
            body="Los transportistas pequeños necesitan horarios de inspección conocidos con anticipación.",
            language="es",
            anonymous=True,
        )
    )
    for number, (participant, town) in enumerate(
        zip(participants[10:15], ["Windsor", "Laredo", "Nogales", "Detroit", "Buffalo"], strict=True)
    ):
        letter = services.comment_submit(
            author=participant, statement=statement, body=f"{SHOWCASE_LETTER} Sent from {town}.", language="en"
        )
        if number < 3:
            approve(letter)
    say("Showcase: a verified organisation with a comment on its behalf, an anonymous comment, a campaign of five.")
