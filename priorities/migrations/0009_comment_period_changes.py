"""
Comment-period extensions become comment-period changes: a shortening is recorded like an
extension (and a period set or moved for the first time too). Renaming keeps every recorded
extension as it is; nothing is copied.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("priorities", "0008_publication_without_language"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RenameModel("CommentPeriodExtension", "CommentPeriodChange"),
        migrations.RenameField("commentperiodchange", "extended_by", "changed_by"),
        migrations.RenameField("commentperiodchange", "extended_at", "changed_at"),
        migrations.AlterModelOptions(
            name="commentperiodchange",
            options={
                "ordering": ["changed_at", "pk"],
                "verbose_name": "comment period change",
                "verbose_name_plural": "comment period changes",
            },
        ),
        migrations.AlterField(
            model_name="commentperiodchange",
            name="changed_at",
            field=models.DateTimeField(default=django.utils.timezone.now, verbose_name="changed at"),
        ),
        migrations.AlterField(
            model_name="commentperiodchange",
            name="changed_by",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="changed by",
            ),
        ),
        migrations.AlterField(
            model_name="commentperiodchange",
            name="statement",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="period_changes",
                to="priorities.statement",
                verbose_name="statement",
            ),
        ),
        migrations.AlterField(
            model_name="commentperiodchange",
            name="previous_close",
            field=models.DateTimeField(blank=True, null=True, verbose_name="previous closing time"),
        ),
        migrations.AlterField(
            model_name="commentperiodchange",
            name="new_close",
            field=models.DateTimeField(blank=True, null=True, verbose_name="new closing time"),
        ),
        migrations.AddField(
            model_name="commentperiodchange",
            name="previous_open",
            field=models.DateTimeField(blank=True, null=True, verbose_name="previous opening time"),
        ),
        migrations.AddField(
            model_name="commentperiodchange",
            name="new_open",
            field=models.DateTimeField(blank=True, null=True, verbose_name="new opening time"),
        ),
    ]
