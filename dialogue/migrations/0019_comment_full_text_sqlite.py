"""
A full-text index of approved comments on SQLite (issue 17: search at national scale).

`dialogue_comment_fts`: an FTS5 table over each approved comment's body and attachments' text,
its rowid the comment's id. Contentless (`content=''`): it holds the index only, never a second
copy of the text, and nothing but approved comments, so search asks it for the newest matches
(`ORDER BY rowid DESC LIMIT n`: ids grow with submission) and their bm25() rank without reading
any comment's text. The tokenizer folds case and removes accents ("energia" finds "energía").

Triggers keep it in step with the table: a comment enters it when approved (or inserted
approved), leaves it when hidden, withdrawn, rejected or deleted, and is indexed again when its
body or attachments' text changes while approved. A contentless FTS5 table forgets a row only
when told the words it indexed, so each trigger passes the old values.

A later migration that makes SQLite rebuild `dialogue_comment` (most AlterField operations) drops
these triggers with the old table: it must create them again (`TRIGGERS` below);
tests/test_search_at_scale.py fails if the index no longer follows approvals and edits.

PostgreSQL: nothing is done (the comments' stored tsvector, 0011 and 0017, serves search there).
"""

from django.db import migrations

TABLE = "dialogue_comment_fts"
SEARCHED = "status = 'approved'"

CREATE_TABLE = (
    f"CREATE VIRTUAL TABLE {TABLE} USING fts5("
    "body, attachments_text, content='', tokenize='unicode61 remove_diacritics 2')"
)


def _forget(row: str) -> str:
    return (
        f"INSERT INTO {TABLE} ({TABLE}, rowid, body, attachments_text) "
        f"SELECT 'delete', {row}.id, {row}.body, {row}.attachments_text WHERE {row}.{SEARCHED};"
    )


def _index(row: str) -> str:
    return (
        f"INSERT INTO {TABLE} (rowid, body, attachments_text) "
        f"SELECT {row}.id, {row}.body, {row}.attachments_text WHERE {row}.{SEARCHED};"
    )


TRIGGERS = [
    f"CREATE TRIGGER comment_fts_insert AFTER INSERT ON dialogue_comment BEGIN {_index('NEW')} END",
    f"CREATE TRIGGER comment_fts_delete AFTER DELETE ON dialogue_comment BEGIN {_forget('OLD')} END",
    # Only when what is indexed changes: saving an approved comment for another field costs nothing here.
    "CREATE TRIGGER comment_fts_update AFTER UPDATE OF status, body, attachments_text ON dialogue_comment "
    "WHEN OLD.status IS NOT NEW.status OR OLD.body IS NOT NEW.body "
    "OR OLD.attachments_text IS NOT NEW.attachments_text "
    f"BEGIN {_forget('OLD')} {_index('NEW')} END",
]

DROP = [
    "DROP TRIGGER IF EXISTS comment_fts_insert",
    "DROP TRIGGER IF EXISTS comment_fts_delete",
    "DROP TRIGGER IF EXISTS comment_fts_update",
    f"DROP TABLE IF EXISTS {TABLE}",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    schema_editor.execute(CREATE_TABLE)
    for trigger in TRIGGERS:
        schema_editor.execute(trigger)
    schema_editor.execute(
        f"INSERT INTO {TABLE} (rowid, body, attachments_text) "  # noqa: S608 - constants
        f"SELECT id, body, attachments_text FROM dialogue_comment WHERE {SEARCHED}"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for statement in DROP:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("dialogue", "0018_campaigns"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
