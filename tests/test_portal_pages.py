"""
The portal's own pages and frame (issue 13): the home page that explains the dialogue, the
official banner and footer on every page, the accessibility statement, the header's words,
and signing out in the page's language.
"""

import datetime
import re

import pytest
from django.utils import timezone

from tests.factories import make_comment, make_moderator, make_statement, make_user

pytestmark = pytest.mark.django_db


def text_of(html: str) -> str:
    """The page's words, tags removed and spaces collapsed, as a reader meets them."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


class TestHome:
    def test_explains_the_dialogue_in_three_steps(self, client):
        html = client.get("/en/").text
        steps = html[html.index('class="steps"') :]
        assert [step in steps for step in ("Read", "Comment", "See the responses")] == [True, True, True]
        assert steps.index("Read") < steps.index("Comment") < steps.index("See the responses")

    def test_lists_what_is_open_with_its_deadline_in_the_three_capitals_and_its_counts(self, client):
        """A reader sees until when, in Ottawa, Mexico City and Washington time, and how many took part."""
        closes = datetime.datetime(2031, 3, 14, 22, 0, tzinfo=datetime.UTC)
        statement = make_statement(title_en="Open statement on supply chains", comments_close_at=closes)
        moderator = make_moderator()
        make_comment(statement, approve_by=moderator)
        make_comment(statement, approve_by=moderator)
        make_comment(statement)
        make_statement(title_en="Closed statement", open_comments=False)

        open_section = text_of(client.get("/en/").text.split('id="open-heading"')[1].split("</section>")[0])

        assert "Open statement on supply chains" in open_section
        assert "Closed statement" not in open_section
        assert (
            "on March 14, 2031: Ottawa 6 p.m. (UTC\N{MINUS SIGN}4), Mexico City 4 p.m. (UTC\N{MINUS SIGN}6),"
            " Washington 6 p.m. (UTC\N{MINUS SIGN}4)."
        ) in open_section
        assert "2 published comments · 1 awaiting moderation" in open_section

    def test_lists_the_five_priorities(self, client):
        html = client.get("/en/").text
        priorities = html[html.index('id="priorities-heading"') :]
        for title in ("Competitiveness", "Safe Food", "Energy and Environment", "Smart &amp; Secure Borders"):
            assert title in priorities

    def test_says_so_when_nothing_is_open(self, client):
        from priorities.models import Statement

        Statement.objects.update(comments_close_at=timezone.now() - datetime.timedelta(days=1))
        assert "No statement is open for comment at the moment." in client.get("/en/").text


@pytest.mark.parametrize("path", ["/en/", "/fr/statements/", "/es/accounts/login/", "/en/no/such/page/"])
def test_every_page_says_whose_portal_it_is_and_how_to_reach_it(client, settings, path):
    """The official banner and the footer (contact, accessibility, privacy, terms, policy, open data)."""
    settings.PORTAL_CONTACT_EMAIL = "dialogue@portal.example.org"
    response = client.get(path)
    html = response.text
    assert 'class="official-banner"' in html
    assert re.search(r"official joint website|site Web officiel conjoint|sitio web oficial conjunto", html)
    footer = html[html.index('class="portal-footer') :]
    assert 'href="mailto:dialogue@portal.example.org"' in footer
    language = path.split("/")[1]
    for name in ("accessibility", "privacy", "terms", "dialogue/moderation-policy", "open-data"):
        assert f'href="/{language}/{name}/"' in footer, name


def test_the_contact_defaults_to_the_portals_sender_address(settings):
    """Without PORTAL_CONTACT_EMAIL the footer shows DEFAULT_FROM_EMAIL's address, never an empty link."""
    from spp_portal import settings as portal_settings

    assert portal_settings.PORTAL_CONTACT_EMAIL == "dialogue@localhost"


@pytest.mark.parametrize("language", ["en", "fr", "es"])
def test_accessibility_statement_states_conformance_and_how_to_report_a_barrier(client, settings, language):
    settings.PORTAL_CONTACT_EMAIL = "access@portal.example.org"
    response = client.get(f"/{language}/accessibility/")
    assert response.status_code == 200
    assert "WCAG) 2.2" in response.text
    report = response.text[response.text.index('id="report"') :]
    assert 'href="mailto:access@portal.example.org"' in report


def test_spanish_search_button_says_buscar_and_the_heading_stays_a_noun(client):
    """The button is a verb ("Buscar", "Rechercher"); the search page's title is a noun ("Búsqueda")."""
    spanish = client.get("/es/search/").text
    assert re.search(r'<button class="btn btn-outline-primary" type="submit">Buscar</button>', spanish)
    assert re.search(r'<button type="submit" class="btn btn-primary">Buscar</button>', spanish)
    assert "<h1>Búsqueda</h1>" in spanish
    assert ">Rechercher</button>" in client.get("/fr/").text


@pytest.mark.parametrize("language", ["en", "fr", "es"])
def test_signing_out_returns_to_the_pages_language(client, language):
    client.force_login(make_user())
    response = client.post(f"/{language}/accounts/logout/")
    assert response.status_code == 302
    assert response["Location"] == f"/{language}/"
    assert not client.get(f"/{language}/").context["user"].is_authenticated


def test_the_menu_works_without_javascript(client):
    """Navigation, search and account links sit in a <details> disclosure; the languages stay outside it."""
    html = client.get("/fr/").text
    menu = html[html.index('<details class="portal-menu">') : html.index("</details>", html.index("portal-menu"))]
    assert "<summary" in menu and "Menu" in menu
    assert 'id="header-search"' in menu and 'href="/fr/accounts/login/' in menu
    assert "language-switcher" not in menu
    assert html.index("language-switcher") < html.index('<details class="portal-menu">')
