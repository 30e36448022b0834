"""Stakeholders comment on statements, priorities and directives; every submission waits for a moderator."""

import datetime
import gzip
import re
import threading
from html.parser import HTMLParser

import pytest
from django.core import mail
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from dialogue import services
from dialogue.models import Comment, ModerationEvent
from dialogue.text import fingerprint
from dialogue.threads import COMMENTS_PER_PAGE, REPLIES_PER_THREAD, THREADS_PER_PAGE, thread_pages
from pagecache.cache import invalidate_public_pages
from priorities.models import CommentPeriodChange, Statement

from .factories import make_comment, make_publisher, make_statement, make_user
from .pages import section, visible_text

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("generous_rate_limit")]

BODY = "Border wait times at Windsor still cost our members a full day each week."


@pytest.fixture
def statement():
    return make_statement(title_en="Statement open for comment")


@pytest.fixture
def stakeholder():
    return make_user("dana@example.ca", display_name="Dana", organisation="Canadian Manufacturers Forum")


def comment_url(statement):
    return f"/en/dialogue/statements/{statement.slug}/comment/"


class TestSubmitting:
    def test_submit_then_receipt_then_pending_visible_only_to_the_author(
        self, client, statement, stakeholder, django_capture_on_commit_callbacks
    ):
        client.force_login(stakeholder)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(comment_url(statement), {"about": "", "body": BODY, "language": "en"})
        comment = Comment.objects.get()
        assert response.status_code == 302
        assert response["Location"] == f"/en/dialogue/receipt/{comment.tracking_number}/"
        assert re.fullmatch(r"SPP-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}", comment.tracking_number)
        assert comment.status == Comment.Status.PENDING

        receipt = client.get(response["Location"])
        assert "Thank you. Your comment was received and awaits moderation." in receipt.text
        assert comment.tracking_number in receipt.text
        assert comment.fingerprint in receipt.text
        assert "Awaiting moderation" in receipt.text

        assert len(mail.outbox) == 1
        email = mail.outbox[0]
        assert email.to == ["dana@example.ca"]
        assert comment.tracking_number in email.subject
        assert comment.fingerprint in email.body and BODY in email.body
        assert not email.alternatives, "plain-text email"

        page = client.get(statement.get_absolute_url())
        assert "Your comments awaiting moderation" in page.text and comment.tracking_number in page.text
        client.logout()
        public = client.get(statement.get_absolute_url())
        assert BODY not in public.text and comment.tracking_number not in public.text
        assert "1 comment awaiting moderation." in public.text
        client.force_login(make_user())
        assert BODY not in client.get(statement.get_absolute_url()).text

    def test_fingerprint_is_sha256_of_the_exact_text(self, statement, stakeholder):
        import hashlib

        comment = make_comment(statement, author=stakeholder, body="Line one\r\nLine two")
        assert comment.body == "Line one\nLine two"
        assert comment.fingerprint == hashlib.sha256(b"Line one\nLine two").hexdigest()

    def test_comment_on_a_directive(self, client, statement, stakeholder):
        directive = statement.directives.first()
        client.force_login(stakeholder)
        form = client.get(f"{comment_url(statement)}?about=directive:{directive.pk}")
        assert f'value="directive:{directive.pk}" selected' in form.text
        client.post(comment_url(statement), {"about": f"directive:{directive.pk}", "body": BODY, "language": "fr"})
        comment = Comment.objects.get()
        assert (comment.directive, comment.priority, comment.language) == (directive, directive.priority, "fr")

    def test_language_defaults_to_the_page_language(self, client, statement, stakeholder):
        client.force_login(stakeholder)
        response = client.get(f"/es/dialogue/statements/{statement.slug}/comment/")
        assert '<option value="es" selected>' in response.text

    def test_anonymous_visitor_is_invited_to_sign_in_and_returns_to_the_same_place(self, client, statement):
        response = client.get(statement.get_absolute_url())
        assert "Sign in to take part" in response.text
        assert f"/en/accounts/login/?next={statement.get_absolute_url()}%23take-part" in response.text
        assert client.post(comment_url(statement), {"body": BODY}).status_code == 302
        assert not Comment.objects.exists()

    def test_tracking_numbers_retry_on_collision(self, statement, stakeholder, monkeypatch):
        """A number already in the database is refused by its unique constraint, and another one is drawn."""
        numbers = iter(["SPP-AAAA-AAAA", "SPP-AAAA-AAAA", "SPP-AAAA-AAAA", "SPP-BBBB-BBBB"])
        monkeypatch.setattr(services, "generate_tracking_number", lambda: next(numbers))
        first = make_comment(statement, author=stakeholder)
        second = make_comment(statement, author=stakeholder)
        assert (first.tracking_number, second.tracking_number) == ("SPP-AAAA-AAAA", "SPP-BBBB-BBBB")
        assert next(numbers, None) is None, "each colliding draw was tried, and refused, before the free one"
        assert ModerationEvent.objects.filter(action="submit", comment__author=stakeholder).count() == 2

    def test_when_every_draw_collides_the_stakeholder_is_told_and_keeps_the_text(
        self, client, statement, stakeholder, monkeypatch
    ):
        taken = make_comment(statement)
        monkeypatch.setattr(services, "generate_tracking_number", lambda: taken.tracking_number)
        client.force_login(stakeholder)
        response = client.post(comment_url(statement), {"about": "", "body": BODY, "language": "en"})
        assert response.status_code == 400
        assert "could not issue a tracking number" in response.text and BODY in response.text
        assert not Comment.objects.filter(author=stakeholder).exists()


