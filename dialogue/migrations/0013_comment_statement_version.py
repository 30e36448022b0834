"""The version of the statement a comment was written on; every earlier comment was on version 1."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("dialogue", "0012_appeals"),
    ]

    operations = [
        migrations.AddField(
            model_name="comment",
            name="statement_version",
            field=models.PositiveIntegerField(default=1, verbose_name="statement version"),
        ),
    ]
