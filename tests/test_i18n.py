"""English, French and Spanish as equals: complete catalogues, no English left in the French and
Spanish pages, language switching, emails in the stakeholder's language, translation parity at
publication, and dates in each language's format."""

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import polib
import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.template.loader import render_to_string
from django.utils import translation

from dialogue import services
from dialogue.threads import ConversationCounts
from priorities.models import PublicationWithoutLanguage, Statement

from .factories import make_comment, make_moderator, make_publisher, make_statement, make_user, reauthenticate

pytestmark = pytest.mark.django_db

LOCALE = Path(settings.BASE_DIR) / "locale"
TRANSLATED = ["fr", "es"]
PLACEHOLDER = re.compile(r"%\(\w+\)[sdfr]|%[sdfr]|\{\w*\}")

# English interface text that must not survive on a French or Spanish page.
ENGLISH_PHRASES = [
    "Sign in",
    "Sign up",
    "Sign out",
    "My submissions",
    "My account",
    "Comments",
    "Take part",
    "Statements",
    "Priorities",
    "Submit for moderation",
    "awaiting moderation",
    "Awaiting moderation",
    "Latest statement",
    "Read the statement",
    "Open for comment",
    "The five priorities",
    "Comment period",
    "Directives to officials",
    "Release date",
    "Tracking number",
    "Skip to main content",
    "Privacy notice",
    "Terms of participation",
    "Language of your comment",
    "Your comment",
    "Oldest first",
    "All languages",
    "Password",
    "Remember me",
    "Forgot your password",
    "Moderation queue",
    "Pending",
    "Flagged",
    "Approve",
    "Reject",
    "Status",
    "Submitted",
]


# --- The catalogues ----------------------------------------------------------------------------


def catalogue(language: str) -> polib.POFile:
    return polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))


@pytest.mark.parametrize("language", TRANSLATED)
def test_catalogue_has_no_untranslated_or_fuzzy_entry(language):
    """Every interface string has a reviewed French and Spanish translation: none empty, none fuzzy."""
    po = catalogue(language)
    assert len(po) > 400
    assert [e.msgid for e in po.untranslated_entries()] == []
    assert [e.msgid for e in po.fuzzy_entries()] == []
    assert not po.metadata_is_fuzzy
    assert po.metadata["Language"] == language


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_every_placeholder(language):
    """%(count)d, %(name)s… come back unchanged, or the page would crash or show the wrong value."""
    wrong = []
    for entry in catalogue(language).translated_entries():
        if entry.msgid_plural:
            wanted = set(PLACEHOLDER.findall(entry.msgid_plural))
            # A singular form may spell out "one" instead of its count; it may not invent a placeholder.
            forms = dict(sorted(entry.msgstr_plural.items()))
            if set(PLACEHOLDER.findall(forms[max(forms)])) != wanted or any(
                set(PLACEHOLDER.findall(text)) - wanted for text in forms.values()
            ):
                wrong.append(entry.msgid)
        elif sorted(PLACEHOLDER.findall(entry.msgid)) != sorted(PLACEHOLDER.findall(entry.msgstr)):
            wrong.append(entry.msgid)
    assert wrong == []


def test_french_typography_keeps_colons_and_guillemets_with_their_words():
    """A colon or a closing guillemet never wraps alone onto the next line: French puts a non-breaking
    space before ":" and inside « », and writes the typographic apostrophe, U+2019 (no space before ; ? !, as in
    Canadian federal usage)."""
    wrong = []
    for entry in catalogue("fr").translated_entries():
        for text in [entry.msgstr, *entry.msgstr_plural.values()]:
            if re.search(r" :|« | »|[^\W\d_]'[^\W\d_]", text):
                wrong.append(text)
    assert wrong == []


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext is not installed")
def test_catalogues_hold_every_string_marked_in_the_code(tmp_path, settings, monkeypatch):
    """A string marked for translation but missing from the catalogues would stay English: run `make makemessages`."""
    # makemessages writes beside the nearest `locale/` of the files it reads: read the project through
    # symlinks from a scratch directory, so the fresh catalogues land there and locale/ is left alone.
    project = tmp_path / "project"
    project.mkdir()
    skipped = {"locale", "tests", ".venv", "staticfiles", "var", "test-results", ".git"}
    for item in Path(settings.BASE_DIR).iterdir():
        if item.name not in skipped and (item.is_dir() or item.suffix == ".py"):
            (project / item.name).symlink_to(item)
    (tmp_path / "locale").mkdir()
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    monkeypatch.chdir(project)
    call_command("makemessages", locale=TRANSLATED, symlinks=True, verbosity=0)
    for language in TRANSLATED:
        fresh = polib.pofile(str(tmp_path / "locale" / language / "LC_MESSAGES" / "django.po"))
        assert len(fresh) > 400
        committed = {(entry.msgctxt, entry.msgid) for entry in catalogue(language)}
        missing = sorted(entry.msgid for entry in fresh if (entry.msgctxt, entry.msgid) not in committed)
        assert missing == [], f"not in locale/{language}: run `make makemessages` and translate them"


