"""Journey (a): a visitor reads the 2008 statement in English, switches to Spanish, then searches."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import SEED_SLUG

# The live server answers from another thread, so the data must be committed (transactional
# database); serialized rollback puts the migration-shipped 2008 statement back for each journey.
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

TITLE = "Joint Statement by Ministers Responsible for the Security and Prosperity Partnership of North America"
FIVE_DIRECTIVES = [
    "Continue to implement the strategy to combat piracy and counterfeiting",
    "Strengthen cooperation to better identify, assess and manage unsafe food and products",
    "Develop projects under the newly signed Agreement on Science and Technology",
    "Strengthen cooperation protocols and create new mechanisms to secure our common borders",
    "Strengthen emergency management cooperation capacity in the North American region",
]


def test_visitor_reads_the_2008_statement_then_switches_to_spanish(page):
    """From the English home page a visitor opens the 2008 statement, reads its body and its five
    directives, the language switcher takes them to the same statement in the Spanish interface,
    and searching from there finds it again."""
    page.goto("/en/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_role("link", name="Read the statement").click()

    expect(page).to_have_url(re.compile(rf"/en/statements/{SEED_SLUG}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    body = page.locator(".statement-body")
    expect(body).to_contain_text("we, the ministers responsible for the Security and Prosperity Partnership")
    expect(body).to_contain_text("maintaining an open dialogue with business leaders and other stakeholders")
    directives = page.get_by_role("region", name="Directives to officials").get_by_role("listitem")
    expect(directives).to_have_count(len(FIVE_DIRECTIVES))
    for directive, text in zip(directives.all(), FIVE_DIRECTIVES, strict=True):
        expect(directive).to_be_visible()
        expect(directive).to_contain_text(text)

    page.get_by_role("navigation", name="Language").get_by_role("link", name="español").click()

    expect(page).to_have_url(re.compile(rf"/es/statements/{SEED_SLUG}/$"))
    expect(page.locator("html")).to_have_attribute("lang", "es")
    # Issued in English only: the Spanish page shows the statement as published, word for word.
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.locator(".statement-body")).to_contain_text("open dialogue with business leaders")

    # The header's search, from the Spanish page: the results stay in Spanish and lead back to the statement.
    page.get_by_role("searchbox").fill("counterfeiting")
    page.get_by_role("searchbox").press("Enter")
    expect(page).to_have_url(re.compile(r"/es/search/\?q=counterfeiting$"))
    expect(page.locator("html")).to_have_attribute("lang", "es")
    page.get_by_role("link", name=TITLE).first.click()
    expect(page).to_have_url(re.compile(rf"/es/statements/{SEED_SLUG}/"))
