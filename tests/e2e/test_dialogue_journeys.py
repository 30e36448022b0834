"""
Journeys (b) and (c): a new stakeholder signs up, verifies the email, signs in and comments on a
directive; a moderator signs in with a password and a TOTP code, approves that comment from the
queue (the public then sees it) and rejects another with a reason.
"""

import re
import time

import pytest
from django.core import mail
from playwright.sync_api import expect

from dialogue.models import Comment
from tests.factories import PASSWORD, make_comment, make_moderator, make_statement
from tests.test_accounts import confirmation_link, totp_code

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

EMAIL = "maria.lopez@example.mx"
NEW_PASSWORD = "Trilateral-dialogue-2008"
COMMENT = "Piracy hurts small exporters on both sides of the border; please publish yearly seizure figures."


def wait_for_email(count: int = 1, seconds: float = 5.0):
    """The live server sends mail from its own thread into the same locmem outbox."""
    deadline = time.monotonic() + seconds
    while len(mail.outbox) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(mail.outbox) >= count, "no email was sent"
    return mail.outbox[count - 1]


def sign_up_verify_and_comment(page, statement) -> str:
    """Journey (b) through the real forms; returns the tracking number the receipt shows."""
    page.goto("/en/")
    page.get_by_role("navigation", name="Your account").get_by_role("link", name="Sign up").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign Up")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label(re.compile(r"^\s*Password\W*$")).fill(NEW_PASSWORD)
    page.get_by_label("Password (again)").fill(NEW_PASSWORD)
    page.get_by_label("Display name").fill("María López")
    page.get_by_label("Country").select_option("MX")
    page.get_by_label("Sector").select_option("business")
    page.get_by_label("Organisation").fill("Exportadora del Norte")
    page.get_by_label("Preferred language").select_option("en")
    page.get_by_label("I have read and accept the terms of participation").check()
    page.get_by_role("button", name="Sign Up").click()
    expect(page).to_have_url(re.compile(r"/en/accounts/confirm-email/$"))

    page.goto(confirmation_link(wait_for_email()))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("alert").or_(page.get_by_role("status")).first).to_contain_text("confirmed")
    # Confirming signed her in; she signs out and back in as she will next time.
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("navigation", name="Your account").get_by_role("link", name="Sign in").click()
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    page.goto(statement.get_absolute_url())
    directive = statement.directives.order_by("priority__order", "order").first()
    page.locator(f"#directive-{directive.pk}").get_by_role("link", name="Comment on this directive").click()
    expect(page.get_by_label("What is your comment about?")).to_have_value(f"directive:{directive.pk}")
    page.get_by_role("textbox", name="Your comment").fill(COMMENT)
    page.get_by_role("button", name="Submit for moderation").click()

    expect(page).to_have_url(re.compile(r"/en/dialogue/receipt/[\w-]+/$"))
    expect(page.get_by_text("Thank you. Your comment was received and awaits moderation.")).to_be_visible()
    expect(page.get_by_text("Your comment is awaiting moderation.")).to_be_visible()
    expect(page.get_by_text(directive.text)).to_be_visible()
    tracking = page.locator("dd code").first.inner_text()
    assert re.fullmatch(r"[A-Z0-9-]{8,}", tracking), tracking
    expect(page.get_by_role("heading", level=1)).to_contain_text(tracking)
    return tracking


def test_b_new_stakeholder_signs_up_verifies_and_comments_on_a_directive(page):
    """Sign-up with profile and terms, the verification email, sign-in, a comment on a directive, its receipt."""
    statement = make_statement(title_en="Statement open for the journey")
    tracking = sign_up_verify_and_comment(page, statement)

    comment = Comment.objects.get(tracking_number=tracking)
    assert (comment.status, comment.author.email, comment.body) == ("pending", EMAIL, COMMENT)
    assert comment.directive is not None
    page.get_by_role("link", name="My submissions", exact=True).click()
    expect(page.get_by_role("main")).to_contain_text(tracking)


def test_c_moderator_signs_in_with_totp_approves_from_the_queue_and_rejects_with_a_reason(page, new_page):
    """The moderator's sign-in needs the code; approval publishes; a rejection carries its reason."""
    statement = make_statement(title_en="Statement open for moderation")
    tracking = sign_up_verify_and_comment(page, statement)
    other = make_comment(statement, body="Buy cheap watches at example.com, best prices in the region!")
    moderator = make_moderator(display_name="Moderator Chen")

    desk = new_page()
    desk.goto("/en/accounts/login/")
    desk.get_by_label("Email").fill(moderator.email)
    desk.get_by_label("Password").fill(PASSWORD)
    desk.get_by_role("button", name="Sign In").click()
    expect(desk).to_have_url(re.compile(r"/en/accounts/2fa/authenticate/$"))
    desk.get_by_label("Code").fill(totp_code(moderator.totp_secret))
    desk.get_by_role("button", name="Sign In").click()
    desk.get_by_role("link", name=re.compile(r"^Moderation \d+ pending$")).click()
    expect(desk.get_by_role("heading", level=1)).to_have_text("Moderation queue")

    desk.get_by_role("button", name=f"Approve {tracking}").click()
    expect(desk.get_by_text(f"Comment {tracking} approved and published.")).to_be_visible()

    public = new_page()
    public.goto(statement.get_absolute_url())
    expect(public.locator(f"#comment-{tracking}")).to_contain_text(COMMENT)
    expect(public.locator(f"#comment-{tracking}")).to_contain_text("María López")

    desk.get_by_role("link", name=other.tracking_number, exact=True).click()
    expect(desk.get_by_role("heading", level=1)).to_contain_text(other.tracking_number)
    desk.get_by_label("Reason (moderation policy)").select_option("spam")
    desk.get_by_label("Note to the author (optional)").fill("Advertising is not part of the dialogue.")
    desk.get_by_role("button", name="Reject", exact=True).click()
    expect(desk.get_by_text(f"Comment {other.tracking_number} rejected; its author is told why.")).to_be_visible()
    other.refresh_from_db()
    assert (other.status, other.decision_reason) == ("rejected", "spam")

    public.reload()
    expect(public.get_by_text("Buy cheap watches")).to_have_count(0)