# --- No English left on the French and Spanish pages -------------------------------------------


class VisibleText(HTMLParser):
    """
    The interface text of a page: text and human-readable attributes, leaving out scripts and
    anything marked as written in another language (`lang="en"` content, the language switcher).
    """

    ATTRIBUTES = ("aria-label", "title", "placeholder", "alt", "value")
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self, language: str):
        super().__init__()
        self.language = language
        self.stack: list[tuple[str, bool]] = []
        self.chunks: list[str] = []
        self.html_lang = None

    def foreign(self) -> bool:
        return any(skipped for _tag, skipped in self.stack)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.html_lang = attrs.get("lang")
        lang = attrs.get("lang")
        skipped = tag in {"script", "style", "head"} or (lang is not None and lang != self.language)
        if not (skipped or self.foreign()):
            # A value is read only on buttons; elsewhere it is data (an option's code, a field's input).
            button = tag == "input" and attrs.get("type") in {"submit", "button"}
            shown = [attrs[name] for name in self.ATTRIBUTES if attrs.get(name) and (name != "value" or button)]
            self.chunks.extend(shown)
        if tag not in self.VOID:
            self.stack.append((tag, skipped))

    def handle_endtag(self, tag):
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                break

    def handle_data(self, data):
        if not self.foreign():
            self.chunks.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.chunks).split())


def english_left(html: str, language: str) -> list[str]:
    parser = VisibleText(language)
    parser.feed(html)
    assert parser.html_lang == language
    # Each phrase found, with the text around it: enough to find the template that holds it.
    return [
        f"{phrase!r} in …{parser.text[max(0, found.start() - 60) : found.end() + 60]}…"
        for phrase in ENGLISH_PHRASES
        if (found := re.search(rf"\b{re.escape(phrase)}\b", parser.text))
    ]


def trilingual(**fields):
    """A statement with official English, French and Spanish texts, directives included."""
    statement = make_statement(
        title_en="Joint statement on border wait times",
        title_fr="Déclaration conjointe sur l’attente à la frontière",  # noqa: RUF001
        title_es="Declaración conjunta sobre los tiempos de espera en la frontera",
        summary_en="Ministers agree on shorter waits.",
        summary_fr="Les ministres s’entendent sur des attentes plus courtes.",  # noqa: RUF001
        summary_es="Los ministros acuerdan esperas más cortas.",
        body_en="The ministers met.",
        body_fr="Les ministres se sont réunis.",
        body_es="Los ministros se reunieron.",
        **fields,
    )
    for directive in statement.directives.all():
        directive.text_fr = f"Directive numéro {directive.order}"
        directive.text_es = f"Directriz número {directive.order}"
        directive.save()
    return statement


@pytest.fixture
def french_stakeholder():
    return make_user(display_name="Amélie Tremblay", preferred_language="fr")


