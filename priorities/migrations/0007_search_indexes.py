"""
GIN indexes for full-text search of statements and directives, one per language (PostgreSQL only).

Each index expression is exactly the vector spp_portal/search.py queries with
(statement_vector, directive_vector): to_tsvector with the language's configuration over the
language's fields. SQLite has no GIN index and searches with icontains instead, so this
migration does nothing there. The expressions are written out here, not imported, so that a
later change to the search code cannot silently change what an old migration built; a test
(tests/test_discovery.py) checks with EXPLAIN that the search still uses these indexes.
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations

CONFIGS = {"en": "english", "fr": "french", "es": "spanish"}


def indexes():
    for lang, config in CONFIGS.items():
        yield (
            "Statement",
            GinIndex(
                SearchVector(f"title_{lang}", f"summary_{lang}", f"body_{lang}", config=config),
                name=f"statement_search_{lang}",
            ),
        )
        yield "Directive", GinIndex(SearchVector(f"text_{lang}", config=config), name=f"directive_search_{lang}")


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model_name, index in indexes():
        schema_editor.add_index(apps.get_model("priorities", model_name), index)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model_name, index in indexes():
        schema_editor.remove_index(apps.get_model("priorities", model_name), index)


class Migration(migrations.Migration):
    dependencies = [("priorities", "0006_publishers_progress_notes")]

    operations = [migrations.RunPython(forwards, backwards)]
