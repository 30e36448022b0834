"""
Signed-in pages shared by every reader of a kind (pagecache/readers.py): the statement page of
stakeholders and the moderation queue are rendered once per cache generation, each reader's own
parts filled in — and never anyone else's.
"""

import re

import pytest
from django.test import Client

from dialogue import organisations, services
from dialogue.models import Comment

from .factories import make_comment, make_moderator, make_statement, make_user

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def reader(user=None) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user or make_user())
    return client


def test_stakeholders_share_the_statement_page_each_with_their_own_pending_comments(
    django_assert_num_queries,
):
    statement = make_statement()
    dana, eli = make_user(display_name="Dana"), make_user(display_name="Eli")
    danas = make_comment(statement, author=dana, body="Dana's comment, waiting for a moderator.")
    elis_client, danas_client = reader(eli), reader(dana)
    elis_client.get(statement.get_absolute_url())  # renders the skeleton

    # Dana's page is the skeleton with her parts: the user (read with whether she may hold a permission,
    # whether she belongs to an organisation and whether a comment of hers waits: only the last, so only
    # it is asked again) and her pending comments here; nothing of the page is rendered again.
    danas_client.get(statement.get_absolute_url())
    with django_assert_num_queries(2):
        page = danas_client.get(statement.get_absolute_url()).text
    assert danas.tracking_number in page and "Your comments awaiting moderation" in page
    # Eli has nothing waiting, as read with him: the user is all his page asks.
    with django_assert_num_queries(1):
        others = elis_client.get(statement.get_absolute_url()).text
    assert danas.tracking_number not in others and "Your comments awaiting moderation" not in others


def test_each_reader_posts_with_their_own_token_from_the_shared_page():
    statement = make_statement()
    first, second = reader(), reader()
    tokens = [TOKEN.findall(client.get(statement.get_absolute_url()).text) for client in (first, second)]
    assert all(len(found) == 2 for found in tokens), "the sign-out form and the comment form"
    assert not set(tokens[0]) & set(tokens[1])
    response = second.post(
        f"/en/dialogue/statements/{statement.slug}/comment/",
        {
            "csrfmiddlewaretoken": tokens[1][1],
            "body": "A comment sent with the token of my own page.",
            "language": "en",
        },
    )
    assert response.status_code == 302 and "/dialogue/receipt/" in response["Location"]
    refused = first.post(
        f"/en/dialogue/statements/{statement.slug}/comment/",
        {"csrfmiddlewaretoken": "x" * 64, "body": "A comment sent with a made-up token.", "language": "en"},
    )
    assert refused.status_code == 403


def test_a_flash_message_reaches_only_its_reader():
    statement = make_statement()
    follower, other = reader(), reader()
    other.get(statement.get_absolute_url())
    page = follower.post(
        f"/en/dialogue/statements/{statement.slug}/follow/",
        {"csrfmiddlewaretoken": TOKEN.findall(follower.get(statement.get_absolute_url()).text)[0], "delivery": "daily"},
        follow=True,
    ).text
    assert "You follow" in page
    assert "You follow" not in other.get(statement.get_absolute_url()).text
    assert "You follow" not in follower.get(statement.get_absolute_url()).text, "shown once"


def test_a_member_of_an_organisation_gets_a_form_of_their_own(django_capture_on_commit_callbacks):
    statement = make_statement()
    member = make_user(display_name="Rosa Admin")
    organisation = organisations.organisation_register(
        user=member, name="Cooperativa del Valle", country="MX", sector="civil_society"
    )
    organisations.organisation_decide(organisation=organisation, moderator=make_moderator(), verify=True, note="OK.")
    plain = reader()
    plain.get(statement.get_absolute_url())
    assert "Cooperativa del Valle" in reader(member).get(statement.get_absolute_url()).text
    assert "Cooperativa del Valle" not in plain.get(statement.get_absolute_url()).text


def test_an_approval_refreshes_its_statements_shared_page_and_leaves_the_others(
    moderator, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    here, elsewhere = make_statement(), make_statement()
    comment = make_comment(here, body="Approved now, on this statement only.")
    client = reader()
    for statement in (here, elsewhere):
        client.get(statement.get_absolute_url())
    with django_assert_max_num_queries(50) as warm:
        client.get(elsewhere.get_absolute_url())
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_approve(comment=comment, seen=comment.fingerprint, moderator=moderator)
    assert "Approved now, on this statement only." in client.get(here.get_absolute_url()).text
    with django_assert_max_num_queries(50) as after:
        client.get(elsewhere.get_absolute_url())
    assert len(after) == len(warm), "the other statement's page was rendered again"


def test_officials_are_never_given_a_stakeholders_page():
    """A moderator's header counts what waits anywhere: their statement page is their own."""
    statement = make_statement()
    make_comment(statement, body="Something waiting for a moderator.")
    stakeholder = reader()
    stakeholder.get(statement.get_absolute_url())
    moderator = reader(make_moderator())
    assert "1 pending" in moderator.get(statement.get_absolute_url()).text
    assert "pending</span>" not in stakeholder.get(statement.get_absolute_url()).text


def test_moderators_share_the_queue_but_one_whose_comment_waits_gets_it_marked(django_assert_max_num_queries):
    statement = make_statement()
    first, second = make_moderator(), make_moderator()
    theirs = make_comment(statement, author=second, body="The second moderator's own comment, waiting.")
    make_comment(statement, body="Somebody else's comment, waiting.")
    first_client, second_client = reader(first), reader(second)
    queue = first_client.get("/en/moderation/").text
    assert f'name="comments" value="{theirs.pk}:' in queue, "the first moderator may decide on it"
    own = second_client.get("/en/moderation/").text
    assert f'name="comments" value="{theirs.pk}:' not in own, "no buttons on their own comment"
    assert Comment.objects.pending().count() == 2
    # A third moderator with nothing of their own waiting is given the shared queue, with their own token.
    third = reader(make_moderator())
    third.get("/en/moderation/")
    with django_assert_max_num_queries(50) as shared:
        page = third.get("/en/moderation/").text
    assert f'name="comments" value="{theirs.pk}:' in page
    assert TOKEN.findall(page)[0] not in queue
    with django_assert_max_num_queries(50) as rendered:
        second_client.get("/en/moderation/")
    assert len(shared) < len(rendered), "the shared queue is not rendered again"