@pytest.mark.parametrize("language", TRANSLATED)
class TestNoEnglishInterface:
    """Pages a French or Spanish speaker uses to read, take part and moderate contain no English interface text."""

    def test_home(self, client, language):
        trilingual()
        response = client.get(f"/{language}/")
        assert response.status_code == 200
        assert english_left(response.text, language) == []

    def test_statement_page_for_a_visitor(self, client, language):
        statement = trilingual()
        response = client.get(f"/{language}/statements/{statement.slug}/")
        assert response.status_code == 200
        assert english_left(response.text, language) == []

    def test_statement_page_with_its_comment_form_and_thread(self, client, language):
        statement = trilingual()
        stakeholder = make_user()
        make_comment(statement, author=stakeholder, language=language, body="Un commentaire en attente, bien pensé.")
        make_comment(statement, language=language, approve_by=make_moderator(), body="Un avis publié, bien argumenté.")
        client.force_login(stakeholder)
        response = client.get(f"/{language}/statements/{statement.slug}/")
        assert 'id="comment-form"' in response.text
        assert english_left(response.text, language) == []

    def test_comment_form_page(self, client, language):
        statement = trilingual()
        client.force_login(make_user())
        response = client.get(f"/{language}/dialogue/statements/{statement.slug}/comment/")
        assert response.status_code == 200
        assert english_left(response.text, language) == []

    def test_comment_form_errors(self, client, language):
        statement = trilingual()
        client.force_login(make_user())
        response = client.post(
            f"/{language}/dialogue/statements/{statement.slug}/comment/", {"body": "court", "language": language}
        )
        assert response.status_code == 400
        assert english_left(response.text, language) == []
        assert "characters long" not in response.text

    def test_sign_in(self, client, language):
        response = client.get(f"/{language}/accounts/login/")
        assert response.status_code == 200
        assert english_left(response.text, language) == []

    def test_sign_up(self, client, language):
        response = client.get(f"/{language}/accounts/signup/")
        assert response.status_code == 200
        assert english_left(response.text, language) == []

    def test_my_submissions(self, client, language):
        statement = trilingual()
        stakeholder = make_user()
        make_comment(statement, author=stakeholder, language=language, body="Ma contribution en attente de décision.")
        client.force_login(stakeholder)
        response = client.get(f"/{language}/dialogue/mine/")
        assert response.status_code == 200
        assert english_left(response.text, language) == []

    def test_receipt(self, client, language):
        stakeholder = make_user()
        comment = make_comment(trilingual(), author=stakeholder, language=language, body="Un commentaire reçu.")
        client.force_login(stakeholder)
        response = client.get(f"/{language}/dialogue/receipt/{comment.tracking_number}/")
        assert response.status_code == 200
        assert english_left(response.text, language) == []

    def test_moderation_queue(self, client, language):
        statement = trilingual()
        make_comment(statement, language=language, body="Un commentaire qui attend un modérateur.")
        client.force_login(make_moderator())
        response = client.get(f"/{language}/moderation/")
        assert response.status_code == 200
        assert english_left(response.text, language) == []

    def test_not_found_page(self, client, language):
        response = client.get(f"/{language}/no/such/page/")
        assert response.status_code == 404
        assert english_left(response.text, language) == []
        assert "Page not found" not in response.text


# --- Language choice ----------------------------------------------------------------------------


def test_language_switcher_keeps_the_page_and_hreflang_lists_all_three(client):
    statement = trilingual()
    response = client.get(f"/fr/statements/{statement.slug}/?order=newest")
    html = response.text
    assert '<html lang="fr">' in html
    for code in ("en", "fr", "es"):
        assert (
            f'<link rel="alternate" hreflang="{code}" href="http://testserver/{code}/statements/{statement.slug}/'
            f'?order=newest">' in html
        )
    switcher = html[html.index("language-switcher") :]
    assert f'href="http://testserver/en/statements/{statement.slug}/?order=newest" hreflang="en"' in switcher
    assert f'href="http://testserver/es/statements/{statement.slug}/?order=newest" hreflang="es"' in switcher
    assert 'aria-current="true" lang="fr"' in switcher


@pytest.mark.parametrize("language", ["en", "fr", "es"])
def test_every_page_declares_its_language(client, language):
    assert f'<html lang="{language}">' in client.get(f"/{language}/priorities/").text


# --- Email in the stakeholder's language ---------------------------------------------------------


def test_french_stakeholder_gets_a_french_receipt_even_from_an_english_page(
    django_capture_on_commit_callbacks, french_stakeholder
):
    statement = trilingual()
    with django_capture_on_commit_callbacks(execute=True):
        comment = services.comment_submit(
            author=french_stakeholder,
            statement=statement,
            body="Je souhaite des postes frontaliers ouverts plus longtemps.",
            language="fr",
        )
    [message] = mail.outbox
    assert message.to == [french_stakeholder.email]
    assert message.subject == (
        f"[Portail du dialogue nord-américain] Votre commentaire {comment.tracking_number} a été reçu"
    )
    assert message.body.startswith("Bonjour Amélie Tremblay,")
    assert "Numéro de suivi\u00a0:" in message.body
    assert f"/fr/dialogue/receipt/{comment.tracking_number}/" in message.body
    assert "Tracking number" not in message.body
    assert translation.get_language() == "en"  # the email did not change the caller's language


def test_french_stakeholder_gets_a_french_decision(django_capture_on_commit_callbacks, french_stakeholder):
    comment = make_comment(trilingual(), author=french_stakeholder, language="fr")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_approve(comment=comment, seen=comment.fingerprint, moderator=make_moderator())
    [message] = mail.outbox
    assert message.subject == (
        f"[Portail du dialogue nord-américain] Votre commentaire {comment.tracking_number} est publié"
    )
    assert "a été approuvé et est maintenant publié" in message.body


