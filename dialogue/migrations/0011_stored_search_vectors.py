"""
A stored search vector for comments, accent-insensitive, and their words for typos (PostgreSQL only).

- `search_vector`: a generated, stored `tsvector` of the unaccented body, with the configuration
  of the comment's own language (english, french or spanish), so ranking reads it instead of
  parsing each matching body again. One GIN index on it, replacing 0004's per-language partial
  expression indexes: a word stemmed alike in the three languages ("border") makes the three
  branches of the search's condition one, which no partial index answers; one index answers any.
- A trigger adds an approved comment's words to spp_search_word (priorities/migrations/0012),
  where a misspelt word's correction is looked for.

spp_unaccent(), spp_search_words_add() and the extensions come from priorities/migrations/0012.
SQLite: nothing is done.
"""

import sqlparse
from django.db import migrations

CONFIGS = {"en": "english", "fr": "french", "es": "spanish"}


def vector() -> str:
    config = " ".join(f"WHEN '{lang}' THEN '{config}'::regconfig" for lang, config in CONFIGS.items())
    return f"to_tsvector(CASE language {config} ELSE 'english'::regconfig END, spp_unaccent(body))"


WORDS = """
CREATE OR REPLACE FUNCTION spp_comment_words() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'approved' THEN
        PERFORM spp_search_words_add(NEW.body);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER comment_search_words AFTER INSERT OR UPDATE OF body, status ON dialogue_comment
    FOR EACH ROW EXECUTE FUNCTION spp_comment_words();
SELECT spp_search_words_add(body) FROM dialogue_comment WHERE status = 'approved';
"""

UNDO_WORDS = """
DROP TRIGGER IF EXISTS comment_search_words ON dialogue_comment;
DROP FUNCTION IF EXISTS spp_comment_words();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    execute = schema_editor.execute
    for lang in CONFIGS:
        execute(f"DROP INDEX IF EXISTS comment_search_{lang}")
    execute(f"ALTER TABLE dialogue_comment ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({vector()}) STORED")
    execute("CREATE INDEX comment_search ON dialogue_comment USING gin (search_vector)")
    for statement in sqlparse.split(WORDS):
        execute(statement)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    execute = schema_editor.execute
    for statement in sqlparse.split(UNDO_WORDS):
        execute(statement)
    execute("ALTER TABLE dialogue_comment DROP COLUMN IF EXISTS search_vector")
    for lang, config in CONFIGS.items():
        execute(
            f"CREATE INDEX comment_search_{lang} ON dialogue_comment "
            f"USING gin (to_tsvector('{config}'::regconfig, COALESCE(body, ''))) WHERE language = '{lang}'"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("dialogue", "0010_comment_support"),
        ("priorities", "0012_stored_search_vectors"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
