"""Search that scales (issue 17 item 3): stored vectors, accents, stemming, typos, ranking; SQLite through FTS5."""

import datetime

import pytest
import time_machine
from django.db import connection, transaction
from django.utils import timezone

from dialogue import services
from dialogue.demo import CommentSeeder
from dialogue.models import Comment
from priorities.models import Statement
from spp_portal import search as portal_search

from .factories import make_comment, make_statement

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("generous_rate_limit")]

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="stored tsvector columns, unaccent and pg_trgm are PostgreSQL's"
)
on_sqlite = pytest.mark.skipif(connection.vendor != "sqlite", reason="the FTS5 index is SQLite's engine")


@pytest.fixture
def statement():
    return make_statement(
        title_en="Joint statement on pipeline permits",
        title_fr="Déclaration commune sur les permis de pipeline",
        title_es="Declaración conjunta sobre los permisos de oleoductos",
        body_en="Ministers agreed to review pipeline permits together.",
        body_fr="Les ministres ont convenu d'examiner ensemble les permis de pipeline.",
        body_es="Los ministros acordaron revisar juntos los permisos de oleoductos.",
    )


def found(client, query, lang="en", **filters):
    response = client.get(f"/{lang}/search/", {"q": query, **filters})
    assert response.status_code == 200
    return response, [(result.kind, result.object) for result in response.context["page"].object_list]


def comments(results):
    return [obj.tracking_number for kind, obj in results if kind == "comment"]


@on_postgresql
class TestStoredVectors:
    def test_each_comment_stores_its_vector_unaccented_in_its_language(self, statement, moderator):
        french = make_comment(statement, body="La sécurité des frontières.", language="fr", approve_by=moderator)
        english = make_comment(statement, body="Security at the borders.", approve_by=moderator)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id, search_vector::text FROM dialogue_comment WHERE id IN (%s, %s)", [french.pk, english.pk]
            )
            vectors = dict(cursor.fetchall())
        # French stemmer over the unaccented text; English stemmer for the English comment
        assert "'securit'" in vectors[french.pk] and "'frontier'" in vectors[french.pk]
        assert "'secur'" in vectors[english.pk] and "'border'" in vectors[english.pk]
        # an edit to the body (a moderator's redaction) recomputes it
        Comment.objects.filter(pk=english.pk).update(body="Customs at the crossings.")
        with connection.cursor() as cursor:
            cursor.execute("SELECT search_vector::text FROM dialogue_comment WHERE id = %s", [english.pk])
            assert cursor.fetchone()[0] == "'cross':4 'custom':1"

    def test_statement_vectors_weigh_the_title_most(self, statement):
        with connection.cursor() as cursor:
            cursor.execute("SELECT search_fr::text FROM priorities_statement WHERE id = %s", [statement.pk])
            vector = cursor.fetchone()[0]
        assert "'declar':1A" in vector  # "Déclaration", unaccented, stemmed, weight A
        assert "'ministr'" in vector

    def test_the_gin_indexes_exist_and_the_search_uses_them(self, statement):
        with connection.cursor() as cursor:
            cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE indexname LIKE '%%search%%'")
            indexes = dict(cursor.fetchall())
        for lang in portal_search.LANGUAGE_CONFIGS:
            assert f"USING gin (search_{lang})" in indexes[f"statement_search_{lang}"]
            assert f"USING gin (search_{lang})" in indexes[f"directive_search_{lang}"]
        assert "USING gin (search_vector)" in indexes["comment_search"]
        assert "gin_trgm_ops" in indexes["search_word_trigram"]
        # The search's own query of comments, as it runs, answered from the per-language indexes,
        # over enough realistic comments that the planner has a choice to make.
        CommentSeeder(statement, lambda message: None).seed(1000, 0, kind="approved")
        with connection.cursor() as cursor:
            # what autovacuum does after a bulk load: statistics, and the GIN index's pending entries merged
            cursor.execute("ANALYZE dialogue_comment")
            cursor.execute("SELECT gin_clean_pending_list('comment_search'::regclass)")
            cursor.execute("SET LOCAL enable_seqscan = off")
        queries = {lang: portal_search.full_text_query("Zanzibarité", lang) for lang in portal_search.LANGUAGE_CONFIGS}
        comment_kind = next(kind for kind in portal_search.SEARCHED if kind.kind == "comment")
        plan = portal_search._matches(comment_kind, portal_search.Filters(), queries, ["Zanzibarité"]).explain()
        assert "Bitmap Index Scan on comment_search" in plan, plan
        statement_kind = next(kind for kind in portal_search.SEARCHED if kind.kind == "statement")
        sql = str(portal_search._matches(statement_kind, portal_search.Filters(), queries, ["Zanzibarité"]).query)
        # (a handful of statements: the planner rightly reads them all; tests/test_discovery.py checks
        # each language's index alone)
        assert '"priorities_statement"."search_fr" @@' in sql and "to_tsvector" not in sql

    def test_ranking_reads_the_stored_vector_not_the_text(self, statement):
        queries = {lang: portal_search.full_text_query("pipeline", lang) for lang in portal_search.LANGUAGE_CONFIGS}
        comment_kind = next(kind for kind in portal_search.SEARCHED if kind.kind == "comment")
        sql = str(portal_search._matches(comment_kind, portal_search.Filters(), queries, ["pipeline"]).query)
        assert 'ts_rank("dialogue_comment"."search_vector"' in sql
        assert "to_tsvector" not in sql


