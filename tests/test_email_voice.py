"""
Every email in the portal's voice (issue 13 item 7), and authors told what happens (item 5).

Each email the portal can send, its own and django-allauth's, in English, French and Spanish,
through the real flows wherever a test client can drive them (sign-up, "you already have an
account", password reset for a known and an unknown address, the reset itself, password change,
email change, two-factor authentication turned on and off, comments, decisions, official
responses, replies, the moderators' digest); the few no page here can trigger alone (recovery
codes renewed, a second address removed, a password set where there was none) are sent through
allauth's adapter as its flows send them. Each must greet the person, not a host ("Hello from
127.0.0.1:8000!"); name no host; carry the portal's name in the subject and as the sender's name,
in the recipient's language; speak formally (no French "tu/ton/ta/tes/toi", no Spanish
"tú/tu/tus/te/ti") and say "courriel" in French.
"""

import re
from email.utils import parseaddr

import pytest
from allauth.account.adapter import get_adapter
from allauth.account.models import EmailAddress
from allauth.core import context as allauth_context
from django.core import mail
from django.core.management import call_command
from django.test import Client, RequestFactory

from dialogue import services
from dialogue.models import Comment, OfficialResponse, Subscription

from .factories import PASSWORD, make_comment, make_moderator, make_statement, make_user
from .test_accounts import confirmation_link, totp_code

pytestmark = pytest.mark.django_db

LANGUAGES = ["en", "fr", "es"]
PORTAL = {
    "en": "North American Dialogue Portal",
    "fr": "Portail du dialogue nord-américain",
    "es": "Portal del Diálogo de América del Norte",
}
GREETING = {"en": "Hello", "fr": "Bonjour", "es": "Hola"}
# Informal address, as whole words (a URL or an address is taken out first).
INFORMAL = {
    "fr": re.compile(r"\b(?:tu|ton|ta|tes|toi)\b|\bt[\u2019'](?=\w)", re.IGNORECASE),
    "es": re.compile(r"\b(tú|tu|tus|te|ti|contigo|tienes|puedes|quieres)\b", re.IGNORECASE),
}
FORMAL = {
    "fr": re.compile(r"\b(vous|votre|vos)\b", re.IGNORECASE),
    "es": re.compile(r"\b(usted|su|sus)\b", re.IGNORECASE),
}
HOSTS = ("127.0.0.1", "example.com", "Hello from", "Bonjour de", "¡Hola de", "Hola de parte")
CLIENT_ADDRESS = "203.0.113.7"  # where the browser is, as the change notices report it (not a host name)
NEW_PASSWORD = "Another-trilateral-2009"


def words(text: str) -> str:
    """The text without its links and addresses, whose letters are no words of the sentence."""
    return re.sub(r"\S*(://|@)\S*", " ", text)


def assert_portal_voice(message, language: str, *, addresses_the_reader: bool = True) -> None:
    """One email, in the portal's voice and the recipient's language (formal when it addresses the reader)."""
    text = f"{message.subject}\n{message.body}"
    assert message.subject.startswith(f"[{PORTAL[language]}] "), message.subject
    assert parseaddr(message.from_email)[0] == PORTAL[language], message.from_email
    first_line = message.body.strip().splitlines()[0]
    assert first_line.startswith(GREETING[language]), first_line
    for host in HOSTS:
        assert host not in text, f"{host!r} in {message.subject!r}"
    assert "testserver" not in first_line
    assert message.body.rstrip().splitlines()[-2:][0] == PORTAL[language] or PORTAL[language] in message.body
    if language in INFORMAL:
        found = [match.group(0) for match in INFORMAL[language].finditer(words(text))]
        assert not found, f"informal {found} in {message.subject!r}:\n{message.body}"
        if addresses_the_reader:
            assert FORMAL[language].search(words(message.body)), f"no formal address in {message.subject!r}"
    if language == "fr":
        assert not re.search(r"\be-?mail\b", words(text), re.IGNORECASE), "courriel, in Canadian French"


def only(to: str):
    [message] = [message for message in mail.outbox if message.to == [to]]
    return message


def sign_up(client: Client, language: str, email: str):
    return client.post(
        f"/{language}/accounts/signup/",
        {
            "email": email,
            "password1": PASSWORD,
            "password2": PASSWORD,
            "display_name": "Dana Okafor",
            "country": "CA",
            "sector": "labour",
            "organisation": "",
            "preferred_language": language,
            "accept_terms": "on",
        },
    )