def test_verification_email_follows_the_preferred_language_not_the_page(client):
    with translation.override("en"):
        response = client.post(
            "/en/accounts/signup/",
            {
                "email": "sofia@example.mx",
                "password1": "Trilateral-dialogue-2008",
                "password2": "Trilateral-dialogue-2008",
                "display_name": "Sofía Hernández",
                "country": "MX",
                "sector": "business",
                "organisation": "",
                "preferred_language": "es",
                "accept_terms": "on",
            },
        )
    assert response.status_code == 302
    [message] = mail.outbox
    assert "/es/accounts/confirm-email/" in message.body
    assert "Portal del Diálogo de América del Norte" in message.subject
    assert "North American Dialogue" not in message.subject
    assert "Please Confirm" not in message.subject
    assert "You're receiving this" not in message.body


# --- Translation parity at publication ------------------------------------------------------------


def change_form_data(statement, **changes):
    data = {
        "slug": statement.slug,
        "original_language": statement.original_language,
        "release_date": statement.release_date.isoformat(),
        "status": statement.status,
        "published_at_0": "",
        "published_at_1": "",
        "comments_open_at_0": "",
        "comments_open_at_1": "",
        "comments_close_at_0": "",
        "comments_close_at_1": "",
        "directives-TOTAL_FORMS": "0",
        "directives-INITIAL_FORMS": "0",
        "published_without-TOTAL_FORMS": "0",
        "published_without-INITIAL_FORMS": "0",
        "documents-TOTAL_FORMS": "0",
        "documents-INITIAL_FORMS": "0",
    }
    for field in ("title", "summary", "body"):
        for code in ("en", "fr", "es"):
            data[f"{field}_{code}"] = getattr(statement, f"{field}_{code}") or ""
    data.update(changes)
    return data


class TestPublicationParity:
    def test_publishing_without_french_needs_an_explicit_confirmation(self, client):
        """The change form refuses to publish a statement missing French until "publish without French" is ticked."""
        draft = make_statement(status=Statement.Status.DRAFT, open_comments=False, title_es="Título", body_es="Texto")
        publisher = make_publisher()
        client.force_login(publisher)
        reauthenticate(client)  # publishing asks for the password again
        url = f"/admin/priorities/statement/{draft.pk}/change/"
        data = change_form_data(draft, status="published", published_at_0="2026-01-01", published_at_1="12:00:00")
        response = client.post(url, data)
        assert response.status_code == 200
        assert "There is no official French title and body" in response.text
        draft.refresh_from_db()
        assert draft.status == Statement.Status.DRAFT

        response = client.post(url, {**data, "publish_without_fr": "on"})
        assert response.status_code == 302
        draft.refresh_from_db()
        assert draft.status == Statement.Status.PUBLISHED
        [record] = PublicationWithoutLanguage.objects.filter(statement=draft)
        assert (record.language, record.confirmed_by) == ("fr", publisher)

    def test_a_complete_statement_publishes_without_any_confirmation(self, client):
        draft = trilingual(status=Statement.Status.DRAFT, open_comments=False)
        client.force_login(make_publisher())
        data = change_form_data(draft, status="published", published_at_0="2026-01-01", published_at_1="12:00:00")
        assert client.post(f"/admin/priorities/statement/{draft.pk}/change/", data).status_code == 302
        assert not PublicationWithoutLanguage.objects.exists()

    def test_publish_action_asks_for_the_missing_languages_then_records_them(self, client):
        draft = make_statement(status=Statement.Status.DRAFT, title_en="English only")
        publisher = make_publisher()
        client.force_login(publisher)
        reauthenticate(client)  # publishing asks for the password again
        changelist = "/admin/priorities/statement/"
        response = client.post(changelist, {"action": "publish", "_selected_action": [draft.pk]})
        assert response.status_code == 200
        assert f'value="{draft.pk}:fr"' in response.text and f'value="{draft.pk}:es"' in response.text
        draft.refresh_from_db()
        assert draft.status == Statement.Status.DRAFT

        confirm = {"action": "publish", "_selected_action": [draft.pk], "confirm_parity": "1"}
        response = client.post(changelist, {**confirm, "publish_without": [f"{draft.pk}:fr"]}, follow=True)
        assert "1 statement not published: a missing language was not confirmed." in response.text
        draft.refresh_from_db()
        assert draft.status == Statement.Status.DRAFT

        client.post(changelist, {**confirm, "publish_without": [f"{draft.pk}:fr", f"{draft.pk}:es"]})
        draft.refresh_from_db()
        assert draft.is_published()
        records = PublicationWithoutLanguage.objects.filter(statement=draft)
        assert sorted(records.values_list("language", flat=True)) == ["es", "fr"]
        assert {record.confirmed_by for record in records} == {publisher}

    def test_statement_page_says_plainly_that_no_official_version_exists(self, client):
        statement = make_statement(title_en="English only")
        PublicationWithoutLanguage.objects.create(statement=statement, language="fr", confirmed_by=make_publisher())
        html = client.get(f"/fr/statements/{statement.slug}/").text
        notice = "Cette déclaration a été publiée en anglais; il n’en existe aucune version officielle en français."  # noqa: RUF001
        assert notice in html
        assert "les responsables de la publication ont confirmé sa publication sans cette version" in html
        html = client.get(f"/es/statements/{statement.slug}/").text
        assert "Esta declaración se publicó en inglés; no existe una versión oficial en español." in html


