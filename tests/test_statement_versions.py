"""
Versions of a statement: every change to a public statement's texts is kept as a numbered version
(who, when, why), readers see what changed word by word, and comments say which version they read.
"""

import csv
import datetime
import io
import json
import re

import jsonschema
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.formats import date_format

from dialogue.open_data import SCHEMA_PATH
from priorities import services
from priorities.models import Directive, Statement, StatementVersion

from .factories import make_comment, make_publisher, make_statement, reauthenticate, seed_statement
from .pages import section, visible_text

pytestmark = pytest.mark.django_db

TEXTS = {
    "title_en": "Joint statement on border modernisation",
    "body_en": "The ministers agreed to modernise the northern border crossings.\n\nThey will report in June.",
    "title_fr": "Déclaration commune sur la modernisation des frontières",
    "body_fr": "Les ministres ont convenu de moderniser les postes frontaliers du nord.",
}
SUMMARY = {"en": "The report is due in September, not June.", "fr": "Le rapport est attendu en septembre."}


@pytest.fixture
def statement():
    return make_statement(**TEXTS)


@pytest.fixture
def publisher():
    return make_publisher()


def amend(statement, publisher, summary=SUMMARY, **texts):
    return services.statement_amend(statement=statement, by=publisher, summary=summary, texts=texts)


def versions_page(client, statement, query=""):
    response = client.get(f"/en/statements/{statement.slug}/versions/{query}")
    assert response.status_code == 200
    return response.text


class TestTheService:
    def test_version_1_is_the_statement_as_published(self, publisher):
        draft = make_statement(status=Statement.Status.DRAFT, open_comments=False, **TEXTS)
        assert not draft.versions.exists()
        services.statement_publish(statement=draft, by=publisher, confirmed_without=["es"])
        [first] = draft.versions.all()
        assert (first.number, first.made_by, first.texts["en"]["title"]) == (1, publisher, TEXTS["title_en"])
        assert [d["id"] for d in first.directives] == list(draft.directives.values_list("pk", flat=True))

    def test_statements_published_before_versions_got_version_1_from_the_migration(self):
        seeded = seed_statement()
        first = seeded.versions.get()
        assert first.number == 1 and seeded.version == 1
        assert first.texts["en"]["title"] == seeded.title_en
        assert len(first.directives) == seeded.directives.count()

    def test_an_amendment_is_numbered_with_who_when_and_why(self, statement, publisher):
        before = timezone.now()
        version = amend(statement, publisher, body_en=TEXTS["body_en"].replace("June", "September"))
        assert (version.number, version.made_by, version.change_summary_en) == (2, publisher, SUMMARY["en"])
        assert version.made_at >= before
        assert version.texts["en"]["body"].endswith("They will report in September.")
        statement.refresh_from_db()
        assert (statement.version, statement.amended_at) == (2, version.made_at)
        assert "September" in statement.body_en
        third = amend(statement, publisher, title_en="Joint statement on the northern border")
        assert third.number == 3
        # The earlier versions keep what the public read then.
        assert statement.versions.get(number=1).texts["en"]["body"] == TEXTS["body_en"]

    def test_without_a_summary_it_is_refused_and_nothing_changes(self, statement, publisher):
        with pytest.raises(services.ChangeSummaryMissing):
            amend(statement, publisher, summary={"en": "  "}, title_en="A quietly changed title")
        statement.refresh_from_db()
        assert statement.title_en == TEXTS["title_en"] and statement.version == 1
        assert statement.versions.count() == 1

    def test_saving_the_same_texts_makes_no_version(self, statement, publisher):
        assert amend(statement, publisher, summary={}, title_en=TEXTS["title_en"]) is None
        assert statement.versions.count() == 1

    def test_edits_before_the_public_sees_it_are_still_version_1(self, publisher):
        scheduled = make_statement(
            status=Statement.Status.DRAFT, open_comments=False, **TEXTS, title_es="t", body_es="b"
        )
        services.statement_schedule(statement=scheduled, by=publisher, at=timezone.now() + datetime.timedelta(days=2))
        assert amend(scheduled, publisher, summary={}, title_en="A better title before release") is None
        [first] = scheduled.versions.all()
        assert first.texts["en"]["title"] == "A better title before release"

    def test_directives_keep_their_identifiers_across_versions(self, statement, publisher):
        directive = statement.directives.order_by("order").first()
        version = services.statement_amend(
            statement=statement,
            by=publisher,
            summary=SUMMARY,
            directive_texts={directive.pk: {"text_en": "Report on the border crossings by September."}},
        )
        assert Directive.objects.get(pk=directive.pk).text_en == "Report on the border crossings by September."
        first = statement.versions.get(number=1)
        assert [d["id"] for d in first.directives] == [d["id"] for d in version.directives]
        [before] = [d for d in first.directives if d["id"] == directive.pk]
        [after] = [d for d in version.directives if d["id"] == directive.pk]
        assert (before["text"]["en"], after["text"]["en"]) == (
            directive.text_en,
            "Report on the border crossings by September.",
        )