def sign_in(client: Client, language: str, email: str, password: str = PASSWORD) -> None:
    response = client.post(f"/{language}/accounts/login/", {"login": email, "password": password})
    assert response.status_code == 302, "signed in"


@pytest.fixture
def outbox(django_capture_on_commit_callbacks):
    """mail.outbox, with the outbox's rows delivered as each transaction commits."""
    with django_capture_on_commit_callbacks(execute=True):
        yield mail.outbox


# --- allauth's emails, through its real flows ---------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_sign_up_verification_and_account_already_exists(outbox, language):
    email = f"dana.{language}@example.org"
    assert sign_up(Client(REMOTE_ADDR=CLIENT_ADDRESS), language, email).status_code == 302
    verification = only(email)
    assert_portal_voice(verification, language)
    assert f"/{language}/accounts/confirm-email/" in verification.body
    assert "Dana Okafor" in verification.body.splitlines()[0]

    mail.outbox.clear()
    # Someone signs up with a registered address, from an English page: the page says nothing, the
    # owner is told, in the owner's language.
    owner = make_user(f"owner.{language}@example.org", preferred_language=language)
    assert sign_up(Client(REMOTE_ADDR=CLIENT_ADDRESS), "en", owner.email).status_code == 302
    already = only(owner.email)
    assert_portal_voice(already, language)  # the owner's language, not the page's
    assert f"/{language}/accounts/password/reset/" in already.body


@pytest.mark.parametrize("language", LANGUAGES)
def test_password_reset_for_known_and_unknown_addresses_and_the_reset(outbox, language):
    user = make_user(preferred_language=language)
    client = Client(REMOTE_ADDR=CLIENT_ADDRESS)
    client.post(f"/{language}/accounts/password/reset/", {"email": "nobody.here@example.org"})
    assert_portal_voice(only("nobody.here@example.org"), language)  # no account: the page's language

    client.post("/en/accounts/password/reset/", {"email": user.email})  # from an English page
    reset = only(user.email)
    assert_portal_voice(reset, language)
    assert f"/{language}/accounts/password/reset/key/" in reset.body, "the link in the account's language"
    link = re.search(r"https?://[^/\s]+(/\S*/accounts/password/reset/key/\S+/)", reset.body).group(1)

    mail.outbox.clear()
    form_url = client.get(link).url  # allauth moves the key into the session, then shows the form
    response = client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    notice = only(user.email)
    assert_portal_voice(notice, language)
    assert CLIENT_ADDRESS in notice.body


@pytest.mark.parametrize("language", LANGUAGES)
def test_password_change_and_email_change_are_told_to_the_owner(outbox, language):
    user = make_user(preferred_language=language)
    old_email = user.email
    client = Client(REMOTE_ADDR=CLIENT_ADDRESS)
    sign_in(client, language, old_email)
    client.post(
        f"/{language}/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert_portal_voice(only(old_email), language)

    mail.outbox.clear()
    new_email = f"new.{language}@example.org"
    client.post(f"/{language}/accounts/email/", {"email": new_email, "action_add": ""})
    confirm = only(new_email)
    assert_portal_voice(confirm, language)

    mail.outbox.clear()
    link = confirmation_link(confirm)
    client.post(link)
    assert EmailAddress.objects.get(user=user, primary=True).email == new_email
    changed = only(old_email)
    assert_portal_voice(changed, language)
    assert old_email in changed.body and new_email in changed.body


@pytest.mark.parametrize("language", LANGUAGES)
def test_two_factor_turned_on_and_off_is_told_to_the_owner(django_capture_on_commit_callbacks, language):
    user = make_user(preferred_language=language)
    client = Client(REMOTE_ADDR=CLIENT_ADDRESS)
    sign_in(client, language, user.email)
    client.post(f"/{language}/accounts/reauthenticate/", {"password": PASSWORD})  # asked before 2FA changes
    client.get(f"/{language}/accounts/2fa/totp/activate/")
    code = totp_code(client.session["mfa.totp.secret"])
    with django_capture_on_commit_callbacks(execute=True):  # allauth sends it once the change is committed
        client.post(f"/{language}/accounts/2fa/totp/activate/", {"code": code})
    assert_portal_voice(only(user.email), language)

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/{language}/accounts/2fa/totp/deactivate/")
    assert_portal_voice(only(user.email), language)


# --- allauth's emails no test client can trigger alone here: sent as its flows send them ---------

NOTICES = [
    ("mfa/email/recovery_codes_generated", {}),
    ("account/email/email_deleted", {"deleted_email": "old.address@example.org"}),
    ("account/email/password_set", {}),
]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("template", "context"), NOTICES, ids=[template for template, _ in NOTICES])
def test_account_notices_in_the_portal_voice(outbox, language, template, context):
    user = make_user(preferred_language=language, display_name="Dana Okafor")
    request = RequestFactory().get("/en/", REMOTE_ADDR=CLIENT_ADDRESS, HTTP_USER_AGENT="Firefox/140")
    request.user = user
    with allauth_context.request_context(request):
        get_adapter(request).send_notification_mail(template, user, context)  # from a page in English
    message = only(user.email)
    assert_portal_voice(message, language)
    assert message.body.startswith(f"{GREETING[language]}") and "Dana Okafor" in message.body.splitlines()[0]
    assert CLIENT_ADDRESS in message.body and "Firefox/140" in message.body


