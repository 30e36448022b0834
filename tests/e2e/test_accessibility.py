"""
Accessibility: axe-core finds no WCAG 2.1 A/AA violation on any page, in English, French and Spanish,
and the layout works from the keyboard.

Pages join PAGES as features land (a statement with comments, my submissions, the moderation queue).
"""

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.factories import SEED_SLUG

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