class TestCommentPeriod:
    def test_a_submission_one_second_after_the_close_is_refused(self, statement, stakeholder):
        with pytest.raises(services.CommentPeriodClosed):
            services.comment_submit(
                author=stakeholder,
                statement=statement,
                body=BODY,
                language="en",
                at=statement.comments_close_at + datetime.timedelta(seconds=1),
            )
        services.comment_submit(
            author=stakeholder,
            statement=statement,
            body=BODY,
            language="en",
            at=statement.comments_close_at - datetime.timedelta(seconds=1),
        )

    def test_closed_period_refusal_keeps_the_text(self, client, statement, stakeholder):
        client.force_login(stakeholder)
        form = client.get(comment_url(statement))
        assert form.status_code == 200
        statement.comments_close_at = timezone.now() - datetime.timedelta(seconds=1)
        statement.save()
        response = client.post(comment_url(statement), {"about": "", "body": BODY, "language": "en"})
        assert response.status_code == 400
        assert "The comment period for this statement is closed." in response.text
        assert BODY in response.text
        assert not Comment.objects.exists()

    def test_before_and_after_the_period_the_form_is_replaced_by_a_notice(self, client, statement, stakeholder):
        client.force_login(stakeholder)
        statement.comments_open_at = timezone.now() + datetime.timedelta(days=1)
        statement.comments_close_at = timezone.now() + datetime.timedelta(days=2)
        statement.save()
        page = client.get(statement.get_absolute_url())
        assert 'id="comment-form"' not in page.text
        assert "The comment period has not opened yet." in page.text
        assert "Not open yet" in visible_text(page.text)
        statement.comments_open_at = timezone.now() - datetime.timedelta(days=2)
        statement.comments_close_at = timezone.now() - datetime.timedelta(days=1)
        statement.save()
        invalidate_public_pages()  # as the admin does when a publisher changes the period
        page = client.get(statement.get_absolute_url())
        assert 'id="comment-form"' not in page.text
        assert "Comments closed" in visible_text(page.text)
        assert "This statement is not open for comments." in page.text

    def test_closing_time_is_shown_in_the_three_capitals(self, client, statement):
        statement.comments_close_at = datetime.datetime(2026, 7, 1, 16, 0, tzinfo=datetime.UTC)
        statement.comments_open_at = statement.comments_close_at - datetime.timedelta(days=300)
        statement.save()
        page = visible_text(client.get(statement.get_absolute_url()).text)
        assert (
            "Closing time July 1, 2026: Ottawa noon (UTC-4), Mexico City 10 a.m. (UTC-6), Washington noon (UTC-4)"
            in page
        )

    def test_publisher_extends_the_period_and_the_extension_is_recorded_and_shown(self, client, statement):
        publisher = make_publisher()
        client.force_login(publisher)
        previous = statement.comments_close_at
        new_close = previous.replace(microsecond=0) + datetime.timedelta(days=14)
        post_admin_change(statement, client, comments_close_at=new_close)
        extension = CommentPeriodChange.objects.get(statement=statement)
        assert (extension.previous_close, extension.new_close) == (previous, new_close)
        client.logout()
        assert "Extended on" in client.get(statement.get_absolute_url()).text


