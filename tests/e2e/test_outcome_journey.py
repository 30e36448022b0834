"""
Journey: "What we heard" (issue 15 item 6). After a statement's comment period closes, a publisher
writes the outcome report in English, French and Spanish in the admin, publishes it (giving the
password again, like every publishing step); the statement's French follower is emailed in French,
and the public finds it from the statement page, in each language, with the figures of the
conversation as they were at publication.
"""

import datetime
import re

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from dialogue import services as dialogue_services
from priorities import services
from priorities.models import OutcomeReport
from tests.factories import PASSWORD, make_comment, make_moderator, make_publisher, make_statement, make_user

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

TITLES = {
    "en": "Joint Statement on Border Wait Times",
    "fr": "Déclaration conjointe sur les temps d'attente à la frontière",
    "es": "Declaración conjunta sobre los tiempos de espera en la frontera",
}
SUMMARY = {
    "en": "Participants asked for **published** targets for border wait times.",
    "fr": "Les participants ont demandé des cibles **publiées** pour les temps d'attente.",
    "es": "Los participantes pidieron metas **publicadas** para los tiempos de espera.",
}
THEME = {
    "title": {"en": "Published targets", "fr": "Des cibles publiées", "es": "Metas publicadas"},
    "heard": {
        "en": "Most comments asked for yearly targets.",
        "fr": "La plupart des commentaires demandaient des cibles annuelles.",
        "es": "La mayoría de los comentarios pidieron metas anuales.",
    },
    "response": {
        "en": "The agencies will publish targets every year.",
        "fr": "Les organismes publieront des cibles chaque année.",
        "es": "Las agencias publicarán metas cada año.",
    },
}


def test_a_publisher_publishes_what_we_heard_after_the_period_closes(page, new_page):
    moderator = make_moderator(display_name="Moderator Chen")
    publisher = make_publisher(display_name="Publisher Dubois")
    statement = make_statement(
        slug="2026-border-wait-times",
        **{f"title_{code}": title for code, title in TITLES.items()},
        body_fr="Texte.",
        body_es="Texto.",
    )
    # A French participant follows the statement (as tests/e2e/test_follow_journey.py does through its page).
    follower = make_user("amelie@example.ca", preferred_language="fr", country="CA")
    dialogue_services.subscription_set(user=follower, topic="statement", statement=statement, delivery="immediate")
    answered = make_comment(statement, author=make_user(country="CA"), approve_by=moderator)
    make_comment(statement, author=make_user(country="MX"), language="es", approve_by=moderator)
    dialogue_services.response_post(
        comment=answered, moderator=moderator, government="CA", body="Thank you.", language="en"
    )
    # The comment period closes (shortened to a time already past, through the publishing service).
    services.comment_period_change(
        statement=statement,
        by=publisher,
        opens_at=statement.comments_open_at,
        closes_at=timezone.now() - datetime.timedelta(minutes=5),
    )

    admin = new_page(publisher)
    admin.goto("/admin/priorities/outcomereport/add/")
    admin.get_by_label(TITLES["en"]).check()
    for code in ("en", "fr", "es"):
        admin.get_by_label(f"Summary [{code}]").fill(SUMMARY[code])
    theme = admin.locator("#themes-0")
    theme.locator("[name='themes-0-order']").fill("1")
    for field, texts in THEME.items():
        for code, text in texts.items():
            theme.locator(f"[name='themes-0-{field}_{code}']").fill(text)
    admin.get_by_role("button", name="Save and continue editing").click()
    expect(admin.locator(".messagelist")).to_contain_text("was added successfully")

    # Publish: the report's own "Publish", which says what happens; the password first, then it is done.
    admin.locator(".object-tools").get_by_role("link", name="Publish").click()
    expect(admin).to_have_url(re.compile(r"/en/accounts/reauthenticate/\?next="))
    admin.locator("input[name='password']").fill(PASSWORD)
    admin.get_by_role("button", name="Confirm").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("Publish the report?")
    assert not OutcomeReport.objects.get(statement=statement).is_published(), "the page asks first"
    admin.locator(".submit-row").get_by_role("button", name="Publish").click()
    expect(admin.locator(".messagelist")).to_contain_text("The report is published.")
    report = OutcomeReport.objects.get(statement=statement)
    assert report.is_published() and report.figures["total"] == 2 and report.figures["answered"] == 1
    # The follower is told, in French, with the report's French address.
    told = [message for message in mail.outbox if message.to == [follower.email] and "entendu" in message.subject]
    assert len(told) == 1, [message.subject for message in mail.outbox if message.to == [follower.email]]
    assert f"/fr/statements/{statement.slug}/what-we-heard/" in told[0].body

    # The public: the statement page links it, in each language, and it reads in that language.
    public = new_page()
    public.goto(f"/en/statements/{statement.slug}/")
    link = public.get_by_role("link", name="What we heard")
    expect(link).to_be_visible()
    expect(public.locator(".outcome-link")).to_contain_text("published")
    link.click()
    expect(public).to_have_url(re.compile(rf"/en/statements/{statement.slug}/what-we-heard/$"))
    expect(public.get_by_role("heading", level=1)).to_have_text("What we heard")
    expect(public.locator(".outcome-report strong").first).to_have_text("published")
    expect(public.get_by_text(THEME["response"]["en"])).to_be_visible()
    country = public.get_by_role("table", name="By country")
    expect(country.get_by_role("rowheader", name="Canada")).to_be_visible()
    expect(public.get_by_text("1 received an official response (50.0%).")).to_be_visible()

    for code, said in (("fr", "Ce que nous avons entendu"), ("es", "Lo que escuchamos")):
        public.goto(f"/{code}/statements/{statement.slug}/")
        public.get_by_role("link", name=said).click()
        expect(public).to_have_url(re.compile(rf"/{code}/statements/{statement.slug}/what-we-heard/$"))
        expect(public.get_by_text(THEME["response"][code])).to_be_visible()
        expect(public.get_by_role("heading", level=3, name=THEME["title"][code])).to_be_visible()
