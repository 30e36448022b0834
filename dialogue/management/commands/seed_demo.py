"""
Fill a development or benchmark database with demo data, deterministically.

Why it exists: `make run` needs accounts a new developer can sign in with, and the
benchmark needs statements (and, later, thousands of comments) shaped like real use.
The same arguments always produce the same data, and running it twice changes nothing.
It refuses to run with DEBUG off, so demo accounts never reach a production database.
"""

import datetime
import random
import time

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import models, transaction
from django.utils import timezone

from dialogue.models import Comment, ModerationEvent, RejectionReason, Stakeholder
from dialogue.text import fingerprint
from priorities.models import Directive, Priority, Statement

DEMO_PASSWORD = "dialogue-demo-2008"  # noqa: S105 - development-only accounts, refused with DEBUG off
# Officials must use two-factor authentication; the demo officials share this authenticator
# secret (base32) so a developer can sign in: `manage.py seed_demo --totp` prints the current code.
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPSPPDEMO2"  # noqa: S105 - development only
DEMO_ACCOUNTS = [
    # email, display name, role group, country, sector, organisation, language
    ("stakeholder@example.com", "Dana Stakeholder", None, "CA", "industry", "Canadian Manufacturers Forum", "en"),
    ("moderator@example.com", "Moe Moderator", "Moderators", "US", "government", "SPP Secretariat", "en"),
    ("publisher@example.com", "Pat Publisher", "Publishers", "MX", "government", "SPP Secretariat", "es"),
]
SEED_STATEMENT = "2008-02-28-joint-statement-los-cabos"

TOPICS = [
    ("border wait times", "temps d'attente à la frontière", "tiempos de espera en la frontera"),
    ("regulatory cooperation", "coopération réglementaire", "cooperación regulatoria"),
    ("food safety inspections", "inspections de la salubrité des aliments", "inspecciones de inocuidad"),
    ("energy efficiency standards", "normes d'efficacité énergétique", "normas de eficiencia energética"),
    ("emergency preparedness", "préparation aux urgences", "preparación para emergencias"),
]