class TestTheVersionsPage:
    def test_a_difference_shows_the_removed_and_the_added_words(self, client, statement, publisher):
        amend(statement, publisher, body_en=TEXTS["body_en"].replace("June", "September"))
        html = section(versions_page(client, statement), "changes")
        assert '<del><span class="visually-hidden">removed: </span>June.</del>' in html
        assert '<ins><span class="visually-hidden">added: </span>September.</ins>' in html
        # The words around the change are kept, unmarked, and so are the paragraphs.
        assert "They will report in <del>" in html
        assert "border crossings.\n\nThey will report" in html
        # Read aloud (or copied), the change says what it is.
        assert "removed: June. added: September." in visible_text(html.replace('class="visually-hidden"', ""))

    def test_any_two_versions_compare_per_language(self, client, statement, publisher):
        amend(statement, publisher, title_en="Joint statement on northern border modernisation")
        amend(statement, publisher, body_fr="Les ministres ont convenu de moderniser les postes du nord.")
        html = versions_page(client, statement, "?from=1&to=3")
        assert "Changes from version 1 to version 3" in html
        assert '<ins><span class="visually-hidden">added: </span>northern</ins>' in html
        assert '<del><span class="visually-hidden">removed: </span>frontaliers</del>' in html
        # Only the second change: the French text, and no English one.
        latest = versions_page(client, statement)
        assert "Changes from version 2 to version 3" in latest
        assert re.search(r"English · no change", visible_text(latest))
        assert re.search(r"French · changed", visible_text(latest))

    def test_each_version_is_listed_with_its_date_and_summary_in_the_readers_language(
        self, client, statement, publisher
    ):
        version = amend(statement, publisher, body_en="A new text.")
        page = client.get(f"/fr/statements/{statement.slug}/versions/").text
        listing = visible_text(page.split('id="versions-heading"', 1)[1].split("</section>", 1)[0])
        assert "Version 1" in listing and "Version 2" in listing
        assert "Le rapport est attendu en septembre." in listing
        assert version.made_at.strftime("%Y") in listing

    def test_a_directive_added_or_removed_says_so_in_words(self, client, statement, publisher):
        priority = statement.priorities.first()

        def add_one():
            Directive.objects.create(statement=statement, priority=priority, order=9, text_en="A new directive.")

        add_one()
        services.statement_amend(statement=statement, by=publisher, summary=SUMMARY)
        html = visible_text(versions_page(client, statement))
        assert "New directive" in html and "added: A new directive." in html

    def test_unknown_versions_and_unpublished_statements_are_not_found(self, client, statement):
        assert client.get(f"/en/statements/{statement.slug}/versions/?to=7").status_code == 404
        draft = make_statement(status=Statement.Status.DRAFT)
        assert client.get(f"/en/statements/{draft.slug}/versions/").status_code == 404

    def test_query_count_does_not_grow_with_the_versions(self, client, statement, publisher, settings):
        settings.PUBLIC_PAGE_CACHE_SECONDS = 0
        url = f"/en/statements/{statement.slug}/versions/"

        def count():
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            return len(queries)

        amend(statement, publisher, title_en="Second title")
        few = count()
        for number in range(3, 12):
            amend(statement, publisher, title_en=f"Title number {number}")
        assert count() == few == 3