@on_postgresql
class TestAccentsStemmingTyposRanking:
    def test_accents_do_not_matter(self, client, statement, moderator):
        spanish = make_comment(
            statement, body="La energía limpia cruza la frontera.", language="es", approve_by=moderator
        )
        french = make_comment(statement, body="La sécurité passe avant tout.", language="fr", approve_by=moderator)
        response, results = found(client, "energia", "es")
        assert spanish.tracking_number in comments(results)
        assert response.context["page"].corrected is None  # found as typed, not as a typo
        assert spanish.tracking_number in comments(found(client, "ENERGÍA", "es")[1])
        response, results = found(client, "securite", "fr")
        assert french.tracking_number in comments(results) and response.context["page"].corrected is None
        assert "<mark>sécurité</mark>" in response.text  # the word as written is marked
        assert french.tracking_number in comments(found(client, "sécurité", "fr")[1])

    def test_each_language_stems_with_its_own_rules(self, client, statement, moderator):
        english = make_comment(statement, body="Inspections delayed the trucks.", approve_by=moderator)
        french = make_comment(
            statement, body="Les camions attendent aux frontières.", language="fr", approve_by=moderator
        )
        spanish = make_comment(
            statement, body="Los camiones esperan en las fronteras.", language="es", approve_by=moderator
        )
        assert english.tracking_number in comments(found(client, "inspection delay truck")[1])
        assert french.tracking_number in comments(found(client, "camion frontière", "fr")[1])
        assert spanish.tracking_number in comments(found(client, "camión frontera", "es")[1])
        # a French comment is not stemmed as English: "attendent" is found by "attendre" only in French rules
        assert french.tracking_number in comments(found(client, "attendre", "fr")[1])

    def test_a_typo_is_corrected_when_nothing_matches(self, client, statement, moderator):
        comment = make_comment(statement, body="Port security needs more staff.", approve_by=moderator)
        response, results = found(client, "securty staff")
        assert comment.tracking_number in comments(results)
        assert response.context["page"].corrected == "security staff"
        assert "Showing the results for “security staff”" in response.text
        assert "<mark>security</mark>" in response.text

    def test_a_french_typo_is_corrected_to_the_accented_word(self, client, statement, moderator):
        comment = make_comment(statement, body="La sécurité passe avant tout.", language="fr", approve_by=moderator)
        response, results = found(client, "securte", "fr")
        assert comment.tracking_number in comments(results)
        assert response.context["page"].corrected == "sécurité"

    def test_words_that_match_are_not_corrected(self, client, statement, moderator):
        make_comment(statement, body="Port security needs more staff.", approve_by=moderator)
        response, results = found(client, "pipeline")
        assert results and response.context["page"].corrected is None
        response, results = found(client, "qwertyuiop")
        assert results == [] and response.context["page"].corrected is None
        assert "Nothing matches your search" in response.text

    def test_ranking_puts_the_statement_about_it_first_then_the_comment_that_says_it_most(
        self, client, statement, moderator
    ):
        once = make_comment(statement, body="One remark about pipeline safety.", approve_by=moderator)
        often = make_comment(
            statement, body="Pipeline permits, pipeline routes, pipeline safety: pipelines.", approve_by=moderator
        )
        _response, results = found(client, "pipeline")
        assert results[0] == ("statement", statement)  # in its title (weight A)
        order = comments(results)
        assert order.index(often.tracking_number) < order.index(once.tracking_number)

    def test_nothing_unpublished_is_found_or_suggested(self, client, statement, moderator):
        pending = make_comment(statement, body="Zanzibarite smuggling at the port.")
        rejected = make_comment(statement, body="Zanzibarite again.", approve_by=moderator)
        rejected.status = Comment.Status.REJECTED
        rejected.save()
        draft = make_statement(title_en="Draft on zanzibarite", status=Statement.Status.DRAFT)
        for query in ["zanzibarite", "Zanzibarité", "zanzibarit", "zanzibarrite"]:
            response, results = found(client, query)
            assert results == [], query
            assert response.context["page"].corrected is None, query
            assert "smuggling" not in response.text and "Draft on" not in response.text, query
        assert Comment.objects.filter(pk__in=[pending.pk, rejected.pk]).count() == 2 and draft.pk

    def test_a_corrected_search_costs_a_fixed_number_of_queries(
        self, client, statement, moderator, django_assert_max_num_queries
    ):
        for number in range(30):
            make_comment(statement, body=f"Port security comment {number}", approve_by=moderator)
        # cache generation; filter choices (years, priorities); the page with its count (none); the
        # corrections; then the corrected text's page with its count, and one query per kind on it
        with django_assert_max_num_queries(1 + 2 + 1 + 1 + 1 + 3):
            response = client.get("/en/search/", {"q": "securty comentt", "page": "2"})
        assert response.context["page"].corrected == "security comment"
        assert response.context["page"].paginator.count >= 30
        assert response.context["page"].number == 2


