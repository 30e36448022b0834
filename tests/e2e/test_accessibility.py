"""
Accessibility: axe-core finds no WCAG 2.1 A/AA violation on any page, in English, French and Spanish,
and the layout works from the keyboard.

Public pages are in PAGES; the conversation (a statement with comments and the comment form, my
submissions, the moderation queue and a decision page) in SIGNED_IN_PAGES, each opened as its user.
"""

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.factories import SEED_SLUG, make_comment, make_moderator, make_publisher, make_statement, make_user

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
LANGUAGES = ["en", "fr", "es"]
PAGES = {
    "home": "/{lang}/",
    "priorities": "/{lang}/priorities/",
    "priority": "/{lang}/priorities/competitiveness/",
    "statements": "/{lang}/statements/",
    "statement-2008": f"/{{lang}}/statements/{SEED_SLUG}/",
    "sign-in": "/{lang}/accounts/login/",
    "sign-up": "/{lang}/accounts/signup/",
}
axe = Axe()  # loads the bundled axe-core once; nothing is fetched at run time


def describe(violations):
    """Each violation's rule id, impact and help, then each offending node's CSS target and what axe found."""
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"]:
            checks = node["any"] + node["all"] + node["none"]
            found = checks[0]["message"] if checks else ""
            lines.append(f"    {' '.join(node['target'])}: {found}")
    return "\n".join(lines)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("path", PAGES.values(), ids=PAGES.keys())
def test_page_has_no_wcag_21_aa_violations(page, path, lang):
    """Every public page, in each language, passes axe-core's WCAG 2.1 A and AA rules."""
    response = page.goto(path.format(lang=lang))
    assert response.ok, f"{response.url} answered {response.status}"
    results = axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_21_AA}, "resultTypes": ["violations"]})
    violations = results.response["violations"]
    assert not violations, f"{len(violations)} axe violation(s) on {page.url}:\n{describe(violations)}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_withdrawn_statement_page_has_no_wcag_21_aa_violations(page, lang):
    """A withdrawn statement's address (410 Gone, with the date and the reason) passes the same rules."""
    from priorities import services

    statement = make_statement(title_en="Withdrawn statement")
    services.statement_withdraw(statement=statement, by=make_publisher(), reason={"en": "Published in error."})
    response = page.goto(f"/{lang}/statements/{statement.slug}/")
    assert response.status == 410
    results = axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_21_AA}, "resultTypes": ["violations"]})
    violations = results.response["violations"]
    assert not violations, f"{len(violations)} axe violation(s) on {page.url}:\n{describe(violations)}"


@pytest.fixture
def conversation():
    """A statement open for comments with a published thread (a reply, an official response) and pending work."""
    from dialogue import services

    moderator = make_moderator(display_name="Moderator Chen")
    stakeholder = make_user(display_name="Amélie Tremblay", country="CA", sector="academia", organisation="Laval")
    statement = make_statement(title_en="Statement with a conversation")
    first = make_comment(statement, body="Border wait times need published targets.", approve_by=moderator)
    make_comment(statement, body="Agreed, and reported monthly.", parent=first, approve_by=moderator)
    services.response_post(
        comment=first, moderator=moderator, government="CA", body="Targets will be published.", language="en"
    )
    directive = statement.directives.first()
    make_comment(statement, author=stakeholder, body="Mi comentario pendiente.", language="es", directive=directive)
    pending = make_comment(statement, body="A comment waiting for a decision, with a link https://example.org.")
    return {"statement": statement, "stakeholder": stakeholder, "moderator": moderator, "pending": pending}


SIGNED_IN_PAGES = {
    "statement-with-comments": (None, "/{lang}/statements/{statement}/"),
    "statement-with-comment-form": ("stakeholder", "/{lang}/statements/{statement}/"),
    "my-submissions": ("stakeholder", "/{lang}/dialogue/mine/"),
    "moderation-queue": ("moderator", "/{lang}/moderation/"),
    "moderation-decision": ("moderator", "/{lang}/moderation/comments/{pending}/"),
}


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize(("who", "path"), SIGNED_IN_PAGES.values(), ids=SIGNED_IN_PAGES.keys())
def test_conversation_pages_have_no_wcag_21_aa_violations(new_page, conversation, who, path, lang):
    """The comment thread and form, my submissions, the queue and a decision form, signed in as their users."""
    page = new_page(conversation[who] if who else None)
    url = path.format(
        lang=lang, statement=conversation["statement"].slug, pending=conversation["pending"].tracking_number
    )
    response = page.goto(url)
    assert response.ok and response.url.endswith(url), f"{url} answered {response.status} at {response.url}"
    results = axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_21_AA}, "resultTypes": ["violations"]})
    violations = results.response["violations"]
    assert not violations, f"{len(violations)} axe violation(s) on {page.url}:\n{describe(violations)}"


def test_comment_journey_completes_with_the_keyboard_alone(new_page, conversation):
    """Tab to the comment form, type, Tab to the button and press Enter: the receipt opens. No mouse."""
    page = new_page(conversation["stakeholder"])
    page.goto(f"/en/statements/{conversation['statement'].slug}/")
    focused = ""
    for _press in range(150):
        page.keyboard.press("Tab")
        focused = page.evaluate("() => document.activeElement.id")
        if focused == "id_about":
            break
    assert focused == "id_about", "Tab never reached the comment form"
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "id_body"
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "the comment box shows no focus"
    page.keyboard.type("Typed with the keyboard only: border crossings need longer opening hours.")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "id_language"
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent.trim()") == "Submit for moderation"
    page.keyboard.press("Enter")
    page.wait_for_url("**/dialogue/receipt/**")
    assert "awaiting moderation" in page.locator("main").inner_text()


def test_skip_link_comes_first_and_moves_focus_to_main(page):
    """From the home page, the first Tab reaches the skip link; activating it puts focus on <main>."""
    page.goto("/en/")
    page.keyboard.press("Tab")
    focused = page.evaluate("() => [document.activeElement.getAttribute('href'), document.activeElement.textContent]")
    assert focused == ["#main", "Skip to main content"]
    assert page.locator(".skip-link").is_visible(), "the skip link is not shown when it has focus"

    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.tagName") == "MAIN"


def test_keyboard_focus_is_visibly_outlined(page):
    """A link reached with the keyboard shows an outline (WCAG 2.4.7)."""
    page.goto("/en/")
    page.keyboard.press("Tab")  # the skip link
    page.keyboard.press("Tab")  # the first link of the header
    style = page.evaluate(
        """() => {
            const element = document.activeElement, css = getComputedStyle(element);
            return {tag: element.tagName, style: css.outlineStyle, width: css.outlineWidth};
        }"""
    )
    assert style["tag"] == "A"
    assert style["style"] != "none", f"focused link has no outline: {style}"
    assert style["width"] != "0px", f"focused link has no outline: {style}"
