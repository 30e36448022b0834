"""Stakeholder accounts with django-allauth: sign-up, verification, sign-in, MFA, rate limits, roles, my data."""

import base64
import hashlib
import hmac
import json
import re
import struct
import time
import urllib.parse

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import Client

from dialogue import services
from dialogue.models import Comment, ModerationEvent, Stakeholder

from .factories import PASSWORD, make_statement, make_user, seed_statement

pytestmark = pytest.mark.django_db

SIGNUP = {
    "email": "amelie@example.ca",
    "password1": "Trilateral-dialogue-2008",
    "password2": "Trilateral-dialogue-2008",
    "display_name": "Amélie Tremblay",
    "country": "CA",
    "sector": "academia",
    "organisation": "Université Laval",
    "preferred_language": "fr",
    "accept_terms": "on",
}


def totp_code(secret: str, at: float | None = None) -> str:
    """RFC 6238, computed independently of allauth."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    counter = struct.pack(">Q", int((at or time.time()) // 30))
    digest = hmac.new(key, counter, hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def confirmation_link(message) -> str:
    return re.search(r"https?://[^/\s]+(/\S*/accounts/confirm-email/\S+/)", message.body).group(1)


class TestSignUp:
    def test_sign_up_verify_then_sign_in(self, client):
        response = client.post("/en/accounts/signup/", SIGNUP)
        assert response.status_code == 302
        user = get_user_model().objects.get(email="amelie@example.ca")
        stakeholder = user.stakeholder
        assert (stakeholder.display_name, stakeholder.country, stakeholder.sector) == (
            "Amélie Tremblay",
            "CA",
            "academia",
        )
        assert stakeholder.terms_version and stakeholder.terms_accepted_at
        assert not EmailAddress.objects.get(user=user).verified

        assert len(mail.outbox) == 1
        link = confirmation_link(mail.outbox[0])
        assert link.startswith("/fr/"), "the verification email speaks the stakeholder's language"
        assert client.get(link).status_code == 200
        client.post(link)
        assert EmailAddress.objects.get(user=user).verified

        client.logout()
        response = client.post("/en/accounts/login/", {"login": SIGNUP["email"], "password": SIGNUP["password1"]})
        assert response.status_code == 302
        assert client.get("/en/").context["user"] == user

    def test_unverified_stakeholder_cannot_sign_in_or_submit(self, client):
        client.post("/en/accounts/signup/", SIGNUP)
        client.logout()
        response = client.post("/en/accounts/login/", {"login": SIGNUP["email"], "password": SIGNUP["password1"]})
        assert response["Location"].endswith("/accounts/confirm-email/")
        assert not client.get("/en/").context["user"].is_authenticated
        user = get_user_model().objects.get(email=SIGNUP["email"])
        with pytest.raises(services.NotAllowed):
            services.comment_submit(author=user, statement=seed_statement(), body="A" * 20, language="en")

    def test_a_registered_address_signs_up_exactly_like_a_new_one_and_its_owner_is_told(self, client):
        """
        Nobody learns who is registered: the answer to a sign-up with a registered address is the
        answer to a new one, nothing is created, and the address's owner gets an email instead.
        """
        owner = make_user("amelie@example.ca")
        users = get_user_model().objects.count()
        as_taken, as_fresh = Client(), Client()
        taken = as_taken.post("/en/accounts/signup/", SIGNUP)
        assert get_user_model().objects.count() == users, "no second account"
        fresh = as_fresh.post("/en/accounts/signup/", {**SIGNUP, "email": "someone.new@example.ca"})
        assert (
            (taken.status_code, taken["Location"])
            == (fresh.status_code, fresh["Location"])
            == (
                302,
                "/en/accounts/confirm-email/",
            )
        )
        assert _page(as_taken, taken, "amelie@example.ca") == _page(as_fresh, fresh, "someone.new@example.ca")
        to_owner = [message for message in mail.outbox if message.to == [owner.email]]
        assert len(to_owner) == 1, "the owner is told someone tried to sign up with their address"
        assert not re.search(r"/accounts/confirm-email/\S+/", to_owner[0].body), "no verification link for it"

    def test_sign_ups_with_a_registered_address_are_rate_limited_like_any(self, client):
        """allauth's sign-up limit (20 a minute per address) still holds: enumeration stays slow as well as blind."""
        make_user("amelie@example.ca")
        for _ in range(20):
            assert client.post("/en/accounts/signup/", SIGNUP).status_code == 302
        response = client.post("/en/accounts/signup/", SIGNUP)
        assert response.status_code == 429
        assert "Too many attempts" in response.text

    def test_terms_must_be_accepted(self, client):
        response = client.post("/en/accounts/signup/", {**SIGNUP, "accept_terms": ""})
        assert "You must accept the terms of participation" in response.text
        assert not get_user_model().objects.filter(email=SIGNUP["email"]).exists()

    def test_weak_password_is_refused_by_the_validators(self, client):
        response = client.post("/en/accounts/signup/", {**SIGNUP, "password1": "12345678", "password2": "12345678"})
        assert response.status_code == 200
        assert "This password is too common." in response.text or "entirely numeric" in response.text


