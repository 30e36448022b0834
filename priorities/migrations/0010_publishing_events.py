"""The publishing record: who published, scheduled or withdrew a statement, when, and (withdrawals) why."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("priorities", "0009_comment_period_changes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="PublishingEvent",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "action",
                    models.CharField(
                        choices=[
                            ("published", "Published"),
                            ("scheduled", "Scheduled"),
                            ("withdrawn", "Withdrawn"),
                            ("draft", "Returned to draft"),
                        ],
                        max_length=10,
                        verbose_name="action",
                    ),
                ),
                ("at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="time")),
                (
                    "publication_time",
                    models.DateTimeField(
                        blank=True,
                        help_text="When the statement is, or was to be, public.",
                        null=True,
                        verbose_name="publication time",
                    ),
                ),
                ("reason", models.TextField(blank=True, verbose_name="reason")),
                ("reason_en", models.TextField(blank=True, null=True, verbose_name="reason")),
                ("reason_fr", models.TextField(blank=True, null=True, verbose_name="reason")),
                ("reason_es", models.TextField(blank=True, null=True, verbose_name="reason")),
                (
                    "actor",
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
                        related_name="publishing_events",
                        to="priorities.statement",
                        verbose_name="statement",
                    ),
                ),
            ],
            options={
                "verbose_name": "publishing event",
                "verbose_name_plural": "publishing events",
                "ordering": ["at", "pk"],
            },
        ),
    ]