class TestTheStatementPage:
    def test_an_amended_statement_says_its_version_and_when(self, client, statement, publisher):
        url = statement.get_absolute_url()
        assert 'id="statement-version"' not in client.get(url).text  # version 1: nothing to say
        version = amend(statement, publisher, title_en="Joint statement on the northern border")
        html = section(client.get(url).text, "statement-version")
        assert f"Version 2, amended on {date_format(version.made_at, 'DATE_FORMAT')} · What changed" in (
            visible_text(html)
        )
        assert f'href="/en/statements/{statement.slug}/versions/#changes"' in html

    def test_the_page_shows_the_new_version_at_once(self, client, statement, publisher, settings):
        settings.PUBLIC_PAGE_CACHE_SECONDS = 600
        url = statement.get_absolute_url()
        assert "harmonised" not in client.get(url).text  # now cached
        amend(statement, publisher, title_en="Joint statement on harmonised inspections")
        assert "Joint statement on harmonised inspections" in client.get(url).text

    def test_an_amended_statement_costs_no_more_queries_than_one_never_amended(
        self, client, statement, publisher, moderator, settings
    ):
        settings.PUBLIC_PAGE_CACHE_SECONDS = 0
        never = make_statement(**TEXTS)
        for subject in (statement, never):
            make_comment(subject, approve_by=moderator)
        amend(statement, publisher, title_en="Joint statement on harmonised inspections")
        for subject in (statement, never):
            make_comment(subject, approve_by=moderator)

        def count(subject):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(f"{subject.get_absolute_url()}?order=newest").status_code == 200
            return len(queries)

        assert count(statement) == count(never) == 12  # as pinned in test_statement_page.py

    def test_directive_anchors_are_the_same_after_an_amendment(self, client, statement, publisher):
        directive = statement.directives.first()
        services.statement_amend(
            statement=statement, by=publisher, summary=SUMMARY, directive_texts={directive.pk: {"text_en": "Reworded."}}
        )
        html = section(client.get(statement.get_absolute_url()).text, f"directive-{directive.pk}")
        assert "Reworded." in html


class TestComments:
    def test_a_comment_on_version_1_says_so_once_version_2_exists(self, client, statement, publisher, moderator):
        earlier = make_comment(statement, approve_by=moderator, body="About the June report, which is too late.")
        assert earlier.statement_version == 1
        html = section(client.get(statement.get_absolute_url()).text, f"comment-{earlier.tracking_number}")
        assert "Written on" not in html
        amend(statement, publisher, body_en="The ministers will report in September.")
        later = make_comment(statement.__class__.objects.get(pk=statement.pk), approve_by=moderator)
        assert later.statement_version == 2
        page = client.get(statement.get_absolute_url()).text
        html = section(page, f"comment-{earlier.tracking_number}")
        assert "Written on version 1 of the statement." in visible_text(html)
        assert f'href="/en/statements/{statement.slug}/versions/?from=1#changes"' in html
        assert "Written on" not in section(page, f"comment-{later.tracking_number}")

    def test_open_data_and_the_api_give_each_comments_version(self, client, statement, publisher, moderator):
        first = make_comment(statement, approve_by=moderator)
        amend(statement, publisher, body_en="The ministers will report in September.")
        second = make_comment(statement, approve_by=moderator)
        exported = json.loads(b"".join(client.get(f"/en/open-data/statements/{statement.slug}/comments.json")))
        jsonschema.validate(exported, json.loads(SCHEMA_PATH.read_text()))
        versions = {record["tracking_number"]: record["statement_version"] for record in exported["comments"]}
        assert versions == {first.tracking_number: 1, second.tracking_number: 2}
        text = b"".join(client.get(f"/en/open-data/statements/{statement.slug}/comments.csv")).decode()
        rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
        assert [row["statement_version"] for row in rows] == ["1", "2"]
        items = client.get("/api/v1/comments/").json()["items"]
        assert {item["tracking_number"]: item["statement_version"] for item in items} == versions
        record = client.get(f"/api/v1/statements/{statement.slug}/").json()
        assert record["version"] == 2 and record["amended_at"] is not None


