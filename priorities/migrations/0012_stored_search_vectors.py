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
- `spp_search_word`: the words of the published texts (4 to 40 letters, lower case, accents kept),
  with a trigram index (pg_trgm) on their unaccented form, from which a misspelt word's correction
  is chosen (spp_portal/search.py, corrected_text). Triggers add the words of a statement when it
  is published, and of its directives, as they are written; dialogue/migrations/0008 does the same
  for approved comments. Words are only added, never removed: a correction is shown only when the
  corrected search finds published results, so a word left by a withdrawn text is never shown.
  Words are inserted in order, so two transactions adding the same words cannot deadlock.

SQLite has none of this and searches with icontains instead: nothing is done there. The SQL is
written out here, not generated from the search code, so that a later change to the search cannot
silently change what an old migration built; tests/test_discovery.py checks the columns and that
the search uses their indexes.
"""

import sqlparse
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


WORDS = """
CREATE TABLE IF NOT EXISTS spp_search_word (word text PRIMARY KEY);
CREATE INDEX IF NOT EXISTS search_word_trigram ON spp_search_word USING gin (spp_unaccent(word) gin_trgm_ops);
CREATE OR REPLACE FUNCTION spp_search_words_add(document text) RETURNS void LANGUAGE sql AS $$
    INSERT INTO spp_search_word (word)
    SELECT word FROM unnest(tsvector_to_array(to_tsvector('simple'::regconfig, coalesce(document, '')))) AS word
    WHERE char_length(word) BETWEEN 4 AND 40 AND word ~ '^[[:alpha:]]+$'
    ORDER BY word
    ON CONFLICT DO NOTHING
$$;
CREATE OR REPLACE FUNCTION spp_statement_words() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'published' THEN
        PERFORM spp_search_words_add(concat_ws(' ', NEW.title_en, NEW.summary_en, NEW.body_en, NEW.title_fr,
                                               NEW.summary_fr, NEW.body_fr, NEW.title_es, NEW.summary_es, NEW.body_es));
    END IF;
    RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION spp_directive_words() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM spp_search_words_add(concat_ws(' ', NEW.text_en, NEW.text_fr, NEW.text_es));
    RETURN NULL;
END $$;
CREATE TRIGGER statement_search_words AFTER INSERT OR UPDATE ON priorities_statement
    FOR EACH ROW EXECUTE FUNCTION spp_statement_words();
CREATE TRIGGER directive_search_words AFTER INSERT OR UPDATE ON priorities_directive
    FOR EACH ROW EXECUTE FUNCTION spp_directive_words();
SELECT spp_search_words_add(concat_ws(' ', title_en, summary_en, body_en, title_fr, summary_fr, body_fr,
                                      title_es, summary_es, body_es))
FROM priorities_statement WHERE status = 'published';
SELECT spp_search_words_add(concat_ws(' ', text_en, text_fr, text_es)) FROM priorities_directive;
"""

UNDO_WORDS = """
DROP TRIGGER IF EXISTS statement_search_words ON priorities_statement;
DROP TRIGGER IF EXISTS directive_search_words ON priorities_directive;
DROP FUNCTION IF EXISTS spp_statement_words();
DROP FUNCTION IF EXISTS spp_directive_words();
DROP FUNCTION IF EXISTS spp_search_words_add(text);
DROP TABLE IF EXISTS spp_search_word;
"""


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
    for statement in sqlparse.split(WORDS):
        execute(statement)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    execute = schema_editor.execute
    for statement in sqlparse.split(UNDO_WORDS):
        execute(statement)
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