def post_admin_change(statement, client, *, comments_close_at):
    """Post the statement's admin form as it was rendered, with only the closing time changed."""
    response = client.get(f"/admin/priorities/statement/{statement.pk}/change/")
    form = response.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if hasattr(value, "all"):
            value = [obj.pk for obj in value.all()]
        if isinstance(value, list):
            data[name] = [str(v.pk if hasattr(v, "pk") else v) for v in value]
        elif isinstance(value, datetime.datetime):
            data[f"{name}_0"], data[f"{name}_1"] = value.strftime("%Y-%m-%d"), value.strftime("%H:%M:%S")
        elif value is not None:
            data[name] = value
    close = comments_close_at
    data["comments_close_at_0"], data["comments_close_at_1"] = close.strftime("%Y-%m-%d"), close.strftime("%H:%M:%S")
    for formset in response.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        prefix = formset.formset.prefix
        for name in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS"):
            data[f"{prefix}-{name}"] = management.initial.get(name, management[name].value())
        for index, inline in enumerate(formset.formset.forms):
            for name, field in inline.fields.items():
                value = inline.initial.get(name, field.initial)
                if value is not None:
                    data[f"{prefix}-{index}-{name}"] = getattr(value, "pk", value)
        data[f"{prefix}-TOTAL_FORMS"] = len(formset.formset.initial_forms)
    response = client.post(f"/admin/priorities/statement/{statement.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response


def parsed_elements(html):
    """(tag, attributes) of every element in an HTML fragment, as a browser's parser would see them."""
    from html.parser import HTMLParser

    found = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, attrs))

    Collector().feed(html)
    return found


HOSTILE = [
    "<script>alert('x')</script> and some words to pass the minimum",
    "Click [here](javascript:alert(1)) or javascript:alert(2) for details",
    "Template {{ request.user.email }} and {% debug %} and {% load static %}",
    '<img src=x onerror="alert(1)"> an image that is not one',
    "![tracking pixel](https://evil.example/pixel.png) markdown image here",
    '<a href="https://example.org" onclick="steal()">a link</a> with handler',
]


class TestHostileBodies:
    @pytest.mark.parametrize("body", HOSTILE)
    def test_rendered_inert(self, client, statement, moderator, body):
        comment = make_comment(statement, body=body, approve_by=moderator)
        html = client.get(statement.get_absolute_url()).text
        start = html.index(f'id="comment-{comment.tracking_number}"')
        fragment = html[start : html.index("</article>", start)]
        elements = parsed_elements(fragment)
        assert not {"script", "img", "iframe"} & {tag for tag, _attrs in elements}
        for _tag, attrs in elements:
            assert not [name for name, _value in attrs if name.startswith("on")]
            assert not [value for name, value in attrs if name == "href" and "javascript" in (value or "").lower()]
        if "{{" in body:
            assert "{{ request.user.email }}" in fragment, "template syntax is shown as typed"
            assert "{% debug %}" in fragment

    def test_links_are_safe_links(self, client, statement, moderator):
        comment = make_comment(statement, body="Read https://www.example.org/report please.", approve_by=moderator)
        html = client.get(statement.get_absolute_url()).text
        start = html.index(f'id="comment-{comment.tracking_number}"')
        assert 'href="https://www.example.org/report" rel="nofollow ugc noopener"' in html[start:]

    @pytest.mark.parametrize(
        ("body", "message"),
        [
            ("x" * (Comment.BODY_MAX_LENGTH + 1), f"at most {Comment.BODY_MAX_LENGTH:,} characters"),
            ("short", f"at least {Comment.BODY_MIN_LENGTH} characters"),
            ("Null \x00 byte in a comment body", "Null characters are not allowed."),
            ("Right-to-left \u202eoverride hides text", "invisible control characters"),
            ("Zero width \u200b joiner in the body", "invisible control characters"),
        ],
    )
    def test_refused_with_a_clear_message_and_the_text_kept(self, client, statement, stakeholder, body, message):
        client.force_login(stakeholder)
        response = client.post(comment_url(statement), {"about": "", "body": body, "language": "en"})
        assert response.status_code == 400
        assert message in response.text
        if "\x00" not in body:
            assert body[:40].replace("'", "&#x27;") in response.text
        assert not Comment.objects.exists()

    def test_the_longest_comment_allowed_is_accepted(self, client, statement, stakeholder):
        client.force_login(stakeholder)
        body = "y" * Comment.BODY_MAX_LENGTH
        response = client.post(comment_url(statement), {"about": "", "body": body, "language": "en"})
        assert response.status_code == 302
        assert Comment.objects.get(author=stakeholder).body == body

    @pytest.mark.parametrize(
        ("language", "limits"), [("en", "10 to 5,000 characters"), ("fr", "10 à 5\xa0000 caractères")]
    )
    def test_the_form_states_the_limits_in_the_readers_language(self, client, statement, stakeholder, language, limits):
        """The help text and the browser's maxlength come from the same constant as the check."""
        client.force_login(stakeholder)
        html = client.get(f"/{language}/dialogue/statements/{statement.slug}/comment/").text
        assert limits in html
        assert f'maxlength="{Comment.BODY_MAX_LENGTH}"' in html