@on_sqlite
class TestSQLite:
    def test_no_stored_columns_and_words_found_as_typed(self, client, statement, moderator):
        columns = [
            column.name
            for column in connection.introspection.get_table_description(connection.cursor(), "dialogue_comment")
        ]
        assert "search_vector" not in columns
        comment = make_comment(statement, body="Port security needs more staff.", approve_by=moderator)
        assert comments(found(client, "security staff")[1]) == [comment.tracking_number]
        response, results = found(client, "securty")
        assert results == [] and response.context["page"].corrected is None


def indexed(word):
    """The comment ids that SQLite's full-text index finds for `word` (dialogue/migrations/0019)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rowid FROM dialogue_comment_fts WHERE dialogue_comment_fts MATCH %s ORDER BY rowid", [f'"{word}"*']
        )
        return [row[0] for row in cursor.fetchall()]


@on_sqlite
class TestSQLiteFullTextIndex:
    def test_the_index_follows_approval_hiding_restoring_edits_and_deletion(self, client, statement, moderator):
        """Only a published comment's words are in the index, and always its current words."""
        comment = make_comment(statement, body="Quokka sightings at the crossing.")
        assert indexed("quokka") == [] and comments(found(client, "quokka")[1]) == []
        comment = services.comment_approve(comment=comment, seen=comment.fingerprint, moderator=moderator)
        assert indexed("quokka") == [comment.pk]
        assert comments(found(client, "quokka")[1]) == [comment.tracking_number]
        comment = services.comment_hide(
            comment=comment, moderator=moderator, seen=comment.fingerprint, reason="off_topic"
        )
        assert indexed("quokka") == [] and comments(found(client, "quokka")[1]) == []
        comment = services.comment_restore(comment=comment, moderator=moderator, seen=comment.fingerprint)
        assert indexed("quokka") == [comment.pk]
        # a redaction of the body, and the text of attachments, while it stays published
        Comment.objects.filter(pk=comment.pk).update(body="Wombat sightings at the crossing.")
        assert indexed("quokka") == [] and indexed("wombat") == [comment.pk]
        Comment.objects.filter(pk=comment.pk).update(attachments_text="Annex: numbat census.")
        assert indexed("numbat") == [comment.pk] and indexed("wombat") == [comment.pk]
        assert comments(found(client, "numbat wombat")[1]) == [comment.tracking_number]
        # saving other fields leaves the index as it is
        Comment.objects.filter(pk=comment.pk).update(language="fr")
        assert indexed("wombat") == [comment.pk]
        with transaction.atomic():  # rolled back: its moderation events still point to it
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM dialogue_comment WHERE id = %s", [comment.pk])
            assert indexed("wombat") == [] and indexed("numbat") == []
            transaction.set_rollback(True)

    def test_rejected_and_withdrawn_comments_are_never_indexed(self, statement, moderator):
        rejected = make_comment(statement, body="Quokka smuggling.")
        services.comment_reject(comment=rejected, moderator=moderator, seen=rejected.fingerprint, reason="off_topic")
        withdrawn = make_comment(statement, body="Quokka again.")
        services.comment_withdraw(comment=withdrawn, author=withdrawn.author)
        assert indexed("quokka") == []

    def test_accents_and_case_do_not_matter_and_a_word_may_be_the_start_of_one(self, client, statement, moderator):
        comment = make_comment(
            statement, body="La energía limpia cruza las fronteras.", language="es", approve_by=moderator
        )
        for query in ["energia", "ENERGÍA", "frontera", "energ limp"]:
            assert comments(found(client, query, "es")[1]) == [comment.tracking_number], query
        assert comments(found(client, "nergia")[1]) == []  # words, not any part of a word

    def test_the_comments_query_reads_the_index_newest_first_and_stops_at_the_cap(self):
        """No sort of every match: the index walks its matches by id, descending, and the LIMIT stops it."""
        comment_kind = next(kind for kind in portal_search.SEARCHED if kind.kind == "comment")
        part = portal_search._matches(comment_kind, portal_search.Filters(), None, ["border"])
        sql, params = part.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            plan = " / ".join(row[-1] for row in cursor.fetchall())
        assert plan.startswith("SCAN dialogue_comment_fts VIRTUAL TABLE"), plan
        assert "TEMP B-TREE" not in plan, plan
        assert params[-1] == portal_search.CANDIDATES + 1


