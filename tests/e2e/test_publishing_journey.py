"""
Journey (d): a publisher signs in to the admin (password, then TOTP), drafts a statement with a
directive, previews it while the public gets 404, schedules it, then publishes it for everyone.
"""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from priorities.models import Statement
from tests.factories import PASSWORD, make_publisher
from tests.test_accounts import totp_code

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SLUG = "2026-11-27-joint-statement-ottawa"
TITLES = {
    "en": "Joint Statement on Trilateral Supply Chains",
    "fr": "Déclaration conjointe sur les chaînes d'approvisionnement trilatérales",
    "es": "Declaración conjunta sobre las cadenas de suministro trilaterales",
}
BODIES = {
    "en": "The ministers met in Ottawa to **strengthen** North American supply chains.",
    "fr": "Les ministres se sont réunis à Ottawa pour **renforcer** les chaînes d'approvisionnement.",
    "es": "Los ministros se reunieron en Ottawa para **fortalecer** las cadenas de suministro.",
}
DIRECTIVE = {
    "en": "Map the critical supply chains shared by the three countries",
    "fr": "Cartographier les chaînes d'approvisionnement critiques communes aux trois pays",
    "es": "Mapear las cadenas de suministro críticas compartidas por los tres países",
}
URL = f"/en/statements/{SLUG}/"


def public_status(new_page) -> int:
    return new_page().goto(URL).status


def test_d_publisher_drafts_previews_schedules_and_publishes_a_statement(page, new_page):
    publisher = make_publisher(display_name="Publisher Dubois")

    page.goto("/admin/")
    expect(page).to_have_url(re.compile(r"/en/accounts/login/\?next=%2Fadmin%2F$"))
    page.get_by_label("Email").fill(publisher.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.get_by_label("Code").fill(totp_code(publisher.totp_secret))
    page.get_by_role("button", name="Sign In").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))

    # Draft: the three official versions, the release date and one directive inline.
    page.goto("/admin/priorities/statement/add/")
    for code in ("en", "fr", "es"):
        page.get_by_label(f"Title [{code}]").fill(TITLES[code])
        page.get_by_label(f"Body [{code}]").fill(BODIES[code])
    page.get_by_label("Slug").fill(SLUG)
    page.get_by_label("Release date").fill("2026-11-27")
    page.get_by_label("Location").fill("Ottawa, Ontario")
    directive = page.locator("#directives-0")
    directive.locator("[name='directives-0-order']").fill("1")
    directive.get_by_label("Competitiveness").check()
    for code in ("en", "fr", "es"):
        directive.locator(f"[name='directives-0-text_{code}']").fill(DIRECTIVE[code])
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    statement = Statement.objects.get(slug=SLUG)
    assert statement.status == Statement.Status.DRAFT and statement.directives.count() == 1

    # Preview: the form again, unsaved, headed by each language's text as the statement page renders it.
    page.get_by_label("Body [en]").fill(BODIES["en"] + "\n\n<script>document.title = 'owned'</script>")
    page.get_by_role("button", name="Preview").click()
    preview_section = page.locator(".statement-preview")
    expect(preview_section.locator("[lang=en] strong")).to_have_text("strengthen")
    expect(preview_section.locator("[lang=es] strong")).to_have_text("fortalecer")
    expect(preview_section.locator("script")).to_have_count(0)
    assert Statement.objects.get(slug=SLUG).body_en == BODIES["en"], "a preview saves nothing"
    page.get_by_label("Body [en]").fill(BODIES["en"])

    # "View on site" shows the draft to the publisher; the public gets 404.
    view_on_site = page.locator(".object-tools").get_by_role("link", name="View on site")
    preview = page.context.new_page()  # the publisher's own session, beside the admin form
    preview.goto(view_on_site.get_attribute("href"))
    expect(preview).to_have_url(re.compile(rf"/statements/{SLUG}/$"))
    expect(preview.get_by_role("note").first).to_contain_text("Preview: this statement is a draft.")
    expect(preview.get_by_role("heading", level=1)).to_have_text(TITLES["en"])
    expect(preview.get_by_text(DIRECTIVE["en"])).to_be_visible()
    assert public_status(new_page) == 404

    # Schedule: published, at a time in the future. Still 404 to the public, previewable.
    later = timezone.now() + datetime.timedelta(days=7)
    page.get_by_label("Status").select_option("published")
    page.locator("[name='published_at_0']").fill(later.strftime("%Y-%m-%d"))
    page.locator("[name='published_at_1']").fill(later.strftime("%H:%M:%S"))
    page.get_by_role("button", name="Save and continue editing").click()
    # Scheduling is publishing: the password first (allauth's reauthentication), then the save goes through.
    expect(page).to_have_url(re.compile(r"/en/accounts/reauthenticate/\?next="))
    page.locator("input[name='password']").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    assert Statement.objects.get(slug=SLUG).is_scheduled()
    preview.reload()
    expect(preview.get_by_role("note").first).to_contain_text("Preview: this statement is scheduled for publication")
    assert public_status(new_page) == 404

    # Publish now: the statement's own "Publish", which asks first.
    page.locator(".object-tools").get_by_role("link", name="Publish").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Publish the statement?")
    assert Statement.objects.get(slug=SLUG).is_scheduled()
    page.locator(".submit-row").get_by_role("button", name="Publish").click()
    expect(page.locator(".messagelist")).to_contain_text("The statement is published.")
    assert Statement.objects.get(slug=SLUG).is_published()
    expect(page.locator(".object-tools").get_by_role("link", name="Withdraw")).to_be_visible()

    public = new_page()
    response = public.goto("/en/statements/")
    assert response.ok
    public.get_by_role("link", name=TITLES["en"]).click()
    expect(public).to_have_url(re.compile(rf"{URL}$"))
    expect(public.get_by_role("heading", level=1)).to_have_text(TITLES["en"])
    expect(public.locator(".statement-body strong")).to_have_text("strengthen")
    expect(public.get_by_role("note")).to_have_count(0)
    public.locator("a[hreflang=es]").first.click()
    expect(public.get_by_role("heading", level=1)).to_have_text(TITLES["es"])