class TestAbuseLimits:
    def test_rate_limit_refuses_with_the_text_kept(self, client, statement, stakeholder, settings):
        settings.COMMENT_RATE_LIMIT = (5, 600)
        client.force_login(stakeholder)
        for number in range(5):
            response = client.post(
                comment_url(statement), {"about": "", "body": f"{BODY} ({number})", "language": "en"}
            )
            assert response.status_code == 302
        response = client.post(comment_url(statement), {"about": "", "body": f"{BODY} (6)", "language": "en"})
        assert response.status_code == 429
        assert "the most the portal accepts" in response.text
        assert f"{BODY} (6)" in response.text
        assert Comment.objects.count() == 5

    def test_exact_duplicate_is_refused(self, client, statement, stakeholder):
        client.force_login(stakeholder)
        client.post(comment_url(statement), {"about": "", "body": BODY, "language": "en"})
        response = client.post(comment_url(statement), {"about": "", "body": BODY, "language": "en"})
        assert response.status_code == 400
        assert "You have already submitted exactly this comment on this statement." in response.text
        assert Comment.objects.count() == 1
        # The same words from someone else are their own comment.
        make_comment(statement, body=BODY)
        assert Comment.objects.count() == 2

    def test_replies_nest_three_levels_then_attach_to_the_deepest(self, statement, moderator):
        top = make_comment(statement, approve_by=moderator)
        one = make_comment(statement, parent=top, approve_by=moderator)
        two = make_comment(statement, parent=one, approve_by=moderator)
        three = make_comment(statement, parent=two, approve_by=moderator)
        four = make_comment(statement, parent=three)
        assert [c.depth for c in (top, one, two, three)] == [0, 1, 2, 3]
        assert (four.depth, four.parent) == (3, two)
        assert {c.thread_id for c in (top, one, two, three, four)} == {top.pk}

    def test_the_database_refuses_a_reply_deeper_than_the_service_allows(self, statement, moderator):
        """The CheckConstraint reads the same MAX_DEPTH as the service: one level deeper is refused."""
        comment = make_comment(statement, approve_by=moderator)
        Comment.objects.filter(pk=comment.pk).update(depth=Comment.MAX_DEPTH)
        with pytest.raises(IntegrityError), transaction.atomic():
            Comment.objects.filter(pk=comment.pk).update(depth=Comment.MAX_DEPTH + 1)

    def test_replies_only_to_published_comments(self, statement):
        pending = make_comment(statement)
        with pytest.raises(services.NotAllowed):
            make_comment(statement, parent=pending)


class TestMySubmissions:
    def test_lists_status_tracking_and_rejection_reason(self, client, statement, stakeholder, moderator):
        pending = make_comment(statement, author=stakeholder)
        rejected = make_comment(statement, author=stakeholder, body="An off-topic remark about football.")
        services.comment_reject(
            comment=rejected, seen=rejected.fingerprint, moderator=moderator, reason="off_topic", note="Stay on topic."
        )
        client.force_login(stakeholder)
        page = client.get("/en/dialogue/mine/").text
        assert pending.tracking_number in page and rejected.tracking_number in page
        assert "Awaiting moderation" in page and "Rejected" in page and "1. Off-topic" in page
        receipt = client.get(f"/en/dialogue/receipt/{rejected.tracking_number}/").text
        assert "Stay on topic." in receipt

    def test_edit_pending_records_the_edit_and_follows_the_fingerprint(self, client, statement, stakeholder):
        comment = make_comment(statement, author=stakeholder)
        old = comment.fingerprint
        client.force_login(stakeholder)
        response = client.post(f"/en/dialogue/comments/{comment.tracking_number}/edit/", {"body": BODY})
        assert response.status_code == 302
        comment.refresh_from_db()
        assert comment.body == BODY and comment.fingerprint == fingerprint(BODY) != old
        assert comment.edited_at is not None
        assert ModerationEvent.objects.filter(comment=comment, action="edit", note__contains=old).exists()

    def test_withdraw_pending(self, client, statement, stakeholder):
        comment = make_comment(statement, author=stakeholder)
        client.force_login(stakeholder)
        assert client.get(f"/en/dialogue/comments/{comment.tracking_number}/withdraw/").status_code == 200
        client.post(f"/en/dialogue/comments/{comment.tracking_number}/withdraw/")
        comment.refresh_from_db()
        assert comment.status == Comment.Status.WITHDRAWN

    def test_decided_comments_cannot_be_edited_or_withdrawn(self, client, statement, stakeholder, moderator):
        comment = make_comment(statement, author=stakeholder, approve_by=moderator)
        client.force_login(stakeholder)
        response = client.post(f"/en/dialogue/comments/{comment.tracking_number}/edit/", {"body": BODY})
        assert response.status_code == 400
        assert "Only a comment awaiting moderation can be edited." in response.text
        client.post(f"/en/dialogue/comments/{comment.tracking_number}/withdraw/")
        comment.refresh_from_db()
        assert comment.status == Comment.Status.APPROVED and comment.body != BODY

    def test_another_stakeholder_cannot_read_my_receipt_or_touch_my_comment(self, client, statement, stakeholder):
        comment = make_comment(statement, author=stakeholder)
        client.force_login(make_user())
        for path in ("receipt/{}/", "comments/{}/edit/", "comments/{}/withdraw/"):
            assert client.get(f"/en/dialogue/{path.format(comment.tracking_number)}").status_code == 404
        client.post(f"/en/dialogue/comments/{comment.tracking_number}/withdraw/")
        comment.refresh_from_db()
        assert comment.status == Comment.Status.PENDING

    def test_anonymous_is_sent_to_sign_in(self, client, statement, stakeholder):
        comment = make_comment(statement, author=stakeholder)
        response = client.get(f"/en/dialogue/receipt/{comment.tracking_number}/")
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


