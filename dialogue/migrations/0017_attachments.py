"""
Files attached to comments (issue 14), and their words in the comments' stored search vector.

- `Attachment`: one file of a comment, stored through Django's storage API.
- `Comment.attachment_count` and `Comment.attachments_text`: kept by comment_submit; the text is
  what safeguards.files extracted from the PDF, DOCX, ODT and TXT files.
- PostgreSQL: `search_vector` (0011) is generated again over the body and `attachments_text`,
  and the trigger adding an approved comment's words to spp_search_word reads both. Search finds
  an attachment's words exactly when it finds its comment: once the comment is published.
SQLite: search reads attachments_text as it reads the body (spp_portal/search.py); nothing more.
"""

import django.db.models.deletion
import sqlparse
from django.db import migrations, models

import dialogue.models

CONFIGS = {"en": "english", "fr": "french", "es": "spanish"}


def vector(text: str) -> str:
    config = " ".join(f"WHEN '{lang}' THEN '{config}'::regconfig" for lang, config in CONFIGS.items())
    return f"to_tsvector(CASE language {config} ELSE 'english'::regconfig END, spp_unaccent({text}))"


WITH_ATTACHMENTS = "body || ' ' || attachments_text"

WORDS = """
CREATE OR REPLACE FUNCTION spp_comment_words() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'approved' THEN
        PERFORM spp_search_words_add(NEW.body || ' ' || NEW.attachments_text);
    END IF;
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS comment_search_words ON dialogue_comment;
CREATE TRIGGER comment_search_words AFTER INSERT OR UPDATE OF body, status, attachments_text ON dialogue_comment
    FOR EACH ROW EXECUTE FUNCTION spp_comment_words();
"""

UNDO_WORDS = """
CREATE OR REPLACE FUNCTION spp_comment_words() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'approved' THEN
        PERFORM spp_search_words_add(NEW.body);
    END IF;
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS comment_search_words ON dialogue_comment;
CREATE TRIGGER comment_search_words AFTER INSERT OR UPDATE OF body, status ON dialogue_comment
    FOR EACH ROW EXECUTE FUNCTION spp_comment_words();
"""


def _vector_over(schema_editor, text: str, words: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    execute = schema_editor.execute
    execute("DROP INDEX IF EXISTS comment_search")
    execute("ALTER TABLE dialogue_comment DROP COLUMN IF EXISTS search_vector")
    execute(
        f"ALTER TABLE dialogue_comment ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({vector(text)}) STORED"
    )
    execute("CREATE INDEX comment_search ON dialogue_comment USING gin (search_vector)")
    for statement in sqlparse.split(words):
        execute(statement)


def forwards(apps, schema_editor):
    _vector_over(schema_editor, WITH_ATTACHMENTS, WORDS)


def backwards(apps, schema_editor):
    _vector_over(schema_editor, "body", UNDO_WORDS)


class Migration(migrations.Migration):
    dependencies = [
        ("dialogue", "0016_organisations"),
        ("priorities", "0012_stored_search_vectors"),
    ]

    operations = [
        migrations.AddField(
            model_name="comment",
            name="attachment_count",
            field=models.PositiveSmallIntegerField(default=0, editable=False, verbose_name="attachments"),
        ),
        migrations.AddField(
            model_name="comment",
            name="attachments_text",
            field=models.TextField(blank=True, editable=False, verbose_name="text of the attachments"),
        ),
        migrations.CreateModel(
            name="Attachment",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("number", models.PositiveSmallIntegerField(verbose_name="number")),
                (
                    "file",
                    models.FileField(max_length=200, upload_to=dialogue.models.attachment_path, verbose_name="file"),
                ),
                ("name", models.CharField(max_length=100, verbose_name="file name")),
                ("kind", models.CharField(max_length=10, verbose_name="type")),
                ("content_type", models.CharField(max_length=100, verbose_name="content type")),
                ("size", models.PositiveIntegerField(verbose_name="size in bytes")),
                ("sha256", models.CharField(max_length=64, verbose_name="SHA-256")),
                ("text", models.TextField(blank=True, verbose_name="extracted text")),
                (
                    "comment",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="attachments",
                        to="dialogue.comment",
                        verbose_name="comment",
                    ),
                ),
            ],
            options={
                "verbose_name": "attachment",
                "verbose_name_plural": "attachments",
                "ordering": ["comment", "number"],
                "constraints": [
                    models.UniqueConstraint(fields=("comment", "number"), name="attachment_number_per_comment")
                ],
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]
