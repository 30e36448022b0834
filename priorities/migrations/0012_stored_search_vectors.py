"""
Stored search vectors for statements and directives, accent-insensitive (PostgreSQL only).

Before this, the search parsed every matching text again to rank it (the GIN indexes of 0007
were on expressions, and ts_rank recomputed them). Now each table has one generated, stored
`tsvector` column per language (search_en, search_fr, search_es), built with that language's
configuration over the unaccented text, and a GIN index on each; the search filters and ranks
against the column (spp_portal/search.py, StoredVector).

- `unaccent` and `pg_trgm` are created if missing (the database user must be allowed to: CI's
  is a superuser; in production, a superuser creates them once beforehand).
- unaccent() is only STABLE (its dictionary could change), so a generated column cannot call it;
  `spp_unaccent(text)` is the usual IMMUTABLE wrapper naming the dictionary explicitly, with the
  extension's schema written in, so it does not depend on the search_path.
- spp_english, spp_french and spp_spanish are the three configurations with unaccent before the
  stemmer. They are used only to highlight matches (ts_headline): they mark the accented word as
  written ("sécurité") where the stored vector and the query hold the unaccented one ("securite").
- Statement titles weigh most (A), summaries next (B), bodies least (D), so a statement about
  the searched words comes before one that mentions them.

SQLite has none of this and searches with icontains instead: nothing is done there. The SQL is
written out here, not generated from the search code, so that a later change to the search cannot
silently change what an old migration built; tests/test_discovery.py checks the columns and that
the search uses their indexes.
"""

from django.db import migrations

CONFIGS = {"en": "english", "fr": "french", "es": "spanish"}

# Token types the stemmers handle in the built-in configurations that may carry accents.
ACCENTED_TOKENS = "hword, hword_part, word"


def statement_vector(lang: str, config: str) -> str:
    def part(field):
        return f"to_tsvector('{config}'::regconfig, spp_unaccent(coalesce({field}_{lang}, '')))"

    return f"setweight({part('title')}, 'A') || setweight({part('summary')}, 'B') || {part('body')}"


def directive_vector(lang: str, config: str) -> str:
    return f"to_tsvector('{config}'::regconfig, spp_unaccent(coalesce(text_{lang}, '')))"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    execute = schema_editor.execute
    execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
            "WHERE e.extname = 'unaccent'"
        )
        schema = schema_editor.quote_name(cursor.fetchone()[0])
    execute(
        "CREATE OR REPLACE FUNCTION spp_unaccent(text) RETURNS text "
        "LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT "
        f"AS $$ SELECT {schema}.unaccent('{schema}.unaccent'::regdictionary, $1) $$"
    )
    for lang, config in CONFIGS.items():
        execute(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS spp_{config}")
        execute(f"CREATE TEXT SEARCH CONFIGURATION spp_{config} (COPY = pg_catalog.{config})")
        execute(
            f"ALTER TEXT SEARCH CONFIGURATION spp_{config} ALTER MAPPING FOR {ACCENTED_TOKENS} "
            f"WITH {schema}.unaccent, {config}_stem"
        )
        # The expression indexes of 0007, replaced by the columns' indexes.
        execute(f"DROP INDEX IF EXISTS statement_search_{lang}")
        execute(f"DROP INDEX IF EXISTS directive_search_{lang}")
        execute(
            f"ALTER TABLE priorities_statement ADD COLUMN search_{lang} tsvector "
            f"GENERATED ALWAYS AS ({statement_vector(lang, config)}) STORED"
        )
        execute(
            f"ALTER TABLE priorities_directive ADD COLUMN search_{lang} tsvector "
            f"GENERATED ALWAYS AS ({directive_vector(lang, config)}) STORED"
        )
        execute(f"CREATE INDEX statement_search_{lang} ON priorities_statement USING gin (search_{lang})")
        execute(f"CREATE INDEX directive_search_{lang} ON priorities_directive USING gin (search_{lang})")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    execute = schema_editor.execute
    for lang, config in CONFIGS.items():
        execute(f"ALTER TABLE priorities_statement DROP COLUMN IF EXISTS search_{lang}")
        execute(f"ALTER TABLE priorities_directive DROP COLUMN IF EXISTS search_{lang}")
        execute(
            f"CREATE INDEX statement_search_{lang} ON priorities_statement USING gin "
            f"(to_tsvector('{config}'::regconfig, COALESCE(title_{lang}, '') || ' ' || COALESCE(summary_{lang}, '') "
            f"|| ' ' || COALESCE(body_{lang}, '')))"
        )
        execute(
            f"CREATE INDEX directive_search_{lang} ON priorities_directive USING gin "
            f"(to_tsvector('{config}'::regconfig, COALESCE(text_{lang}, '')))"
        )
        execute(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS spp_{config}")
    # The extensions stay: other databases objects may use them; the wrapper goes.
    execute("DROP FUNCTION IF EXISTS spp_unaccent(text)")


class Migration(migrations.Migration):
    dependencies = [("priorities", "0011_directive_progress_needs_a_note")]

    operations = [migrations.RunPython(forwards, backwards)]
