"""
A directive claims no progress that no source supports.

The 2008 statement's directives shipped as "under way" with no note behind them. A status is
now a claim that a dated progress note must support: "no progress reported" is the default,
and every directive without a note is reset to it. Backwards, they become "not started", the
former default (what they said before cannot be told apart from what a publisher chose).
"""

from django.db import migrations, models


def reset_unsupported(apps, schema_editor):
    Directive = apps.get_model("priorities", "Directive")
    Directive.objects.filter(progress_notes__isnull=True).exclude(progress="not_reported").update(
        progress="not_reported"
    )


def back_to_not_started(apps, schema_editor):
    apps.get_model("priorities", "Directive").objects.filter(progress="not_reported").update(progress="not_started")


class Migration(migrations.Migration):
    dependencies = [("priorities", "0010_publishing_events")]

    operations = [
        migrations.AlterField(
            model_name="directive",
            name="progress",
            field=models.CharField(
                choices=[
                    ("not_reported", "No progress reported"),
                    ("not_started", "Not started"),
                    ("under_way", "Under way"),
                    ("achieved", "Achieved"),
                ],
                default="not_reported",
                help_text="Any status but “No progress reported” needs a dated progress note that supports it.",
                max_length=12,
                verbose_name="progress",
            ),
        ),
        migrations.RunPython(reset_unsupported, back_to_not_started),
    ]