# --- The portal's own emails ---------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_comment_emails_receipt_decisions_response_and_reply(outbox, language):
    statement = make_statement()
    moderator = make_moderator()
    author = make_user(preferred_language=language)
    comment = make_comment(statement, author=author, language=language)
    assert_portal_voice(only(author.email), language)  # the receipt

    mail.outbox.clear()
    services.comment_approve(comment=comment, moderator=moderator, seen=comment.fingerprint)
    assert_portal_voice(only(author.email), language)

    mail.outbox.clear()
    services.response_post(
        comment=comment,
        moderator=moderator,
        government=OfficialResponse.Government.MEXICO,
        body="Thank you: the figures will be published each year.",
        language="en",
    )
    response_email = only(author.email)
    assert_portal_voice(response_email, language)
    assert "Thank you: the figures will be published each year." in response_email.body
    assert f"/{language}/dialogue/receipt/{comment.tracking_number}/" in response_email.body

    mail.outbox.clear()
    replier = make_user(preferred_language="en", display_name="Sam Rivers")
    reply = make_comment(statement, author=replier, parent=comment, body="I agree, and the same holds at the ports.")
    assert [message.to for message in mail.outbox] == [[replier.email]], "a submitted reply tells nobody else"
    mail.outbox.clear()
    services.comment_approve(comment=reply, moderator=moderator, seen=reply.fingerprint)
    reply_email = only(author.email)
    assert_portal_voice(reply_email, language)
    assert "Sam Rivers" in reply_email.body and "the same holds at the ports" in reply_email.body

    mail.outbox.clear()
    rejected = make_comment(statement, author=author, language=language)
    mail.outbox.clear()
    services.comment_reject(comment=rejected, moderator=moderator, seen=rejected.fingerprint, reason="off_topic")
    assert_portal_voice(only(author.email), language)

    # Appeals: granted and turned down, each decided by a moderator of another country.
    for grant in (True, False):
        appealed = make_comment(statement, author=author, language=language)
        services.comment_reject(comment=appealed, moderator=moderator, seen=appealed.fingerprint, reason="off_topic")
        appeal = services.appeal_submit(comment=appealed, author=author, explanation="It is on topic, please look.")
        mail.outbox.clear()
        services.appeal_decide(
            appeal=appeal, moderator=make_moderator(country="MX"), grant=grant, note="Reviewed again with care."
        )
        outcome = only(author.email)
        assert_portal_voice(outcome, language)
        assert "Reviewed again with care." in outcome.body


@pytest.mark.parametrize("language", LANGUAGES)
def test_moderation_digest_in_the_portal_voice(outbox, language):
    moderator = make_moderator(preferred_language=language)
    make_comment(make_statement())
    mail.outbox.clear()
    call_command("moderation_digest", verbosity=0)
    assert_portal_voice(only(moderator.email), language, addresses_the_reader=False)  # "1 comment awaits…"


# --- Told what happens: preferences and "My submissions" -------------------------------------------


def test_preferences_turn_each_email_off(outbox):
    statement = make_statement()
    moderator = make_moderator()
    author = make_user()
    for topic in (Subscription.Topic.MY_RESPONSES, Subscription.Topic.MY_REPLIES):
        services.subscription_set(user=author, topic=topic, delivery=Subscription.Delivery.OFF)
    comment = make_comment(statement, author=author, approve_by=moderator)
    mail.outbox.clear()
    services.response_post(comment=comment, moderator=moderator, government="CA", body="We read it.", language="en")
    reply = make_comment(statement, parent=comment)
    services.comment_approve(comment=reply, moderator=moderator, seen=reply.fingerprint)
    assert author.email not in [address for message in mail.outbox for address in message.to]


