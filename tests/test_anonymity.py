"""
Comment without your name published (issue 14 item 5): a stakeholder chooses, per comment, to be
published as "Anonymous participant" with only their country and sector. Their name (and the
organisation they describe in their profile) is on no public surface: the statement page, the pages
that quote a comment, the home page, feeds, search, open data, the bulk dump's record, the API and
the participation figures. Moderators still see who wrote it; the receipt and "My submissions" show
the choice.
"""

import json

import pytest

from dialogue import services
from dialogue.models import Comment

from .factories import make_comment, make_statement, make_user

pytestmark = pytest.mark.django_db

NAME = "Jacinta Identifiable"
OWN_ORGANISATION = "Sindicato Identificable"
TEXT = "Wait times at the Tijuana crossing double every holiday weekend."


@pytest.fixture
def statement():
    return make_statement(title_en="Statement on wait times")


@pytest.fixture
def author():
    return make_user(display_name=NAME, country="MX", sector="labour", organisation=OWN_ORGANISATION)


@pytest.fixture
def published(client, statement, author, moderator):
    """Submitted through the form with "Publish without my name" ticked, then approved."""
    client.force_login(author)
    response = client.post(
        f"/en/dialogue/statements/{statement.slug}/comment/", {"body": TEXT, "language": "en", "anonymous": "on"}
    )
    assert response.status_code == 302
    comment = Comment.objects.get(body=TEXT)
    assert comment.anonymous
    services.comment_approve(comment=comment, moderator=moderator, seen=comment.fingerprint)
    client.logout()
    return comment


def assert_no_identity(text: str) -> None:
    assert NAME not in text
    assert OWN_ORGANISATION not in text


def test_the_statement_page_shows_an_anonymous_participant_with_country_and_sector(client, statement, published):
    html = client.get(f"/en/statements/{statement.slug}/").text
    assert TEXT in html
    assert_no_identity(html)
    assert ">Anonymous participant</span>" in html
    assert "· Mexico · Labour" in html


def test_the_pages_that_quote_the_comment_and_the_home_page_keep_it(client, author, published):
    client.force_login(make_user())
    for url in (
        f"/en/dialogue/comments/{published.tracking_number}/reply/",
        f"/en/dialogue/comments/{published.tracking_number}/support/",
        "/en/",
    ):
        html = client.get(url).text
        assert "Anonymous participant" in html, url
        assert_no_identity(html)


def test_feeds_keep_it(client, statement, published):
    priority = statement.priorities.first()
    Comment.objects.filter(pk=published.pk).update(priority=priority)
    for url in (f"/en/statements/{statement.slug}/comments/feed/", f"/en/priorities/{priority.slug}/feed/"):
        text = client.get(url).content.decode()
        assert published.tracking_number in text, url
        assert "Anonymous participant" in text
        assert_no_identity(text)


def test_search_results_keep_it(client, published):
    response = client.get("/en/search/", {"q": "Tijuana"})
    assert published in [result.object for result in response.context["page"].object_list]
    assert "Anonymous participant" in response.text
    assert_no_identity(response.text)


def test_open_data_keeps_only_country_and_sector(client, statement, published):
    csv = client.get(f"/en/open-data/statements/{statement.slug}/comments.csv").content.decode("utf-8-sig")
    assert "Anonymous participant" in csv and TEXT in csv
    assert_no_identity(csv)
    [record] = json.loads(client.get(f"/en/open-data/statements/{statement.slug}/comments.json").content)["comments"]
    assert record["author"] == "Anonymous participant"
    assert (record["country"], record["sector"], record["organisation"], record["anonymous"]) == (
        "MX",
        "labour",
        None,
        True,
    )


def test_the_bulk_dump_record_keeps_it(published):
    from dialogue.bulk import _record
    from dialogue.open_data import public_comments

    record = _record(public_comments().get(pk=published.pk))
    assert record["author"] == "Anonymous participant"
    assert_no_identity(json.dumps(record, ensure_ascii=False))


def test_the_api_never_carries_the_identity(client, published):
    items = client.get("/api/v1/comments/").json()["items"]
    assert [item["author"] for item in items] == ["Anonymous participant"]
    assert_no_identity(json.dumps(items, ensure_ascii=False))
    detail = client.get(f"/api/v1/comments/{published.tracking_number}/").json()
    assert (detail["author"], detail["organisation"], detail["anonymous"]) == ("Anonymous participant", None, True)
    # Nor can a filter on the author's own organisation single the comment out.
    assert client.get("/api/v1/comments/", {"organisation": OWN_ORGANISATION}).json()["items"] == []


def test_participation_counts_it_by_country_and_sector_without_the_name(client, published):
    response = client.get("/en/participation/")
    tables = {
        str(table.title): {str(row.label): row.count for row in table.rows}
        for table in response.context["figures"].tables
    }
    assert tables["By country"] == {"Mexico": 1} and tables["By sector"] == {"Labour": 1}
    assert tables["By organisation"] == {"In their own name": 1}
    assert_no_identity(response.text)
    api = client.get("/api/v1/participation/").json()
    assert api["by_country"] == [{"key": "MX", "count": 1}]
    assert_no_identity(json.dumps(api, ensure_ascii=False))


def test_moderators_still_see_who_wrote_it(client, statement, author, moderator):
    comment = make_comment(statement, author=author, body=TEXT, anonymous=True)
    client.force_login(moderator)
    for url in ("/en/moderation/", f"/en/moderation/comments/{comment.tracking_number}/"):
        html = client.get(url).text
        assert NAME in html and "Published as “Anonymous participant”" in html, url


def test_the_receipt_and_my_submissions_show_the_choice(client, statement, author):
    anonymous = make_comment(statement, author=author, body=TEXT, anonymous=True)
    named = make_comment(statement, author=author, body="A second comment, under my own name this time.")
    client.force_login(author)
    receipt = client.get(f"/en/dialogue/receipt/{anonymous.tracking_number}/").text
    assert "Without your name, as “Anonymous participant”" in receipt
    assert "Under your name" in client.get(f"/en/dialogue/receipt/{named.tracking_number}/").text
    mine = client.get("/en/dialogue/mine/").text
    assert mine.count("Without your name, as “Anonymous participant”") == 1


def test_the_choice_is_per_comment(client, statement, author, moderator):
    make_comment(statement, author=author, body=TEXT, anonymous=True, approve_by=moderator)
    make_comment(statement, author=author, body="This one carries my name openly.", approve_by=moderator)
    html = client.get(f"/en/statements/{statement.slug}/").text
    assert html.count(NAME) == 1 and "Anonymous participant" in html
