"""
A stored search vector for comments, accent-insensitive, and a trigram index for typos (PostgreSQL only).

- `search_vector`: a generated, stored `tsvector` of the unaccented body, with the configuration
  of the comment's own language (english, french or spanish), so ranking reads it instead of
  parsing each matching body again. One GIN index per language, partial (WHERE language = ...),
  replacing 0004's expression indexes: the search names the language in each branch of its
  condition, so each branch is answered from its language's index.
- `comment_search_trigram`: a GIN trigram index (pg_trgm) on the unaccented, lower-cased body of
  approved comments, which finds the words close to a misspelt one when a search finds nothing
  (spp_portal/search.py, corrected_text).

spp_unaccent() and the extensions come from priorities/migrations/0012. SQLite: nothing is done.
"""

from django.db import migrations

CONFIGS = {"en": "english", "fr": "french", "es": "spanish"}


def vector() -> str:
    config = " ".join(f"WHEN '{lang}' THEN '{config}'::regconfig" for lang, config in CONFIGS.items())
    return f"to_tsvector(CASE language {config} ELSE 'english'::regconfig END, spp_unaccent(body))"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    execute = schema_editor.execute
    for lang in CONFIGS:
        execute(f"DROP INDEX IF EXISTS comment_search_{lang}")
    execute(f"ALTER TABLE dialogue_comment ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({vector()}) STORED")
    for lang in CONFIGS:
        execute(
            f"CREATE INDEX comment_search_{lang} ON dialogue_comment USING gin (search_vector) WHERE language = '{lang}'"
        )
    execute(
        "CREATE INDEX comment_search_trigram ON dialogue_comment "
        "USING gin (spp_unaccent(lower(body)) gin_trgm_ops) WHERE status = 'approved'"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    execute = schema_editor.execute
    execute("DROP INDEX IF EXISTS comment_search_trigram")
    execute("ALTER TABLE dialogue_comment DROP COLUMN IF EXISTS search_vector")
    for lang, config in CONFIGS.items():
        execute(
            f"CREATE INDEX comment_search_{lang} ON dialogue_comment "
            f"USING gin (to_tsvector('{config}'::regconfig, COALESCE(body, ''))) WHERE language = '{lang}'"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("dialogue", "0007_moderation_event_time_given"),
        ("priorities", "0012_stored_search_vectors"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