class TestReading:
    def test_threads_with_author_details_and_hidden_placeholders(self, client, statement, moderator):
        author = make_user(display_name="Ana", country="MX", sector="labour", organisation="CTM")
        top = make_comment(
            statement, author=author, approve_by=moderator, language="es", body="Primer comentario aquí."
        )
        reply = make_comment(statement, parent=top, approve_by=moderator, body="A reply that stays readable.")
        services.comment_hide(comment=top, seen=top.fingerprint, moderator=moderator, reason="abusive")
        html = client.get(statement.get_absolute_url()).text
        assert "Removed by moderation" in visible_text(section(html, f"comment-{top.tracking_number}"))
        assert "Primer comentario aquí." not in html
        assert "A reply that stays readable." in html
        services.comment_restore(comment=top, seen=top.fingerprint, moderator=moderator)
        html = client.get(statement.get_absolute_url()).text
        start = html.index(f'id="comment-{top.tracking_number}"')
        article = html[start:]
        assert "Ana" in article and "Mexico" in article and "Labour" in article and "CTM" in article
        assert article.index("Primer comentario") < article.index(reply.tracking_number)

    def test_paginated_by_thread_with_replies_kept_together(self, client, statement, moderator):
        threads = [
            make_comment(statement, approve_by=moderator, body=f"Thread number {n:02d} here.")
            for n in range(THREADS_PER_PAGE + 1)
        ]
        last = f"Thread number {THREADS_PER_PAGE:02d}"
        reply = make_comment(statement, parent=threads[-1], approve_by=moderator, body="Reply to the last thread.")
        first = client.get(statement.get_absolute_url()).text
        second = client.get(f"{statement.get_absolute_url()}?page=2").text
        assert "Thread number 00" in first and last not in first
        assert last in second and "Reply to the last thread." in second
        assert reply.tracking_number not in first
        newest = client.get(f"{statement.get_absolute_url()}?order=newest").text
        assert newest.index(last) < newest.index(f"Thread number {THREADS_PER_PAGE - 1:02d}")

    def test_filter_by_language(self, client, statement, moderator):
        make_comment(statement, approve_by=moderator, language="fr", body="Un commentaire en français.")
        make_comment(statement, approve_by=moderator, language="en", body="A comment in English here.")
        html = client.get(f"{statement.get_absolute_url()}?lang=fr").text
        assert "Un commentaire en français." in html and "A comment in English here." not in html

    def test_verify_a_published_comment(self, client, statement, moderator):
        comment = make_comment(statement, approve_by=moderator, body="Verifiable words, exactly.")
        ok = client.get("/en/dialogue/verify/", {"tracking_number": comment.tracking_number, "text": comment.body})
        assert "The text matches comment" in ok.text
        bad = client.get("/en/dialogue/verify/", {"tracking_number": comment.tracking_number, "text": "Other words"})
        assert "does not match" in bad.text
        pending = make_comment(statement, body="Not yet published words.")
        unknown = client.get("/en/dialogue/verify/", {"tracking_number": pending.tracking_number, "text": "x"})
        assert "No published comment has this tracking number." in unknown.text

    def test_a_withdrawn_statement_takes_its_conversation_with_it(self, client, statement, stakeholder, moderator):
        """Published means on a published statement too: verification, reports, replies and feeds all agree."""
        comment = make_comment(statement, approve_by=moderator, body="Words on a statement soon withdrawn.")
        assert comment.body in client.get("/en/").text
        Statement.objects.filter(pk=statement.pk).update(status=Statement.Status.WITHDRAWN)
        invalidate_public_pages()
        verify = client.get("/en/dialogue/verify/", {"tracking_number": comment.tracking_number, "text": comment.body})
        assert "No published comment has this tracking number." in verify.text
        assert comment.body not in client.get("/en/").text
        client.force_login(stakeholder)
        assert client.get(f"/en/dialogue/comments/{comment.tracking_number}/report/").status_code == 404
        assert client.get(f"/en/dialogue/comments/{comment.tracking_number}/reply/").status_code == 404