def test_sign_out_is_post_only(client):
    user = make_user()
    client.force_login(user)
    client.get("/en/accounts/logout/")
    assert client.get("/en/").context["user"].is_authenticated
    client.post("/en/accounts/logout/")
    assert not client.get("/en/").context["user"].is_authenticated


def test_a_burst_of_wrong_passwords_is_rate_limited(client):
    make_user("target@example.org")
    for _ in range(5):
        response = client.post("/en/accounts/login/", {"login": "target@example.org", "password": "wrong-guess"})
        assert response.status_code == 200
    response = client.post("/en/accounts/login/", {"login": "target@example.org", "password": PASSWORD})
    assert response.status_code in (200, 429)
    assert "Too many failed login attempts" in response.text
    assert not client.get("/en/").context["user"].is_authenticated


def test_password_reset_for_an_unknown_address_answers_as_for_a_known_one(client):
    """The reset form says the same for any address; an unknown one is told by email that it has no account."""
    make_user("forgetful@example.org")
    as_known, as_unknown = Client(), Client()
    known = as_known.post("/en/accounts/password/reset/", {"email": "forgetful@example.org"})
    unknown = as_unknown.post("/en/accounts/password/reset/", {"email": "nobody-here@example.org"})
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert known.status_code == 302
    assert _page(as_known, known, "forgetful@example.org") == _page(as_unknown, unknown, "nobody-here@example.org")
    [to_known] = [message for message in mail.outbox if message.to == ["forgetful@example.org"]]
    [to_unknown] = [message for message in mail.outbox if message.to == ["nobody-here@example.org"]]
    assert "/accounts/password/reset/key/" in to_known.body
    assert "/accounts/password/reset/key/" not in to_unknown.body


def test_password_reset_requests_for_an_unknown_address_are_rate_limited(client):
    for _ in range(5):
        assert client.post("/en/accounts/password/reset/", {"email": "nobody-here@example.org"}).status_code == 302
    response = client.post("/en/accounts/password/reset/", {"email": "nobody-here@example.org"})
    assert response.status_code == 429
    assert "Too many attempts" in response.text


def _page(client: Client, response, typed: str) -> str:
    """The page a redirect leads to, as a visitor reads it: the address they typed and their CSRF token aside."""
    text = client.get(response["Location"]).text.replace(typed, "<the address typed>")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", text)


def test_password_reset_requests_are_rate_limited(client):
    make_user("forgetful@example.org")
    for _ in range(5):
        response = client.post("/en/accounts/password/reset/", {"email": "forgetful@example.org"})
        assert response.status_code == 302
    sent = len(mail.outbox)
    response = client.post("/en/accounts/password/reset/", {"email": "forgetful@example.org"})
    assert response.status_code == 429
    assert "Too many attempts" in response.text
    assert len(mail.outbox) == sent


def test_signed_in_message_uses_the_display_name(client):
    make_user("named@example.org", display_name="Named Person")
    response = client.post("/en/accounts/login/", {"login": "named@example.org", "password": PASSWORD}, follow=True)
    assert "Successfully signed in as Named Person." in response.text


