"""
Issue 15 item 5's journey: a French-speaking stakeholder follows a statement from its page (a form
that works without JavaScript); a moderator, in another browser, approves someone else's comment and
responds to it officially; the follower's emails arrive in French, each with a link that stops
them, which works without signing in.
"""

import re
import time

import pytest
from django.core import mail
from django.utils import translation
from playwright.sync_api import expect

from dialogue.models import Subscription
from tests.factories import make_comment, make_moderator, make_statement, make_user
from tests.test_email_voice import assert_portal_voice

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

RESPONSE = "The three governments will publish border wait times every month."


def emails_to(address: str, count: int, seconds: float = 5.0) -> list:
    """The live server writes mail from its own threads into the same locmem outbox."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        received = [message for message in mail.outbox if message.to == [address]]
        if len(received) >= count:
            return received
        time.sleep(0.05)
    raise AssertionError(f"{count} email(s) to {address} expected, got {len(received)}")


def test_a_french_follower_hears_of_a_published_comment_and_an_official_response(new_page):
    statement = make_statement(title_en="Border wait times", title_fr="Temps d'attente à la frontière")
    follower = make_user(preferred_language="fr", display_name="Amélie Tremblay", country="CA")
    moderator = make_moderator(display_name="Moderator Chen")
    pending = make_comment(statement, body="Publish the border wait times every month, please.")

    # She follows the statement from its page, in French.
    reader = new_page(user=follower, locale="fr-CA")
    with translation.override("fr"):
        reader.goto(statement.get_absolute_url())
    reader.get_by_role("link", name="Suivre cette déclaration").click()
    expect(reader.get_by_role("heading", level=1)).to_have_text("Suivre cette déclaration")
    expect(reader.get_by_label("Tout de suite, un courriel chaque fois")).to_be_checked()
    reader.get_by_role("button", name="Suivre cette déclaration").click()
    expect(reader.get_by_role("status")).to_contain_text("Vous suivez")
    assert Subscription.objects.get(user=follower).delivery == Subscription.Delivery.IMMEDIATE
    # "Courriels que je reçois" lists it.
    reader.goto("/fr/dialogue/subscriptions/")
    followed = reader.get_by_role("combobox", name=re.compile(r"Temps d'attente à la frontière"))
    expect(followed).to_have_value("immediate")
    expect(followed).to_have_accessible_name(re.compile(r"^Déclaration\s:\sTemps"))

    # A moderator approves another person's comment and responds officially.
    desk = new_page(user=moderator)
    desk.goto("/en/moderation/")
    desk.get_by_role("button", name=f"Approve {pending.tracking_number}").click()
    expect(desk.get_by_text(f"Comment {pending.tracking_number} approved and published.")).to_be_visible()
    desk.goto(f"/en/moderation/comments/{pending.tracking_number}/")
    desk.get_by_label("Responding government").select_option("joint")
    desk.get_by_role("textbox", name="Official response").fill(RESPONSE)
    desk.get_by_label("Language of the response").select_option("en")
    desk.get_by_role("button", name="Publish the official response").click()
    expect(desk.get_by_text("The official response is published under the comment.")).to_be_visible()

    # Her two emails, in French.
    published, response = emails_to(follower.email, 2)
    for message in (published, response):
        assert_portal_voice(message, "fr")
        assert "Temps d'attente à la frontière" in message.subject
        assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert published.subject.endswith("Nouveau commentaire sur « Temps d'attente à la frontière »")
    assert "Publish the border wait times every month, please." in published.body
    assert f"/fr/statements/{statement.slug}/#comment-{pending.tracking_number}" in published.body
    assert "Réponse officielle" in response.subject and RESPONSE in response.body

    # The link in the email stops them, in a browser that is not signed in.
    path = re.search(r"/fr/dialogue/unsubscribe/\S+/", response.body).group(0)
    stranger = new_page(locale="fr-CA")
    stranger.goto(path)
    expect(stranger.get_by_role("heading", level=1)).to_have_text("Ne plus recevoir ces courriels")
    stranger.get_by_role("button", name="Ne plus recevoir ces courriels").click()
    expect(stranger.get_by_role("status")).to_contain_text("vous ne recevrez plus")
    assert Subscription.objects.get(user=follower).delivery == Subscription.Delivery.OFF