class ElementCounter(HTMLParser):
    elements = 0

    def handle_starttag(self, tag, attrs):
        self.elements += 1


def seed_thread_comments(statement, count):
    """`count` approved comments in threads (replies up to the deepest level), by seed_demo's bulk seeder."""
    from dialogue.demo import CommentSeeder

    seeder = CommentSeeder(statement, say=lambda message: None)
    # The same conversation whichever tests ran before (a slug's number depends on them): the
    # first-view test measures a typical first page, not whatever thread sizes the order gave.
    seeder.rng.seed(f"thread-comments:{Comment.objects.filter(statement=statement).count()}")
    seeder.seed(count, 0, kind="approved")


class TestSupport:
    """A stakeholder supports a published comment once, can withdraw it; only the count is ever shown."""

    def test_support_once_withdraw_and_the_count_follows(self, client, statement, stakeholder, moderator):
        comment = make_comment(statement, body="A comment worth supporting, about border waits.", approve_by=moderator)
        client.force_login(stakeholder)
        page = client.get(f"/en/dialogue/comments/{comment.tracking_number}/support/")
        assert page.status_code == 200 and "Support this comment" in page.text
        assert client.post(f"/en/dialogue/comments/{comment.tracking_number}/support/").status_code == 302
        comment.refresh_from_db()
        assert comment.support_count == 1
        # Supporting twice counts once (the service, whatever the page offers).
        services.comment_support(comment=comment, supporter=stakeholder)
        comment.refresh_from_db()
        assert comment.support_count == 1
        shown = client.get(statement.get_absolute_url()).text
        assert "Support (1)" in shown and "1 participant supports this comment" in shown
        again = client.get(f"/en/dialogue/comments/{comment.tracking_number}/support/")
        assert "Withdraw my support" in again.text
        client.post(f"/en/dialogue/comments/{comment.tracking_number}/support/")
        comment.refresh_from_db()
        assert comment.support_count == 0

    def test_only_published_comments_by_others_and_only_when_signed_in(self, client, statement, stakeholder, moderator):
        pending = make_comment(statement, body="Still waiting for a moderator here.")
        own = make_comment(statement, author=stakeholder, body="My own published comment here.", approve_by=moderator)
        assert client.get(f"/en/dialogue/comments/{own.tracking_number}/support/").status_code == 302  # sign in
        client.force_login(stakeholder)
        assert client.get(f"/en/dialogue/comments/{pending.tracking_number}/support/").status_code == 404
        response = client.post(f"/en/dialogue/comments/{own.tracking_number}/support/", follow=True)
        assert "You cannot support your own comment." in response.text
        own.refresh_from_db()
        assert own.support_count == 0

    def test_sorting_by_support_puts_the_most_supported_first(self, client, statement, moderator):
        quiet = make_comment(statement, body="An early comment nobody supports.", approve_by=moderator)
        popular = make_comment(statement, body="A later comment many people support.", approve_by=moderator)
        for number in range(3):
            services.comment_support(comment=popular, supporter=make_user(f"s{number}@example.org"))
        html = client.get(statement.get_absolute_url() + "?order=support").text
        assert html.index(popular.tracking_number) < html.index(quiet.tracking_number)
        html = client.get(statement.get_absolute_url() + "?order=oldest").text
        assert html.index(quiet.tracking_number) < html.index(popular.tracking_number)

    def test_a_deleted_supporters_support_is_no_longer_counted(self, statement, moderator):
        comment = make_comment(statement, body="Supported, then the supporter leaves.", approve_by=moderator)
        leaving = make_user("leaving@example.org")
        services.comment_support(comment=comment, supporter=leaving)
        services.account_delete(user=leaving)
        comment.refresh_from_db()
        assert comment.support_count == 0