class TestCompiledOnce:
    def test_a_search_without_filters_is_built_once_per_shape_with_its_own_words_and_time(
        self, client, statement, moderator, monkeypatch
    ):
        """The SQL is built once for each number of words; each search still has its own words and the clock's time."""
        monkeypatch.setattr(portal_search, "_compiled", {})
        built = []
        build = portal_search._parts
        monkeypatch.setattr(
            portal_search, "_parts", lambda *args, **kwargs: built.append(args) or build(*args, **kwargs)
        )
        quokka = make_comment(statement, body="Quokka crossings at dawn.", approve_by=moderator)
        wombat = make_comment(statement, body="Wombat crossings at dusk.", approve_by=moderator)
        assert comments(found(client, "quokka")[1]) == [quokka.tracking_number]
        assert comments(found(client, "wombat")[1]) == [wombat.tracking_number]
        assert len(built) == 1
        assert comments(found(client, "quokka dawn")[1]) == [quokka.tracking_number]
        assert len(built) == 2  # two words: another shape
        # a statement scheduled for tomorrow is found tomorrow, by the same SQL
        make_statement(title_en="Numbat habitats", published_at=timezone.now() + datetime.timedelta(days=1))
        assert found(client, "numbat")[1] == []
        with time_machine.travel(timezone.now() + datetime.timedelta(days=2)):
            assert [kind for kind, _obj in found(client, "numbat")[1]] == ["statement"]
        assert len(built) == 2
        # with a filter the SQL is built for the request
        assert comments(found(client, "wombat", language="en")[1]) == [wombat.tracking_number]
        assert len(built) == 3


class TestPagination:
    def test_the_page_and_the_count_come_from_one_query_and_a_page_too_far_is_the_last(
        self, client, statement, moderator, django_assert_num_queries
    ):
        for number in range(25):
            make_comment(statement, body=f"Rail freight remark {number}", approve_by=moderator)
        # cache generation; filter choices (years, priorities) and the verified organisations, for the
        # filters' shared fragment; the page with the count; the comments on it
        with django_assert_num_queries(1 + 2 + 1 + 1 + 1):
            response = client.get("/en/search/", {"q": "freight remark"})
        page = response.context["page"]
        assert page.paginator.count == 25 and page.paginator.num_pages == 2 and len(page.object_list) == 20
        assert "25 results" in response.text and "Page 1 of 2" in response.text
        # past the last page: nothing there, so a count, then the last page (two more queries); the
        # cache generation is known now, and the filters (with their choices and the verified
        # organisations) are a shared fragment
        with django_assert_num_queries(2 + 2):
            response = client.get("/en/search/", {"q": "freight remark", "page": "999"})
        page = response.context["page"]
        assert page.number == 2 and len(page.object_list) == 5 and page.paginator.count == 25
        ranked = [obj for _kind, obj in found(client, "freight remark", page="2")[1]]
        assert ranked == [result.object for result in page.object_list]

    def test_only_the_newest_matches_are_ranked_and_counted_beyond_the_cap(
        self, client, statement, moderator, monkeypatch
    ):
        """A common word matches tens of thousands of comments: the newest are ranked, the count says "more than"."""
        monkeypatch.setattr(portal_search, "CANDIDATES", 3)
        comments = [
            make_comment(statement, body=f"Quokka crossings, remark {number}", approve_by=moderator)
            for number in range(5)
        ]
        base = timezone.now() - datetime.timedelta(days=1)
        for number, comment in enumerate(comments):
            Comment.objects.filter(pk=comment.pk).update(submitted_at=base + datetime.timedelta(minutes=number))
        response = client.get("/en/search/", {"q": "quokka"})
        page = response.context["page"]
        assert "More than 3 results" in response.text and "5 results" not in response.text
        assert page.paginator.count == 3 and page.paginator.num_pages == 1
        assert {result.object.pk for result in page.object_list} == {comment.pk for comment in comments[2:]}
        # a page past the candidates is the last one shown
        last = client.get("/en/search/", {"q": "quokka", "page": "2"}).context["page"]
        assert last.number == 1 and len(last.object_list) == 3
        # under the cap, the exact number
        monkeypatch.setattr(portal_search, "CANDIDATES", 5)
        assert "5 results" in client.get("/en/search/", {"q": "quokka"}).text
