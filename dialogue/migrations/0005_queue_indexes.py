"""
Indexes for the moderation queue at scale (issue 9: the queue at 10,000 pending).

The queue shows each pending comment's author history (approved and rejected counts): with an
index on (author, status) each count is read from the index alone instead of every comment of
the author. The moderators' navigation counts flagged comments on every page: a partial index
holds only the flagged ones.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("dialogue", "0004_search_indexes"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="comment",
            index=models.Index(fields=["author", "status"], name="comment_author_status_idx"),
        ),
        migrations.AddIndex(
            model_name="comment",
            index=models.Index(condition=models.Q(flagged=True), fields=["flagged"], name="comment_flagged_idx"),
        ),
    ]
