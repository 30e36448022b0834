"""
Bad input, still clear (issue 18, item 8) and withdrawn means withdrawn (item 9).

- Display names and organisation names obey the rules of comments (no control, bidi-override or
  zero-width characters) and cannot pass for the portal, a moderator or a government unless the
  account is an official's.
- Search, verification and reports have rate limits: 429 with Retry-After, in the portal's layout,
  counted in the cache every app server shares. The comment rate limit answers 429 with the text kept.
- A private-use character in a comment never becomes markup in a search snippet.
- A withdrawn statement's comments take no reply and no report, whoever asks (views or services).
(The 60 hostile paths with NUL and invalid UTF-8 are in tests/test_hostile_inputs.py.)
"""

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client

from dialogue import services
from dialogue.models import Comment, Flag, Stakeholder
from priorities.models import Statement

from .factories import make_comment, make_moderator, make_statement, make_user

pytestmark = pytest.mark.django_db

SIGNUP = {
    "email": "new.person@example.org",
    "password1": "Trilateral-dialogue-2008",
    "password2": "Trilateral-dialogue-2008",
    "display_name": "Ann Example",
    "country": "MX",
    "sector": "business",
    "organisation": "Cooperativa del Valle",
    "preferred_language": "es",
    "accept_terms": "on",
}
PROFILE = {"display_name": "Ann Example", "country": "CA", "sector": "academia", "organisation": "", "language": "en"}
INVISIBLE = "contains invisible characters"
OFFICIAL = "could be taken for the portal, its moderators or a government"


def profile_data(**changes):
    data = {**PROFILE, **changes}
    data["preferred_language"] = data.pop("language")
    return data


class TestPublicNames:
    @pytest.mark.parametrize(
        "name",
        [
            "Ann\u202eelpmaxE",  # right-to-left override
            "Ann\u2066Example\u2069",  # directional isolate
            "Ann\u200bExample",  # zero-width space
            "\ufeffAnn Example",  # byte-order mark
            "Ann\x07Example",  # a control character
            "Ann\tExample",  # a tab has no place in a one-line name
        ],
        ids=["bidi-override", "bidi-isolate", "zero-width-space", "byte-order-mark", "bell", "tab"],
    )
    @pytest.mark.parametrize("field", ["display_name", "organisation"])
    def test_invisible_characters_are_refused_at_sign_up_with_the_rest_kept(self, client, name, field):
        response = client.post("/en/accounts/signup/", {**SIGNUP, field: name})
        assert response.status_code == 200
        assert INVISIBLE in response.text
        assert 'value="new.person@example.org"' in response.text, "what was typed is kept"
        assert not get_user_model().objects.filter(email=SIGNUP["email"]).exists()

    @pytest.mark.parametrize("field", ["display_name", "organisation"])
    def test_invisible_characters_are_refused_in_the_profile(self, client, field):
        user = make_user(display_name="Ann Example")
        client.force_login(user)
        response = client.post("/en/accounts/profile/", profile_data(**{field: "Ann\u202eelpmaxE"}))
        assert response.status_code == 200 and INVISIBLE in response.text
        assert Stakeholder.objects.get(user=user).display_name == "Ann Example"

    @pytest.mark.parametrize(
        "name",
        [
            "Moderator",
            "The Moderation Team",
            "Modérateur du portail",
            "Moderadora",
            "Site admin",
            "Government of Canada",
            "Gouvernement du Canada",
            "GOBIERNO DE MÉXICO",
            "U.S. Government",
            "Gouvernement des États-Unis",
            "Canada",
            "Estados Unidos",
            "North American Dialogue Portal",
            "Portail du dialogue nord-américain",
            "Portal del Diálogo de América del Norte",
            "Security and Prosperity Partnership",
            "Respuesta oficial",
        ],
    )
    def test_names_that_claim_an_official_identity_are_refused_to_stakeholders(self, client, name):
        response = client.post("/en/accounts/signup/", {**SIGNUP, "display_name": name})
        assert response.status_code == 200 and OFFICIAL in response.text, name
        assert not get_user_model().objects.filter(email=SIGNUP["email"]).exists()
        user = make_user(display_name="Ann Example")
        client.force_login(user)
        response = client.post("/es/accounts/profile/", profile_data(organisation=name))
        assert response.status_code == 200
        assert Stakeholder.objects.get(user=user).organisation == ""

    @pytest.mark.parametrize(
        "name", ["Canada Steel Ltd.", "Government Accountability Project", "Amélie Tremblay", "Administración pública"]
    )
    def test_ordinary_names_that_mention_such_words_are_accepted(self, client, name):
        user = make_user()
        client.force_login(user)
        response = client.post("/en/accounts/profile/", profile_data(display_name=name, organisation=name))
        assert response.status_code == 302
        assert Stakeholder.objects.get(user=user).display_name == name

    def test_an_official_may_bear_an_official_name(self, client):
        moderator = make_moderator()
        client.force_login(moderator)
        response = client.post(
            "/en/accounts/profile/", profile_data(display_name="Moderator — Mexico", organisation="Gobierno de México")
        )
        assert response.status_code == 302
        assert Stakeholder.objects.get(user=moderator).organisation == "Gobierno de México"

    def test_the_refusal_speaks_the_reader_s_language(self, client):
        response = client.post("/fr/accounts/signup/", {**SIGNUP, "display_name": "Modérateur"})
        assert "pourrait être pris pour le portail" in response.text