class TestOfficialsNeedMFA:
    def test_moderator_without_mfa_is_sent_to_set_it_up(self, client):
        client.force_login(make_user(groups=["Moderators"]))
        response = client.get("/en/moderation/")
        assert response.status_code == 302
        assert response["Location"].startswith("/en/accounts/2fa/totp/activate")

    def test_the_page_asked_for_comes_back_url_encoded(self, client):
        """After setting up MFA the moderator returns to the page they asked for, query string included."""
        client.force_login(make_user(groups=["Moderators"]))
        response = client.get("/en/moderation/?status=flagged&page=2")
        location = urllib.parse.urlsplit(response["Location"])
        assert urllib.parse.parse_qs(location.query) == {"next": ["/en/moderation/?status=flagged&page=2"]}

    def test_every_interface_language_is_guarded(self, client, settings):
        """The gate follows settings.LANGUAGES: a language added later guards its moderation pages too."""
        settings.LANGUAGES = [*settings.LANGUAGES, ("pt", "Português")]
        client.force_login(make_user(groups=["Moderators"]))
        for code, _name in settings.LANGUAGES:
            response = client.get(f"/{code}/moderation/")
            assert response.status_code == 302, code
            assert "/accounts/2fa/totp/activate" in response["Location"], code

    def test_publisher_without_mfa_cannot_open_the_admin(self, client):
        client.force_login(make_user(groups=["Publishers"], staff=True))
        response = client.get("/admin/")
        assert response.status_code == 302
        assert "/accounts/2fa/totp/activate" in response["Location"]

    def test_stakeholder_is_not_asked_for_mfa(self, client):
        client.force_login(make_user())
        assert client.get("/en/accounts/profile/").status_code == 200

    def test_totp_code_completes_sign_in(self, client):
        moderator = make_user("mod@example.org", groups=["Moderators"])
        secret = generate_totp_secret()
        TOTP.activate(moderator, secret)
        response = client.post("/en/accounts/login/", {"login": "mod@example.org", "password": PASSWORD})
        assert response["Location"] == "/en/accounts/2fa/authenticate/"
        assert not client.get("/en/").context["user"].is_authenticated
        response = client.post("/en/accounts/2fa/authenticate/", {"code": totp_code(secret)})
        assert response.status_code == 302
        assert client.get("/en/").context["user"] == moderator

    def test_admin_login_goes_through_allauth(self, client):
        response = client.get("/admin/login/")
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


def test_profile_is_editable_and_keeps_input_on_error(client):
    user = make_user(display_name="Old name")
    client.force_login(user)
    response = client.post(
        "/en/accounts/profile/",
        {"display_name": "", "country": "MX", "sector": "labour", "organisation": "CTM", "preferred_language": "es"},
    )
    assert response.status_code == 200
    assert "This field is required." in response.text
    assert 'value="CTM"' in response.text
    client.post(
        "/en/accounts/profile/",
        {"display_name": "Nuevo", "country": "MX", "sector": "labour", "organisation": "", "preferred_language": "es"},
    )
    user.stakeholder.refresh_from_db()
    assert (user.stakeholder.display_name, user.stakeholder.preferred_language) == ("Nuevo", "es")


def test_every_user_gets_a_profile_at_sign_in(client):
    User = get_user_model()
    user = User.objects.create_user("admin", "admin@example.org", PASSWORD)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    client.post("/en/accounts/login/", {"login": "admin@example.org", "password": PASSWORD})
    assert Stakeholder.objects.filter(user=user).exists()


