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
from django.db import transaction
from django.utils import timezone

from dialogue.demo import CommentSeeder, seed_showcase
from dialogue.models import Stakeholder
from priorities.models import Directive, Priority, ProgressNote, Statement

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
        parser.add_argument(
            "--showcase",
            action="store_true",
            help="On --on, also a verified organisation's comment, an anonymous one and a campaign (make run).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Show what would be created, change nothing.")
        parser.add_argument(
            "--totp", action="store_true", help="Only print the demo officials' current two-factor code."
        )

    def handle(self, *args, statements, comments, pending, on, showcase, dry_run, verbosity, totp, **options):
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
            if comments or pending or showcase:
                statement = Statement.objects.filter(slug=on).first()
                if statement is None:
                    raise CommandError(f"No statement has the slug {on!r}.")
                CommentSeeder(statement, self.say).seed(comments, pending)
                if showcase:
                    seed_showcase(statement, self.say)
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
                # A status other than "no progress reported" needs a dated note behind it.
                progress = rng.choice(Directive.Progress.values)
                directive = Directive.objects.create(
                    statement=statement,
                    priority=priority,
                    order=order,
                    text_en=f"Report on {topic[0]} under {priority.title_en}",
                    text_fr=f"Faire rapport sur les {topic[1]} ({priority.title_fr})",
                    text_es=f"Informar sobre {topic[2]} ({priority.title_es})",
                    progress=progress,
                )
                if progress != Directive.Progress.NOT_REPORTED:
                    ProgressNote.objects.create(
                        directive=directive,
                        date=release + datetime.timedelta(days=90),
                        note_en="Demonstration note: officials reported on this directive.",
                        note_fr="Note de démonstration : les fonctionnaires ont fait rapport sur cette directive.",
                        note_es="Nota de demostración: los funcionarios informaron sobre esta directriz.",
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