def assert_portal_429(response, language="en"):
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert f'<html lang="{language}"' in response.text, "in the portal's layout"
    assert 'href="/' in response.text and "<header" in response.text


class TestRateLimits:
    def test_search_is_limited_per_client_address(self, settings):
        settings.SEARCH_RATE_LIMIT = (3, 60)
        reader, other = Client(REMOTE_ADDR="203.0.113.5"), Client(REMOTE_ADDR="198.51.100.7")
        for _ in range(3):
            assert reader.get("/en/search/", {"q": "border"}).status_code == 200
        response = reader.get("/fr/search/", {"q": "frontière"})
        assert_portal_429(response, "fr")
        assert "Trop de tentatives" in response.text
        assert other.get("/en/search/", {"q": "border"}).status_code == 200, "another reader is not affected"

    def test_the_limit_lifts_when_its_window_ends(self, settings):
        import time_machine

        settings.SEARCH_RATE_LIMIT = (2, 60)
        reader = Client()
        with time_machine.travel(1_900_000_020.0, tick=False) as clock:  # the start of a minute
            reader.get("/en/search/", {"q": "border"})
            reader.get("/en/search/", {"q": "border"})
            refused = reader.get("/en/search/", {"q": "border"})
            assert refused.status_code == 429 and refused["Retry-After"] == "60"
            clock.shift(60)
            assert reader.get("/en/search/", {"q": "border"}).status_code == 200

    def test_verification_is_limited(self, settings):
        settings.VERIFY_RATE_LIMIT = (2, 60)
        reader = Client()
        for _ in range(2):
            assert (
                reader.get("/en/dialogue/verify/", {"tracking_number": "SPP-0000-0000", "text": "x"}).status_code == 200
            )
        assert_portal_429(reader.get("/en/dialogue/verify/", {"tracking_number": "SPP-0000-0000", "text": "x"}))

    def test_reports_are_limited_per_stakeholder(self, settings, generous_rate_limit):
        settings.REPORT_RATE_LIMIT = (2, 600)
        settings.FLAG_THRESHOLD = 100
        statement, moderator = make_statement(), make_moderator()
        comments = [make_comment(statement, approve_by=moderator) for _ in range(3)]
        reporter = Client()
        reporter.force_login(make_user())
        for comment in comments[:2]:
            response = reporter.post(f"/en/dialogue/comments/{comment.tracking_number}/report/", {"reason": "spam"})
            assert response.status_code == 302
        response = reporter.post(f"/en/dialogue/comments/{comments[2].tracking_number}/report/", {"reason": "spam"})
        assert_portal_429(response)
        assert Flag.objects.count() == 2
        assert reporter.get(f"/en/dialogue/comments/{comments[2].tracking_number}/report/").status_code == 200

    def test_the_counts_live_in_the_shared_cache(self, settings):
        """What every app server reads (Redis in production): emptying it resets the count (see test_scale_out)."""
        settings.SEARCH_RATE_LIMIT = (1, 60)
        reader = Client()
        reader.get("/en/search/", {"q": "border"})
        assert reader.get("/en/search/", {"q": "border"}).status_code == 429
        cache.clear()
        assert reader.get("/en/search/", {"q": "border"}).status_code == 200

    def test_the_comment_rate_limit_answers_429_with_the_text_kept(self, settings):
        settings.COMMENT_RATE_LIMIT = (2, 600)
        statement, author = make_statement(), make_user()
        client = Client()
        client.force_login(author)
        url = f"/en/dialogue/statements/{statement.slug}/comment/"
        for number in range(2):
            client.post(url, {"about": "", "body": f"A considered comment number {number}.", "language": "en"})
        response = client.post(url, {"about": "", "body": "The text I do not want to lose.", "language": "en"})
        assert response.status_code == 429
        assert 0 < int(response["Retry-After"]) <= 600
        assert "the most the portal accepts" in response.text
        assert "The text I do not want to lose." in response.text
        assert Comment.objects.filter(author=author).count() == 2


