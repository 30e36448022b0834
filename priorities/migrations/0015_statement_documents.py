"""
Official documents (PDF) on statements, per language (issue 14): the model, and the Publishers
group's permissions to add, change, view and remove them in the statement's admin form.
"""

import django.db.models.deletion
from django.contrib.auth.management import create_permissions
from django.db import migrations, models

import priorities.models

GROUP = "Publishers"
CODENAMES = ["view_statementdocument", "add_statementdocument", "change_statementdocument", "delete_statementdocument"]


def forwards(apps, schema_editor):
    # Permissions are normally created after all migrations; create them now so the group can hold them.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(*Permission.objects.filter(content_type__app_label="priorities", codename__in=CODENAMES))


def backwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=GROUP).first()
    if group is not None:
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="priorities", codename__in=CODENAMES)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("priorities", "0014_outcome_reports"),
        ("priorities", "0006_publishers_progress_notes"),
    ]

    operations = [
        migrations.CreateModel(
            name="StatementDocument",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "language",
                    models.CharField(
                        choices=[("en", "English"), ("fr", "French"), ("es", "Spanish")],
                        max_length=2,
                        verbose_name="language",
                    ),
                ),
                (
                    "title",
                    models.CharField(help_text="In the document's language.", max_length=200, verbose_name="title"),
                ),
                (
                    "file",
                    models.FileField(
                        max_length=200, upload_to=priorities.models.document_path, verbose_name="PDF file"
                    ),
                ),
                ("name", models.CharField(editable=False, max_length=100, verbose_name="file name")),
                ("size", models.PositiveIntegerField(editable=False, verbose_name="size in bytes")),
                ("sha256", models.CharField(editable=False, max_length=64, verbose_name="SHA-256")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="added on")),
                (
                    "statement",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="documents",
                        to="priorities.statement",
                        verbose_name="statement",
                    ),
                ),
            ],
            options={
                "verbose_name": "official document",
                "verbose_name_plural": "official documents",
                "ordering": ["language", "created_at", "pk"],
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]