class Command(BaseCommand):
    help = "Create demo accounts and, optionally, demo statements (deterministic, idempotent, DEBUG only)."

    def add_arguments(self, parser):
        parser.add_argument("--statements", type=int, default=0, help="Demo statements to add beside the 2008 one.")
        parser.add_argument(
            "--comments",
            type=int,
            default=0,
            help="Comments on the statement given by --on: mixed states, threads, languages, countries.",
        )
        parser.add_argument("--pending", type=int, default=0, help="Extra comments awaiting moderation on --on.")
        parser.add_argument("--on", default=SEED_STATEMENT, metavar="SLUG", help="Statement for --comments/--pending.")
        parser.add_argument("--dry-run", action="store_true", help="Show what would be created, change nothing.")
        parser.add_argument(
            "--totp", action="store_true", help="Only print the demo officials' current two-factor code."
        )

    def handle(self, *args, statements, comments, pending, on, dry_run, verbosity, totp, **options):
        if not settings.DEBUG:
            raise CommandError("seed_demo creates demo accounts and data; it only runs with DJANGO_DEBUG=1.")
        if totp:
            from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

            self.stdout.write(format_hotp_value(hotp_value(DEMO_TOTP_SECRET, int(time.time()) // 30)))
            return
        if min(statements, comments, pending) < 0:
            raise CommandError("--statements, --comments and --pending must be zero or more.")
        self.verbosity = verbosity
        with transaction.atomic():
            self.seed_accounts()
            self.open_seed_statement()
            self.seed_statements(statements)
            if comments or pending:
                statement = Statement.objects.filter(slug=on).first()
                if statement is None:
                    raise CommandError(f"No statement has the slug {on!r}.")
                CommentSeeder(statement, self.say).seed(comments, pending)
            if dry_run:
                transaction.set_rollback(True)
                self.say("Dry run: nothing was saved.")
        if verbosity >= 1 and not dry_run:
            self.print_accounts()

    def say(self, message, level=1):
        if self.verbosity >= level:
            self.stdout.write(message)

    def seed_accounts(self):
        User = get_user_model()
        for email, name, group, country, sector, organisation, language in DEMO_ACCOUNTS:
            user, created = User.objects.get_or_create(username=email.split("@")[0], defaults={"email": email})
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
                self.say(f"Created demo account {email}", 2)
            EmailAddress.objects.get_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
            Stakeholder.objects.get_or_create(
                user=user,
                defaults={
                    "display_name": name,
                    "country": country,
                    "sector": sector,
                    "organisation": organisation,
                    "preferred_language": language,
                },
            )
            if group:
                group_obj = Group.objects.filter(name=group).first()
                if group_obj:
                    user.groups.add(group_obj)
                if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
                    TOTP.activate(user, DEMO_TOTP_SECRET)
                if group == "Publishers" and not user.is_staff:
                    user.is_staff = True  # the Django admin admits staff only; rights still come from the group
                    user.save(update_fields=["is_staff"])

    def open_seed_statement(self):
        """Open the 2008 statement for comment in the demo, so the dialogue can be tried at once."""
        statement = Statement.objects.filter(slug=SEED_STATEMENT, comments_open_at__isnull=True).first()
        if statement:
            today = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
            statement.comments_open_at = today - datetime.timedelta(days=1)
            statement.comments_close_at = today + datetime.timedelta(days=90)
            statement.save(update_fields=["comments_open_at", "comments_close_at", "updated_at"])
            self.say("Opened the 2008 statement for comment for 90 days.")

    def seed_statements(self, count):
        rng = random.Random(2008)  # noqa: S311 - demo data, not security
        priorities = list(Priority.objects.order_by("order"))
        now = timezone.now().replace(minute=0, second=0, microsecond=0)
        created_count = 0
        for number in range(1, count + 1):
            slug = f"demo-statement-{number:04d}"
            if Statement.objects.filter(slug=slug).exists():
                continue
            topic = TOPICS[(number - 1) % len(TOPICS)]
            release = datetime.date(2008, 2, 28) - datetime.timedelta(days=30 * number)
            statement = Statement.objects.create(
                slug=slug,
                title_en=f"Demo statement {number}: progress on {topic[0]}",
                title_fr=f"Déclaration de démonstration {number} : progrès en matière de {topic[1]}",
                title_es=f"Declaración de demostración {number}: avances en {topic[2]}",
                summary_en=f"Demonstration data for the portal: ministers review {topic[0]}.",
                summary_fr=f"Données de démonstration du portail : les ministres examinent les {topic[1]}.",
                summary_es=f"Datos de demostración del portal: los ministros examinan {topic[2]}.",
                body_en=f"This is **demonstration** text about {topic[0]}.\n\nIt is not an official statement.",
                body_fr=(
                    f"Ceci est un texte de **démonstration** sur les {topic[1]}.\n\n"
                    "Ce n'est pas une déclaration officielle."
                ),
                body_es=f"Este es un texto de **demostración** sobre {topic[2]}.\n\nNo es una declaración oficial.",
                release_date=release,
                location=rng.choice(["Ottawa", "Mexico City", "Washington"]),
                status=Statement.Status.PUBLISHED,
                published_at=datetime.datetime.combine(release, datetime.time(12), tzinfo=datetime.UTC),
                comments_open_at=now - datetime.timedelta(days=1),
                comments_close_at=now + datetime.timedelta(days=60),
            )
            statement.priorities.set(priorities)
            for order, priority in enumerate(priorities, start=1):
                Directive.objects.create(
                    statement=statement,
                    priority=priority,
                    order=order,
                    text_en=f"Report on {topic[0]} under {priority.title_en}",
                    text_fr=f"Faire rapport sur les {topic[1]} ({priority.title_fr})",
                    text_es=f"Informar sobre {topic[2]} ({priority.title_es})",
                    progress=rng.choice(Directive.Progress.values),
                )
            created_count += 1
        if count:
            self.say(f"Demo statements: {created_count} created, {count - created_count} already there.")

    def print_accounts(self):
        self.stdout.write("")
        self.stdout.write("Demo accounts (development only), password for each: " + DEMO_PASSWORD)
        for email, _name, group, *_rest in DEMO_ACCOUNTS:
            role = {"Moderators": "moderator", "Publishers": "publisher (also /admin/)"}.get(group, "stakeholder")
            self.stdout.write(f"  {role:<26} {email}")
        self.stdout.write(
            "Officials then enter a two-factor code: add the secret "
            f"{DEMO_TOTP_SECRET} to an authenticator app, or run\n"
            "  DJANGO_DEBUG=1 .venv/bin/python manage.py seed_demo --totp"
        )


PARTICIPANTS = 60
SENTENCES = {
    "en": [
        "Border wait times at the busiest crossings still cost our members a full day each week.",
        "We support regulatory cooperation in the automotive sector, with public reporting of results.",
        "Food safety inspections should be recognised across all three countries.",
        "Please publish the timetable for the energy efficiency standards.",
        "Emergency management cooperation must include local authorities at the border.",
    ],
    "fr": [
        "Les temps d'attente à la frontière pèsent lourdement sur nos exportations.",
        "La sécurité des aliments exige des inspections reconnues par les trois pays.",
        "Nous appuyons la coopération réglementaire dans le secteur de l'automobile.",
        "Les normes d'efficacité énergétique doivent être publiées dans les deux langues officielles.",
        "La préparation aux urgences doit associer les collectivités frontalières.",
    ],
    "es": [
        "Los tiempos de espera en la frontera afectan a nuestras exportaciones agrícolas.",
        "La seguridad de los alimentos requiere inspecciones reconocidas por los tres países.",
        "Apoyamos la cooperación regulatoria en el sector automotor.",
        "Solicitamos publicar el calendario de las normas de eficiencia energética.",
        "La gestión de emergencias debe incluir a las autoridades locales fronterizas.",
    ],
}


class CommentSeeder:
    """Bulk-creates demo comments quickly and deterministically (100,000 in well under a minute)."""

    BATCH = 2000

    def __init__(self, statement, say):
        self.statement = statement
        self.say = say
        self.rng = random.Random(f"comments:{statement.slug}")  # noqa: S311 - demo data, not security

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
            body = " ".join(rng.sample(SENTENCES[language], 2)) + f" ({index + 1})"
            items.append(
                {
                    "tracking": self.tracking(),
                    "language": language,
                    "status": status,
                    "parent": parent,
                    "depth": 0 if parent is None else items[parent]["depth"] + 1,
                    "body": body,
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
                    )
                )
        ModerationEvent.objects.bulk_create(events, batch_size=self.BATCH)