# --- Comments keep their language --------------------------------------------------------------


def test_readers_filter_a_thread_by_language_and_each_comment_says_its_language(client):
    statement = trilingual()
    moderator = make_moderator()
    make_comment(statement, language="fr", approve_by=moderator, body="Un avis en français, publié.")
    make_comment(statement, language="es", approve_by=moderator, body="Una opinión en español, publicada.")
    html = client.get(f"/en/statements/{statement.slug}/").text
    assert '<div class="comment-body" lang="fr">' in html and '<div class="comment-body" lang="es">' in html
    assert "français</span>" in html and "español</span>" in html
    html = client.get(f"/en/statements/{statement.slug}/?lang=es").text
    assert "Una opinión en español" in html and "Un avis en français" not in html


def test_moderators_filter_the_queue_by_language(client):
    statement = trilingual()
    make_comment(statement, language="fr", body="En attente, en français.")
    make_comment(statement, language="es", body="En espera, en español.")
    client.force_login(make_moderator())
    html = client.get("/fr/moderation/?language=es").text
    assert "En espera, en español." in html and "En attente, en français." not in html


# --- Formats ------------------------------------------------------------------------------------


def test_dates_follow_the_readers_language(client):
    statement = trilingual(release_date="2008-02-28")
    assert "28 février 2008" in client.get(f"/fr/statements/{statement.slug}/").text
    assert "28 de febrero de 2008" in client.get(f"/es/statements/{statement.slug}/").text
    assert "Feb. 28, 2008" in client.get(f"/en/statements/{statement.slug}/").text


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", ["1,234,567 published comments", "12,345 comments awaiting moderation."]),
        ("fr", ["1\u00a0234\u00a0567 commentaires publiés", "12\u00a0345 commentaires en attente de modération."]),
        ("es", ["1\u00a0234\u00a0567 comentarios publicados", "12\u00a0345 comentarios en espera de moderación."]),
    ],
)
def test_counts_are_grouped_the_readers_way(language, expected):
    thread = SimpleNamespace(threads=[], order="oldest", language="", page=None)
    counts = ConversationCounts(published=1234567, awaiting=12345)
    with translation.override(language):
        html = render_to_string(
            "dialogue/includes/comment_thread.html",
            {"counts": counts, "thread": thread, "languages": settings.LANGUAGES},
        )
    for text in expected:
        assert text in html


def test_comment_period_close_is_shown_in_the_three_capitals_in_each_language(client):
    statement = trilingual()
    html = client.get(f"/es/statements/{statement.slug}/").text
    times = html[html.index("capital-times") :]
    for capital in ("Ottawa", "Ciudad de México", "Washington"):
        assert f"<strong>{capital}</strong>" in times
    html = client.get(f"/fr/statements/{statement.slug}/").text
    times = html[html.index("capital-times") :]
    assert "<strong>Mexico</strong>" in times and "Mexico City" not in times


def test_compile_catalogues_falls_back_to_polib(tmp_path, settings):
    """Without msgfmt the set-up still builds working catalogues."""
    target = tmp_path / "fr" / "LC_MESSAGES"
    target.mkdir(parents=True)
    shutil.copy(LOCALE / "fr" / "LC_MESSAGES" / "django.po", target / "django.po")
    settings.LOCALE_PATHS = [tmp_path]
    call_command("compile_catalogues", pure_python=True, verbosity=0)
    compiled = polib.mofile(str(target / "django.mo"))
    assert compiled.find("Sign in").msgstr == "Se connecter"
