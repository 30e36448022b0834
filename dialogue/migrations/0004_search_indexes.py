"""
GIN indexes for full-text search of comments, one partial index per language (PostgreSQL only).

A comment is searched with the text-search configuration of its own language, so each index
covers only the comments in that language (WHERE language = 'fr') with that configuration.
The expression is exactly spp_portal/search.py's comment_vector(lang), and the search names
the language in the same branch of its condition, so the planner can use each partial index.
SQLite has no GIN index and searches with icontains instead: nothing is done there.
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations
from django.db.models import Q

CONFIGS = {"en": "english", "fr": "french", "es": "spanish"}


def indexes():
    for lang, config in CONFIGS.items():
        yield GinIndex(SearchVector("body", config=config), condition=Q(language=lang), name=f"comment_search_{lang}")


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for index in indexes():
        schema_editor.add_index(apps.get_model("dialogue", "Comment"), index)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for index in indexes():
        schema_editor.remove_index(apps.get_model("dialogue", "Comment"), index)


class Migration(migrations.Migration):
    dependencies = [("dialogue", "0003_moderators_group")]

    operations = [migrations.RunPython(forwards, backwards)]