def test_each_reader_sees_only_their_own_pending_comments_on_each_statement(client, statement, moderator):
    """The pending list is compiled once per process (dialogue/precompiled.py): each request's own
    reader and statement are the ones asked for, in the order submitted, and nothing decided."""
    other_statement = make_statement()
    dana, eli = make_user(), make_user()
    first = make_comment(statement, author=dana, body="Dana's first comment, still waiting.")
    second = make_comment(statement, author=dana, body="Dana's second comment, still waiting.")
    make_comment(statement, author=dana, body="Dana's approved comment, public now.", approve_by=moderator)
    make_comment(other_statement, author=dana, body="Dana's comment on another statement.")
    elis = make_comment(statement, author=eli, body="Eli's comment, waiting too.")
    for reader, shown, hidden in ((dana, [first, second], [elis]), (eli, [elis], [first, second])):
        client.force_login(reader)
        html = client.get(statement.get_absolute_url()).text
        waiting = html.split("Your comments awaiting moderation")[1].split("</ul>")[0]
        assert [c.tracking_number for c in shown] == re.findall(r">(SPP-[A-Z0-9-]+)</a>", waiting)
        assert not any(c.tracking_number in waiting for c in hidden)
    client.force_login(dana)
    assert "Your comments awaiting moderation" in client.get(other_statement.get_absolute_url()).text
    client.force_login(make_user())
    assert "Your comments awaiting moderation" not in client.get(statement.get_absolute_url()).text


def test_a_precompiled_query_builds_instances_as_the_orm_does(statement, moderator):
    """PrecompiledQuery.objects() (the signed-in user on every request, a moderator's organisations, a
    submission's campaign candidates): the backend's conversions applied (an aware datetime, a
    boolean), only the selected fields loaded, annotations as attributes, each call with its own
    values; a queryset it cannot build instances for is refused rather than half-read."""
    from django.contrib.auth import get_user_model

    from dialogue.precompiled import PrecompiledQuery

    User = get_user_model()
    users = PrecompiledQuery(User, lambda user: User.objects.filter(pk=user), "user")
    dana, eli = make_user(), make_user()
    User.objects.filter(pk=eli.pk).update(is_active=False)
    [found] = users.objects(user=dana.pk)
    assert (found.pk, found.email, found.is_active) == (dana.pk, dana.email, True)
    assert found.date_joined == dana.date_joined and timezone.is_aware(found.date_joined)
    assert [user.is_active for user in users.objects(user=eli.pk)] == [False]
    assert users.objects(user=-1) == []

    comment = make_comment(statement, author=dana, body="Read back through a precompiled query.")
    bodies = PrecompiledQuery(Comment, lambda author: Comment.objects.filter(author_id=author).only("body"), "author")
    [read] = bodies.objects(author=dana.pk)
    assert (read.pk, read.body) == (comment.pk, comment.body)
    assert read.get_deferred_fields() >= {"status", "submitted_at"}, "only the selected fields were read"
    # An annotation is an attribute, converted as the ORM converts it (a boolean, not SQLite's 1 or 0).
    wrote = PrecompiledQuery(
        User,
        lambda user: User.objects.filter(pk=user).annotate(wrote=Exists(Comment.objects.filter(author=OuterRef("pk")))),
        "user",
    )
    assert [(user.pk, user.wrote) for user in wrote.objects(user=dana.pk)] == [(dana.pk, True)]
    assert [user.wrote for user in wrote.objects(user=eli.pk)] == [False]
    joined = PrecompiledQuery(
        Comment, lambda author: Comment.objects.filter(author_id=author).select_related("statement"), "author"
    )
    with pytest.raises(ValueError, match="own fields"):
        joined.objects(author=dana.pk)


def test_a_precompiled_query_takes_a_moment_and_a_text(statement):
    """Named values of other kinds than keys (a submission's checks: comments since a moment, a text's
    fingerprint): each call compares with its own moment, as the backend stores one, and its own text."""
    from dialogue.precompiled import PrecompiledQuery

    dana = make_user()
    earlier = make_comment(statement, author=dana, body="The first of two.")
    later = make_comment(statement, author=dana, body="The second of two.")
    Comment.objects.filter(pk=earlier.pk).update(submitted_at=timezone.now() - datetime.timedelta(hours=2))
    since = PrecompiledQuery(
        Comment,
        lambda author, moment, digest: Comment.objects.filter(author_id=author, submitted_at__gt=moment).exclude(
            fingerprint=digest
        ),
        "author",
        moment=datetime.datetime,
        digest=str,
    )
    hour_ago = timezone.now() - datetime.timedelta(hours=1)
    assert [c.pk for c in since.objects(author=dana.pk, moment=hour_ago, digest="none")] == [later.pk]
    day_ago = timezone.now() - datetime.timedelta(days=1)
    found = since.objects(author=dana.pk, moment=day_ago, digest="none")
    assert sorted(c.pk for c in found) == sorted([earlier.pk, later.pk])
    assert [c.pk for c in since.objects(author=dana.pk, moment=day_ago, digest=later.fingerprint)] == [earlier.pk]


