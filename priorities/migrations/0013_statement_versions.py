"""
Versions of a statement: each change to a public statement's texts is kept, numbered, with who,
when and why (StatementVersion), and the statement knows its current number.

Every statement already published or scheduled (or withdrawn after publication) gets its version 1,
the texts as they are now: the portal kept no earlier text, so these are the texts as published.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

LANGUAGES = ("en", "fr", "es")


def first_versions(apps, schema_editor):
    Statement = apps.get_model("priorities", "Statement")
    StatementVersion = apps.get_model("priorities", "StatementVersion")
    PublishingEvent = apps.get_model("priorities", "PublishingEvent")
    public = Statement.objects.filter(status__in=["published", "withdrawn"], published_at__isnull=False)
    for statement in public.iterator():
        publication = (
            PublishingEvent.objects.filter(statement=statement, action__in=["published", "scheduled"])
            .order_by("at", "pk")
            .first()
        )
        directives = statement.directives.select_related("priority").order_by("order", "pk")
        StatementVersion.objects.create(
            statement=statement,
            number=1,
            made_by_id=publication.actor_id if publication else None,
            made_at=statement.published_at,
            texts={
                code: {field: getattr(statement, f"{field}_{code}") or "" for field in ("title", "summary", "body")}
                for code in LANGUAGES
            },
            directives=[
                {
                    "id": directive.pk,
                    "priority": directive.priority.slug,
                    "order": directive.order,
                    "text": {code: getattr(directive, f"text_{code}") or "" for code in LANGUAGES},
                }
                for directive in directives
            ],
        )


class Migration(migrations.Migration):
    dependencies = [
        ("priorities", "0012_stored_search_vectors"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="statement",
            name="amended_at",
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name="amended at"),
        ),
        migrations.AddField(
            model_name="statement",
            name="version",
            field=models.PositiveIntegerField(default=1, editable=False, verbose_name="version"),
        ),
        migrations.CreateModel(
            name="StatementVersion",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("number", models.PositiveIntegerField(verbose_name="number")),
                ("texts", models.JSONField(default=dict, verbose_name="texts")),
                ("directives", models.JSONField(default=list, verbose_name="directives")),
                (
                    "change_summary",
                    models.TextField(
                        blank=True,
                        help_text="Readers see it on the statement's versions page.",
                        verbose_name="summary of the change",
                    ),
                ),
                (
                    "change_summary_en",
                    models.TextField(
                        blank=True,
                        help_text="Readers see it on the statement's versions page.",
                        null=True,
                        verbose_name="summary of the change",
                    ),
                ),
                (
                    "change_summary_fr",
                    models.TextField(
                        blank=True,
                        help_text="Readers see it on the statement's versions page.",
                        null=True,
                        verbose_name="summary of the change",
                    ),
                ),
                (
                    "change_summary_es",
                    models.TextField(
                        blank=True,
                        help_text="Readers see it on the statement's versions page.",
                        null=True,
                        verbose_name="summary of the change",
                    ),
                ),
                ("made_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="time")),
                (
                    "made_by",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="by",
                    ),
                ),
                (
                    "statement",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="versions",
                        to="priorities.statement",
                        verbose_name="statement",
                    ),
                ),
            ],
            options={
                "verbose_name": "statement version",
                "verbose_name_plural": "statement versions",
                "ordering": ["statement", "number"],
                "constraints": [
                    models.UniqueConstraint(fields=("statement", "number"), name="statement_version_number")
                ],
            },
        ),
        # Backwards: the table goes with the model, nothing to undo first.
        migrations.RunPython(first_versions, migrations.RunPython.noop),
    ]