def test_email_i_receive_page_sets_the_preferences(client):
    """The emails about one's comments are chosen on "Email I receive" (they were two profile boxes)."""
    author = make_user(preferred_language="en", display_name="Dana Okafor", country="CA")
    client.force_login(author)
    page = client.get("/en/dialogue/subscriptions/").text
    assert "Official responses to my comments" in page and "Replies to my comments" in page
    response = client.post(
        "/en/dialogue/subscriptions/",
        {"standing-my_replies": "daily", "standing-my_responses": "off"},
    )
    assert response.status_code == 302
    chosen = dict(Subscription.objects.filter(user=author).values_list("topic", "delivery"))
    assert chosen == {"my_replies": "daily", "my_responses": "off"}


def test_my_submissions_flags_news_until_the_receipt_is_opened(client):
    statement = make_statement()
    moderator = make_moderator()
    author = make_user()
    comment = make_comment(statement, author=author, approve_by=moderator)
    client.force_login(author)
    page = client.get("/en/dialogue/mine/").text
    assert "New official response" not in page.split("<table")[1] and "New reply" not in page.split("<table")[1]
    assert 'class="badge status-badge status-open">Published<' in page, "a labelled status, not colour alone"

    services.response_post(comment=comment, moderator=moderator, government="MX", body="We read it.", language="en")
    reply = make_comment(statement, parent=comment)
    table = client.get("/en/dialogue/mine/").text.split("<table")[1]
    assert "New official response" in table and "New reply" not in table, "a reply counts once published"
    services.comment_approve(comment=reply, moderator=moderator, seen=reply.fingerprint)
    table = client.get("/en/dialogue/mine/").text.split("<table")[1]
    assert "New official response" in table and "New reply" in table

    receipt = client.get(f"/en/dialogue/receipt/{comment.tracking_number}/").text
    assert "Official response — Government of Mexico" in receipt and "We read it." in receipt
    table = client.get("/en/dialogue/mine/").text.split("<table")[1]
    assert "New official response" not in table and "New reply" not in table
    assert Comment.objects.get(pk=comment.pk).author_seen_at is not None


def test_receipt_reads_easily_and_prints(client):
    author = make_user()
    comment = make_comment(make_statement(), author=author)
    client.force_login(author)
    page = client.get(f"/en/dialogue/receipt/{comment.tracking_number}/").text
    groups = "".join(f"<span>{comment.fingerprint[i : i + 8]}</span>" for i in range(0, 64, 8))
    assert f'<code class="receipt-code fingerprint" id="receipt-fingerprint">{groups}</code>' in page
    assert f'data-copy="{comment.fingerprint}"' in page and f'data-copy="{comment.tracking_number}"' in page
    assert "/static/js/receipt.js" in page and "<script>" not in page
    assert 'class="badge status-badge status-not-yet-open">Awaiting moderation<' in page


# --- Sign-up says what is public -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "appear beside every comment you publish and in the portal's open data"),
        ("fr", "Votre adresse courriel n\u2019y figure jamais"),
        ("es", "Su dirección de correo electrónico nunca aparece ahí"),
    ],
)
def test_sign_up_says_what_is_public_and_chooses_no_country(client, language, said):
    page = client.get(f"/{language}/accounts/signup/").text
    assert said in page
    select = re.search(r'<select name="country".*?</select>', page, re.DOTALL).group(0)
    assert not re.search(r'<option value="[A-Z]+" selected', select), "no country is chosen for anyone"
    assert re.search(r'<select name="country"[^>]*>\s*<option value=""', select), "a blank 'choose' option first"
    assert "required" in select


def test_sign_up_without_a_country_is_refused(client):
    response = sign_up(client, "en", "no.country@example.org")
    assert response.status_code == 302  # control: the complete form passes
    data = {
        "email": "still.no.country@example.org",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "display_name": "Alex Moreau",
        "country": "",
        "sector": "labour",
        "preferred_language": "en",
        "accept_terms": "on",
    }
    response = Client().post("/en/accounts/signup/", data)
    assert response.status_code == 200
    assert "This field is required." in response.text