class TestSearchAndFeedsShowTheCurrentVersion:
    def test_the_feed_and_the_search_read_the_amended_title(self, client, statement, publisher):
        amend(statement, publisher, title_en="Joint statement on harmonised inspections")
        feed = client.get("/en/statements/feed/").text
        assert "Joint statement on harmonised inspections" in feed and TEXTS["title_en"] not in feed
        found = client.get("/en/search/", {"q": "harmonised inspections"}).text
        assert "Joint statement on harmonised inspections" in found


class TestThePublishersForm:
    @pytest.fixture
    def signed_in(self, client, publisher):
        client.force_login(publisher)
        reauthenticate(client)
        return publisher

    def form(self, statement, **changes):
        from .test_admin_publishing import change_form_data

        directives = list(statement.directives.order_by("order", "pk"))
        rows = {name: value for name, value in changes.items() if name.startswith("directives-")}
        data = change_form_data(statement, **{name: value for name, value in changes.items() if name not in rows})
        data["directives-TOTAL_FORMS"] = data["directives-INITIAL_FORMS"] = str(len(directives))
        for number, directive in enumerate(directives):
            data |= {
                f"directives-{number}-id": directive.pk,
                f"directives-{number}-statement": statement.pk,
                f"directives-{number}-order": directive.order,
                f"directives-{number}-priority": directive.priority_id,
                **{
                    f"directives-{number}-text_{code}": getattr(directive, f"text_{code}") or ""
                    for code in ["en", "fr", "es"]
                },
            }
        return data | rows

    def test_an_edit_without_a_summary_is_refused_with_the_text_kept(self, client, statement, signed_in):
        url = f"/admin/priorities/statement/{statement.pk}/change/"
        response = client.post(url, self.form(statement, body_en="A body with a silent correction."))
        assert response.status_code == 200
        assert "Say what changed and why, in one language at least" in response.text
        assert "A body with a silent correction." in response.text  # still in the form
        statement.refresh_from_db()
        assert statement.body_en == TEXTS["body_en"] and statement.versions.count() == 1

    def test_with_a_summary_the_edit_is_version_2_by_the_publisher(self, client, statement, signed_in):
        url = f"/admin/priorities/statement/{statement.pk}/change/"
        data = self.form(statement, body_en="A corrected body.", change_summary_en="A typing error corrected.")
        assert client.post(url, data).status_code == 302
        version = statement.versions.get(number=2)
        assert (version.made_by, version.change_summary_en) == (signed_in, "A typing error corrected.")
        assert version.texts["en"]["body"] == "A corrected body."
        assert "A typing error corrected." in client.get(url).text  # the admin's own record of versions

    def test_a_reworded_directive_needs_the_summary_and_keeps_its_identifier(self, client, statement, signed_in):
        url = f"/admin/priorities/statement/{statement.pk}/change/"
        directive = statement.directives.order_by("order", "pk").first()
        data = self.form(statement, **{"directives-0-text_en": "Reworded directive."})
        refused = client.post(url, data)
        assert refused.status_code == 200
        assert "You changed the directives of a statement the public has read" in refused.text
        assert "Reworded directive." in refused.text
        assert Directive.objects.get(pk=directive.pk).text_en == directive.text_en

        assert client.post(url, {**data, "change_summary_fr": "Directive reformulée."}).status_code == 302
        assert Directive.objects.get(pk=directive.pk).text_en == "Reworded directive."
        version = statement.versions.get(number=2)
        assert version.directives[0]["id"] == directive.pk
        assert version.directives[0]["text"]["en"] == "Reworded directive."

    def test_a_directive_of_a_public_statement_is_not_reworded_on_its_own_page(self, client, statement, signed_in):
        directive = statement.directives.first()
        page = client.get(f"/admin/priorities/directive/{directive.pk}/change/").text
        assert 'name="text_en"' not in page and directive.text_en in page

    def test_editing_a_draft_needs_no_summary(self, client, signed_in):
        draft = make_statement(status=Statement.Status.DRAFT, open_comments=False, **TEXTS)
        url = f"/admin/priorities/statement/{draft.pk}/change/"
        assert client.post(url, self.form(draft, body_en="Still drafting.")).status_code == 302
        assert not StatementVersion.objects.filter(statement=draft).exists()
