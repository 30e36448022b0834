"""
Issue 13's journey in Spanish on a 390 px phone: a Mexican stakeholder signs up at /es/ (the form
says what is public and picks no country for her), verifies from the email, opens a statement,
comments on a directive reached from the "at a glance" panel and gets the receipt; a moderator,
signed in in another browser, approves the comment and responds officially; she receives the
response email in Spanish, formally, from the portal's Spanish name, and finds the response flagged
in "Mis envíos" until she opens its receipt.
"""

import re
from email.utils import parseaddr

import pytest
from django.utils import translation
from playwright.sync_api import expect

from dialogue.models import Comment
from tests.e2e.conftest import TIMEOUT_MS
from tests.e2e.test_dialogue_journeys import wait_for_email
from tests.factories import make_moderator, make_statement
from tests.test_accounts import confirmation_link
from tests.test_email_voice import assert_portal_voice

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

EMAIL = "guadalupe.reyes@example.mx"
PASSWORD = "Dialogo-trilateral-2008"
COMMENT = "Las cooperativas del norte necesitan trámites aduanales en español y en línea, sin intermediarios."
RESPONSE = "Gracias por su comentario: el Gobierno de México publicará los trámites en línea este año."
PHONE = {"width": 390, "height": 844}


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.fixture
def phone(browser, live_server, request):
    """A phone in Spanish: a 390 px wide viewport, touch, the Mexican Spanish locale; the clipboard allowed."""
    context = browser.new_context(
        base_url=live_server.url, locale="es-MX", viewport=PHONE, is_mobile=True, has_touch=True
    )
    context.set_default_timeout(TIMEOUT_MS)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        from tests.e2e.conftest import SCREENSHOTS

        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "spanish-phone-journey.png"), full_page=True)
    context.close()


def test_spanish_phone_sign_up_comment_on_a_directive_and_an_official_response(phone, new_page):
    page = phone
    statement = make_statement(title_en="Statement for the Spanish journey", title_es="Declaración del recorrido")
    directive = statement.directives.order_by("priority__order", "order").first()
    moderator = make_moderator(display_name="Moderadora Ruiz")

    # Sign up at /es/: the form says what is public, and no country is chosen for her.
    page.goto("/es/accounts/signup/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Registrarse")
    expect(page.get_by_role("heading", name="Lo que verán los demás")).to_be_visible()
    expect(page.get_by_text("Su dirección de correo electrónico nunca aparece ahí")).to_be_visible()
    expect(page.get_by_label("País")).to_have_value("")
    assert no_sideways_scroll(page)
    page.get_by_label("Correo electrónico").fill(EMAIL)
    page.get_by_label(re.compile(r"^\s*Contraseña\W*$")).fill(PASSWORD)
    page.get_by_label("Contraseña (de nuevo)").fill(PASSWORD)
    page.get_by_label("Nombre visible").fill("Guadalupe Reyes")
    page.get_by_label("País").select_option("MX")
    page.get_by_label("Sector").select_option("civil_society")
    page.get_by_label("Organización").fill("Cooperativa del Norte")
    expect(page.get_by_label("Idioma preferido")).to_have_value("es")
    page.get_by_label("He leído y acepto las condiciones de participación").check()
    page.get_by_role("button", name="Registrarse").click()
    expect(page).to_have_url(re.compile(r"/es/accounts/confirm-email/$"))

    # The verification email: Spanish, formal, the portal's name, no host name.
    verification = wait_for_email()
    assert verification.to == [EMAIL]
    assert_portal_voice(verification, "es")
    page.goto(confirmation_link(verification))
    page.get_by_role("button", name="Confirmar").click()
    expect(page.get_by_role("status")).to_contain_text("Ha iniciado sesión")

    # Open the statement; from the "at a glance" panel to the directives, then comment on one.
    with translation.override("es"):
        page.goto(statement.get_absolute_url())
    panel = page.get_by_role("complementary", name="De un vistazo")
    panel.get_by_role("link", name="O comentar una de sus directrices").click()
    expect(page).to_have_url(re.compile(r"#directives$"))
    page.locator(f"#directive-{directive.pk}").get_by_role("link", name="Comentar esta directriz").click()
    expect(page.get_by_label("¿Sobre qué trata su comentario?")).to_have_value(f"directive:{directive.pk}")
    page.get_by_role("textbox", name="Su comentario").fill(COMMENT)
    page.get_by_role("button", name="Enviar a moderación").click()

    # The receipt: the tracking number and fingerprint read easily, a copy button, no sideways scroll.
    expect(page).to_have_url(re.compile(r"/es/dialogue/receipt/[\w-]+/$"))
    expect(page.get_by_text("Gracias. Recibimos su comentario y está en espera de moderación.")).to_be_visible()
    tracking = page.locator("#receipt-tracking").inner_text()
    comment = Comment.objects.get(tracking_number=tracking)
    assert (comment.author.email, comment.directive_id, comment.language) == (EMAIL, directive.pk, "es")
    expect(page.locator("#receipt-fingerprint span")).to_have_count(8)
    font = page.locator("#receipt-fingerprint").evaluate("e => getComputedStyle(e).fontFamily")
    assert "mono" in font.lower(), font
    page.get_by_role("button", name="Copiar").first.click()
    assert page.evaluate("navigator.clipboard.readText()") == tracking
    assert no_sideways_scroll(page)

    # A moderator, signed in in another browser, approves it and responds officially for Mexico.
    desk = new_page(user=moderator)
    desk.goto("/en/moderation/")
    desk.get_by_role("button", name=f"Approve {tracking}").click()
    expect(desk.get_by_text(f"Comment {tracking} approved and published.")).to_be_visible()
    desk.goto(f"/en/moderation/comments/{tracking}/")
    desk.get_by_label("Responding government").select_option("MX")
    desk.get_by_role("textbox", name="Official response").fill(RESPONSE)
    desk.get_by_label("Language of the response").select_option("es")
    desk.get_by_role("button", name="Publish the official response").click()
    expect(desk.get_by_text("The official response is published under the comment.")).to_be_visible()

    # She receives the response email in Spanish (after the receipt and the approval).
    response_email = next(
        message
        for message in (wait_for_email(count) for count in range(2, 5))
        if "Respuesta oficial" in message.subject
    )
    assert response_email.to == [EMAIL]
    assert_portal_voice(response_email, "es")
    assert parseaddr(response_email.from_email)[0] == "Portal del Diálogo de América del Norte"
    assert response_email.subject == (
        f"[Portal del Diálogo de América del Norte] Respuesta oficial a su comentario {tracking}"
    )
    assert response_email.body.startswith("Hola, Guadalupe Reyes:")
    assert "(Gobierno de México)" in response_email.body and RESPONSE in response_email.body
    assert f"/es/dialogue/receipt/{tracking}/" in response_email.body

    # "Mis envíos" flags it until she opens the receipt, which shows the response.
    page.goto("/es/dialogue/mine/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mis envíos")
    flag = page.get_by_role("link", name="Nueva respuesta oficial")
    expect(flag).to_be_visible()
    expect(page.locator("main")).to_contain_text("Publicado")
    assert no_sideways_scroll(page)
    flag.click()
    expect(page.get_by_role("heading", name="Respuestas oficiales")).to_be_visible()
    expect(page.locator("#responses")).to_contain_text("Respuesta oficial — Gobierno de México")
    expect(page.locator("#responses")).to_contain_text(RESPONSE)
    page.goto("/es/dialogue/mine/")
    expect(page.get_by_role("link", name="Nueva respuesta oficial")).to_have_count(0)