class TestRoles:
    def test_grant_and_revoke(self, capsys):
        user = make_user("official@example.org")
        call_command("grant_role", "official@example.org", "publisher")
        user.refresh_from_db()
        assert user.groups.filter(name="Publishers").exists() and user.is_staff
        assert user.has_perm("priorities.change_statement")
        call_command("grant_role", "official@example.org", "moderator")
        assert get_user_model().objects.get(pk=user.pk).has_perm("dialogue.moderate_comment")
        call_command("revoke_role", "official@example.org", "publisher")
        user = get_user_model().objects.get(pk=user.pk)
        assert not user.is_staff and not user.has_perm("priorities.change_statement")
        assert user.has_perm("dialogue.moderate_comment")

    def test_what_is_read_with_the_signed_in_user_counts_from_the_next_request(self, client):
        """The user is read with their permissions, whether they have an authenticator, belong to an
        organisation and have a comment awaiting moderation (spp_portal/auth.py): a role, an
        authenticator, a membership or a comment granted, sent or taken away counts from the very next
        request, as when each was asked on its own."""
        from django.contrib.auth.models import Permission

        from .test_organisations import verified_organisation

        user = make_user("official@example.org")
        client.force_login(user)
        assert client.get("/en/moderation/").status_code == 403
        call_command("grant_role", "official@example.org", "moderator")
        response = client.get("/en/moderation/")
        assert response.status_code == 302 and "/accounts/2fa/totp/activate" in response["Location"]
        TOTP.activate(user, generate_totp_secret())
        assert client.get("/en/moderation/").status_code == 200
        call_command("revoke_role", "official@example.org", "moderator")
        assert client.get("/en/moderation/").status_code == 403
        # A permission of the user's own, outside any group, is read with them as well.
        user.user_permissions.add(Permission.objects.get(codename="moderate_comment"))
        assert client.get("/en/moderation/").status_code == 200
        user.user_permissions.clear()
        assert client.get("/en/moderation/").status_code == 403

        statement = make_statement()
        assert "Border Carriers" not in client.get(statement.get_absolute_url()).text
        verified_organisation(admin=user, name="Border Carriers")  # the form now offers it
        assert "Border Carriers" in client.get(statement.get_absolute_url()).text

        # Whether a comment of theirs awaits moderation is read with them too: one sent shows at once.
        assert "Your comments awaiting moderation" not in client.get(statement.get_absolute_url()).text
        response = client.post(
            f"/en/dialogue/statements/{statement.slug}/comment/",
            {"body": "Sent, and waiting for a moderator.", "language": "en"},
        )
        assert response.status_code == 302
        assert "Your comments awaiting moderation" in client.get(statement.get_absolute_url()).text

    def test_dry_run_changes_nothing(self):
        user = make_user("official@example.org")
        call_command("grant_role", "official@example.org", "moderator", dry_run=True)
        assert not user.groups.exists()

    def test_unknown_email_is_a_clear_error(self):
        with pytest.raises(CommandError, match="No account has the email address"):
            call_command("grant_role", "nobody@example.org", "moderator")

    def test_moderators_group_holds_only_moderation_permissions(self):
        from django.contrib.auth.models import Group

        perms = set(Group.objects.get(name="Moderators").permissions.values_list("codename", flat=True))
        assert perms == {
            "moderate_comment",
            "respond_officially",
            "view_comment",
            "view_flag",
            "view_moderationevent",
            "verify_organisation",
        }


class TestMyData:
    @pytest.fixture
    def two_stakeholders(self, generous_rate_limit):
        me = make_user("me@example.org", display_name="Me", organisation="My org")
        other = make_user("other@example.org", display_name="Someone else")
        statement = make_statement()
        mine = services.comment_submit(author=me, statement=statement, body="My own view on borders.", language="en")
        theirs = services.comment_submit(author=other, statement=statement, body="Their view here.", language="fr")
        return me, other, mine, theirs

    def test_export_contains_my_data_and_no_one_elses(self, client, two_stakeholders):
        me, _other, mine, theirs = two_stakeholders
        client.force_login(me)
        response = client.get("/en/accounts/my-data/export/")
        assert response["Content-Disposition"].startswith("attachment;")
        data = json.loads(response.content)
        assert data["account"]["email"] == "me@example.org"
        assert data["profile"]["organisation"] == "My org"
        assert [c["tracking_number"] for c in data["comments"]] == [mine.tracking_number]
        assert data["comments"][0]["status"] == "pending"
        text = response.content.decode()
        assert "other@example.org" not in text
        assert theirs.tracking_number not in text
        assert "Their view here." not in text

    def test_delete_needs_the_password(self, client, two_stakeholders):
        me, *_ = two_stakeholders
        client.force_login(me)
        response = client.post("/en/accounts/delete/", {"password": "not-it"})
        assert response.status_code == 400
        assert "This is not your password." in response.text
        assert get_user_model().objects.filter(pk=me.pk).exists()

    def test_delete_anonymises(self, client, two_stakeholders):
        me, _other, pending, _theirs = two_stakeholders
        moderator = make_user(groups=["Moderators"])
        statement = pending.statement
        published = services.comment_submit(author=me, statement=statement, body="Published words.", language="en")
        services.comment_approve(comment=published, seen=published.fingerprint, moderator=moderator)
        client.force_login(me)
        response = client.post("/en/accounts/delete/", {"password": PASSWORD})
        assert response.status_code == 302
        assert not get_user_model().objects.filter(email="me@example.org").exists()
        assert not EmailAddress.objects.filter(email="me@example.org").exists()
        assert not Stakeholder.objects.filter(display_name="Me").exists()
        published.refresh_from_db()
        pending.refresh_from_db()
        assert published.status == Comment.Status.APPROVED and published.author is None
        assert published.body == "Published words."
        assert str(published.public_author_name()) == "Former participant"
        assert pending.status == Comment.Status.WITHDRAWN
        assert ModerationEvent.objects.filter(comment=published, action="anonymise").exists()
        assert not client.get("/en/").context["user"].is_authenticated
