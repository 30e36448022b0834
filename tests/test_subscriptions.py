"""
Notifications and subscriptions (issue 15 item 5): following a statement, a priority or one's own
comments, right away or in a daily digest; moderators prompted when comments start waiting; every
such email in the recipient's language with a one-click unsubscribe (a signed link and the RFC 8058
headers).
"""

import datetime
import json
import re

import pytest
from django.core import mail, signing
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dialogue import notifications, services
from dialogue.models import Notice, Subscription
from outbox import delivery
from priorities.models import Priority
from priorities.services import comment_period_change

from .factories import make_comment, make_moderator, make_publisher, make_statement, make_user
from .test_email_voice import assert_portal_voice

pytestmark = pytest.mark.django_db

Topic = Subscription.Topic
Delivery = Subscription.Delivery


@pytest.fixture
def outbox(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        yield mail.outbox


def follow(user, statement, delivery=Delivery.IMMEDIATE):
    return services.subscription_set(user=user, topic=Topic.STATEMENT, statement=statement, delivery=delivery)


def to(user):
    return [message for message in mail.outbox if message.to == [user.email]]


def unsubscribe_url(message) -> str:
    """The address of the List-Unsubscribe header, as a mail client reads it."""
    header = message.extra_headers["List-Unsubscribe"]
    assert header.startswith("<http://testserver/") and header.endswith(">"), header
    return header[1:-1].removeprefix("http://testserver")


# --- Following ---------------------------------------------------------------------------------


def test_follow_page_permission_ladder_and_the_post_form(client):
    """Anonymous: sent to sign in; signed in: a form; its POST follows, and the page says so."""
    statement = make_statement()
    path = f"/en/dialogue/statements/{statement.slug}/follow/"
    assert client.get(path).status_code == 302
    user = make_user()
    client.force_login(user)
    page = client.get(path)
    assert page.status_code == 200 and 'method="post"' in page.text and "csrfmiddlewaretoken" in page.text
    response = client.post(path, {"delivery": "daily"}, follow=True)
    assert response.redirect_chain[-1][0] == statement.get_absolute_url()
    assert f"You follow “{statement.title}”." in response.text
    assert Subscription.objects.get(user=user, statement=statement).delivery == Delivery.DAILY
    client.post(path, {"stop": "1"})
    assert Subscription.objects.get(user=user, statement=statement).delivery == Delivery.OFF


def test_statement_and_priority_pages_offer_to_follow(client):
    statement = make_statement()
    page = client.get(statement.get_absolute_url()).text
    assert f'href="/en/dialogue/statements/{statement.slug}/follow/"' in page and "Follow this statement" in page
    page = client.get("/en/priorities/competitiveness/").text
    assert 'href="/en/dialogue/priorities/competitiveness/follow/"' in page and "Follow this priority" in page


def test_a_draft_statement_cannot_be_followed(client):
    draft = make_statement(status="draft")
    client.force_login(make_user())
    assert client.post(f"/en/dialogue/statements/{draft.slug}/follow/", {"delivery": "immediate"}).status_code == 404
    with pytest.raises(services.NotAllowed):
        follow(make_user(), draft)


def test_subscriptions_page_lists_and_edits_what_one_follows(client):
    user = make_user()
    first, second = make_statement(title_en="Border wait times"), make_statement(title_en="Food safety")
    follow(user, first)
    follow(user, second, Delivery.DAILY)
    services.subscription_set(
        user=user, topic=Topic.PRIORITY, priority=Priority.objects.get(slug="competitiveness"), delivery="daily"
    )
    client.force_login(user)
    page = client.get("/en/dialogue/subscriptions/").text
    for text in ("Statement: Border wait times", "Statement: Food safety", "Priority: Competitiveness"):
        assert text in page
    assert "Comments waiting for moderation" not in page, "prompts are for moderators"
    response = client.post(
        "/en/dialogue/subscriptions/",
        {
            f"statement-{first.pk}": "daily",
            f"statement-{second.pk}": "off",
            f"priority-{Priority.objects.get(slug='competitiveness').pk}": "daily",
            "standing-my_replies": "immediate",
            "standing-my_responses": "immediate",
        },
    )
    assert response.status_code == 302
    chosen = dict(Subscription.objects.filter(user=user, topic=Topic.STATEMENT).values_list("statement", "delivery"))
    assert chosen == {first.pk: "daily", second.pk: "off"}
    assert "Food safety" not in client.get("/en/dialogue/subscriptions/").text, "stopped: no longer listed"
    # The page's queries do not grow with what one follows.
    before = _queries(client, "/en/dialogue/subscriptions/")
    for _number in range(3):
        follow(user, make_statement())
    assert _queries(client, "/en/dialogue/subscriptions/") == before


def _queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


def test_a_subscriptions_page_is_a_signed_in_page(client):
    response = client.get("/en/dialogue/subscriptions/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- Right away, or in a daily digest ----------------------------------------------------------


def test_immediate_followers_get_one_email_per_event_in_their_language(outbox):
    """A French follower: each published comment and each official response is one email, in French."""
    statement = make_statement(title_en="Border wait times", title_fr="Temps d'attente à la frontière")
    moderator = make_moderator()
    follower = make_user(preferred_language="fr", display_name="Amélie Tremblay")
    follow(follower, statement)
    first = make_comment(statement, body="Publish the wait times every month, please.", approve_by=moderator)
    make_comment(statement, body="And add the inspection capacity to them.", approve_by=moderator)
    services.response_post(comment=first, moderator=moderator, government="CA", body="We will.", language="en")
    received = to(follower)
    assert len(received) == 3, [message.subject for message in received]
    for message in received:
        assert_portal_voice(message, "fr")
        assert "Temps d'attente à la frontière" in message.subject
        assert "/fr/statements/" in message.body and "/fr/dialogue/unsubscribe/" in message.body
        assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Publish the wait times every month, please." in received[0].body
    assert "Nouveau commentaire" in received[0].subject
    assert "We will." in received[2].body and "Gouvernement du Canada" in received[2].body


def test_the_author_and_the_moderator_are_not_told_twice(outbox):
    """The author of a published comment has the decision email, not the followers' one as well."""
    statement = make_statement()
    moderator = make_moderator()
    author = make_user()
    follow(author, statement)
    make_comment(statement, author=author, approve_by=moderator)
    assert len(to(author)) == 2, "the receipt and the decision"
    assert not any("New comment on" in message.subject for message in to(author))
    assert not any("New comment on" in message.subject for message in to(moderator))


def test_daily_digest_batches_two_events_into_one_email(outbox):
    statement = make_statement(title_en="Border wait times")
    moderator = make_moderator()
    follower = make_user(preferred_language="es")
    follow(follower, statement, Delivery.DAILY)
    comment = make_comment(statement, body="Publish the wait times every month.", approve_by=moderator)
    services.response_post(comment=comment, moderator=moderator, government="MX", body="Lo haremos.", language="es")
    assert to(follower) == [], "nothing before the digest"
    assert Notice.objects.count() == 2

    outcome = notifications.sweep(digests=True)
    assert outcome.digests == 1
    [digest] = to(follower)
    assert_portal_voice(digest, "es")
    assert digest.body.count(f"/es/statements/{statement.slug}/") == 2, digest.body
    assert "2" in digest.subject
    assert "/es/dialogue/unsubscribe/" in digest.extra_headers["List-Unsubscribe"]
    assert Notice.objects.count() == 0
    notifications.sweep(digests=True)
    assert len(to(follower)) == 1, "each event is in one digest only"


def test_digests_go_out_once_a_day_from_the_configured_hour(outbox, settings):
    settings.NOTIFICATION_DIGEST_HOUR = 7
    statement = make_statement()
    follower = make_user()
    follow(follower, statement, Delivery.DAILY)
    make_comment(statement, approve_by=make_moderator())
    morning = timezone.localtime().replace(hour=6, minute=0, second=0, microsecond=0) + datetime.timedelta(days=1)
    assert notifications.sweep(now=morning).digests == 0, "before the hour"
    assert notifications.sweep(now=morning + datetime.timedelta(hours=2)).digests == 1
    make_comment(statement, approve_by=make_moderator())
    assert notifications.sweep(now=morning + datetime.timedelta(hours=3)).digests == 0, "once a day"
    assert notifications.sweep(now=morning + datetime.timedelta(days=1, hours=1)).digests == 1, "the next day"


def test_own_comments_replies_and_responses_can_come_in_the_digest(outbox):
    statement = make_statement()
    moderator = make_moderator()
    author = make_user()
    services.subscription_set(user=author, topic=Topic.MY_REPLIES, delivery=Delivery.DAILY)
    comment = make_comment(statement, author=author, approve_by=moderator)
    mail.outbox.clear()
    make_comment(statement, parent=comment, body="A reply that agrees with you.", approve_by=moderator)
    services.response_post(comment=comment, moderator=moderator, government="US", body="Noted.", language="en")
    assert [message.subject for message in to(author)] == [
        f"[North American Dialogue Portal] Official response to your comment {comment.tracking_number}"
    ], "the response right away (the default), the reply in the digest"
    notifications.sweep(digests=True)
    assert "replied to your comment" in to(author)[-1].body


def test_notify_statement_followers_announces_the_outcome_report(outbox, django_assert_num_queries):
    """The lead's hook for "what we heard": one call tells every follower, in a constant number of queries."""
    statement = make_statement()
    followers = [make_user() for _number in range(2)]
    for user in followers:
        follow(user, statement)
    follow(make_user(), statement, Delivery.DAILY)
    link = ("priorities:statement-detail", [statement.slug])
    with django_assert_num_queries(2):  # the followers; the digest's notices (the emails are not queries here)
        sent = notifications.notify_statement_followers(statement, Notice.Event.OUTCOME_PUBLISHED, link=link)
    assert sent == 2
    for user in followers:
        [message] = to(user)
        assert "What we heard" in message.subject
    for _number in range(5):
        follow(make_user(), statement)
    with django_assert_num_queries(2):
        assert notifications.notify_statement_followers(statement, Notice.Event.OUTCOME_PUBLISHED, link=link) == 7


# --- Unsubscribing -------------------------------------------------------------------------------


def _followed_and_emailed(statement):
    follower = make_user(preferred_language="fr")
    follow(follower, statement)
    make_comment(statement, approve_by=make_moderator())
    [message] = to(follower)
    return follower, message


def test_unsubscribe_from_the_link_without_signing_in(outbox):
    statement = make_statement()
    follower, message = _followed_and_emailed(statement)
    path = unsubscribe_url(message)
    assert path in message.body, "the same link in the text"
    anonymous = Client(enforce_csrf_checks=True)
    page = anonymous.get(path)
    assert (page.status_code == 200 and "Stop these emails" in page.text) or "Ne plus recevoir" in page.text
    assert Subscription.objects.get(user=follower).delivery == Delivery.IMMEDIATE, "GET only asks"
    assert follower.email not in page.text
    assert anonymous.post(path).status_code == 200
    assert Subscription.objects.get(user=follower).delivery == Delivery.OFF
    mail.outbox.clear()
    make_comment(statement, approve_by=make_moderator())
    assert to(follower) == []


def test_one_click_unsubscribe_from_the_header_rfc_8058(outbox):
    """A mail client POSTs List-Unsubscribe=One-Click to the header's address: no cookie, no CSRF token."""
    statement = make_statement()
    follower, message = _followed_and_emailed(statement)
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        unsubscribe_url(message), "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert Subscription.objects.get(user=follower).delivery == Delivery.OFF


def test_a_tampered_link_is_refused(outbox):
    statement = make_statement()
    follower, message = _followed_and_emailed(statement)
    path = unsubscribe_url(message)
    token = path.rstrip("/").rsplit("/", 1)[1]
    # Someone else's id in the signed part, with the original signature; the signature altered; no token.
    payload = json.dumps([make_user().pk, "statement", statement.pk], separators=(",", ":")).encode()
    forged = signing.b64_encode(payload).decode() + ":" + token.partition(":")[2]
    altered = token[:-1] + ("A" if token[-1] != "A" else "B")
    for bad in (forged, altered, "not-a-token"):
        assert bad != token
        bad_path = path.replace(token, bad)
        assert Client().get(bad_path).status_code == 400
        assert Client().post(bad_path, "List-Unsubscribe=One-Click", content_type="text/plain").status_code == 400
    assert Subscription.objects.get(user=follower).delivery == Delivery.IMMEDIATE


def test_the_digest_link_stops_every_daily_digest(outbox):
    statement = make_statement()
    follower = make_user()
    follow(follower, statement, Delivery.DAILY)
    follow(follower, make_statement(), Delivery.IMMEDIATE)
    make_comment(statement, approve_by=make_moderator())
    notifications.sweep(digests=True)
    [digest] = to(follower)
    Client().post(unsubscribe_url(digest))
    assert sorted(Subscription.objects.filter(user=follower).values_list("delivery", flat=True)) == [
        "immediate",
        "off",
    ]


def test_a_reply_email_unsubscribes_from_replies_only(outbox):
    statement = make_statement()
    moderator = make_moderator()
    author = make_user()
    comment = make_comment(statement, author=author, approve_by=moderator)
    mail.outbox.clear()
    make_comment(statement, parent=comment, approve_by=moderator)
    [reply_email] = to(author)
    assert "New reply" in reply_email.subject
    Client().post(unsubscribe_url(reply_email))
    assert dict(Subscription.objects.filter(user=author).values_list("topic", "delivery")) == {"my_replies": "off"}


# --- Moderators' prompts ----------------------------------------------------------------------------


def test_moderators_prompted_once_for_comments_waiting_within_the_interval(outbox, settings):
    settings.MODERATION_PROMPT_MINUTES = 30
    statement = make_statement()
    moderator = make_moderator(preferred_language="fr")
    other = make_moderator()
    for _number in range(3):
        make_comment(statement)
    assert to(moderator) == [], "no prompt from the submission itself: the sweep sends it"
    now = timezone.now()
    assert notifications.sweep(now=now).prompts == 2, "one prompt each"
    [prompt] = to(moderator)
    assert_portal_voice(prompt, "fr", addresses_the_reader=False)
    assert "3" in prompt.subject and "/fr/moderation/" in prompt.body
    assert prompt.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    make_comment(statement)
    assert notifications.sweep(now=now + datetime.timedelta(minutes=10)).prompts == 0, "within the interval"
    assert notifications.sweep(now=now + datetime.timedelta(minutes=31)).prompts == 2, "the new one, after it"
    assert notifications.sweep(now=now + datetime.timedelta(minutes=90)).prompts == 0, "nothing new waits"
    assert len(to(moderator)) == 2 and len(to(other)) == 2


def test_a_moderator_can_stop_the_prompts(outbox):
    moderator = make_moderator()
    make_comment(make_statement())
    notifications.sweep()
    [prompt] = to(moderator)
    Client().post(unsubscribe_url(prompt))
    make_comment(make_statement())
    notifications.sweep(now=timezone.now() + datetime.timedelta(hours=2))
    assert len(to(moderator)) == 1


# --- The published record's changes -----------------------------------------------------------------


def test_followers_told_when_the_period_is_extended_shortened_or_closed(outbox, settings):
    settings.NOTIFICATION_SETTLE_SECONDS = 0
    statement = make_statement()
    follower = make_user(preferred_language="fr")
    follow(follower, statement)
    publisher = make_publisher()
    notifications.sweep()  # the first sweep starts the clock
    later = statement.comments_close_at + datetime.timedelta(days=7)
    comment_period_change(statement=statement, by=publisher, opens_at=statement.comments_open_at, closes_at=later)
    notifications.sweep()
    [extended] = to(follower)
    assert_portal_voice(extended, "fr")
    assert "prolongée" in extended.subject, extended.subject
    assert "(Ottawa)" in extended.body

    soon = timezone.now() + datetime.timedelta(minutes=5)
    comment_period_change(statement=statement, by=publisher, opens_at=statement.comments_open_at, closes_at=soon)
    notifications.sweep()
    assert "écourtée" in to(follower)[-1].subject

    notifications.sweep(now=soon + datetime.timedelta(minutes=1))
    assert "terminée" in to(follower)[-1].subject
    assert len(to(follower)) == 3
    notifications.sweep(now=soon + datetime.timedelta(minutes=2))
    assert len(to(follower)) == 3, "announced once"


def test_a_change_is_announced_once_it_has_settled(outbox):
    """The sweep looks NOTIFICATION_SETTLE_SECONDS back, so a change committed just after it was dated is seen."""
    statement = make_statement()
    follower = make_user()
    follow(follower, statement)
    notifications.sweep()
    later = statement.comments_close_at + datetime.timedelta(days=7)
    comment_period_change(
        statement=statement, by=make_publisher(), opens_at=statement.comments_open_at, closes_at=later
    )
    notifications.sweep()
    assert to(follower) == [], "not yet settled"
    notifications.sweep(now=timezone.now() + datetime.timedelta(minutes=2))
    assert len(to(follower)) == 1


def test_priority_followers_told_of_a_new_statement(outbox, settings):
    settings.NOTIFICATION_SETTLE_SECONDS = 0
    priority = Priority.objects.get(slug="competitiveness")
    follower = make_user()
    services.subscription_set(user=follower, topic=Topic.PRIORITY, priority=priority, delivery=Delivery.IMMEDIATE)
    notifications.sweep()
    statement = make_statement(
        title_en="A new joint statement", published_at=timezone.now() + datetime.timedelta(minutes=1)
    )
    assert to(follower) == []
    notifications.sweep(now=timezone.now() + datetime.timedelta(minutes=2))
    [message] = to(follower)
    assert "A new joint statement" in message.subject and statement.slug in message.body
    assert re.search(r"priority “Competitiveness”", message.body)


# --- The outbox carries the headers ---------------------------------------------------------------


def test_the_outbox_keeps_the_unsubscribe_headers_to_the_sent_message(settings):
    settings.EMAIL_BACKEND = "outbox.backends.OutboxBackend"
    settings.OUTBOX_DELIVERY_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    statement = make_statement()
    follower = make_user()
    follow(follower, statement)
    make_comment(statement, approve_by=make_moderator())
    delivery.send_due()
    [message] = to(follower)
    sent = message.message()
    assert sent["List-Unsubscribe"].startswith("<http://testserver/en/dialogue/unsubscribe/")
    assert sent["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_my_data_lists_what_i_follow(client):
    user = make_user()
    statement = make_statement()
    follow(user, statement, Delivery.DAILY)
    client.force_login(user)
    data = client.get("/en/accounts/my-data/export/").json()
    assert data["subscriptions"][0]["statement"] == statement.slug
    assert data["subscriptions"][0]["email"] == "daily"


# --- The two profile boxes became subscriptions, choices kept ---------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_keeps_each_persons_choice():
    """Who had unticked "email me when a reply…" or "…an official response" keeps that email off."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before, after = [("dialogue", "0013_comment_statement_version")], [("dialogue", "0014_subscriptions")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    User, Stakeholder = old.get_model("auth", "User"), old.get_model("dialogue", "Stakeholder")
    people = {}
    for name, replies, responses in (("both", True, True), ("no-replies", False, True), ("none", False, False)):
        user = User.objects.create(username=name, email=f"{name}@example.org")
        Stakeholder.objects.create(user=user, display_name=name, notify_replies=replies, notify_responses=responses)
        people[name] = user.pk
    executor = MigrationExecutor(connection)
    executor.migrate(after)
    chosen = {
        (user_id, topic): delivery
        for user_id, topic, delivery in Subscription.objects.values_list("user_id", "topic", "delivery")
    }
    assert chosen == {
        (people["no-replies"], "my_replies"): "off",
        (people["none"], "my_replies"): "off",
        (people["none"], "my_responses"): "off",
    }, "no row is the default: on, right away"

    executor = MigrationExecutor(connection)
    executor.migrate(before)  # and back: the boxes as they were
    old = executor.loader.project_state(before).apps
    boxes = {
        row[0]: row[1:]
        for row in old.get_model("dialogue", "Stakeholder").objects.values_list(
            "user__username", "notify_replies", "notify_responses"
        )
    }
    assert boxes == {"both": (True, True), "no-replies": (False, True), "none": (False, False)}
    MigrationExecutor(connection).migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def test_send_notifications_command_sends_the_digests_and_says_what_waits(outbox, capsys):
    from django.core.management import call_command

    statement = make_statement()
    follower = make_user()
    follow(follower, statement, Delivery.DAILY)
    make_comment(statement, approve_by=make_moderator())
    call_command("send_notifications", "--dry-run")
    assert "1 notice(s) wait for the digests of 1 person(s)." in capsys.readouterr().out
    assert to(follower) == []
    call_command("send_notifications", "--digests")
    assert "digests: 1." in capsys.readouterr().out
    assert len(to(follower)) == 1