class TestQueryCounts:
    """The statement page makes the same number of queries with 10 comments as with 1,000."""

    def count(self, client, statement):
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert client.get(statement.get_absolute_url()).status_code == 200
        return len(queries)

    def test_anonymous_statement_page(self, client, statement, settings):
        settings.PUBLIC_PAGE_CACHE_SECONDS = 0  # measure the rendering, not the page cache
        seed_thread_comments(statement, 10)
        small = self.count(client, statement)
        seed_thread_comments(statement, 990)
        assert Comment.objects.approved().count() == 1000
        assert Comment.objects.filter(depth__gt=0).count() > 300, "threads, not a flat list"
        # 12: the statement and its record (6, its official documents among them), the thread (4), the
        # counts the page shows (1: published and awaiting, per directive and priority) and the thread's
        # filters (directives; priorities: 1).
        assert self.count(client, statement) == small == 12

    def test_first_view_of_a_1000_comment_statement_is_light(self, client, statement, settings):
        """Under 1,500 elements and 100 kB compressed (issue 17); the rest is a plain "Load more comments" link."""
        settings.PUBLIC_PAGE_CACHE_SECONDS = 0
        seed_thread_comments(statement, 1000)
        html = client.get(statement.get_absolute_url()).text
        counter = ElementCounter()
        counter.feed(html)
        assert 200 < counter.elements < 1500
        assert len(gzip.compress(html.encode(), compresslevel=6)) < 100_000
        assert 1 <= html.count('<article class="comment depth-0"') <= THREADS_PER_PAGE
        assert html.count('<article class="comment ') <= COMMENTS_PER_PAGE or html.count("depth-0") == 1
        assert 'href="?page=2#comments" rel="next">Load more comments</a>' in html
        second = client.get(f"{statement.get_absolute_url()}?page=2").text
        assert second.count('<article class="comment depth-0"') >= 1
        assert not set(re.findall(r'id="comment-(SPP-[A-Z0-9-]+)"', html)) & set(
            re.findall(r'id="comment-(SPP-[A-Z0-9-]+)"', second)
        )

    def test_a_long_thread_shows_its_first_replies_and_a_link_to_all_of_them(self, client, statement, moderator):
        """One thread of 30 replies: the page shows the first REPLIES_PER_THREAD, in reading order, and a
        plain link to the thread alone, which shows every reply."""
        root = make_comment(statement, body="A thread that draws many replies.", approve_by=moderator)
        replies = [
            make_comment(statement, parent=root, body=f"Reply number {n} in the long thread.", approve_by=moderator)
            for n in range(REPLIES_PER_THREAD + 10)
        ]
        make_comment(statement, body="Another thread on the same page.", approve_by=moderator)
        html = client.get(statement.get_absolute_url()).text
        shown = [reply for reply in replies if f'id="comment-{reply.tracking_number}"' in html]
        assert shown == replies[:REPLIES_PER_THREAD]
        link = f'href="?thread={root.tracking_number}#comment-{root.tracking_number}"'
        assert link in html and f"Show all {len(replies)} replies" in html
        assert "Another thread on the same page." in html

        whole = client.get(statement.get_absolute_url(), {"thread": root.tracking_number}).text
        assert all(f'id="comment-{reply.tracking_number}"' in whole for reply in replies)
        assert "Another thread on the same page." not in whole and "Show all comments" in whole
        assert f"Show all {len(replies)} replies" not in whole

    def test_pages_hold_whole_threads_within_the_budget(self):
        sizes = [(1, 50), (2, 5), (3, 6), (4, 200), (5, 1), *[(n, 1) for n in range(6, 20)]]
        pages = thread_pages(sizes)
        assert pages[0] == [1, 2] and pages[1] == [3] and pages[2] == [4]
        assert all(len(page) <= THREADS_PER_PAGE for page in pages)
        assert [pk for page in pages for pk in page] == [pk for pk, _size in sizes]

    def test_signed_in_statement_page(self, client, statement, stakeholder, settings):
        settings.PUBLIC_PAGE_CACHE_SECONDS = 0
        seed_thread_comments(statement, 10)
        make_comment(statement, author=stakeholder)
        client.force_login(stakeholder)
        small = self.count(client, statement)
        seed_thread_comments(statement, 990)
        assert self.count(client, statement) == small


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL (CI runs it)")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_tracking_numbers_are_unique_under_concurrent_submissions():
    """Eight stakeholders submit at the same moment on separate connections; every number is different."""
    statement = make_statement()
    authors = [make_user() for _ in range(8)]
    barrier = threading.Barrier(len(authors))
    errors = []

    def submit(author):
        try:
            barrier.wait()
            services.comment_submit(author=author, statement=statement, body=BODY, language="en")
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    workers = [threading.Thread(target=submit, args=(author,)) for author in authors]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert not errors
    numbers = list(Comment.objects.values_list("tracking_number", flat=True))
    assert len(numbers) == len(set(numbers)) == 8
