"""
Accessibility: axe-core finds no WCAG 2.2 A/AA violation on any kind of page, for anyone, in English,
French and Spanish, and the layout works from the keyboard.

The pages are those of page_kinds.py, the list the layout suite (test_layout.py) also visits: each
role's pages in one browser context per language, at 1,280 px; the header as phones show it
(menu open, at 390 px) on the home page of each.
"""

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.e2e.page_kinds import BROWSER_LOCALES, LANGUAGES, PAGES_BY_ROLE, ROLES, build_world
from tests.e2e.sessions import open_context, visit
from tests.factories import make_publisher, make_statement

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# axe-core 4.12 (bundled with axe-playwright-python): WCAG 2.0, 2.1 and 2.2 at levels A and AA.
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
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


def violations_on(page) -> list:
    results = axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_22_AA}, "resultTypes": ["violations"]})
    return results.response["violations"]


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("role", ROLES)
def test_no_page_has_wcag_22_aa_violations(browser, live_server, role, lang):
    """Every kind of page, as each role sees it, in each language: zero axe-core violations."""
    world = build_world()
    context = open_context(browser, live_server, world["users"].get(role), locale=BROWSER_LOCALES[lang])
    page = context.new_page()
    report = []
    try:
        for kind in PAGES_BY_ROLE[role]:
            if kind.awaiting:
                continue  # see PageKind.awaiting: re-enabled when that work lands
            url = kind.path.format(lang=lang, **world["paths"])
            response = visit(page, url, kind)
            if response.status != kind.status:
                report.append(f"{kind.name} {url}: answered {response.status} at {page.url}")
                continue
            if violations := violations_on(page):
                report.append(f"{kind.name} {url}: {len(violations)} violation(s)\n{describe(violations)}")
        # The phone header: "Menu" open, navigation, search and account links stacked.
        page.set_viewport_size({"width": 390, "height": 800})
        page.goto(f"/{lang}/")
        page.locator(".portal-menu-toggle").click()
        if violations := violations_on(page):
            report.append(f"home at 390 px, menu open: {len(violations)} violation(s)\n{describe(violations)}")
    finally:
        context.close()
    assert not report, f"axe-core violations for {role} in {lang}:\n" + "\n".join(report)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_withdrawn_statement_page_has_no_wcag_22_aa_violations(page, lang):
    """A withdrawn statement's address (410 Gone, with the date and the reason) passes the same rules."""
    from priorities import services

    statement = make_statement(title_en="Withdrawn statement")
    services.statement_withdraw(statement=statement, by=make_publisher(), reason={"en": "Published in error."})
    response = page.goto(f"/{lang}/statements/{statement.slug}/")
    assert response.status == 410
    results = axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_22_AA}, "resultTypes": ["violations"]})
    violations = results.response["violations"]
    assert not violations, f"{len(violations)} axe violation(s) on {page.url}:\n{describe(violations)}"


@pytest.fixture
def conversation():
    """A statement open for comments with a published thread, and a stakeholder with a directive to comment on."""
    world = build_world()
    return {"statement": world["paths"]["statement"], "stakeholder": world["users"]["stakeholder"]}


def test_comment_journey_completes_with_the_keyboard_alone(new_page, conversation):
    """Tab to the comment form, type, Tab to the button and press Enter: the receipt opens. No mouse."""
    page = new_page(conversation["stakeholder"])
    page.goto(f"/en/statements/{conversation['statement']}/")
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
    # Then the language, the files to attach, the organisation to speak for (this stakeholder belongs to
    # one) and "Publish without my name", each in turn.
    for field in ("id_language", "id_attachments", "id_on_behalf_of", "id_anonymous"):
        page.keyboard.press("Tab")
        assert page.evaluate("() => document.activeElement.id") == field
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
    """The official banner's toggle and the first header link, reached with the keyboard, show an
    outline (WCAG 2.4.7) in a colour that stands out from their background: white on the banner's blue."""
    page.goto("/en/")
    page.keyboard.press("Tab")  # the skip link
    focused = []
    for _target in ("the banner's 'How you know'", "the portal's name"):
        page.keyboard.press("Tab")
        focused.append(
            page.evaluate(
                """() => {
                    const element = document.activeElement, css = getComputedStyle(element);
                    return {tag: element.tagName, style: css.outlineStyle, width: css.outlineWidth,
                            colour: css.outlineColor};
                }"""
            )
        )
    banner, name = focused
    assert banner["tag"] == "SUMMARY" and name["tag"] == "A", focused
    for style in focused:
        assert style["style"] != "none" and style["width"] != "0px", f"focused element has no outline: {style}"
    assert banner["colour"] == "rgb(255, 255, 255)", f"the banner's focus ring is not white: {banner}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_publishers_preview_passes_and_fits_a_phone(browser, live_server, lang):
    """The statement form after "Preview" (the texts as published, above the form): zero axe violations at
    1,280 px, and nothing scrolls sideways at 320 px."""
    world = build_world()
    context = open_context(browser, live_server, world["users"]["publisher"], locale=BROWSER_LOCALES[lang])
    page = context.new_page()
    try:
        page.goto(f"/admin/priorities/statement/{world['paths']['statement_pk']}/change/")
        page.locator("textarea[name=body_fr]").fill("## Contexte\n\nUne liste :\n\n- un\n- deux\n\n**Fin**.")
        page.locator(".submit-row input[name=_preview]").click()
        assert page.locator(".statement-preview [lang=fr] strong").inner_text() == "Fin"
        violations = violations_on(page)
        assert not violations, f"{len(violations)} axe violation(s) on the preview:\n{describe(violations)}"
        page.set_viewport_size({"width": 320, "height": 800})
        width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], f"the preview scrolls sideways at 320 px: {width}"
    finally:
        context.close()
