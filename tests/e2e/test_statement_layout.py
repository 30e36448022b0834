"""
The statement page in a real browser: on a phone the "at a glance" panel and its "Comment on this
statement" action come before the statement's text; on a laptop the panel sits beside the text and
stays in view while the reader scrolls down to the comments.
"""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import TIMEOUT_MS
from tests.factories import make_comment, make_moderator, make_statement

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# Long enough that the text runs well past one screen, as the 2008 statement does.
BODY = "\n\n".join(
    f"Paragraph {n}: the ministers reviewed progress on the five priorities and directed officials to report."
    for n in range(40)
)
# An element's box on the page (not the window): top and bottom include the scroll.
BOX = """el => {
    const r = el.getBoundingClientRect();
    return {top: r.top + scrollY, left: r.left, right: r.right, bottom: r.bottom + scrollY};
}"""


@pytest.fixture
def statement():
    statement = make_statement(title_en="A statement long enough to scroll", body_en=BODY)
    moderator = make_moderator()
    for n in range(3):
        make_comment(statement, approve_by=moderator, body=f"Published comment number {n} on the statement.")
    return statement


def open_at(browser, live_server, width, height, path, locale="en-US"):
    context = browser.new_context(base_url=live_server.url, locale=locale, viewport={"width": width, "height": height})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(path)
    return page


@pytest.mark.parametrize("width", [390, 320])
@pytest.mark.parametrize("language", ["en", "fr", "es"])
def test_on_a_phone_the_panel_and_its_action_come_before_the_text(browser, live_server, statement, language, width):
    page = open_at(browser, live_server, width, 844, f"/{language}/statements/{statement.slug}/")
    try:
        panel = page.locator("#at-a-glance")
        action = panel.locator(".at-a-glance-action")
        text = page.locator("#statement-text")
        expect(action).to_be_visible()
        panel_box, action_box, text_box = (item.evaluate(BOX) for item in (panel, action, text))
        assert panel_box["bottom"] <= text_box["top"], (panel_box, text_box)
        assert action_box["bottom"] <= text_box["top"], (action_box, text_box)
        assert action_box["top"] < 844, f"the action is not on the first screen: {action_box}"
        # One column: the panel takes the width of the text, and nothing in the page's own content
        # is wider than the window (the header is checked by the layout's own suite).
        assert abs(panel_box["left"] - text_box["left"]) < 2
        widest = page.evaluate(
            """() => Math.max(...[...document.querySelectorAll('.statement-layout *')]
                .map(element => element.getBoundingClientRect().right))"""
        )
        assert widest <= width, f"the statement page's content reaches {widest} px in a {width} px window"
    finally:
        page.context.close()


def test_on_a_laptop_the_panel_sits_beside_the_text_and_stays_in_view(browser, live_server, statement):
    page = open_at(browser, live_server, 1280, 900, f"/en/statements/{statement.slug}/")
    try:
        panel = page.locator("#at-a-glance")
        text = page.locator("#statement-text")
        panel_box, text_box = panel.evaluate(BOX), text.evaluate(BOX)
        assert panel_box["left"] >= text_box["right"], f"not beside the text: {panel_box} / {text_box}"
        assert panel_box["top"] < text_box["bottom"] and text_box["top"] < panel_box["bottom"]
        # The text runs at reading width (about 70 characters a line), not across the whole window.
        assert text_box["right"] - text_box["left"] < 760
        expect(panel.get_by_role("link", name="Comment on this statement")).to_be_in_viewport()
        # Down at the comments, the panel (and its action) is still on the screen.
        page.get_by_role("link", name="The comments (3)").click()
        expect(page.get_by_role("heading", name="Comments", exact=True)).to_be_in_viewport()
        expect(panel.get_by_role("link", name="Comment on this statement")).to_be_in_viewport()
    finally:
        page.context.close()


@pytest.mark.parametrize("language", ["en", "fr", "es"])
def test_load_more_comments_fits_a_320_px_phone(browser, live_server, statement, language):
    """The conversation's second page: "Previous", "Page 2 of 2" and "Load more…" wrap rather than scroll."""
    moderator = make_moderator()
    for n in range(25):
        make_comment(statement, approve_by=moderator, body=f"Another published comment, number {n}, on its own.")
    page = open_at(browser, live_server, 320, 700, f"/{language}/statements/{statement.slug}/?page=2#comments")
    try:
        expect(page.locator(".pagination a[rel=next]")).to_be_visible()
        widest = page.evaluate(
            """() => Math.max(...[...document.querySelectorAll('.pagination *')]
                .map(element => element.getBoundingClientRect().right))"""
        )
        assert widest <= 320, f"the conversation's pages reach {widest} px in a 320 px window"
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 320
    finally:
        page.context.close()