def test_a_private_use_character_in_a_comment_never_becomes_markup_in_a_search_snippet(client):
    """The search marks its matches with private-use characters; typed into a comment, they stay inert."""
    statement, moderator = make_statement(), make_moderator()
    make_comment(
        statement,
        approve_by=moderator,
        body="Border \ue000forged\ue001 crossings and \ue001\ue000 stray marks around the border.",
    )
    response = client.get("/en/search/", {"q": "crossings"})
    assert response.status_code == 200
    assert "<mark>forged</mark>" not in response.text
    assert "</mark><mark>" not in response.text
    snippet = response.text[response.text.index("forged") - 200 : response.text.index("forged") + 200]
    assert snippet.count("<mark>") == snippet.count("</mark>") >= 1, "only the real match is marked"


class TestWithdrawnMeansWithdrawn:
    @pytest.fixture
    def withdrawn(self, generous_rate_limit):
        statement, moderator = make_statement(), make_moderator()
        comment = make_comment(statement, approve_by=moderator, body="Words on a statement soon withdrawn.")
        Statement.objects.filter(pk=statement.pk).update(status=Statement.Status.WITHDRAWN)
        return comment

    def test_a_report_is_refused_by_the_service(self, withdrawn):
        with pytest.raises(services.NotAllowed, match="was withdrawn"):
            services.comment_flag(comment=withdrawn, flagger=make_user(), reason="spam")
        assert not Flag.objects.exists()

    def test_a_reply_is_refused_by_the_service_saying_why(self, withdrawn):
        with pytest.raises(services.NotAllowed, match="was withdrawn"):
            services.comment_submit(
                author=make_user(),
                statement=withdrawn.statement,
                body="A reply to a withdrawn statement's comment.",
                language="en",
                parent=withdrawn,
            )
        assert Comment.objects.count() == 1

    def test_the_pages_refuse_reply_report_and_verification(self, client, withdrawn):
        client.force_login(make_user())
        tracking = withdrawn.tracking_number
        assert (
            client.post(f"/en/dialogue/comments/{tracking}/reply/", {"body": "x" * 20, "language": "en"}).status_code
            == 404
        )
        assert client.post(f"/en/dialogue/comments/{tracking}/report/", {"reason": "spam"}).status_code == 404
        verify = client.get("/en/dialogue/verify/", {"tracking_number": tracking, "text": withdrawn.body})
        assert "No published comment has this tracking number." in verify.text
        assert not Flag.objects.exists() and Comment.objects.count() == 1
