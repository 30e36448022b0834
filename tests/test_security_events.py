"""
Security events logged (issue 18, item 5): one JSON line on `spp_portal.security` per event, with
the client's address and the request id, and never a password or a code. Each event is produced
through the real flow a person (or an administrator at the command line) would use.
"""

import json
import logging

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import mail
from django.core.management import call_command
from django.test import Client

from safeguards import events
from safeguards.events import security_event

from .factories import PASSWORD, make_moderator, make_user
from .test_accounts import confirmation_link, totp_code

pytestmark = pytest.mark.django_db

CLIENT = "203.0.113.9"


@pytest.fixture
def visitor():
    return Client(REMOTE_ADDR=CLIENT)


def in_request(line, response) -> None:
    """The line was written while answering `response`, for the visitor's address."""
    assert line["request_id"] == response["X-Request-ID"]
    assert line["client_ip"] == CLIENT
    assert line["level"] in ("INFO", "WARNING")


def nothing_secret(log_lines, *secrets: str) -> None:
    text = json.dumps(log_lines)
    for secret in secrets:
        assert secret not in text


class TestSigningIn:
    def test_success_names_the_account(self, visitor, security_events, log_lines):
        user = make_user()
        response = visitor.post("/en/accounts/login/", {"login": user.email, "password": PASSWORD})
        [line] = security_events.named(events.LOGIN_SUCCEEDED)
        assert line["account_id"] == user.pk and line["message"] == "login.succeeded"
        in_request(line, response)
        nothing_secret(log_lines, PASSWORD)

    def test_failure_names_the_address_tried_never_the_password(self, visitor, security_events, log_lines):
        make_user("target@example.org")
        response = visitor.post("/en/accounts/login/", {"login": "target@example.org", "password": "Guess-Number-1"})
        [line] = security_events.named(events.LOGIN_FAILED)
        assert line["login"] == "target@example.org"
        in_request(line, response)
        nothing_secret(log_lines, "Guess-Number-1")

    def test_a_password_typed_into_the_address_box_is_not_logged(self, visitor, log_lines):
        response = visitor.post("/en/accounts/login/", {"login": "MySecretPass99", "password": "x"})
        assert response.status_code == 200
        nothing_secret(log_lines, "MySecretPass99")

    def test_lockout_is_logged_at_warning(self, visitor, security_events):
        make_user("target@example.org")
        for _ in range(5):
            visitor.post("/en/accounts/login/", {"login": "target@example.org", "password": "wrong-guess"})
        response = visitor.post("/en/accounts/login/", {"login": "target@example.org", "password": PASSWORD})
        [line] = security_events.named(events.LOGIN_LOCKED_OUT)
        assert line["level"] == "WARNING" and line["login"] == "target@example.org"
        in_request(line, response)

    def test_a_wrong_authenticator_code_is_logged_without_the_code(self, visitor, security_events, log_lines):
        moderator = make_moderator()
        visitor.post("/en/accounts/login/", {"login": moderator.email, "password": PASSWORD})
        wrong = "000000" if totp_code(moderator.totp_secret) != "000000" else "111111"
        response = visitor.post("/en/accounts/2fa/authenticate/", {"code": wrong})
        [line] = security_events.named(events.MFA_FAILED)
        assert line["account_id"] == moderator.pk and line["authenticator"] == "totp"
        in_request(line, response)
        assert not any(wrong in str(value) for value in line.values())

    def test_signing_out(self, visitor, security_events):
        user = make_user()
        visitor.force_login(user)
        visitor.post("/en/accounts/logout/")
        [line] = security_events.named(events.LOGOUT)
        assert line["account_id"] == user.pk


class TestTwoFactorAuthentication:
    def test_set_up_and_removal(self, visitor, security_events, log_lines, django_capture_on_commit_callbacks):
        user = make_user()
        visitor.post("/en/accounts/login/", {"login": user.email, "password": PASSWORD})
        # allauth asks for the password again before two-factor settings change.
        visitor.post("/en/accounts/reauthenticate/", {"password": PASSWORD})
        visitor.get("/en/accounts/2fa/totp/activate/")
        secret = visitor.session["mfa.totp.secret"]
        code = totp_code(secret)
        with django_capture_on_commit_callbacks(execute=True):  # allauth signals it once the change is committed
            response = visitor.post("/en/accounts/2fa/totp/activate/", {"code": code})
        assert Authenticator.objects.filter(user=user, type="totp").exists()
        added = security_events.named(events.MFA_ADDED)
        assert {line["authenticator"] for line in added} == {"totp", "recovery_codes"}
        in_request(added[0], response)
        response = visitor.post("/en/accounts/2fa/totp/deactivate/")
        assert not Authenticator.objects.filter(user=user, type="totp").exists()
        removed = security_events.named(events.MFA_REMOVED)
        # Without an authenticator app the recovery codes go too: both removals are logged.
        assert {(line["account_id"], line["authenticator"]) for line in removed} == {
            (user.pk, "totp"),
            (user.pk, "recovery_codes"),
        }
        in_request(removed[0], response)
        nothing_secret(log_lines, secret, code, PASSWORD)


class TestCredentials:
    def test_password_change(self, visitor, security_events, log_lines):
        user = make_user()
        visitor.force_login(user)
        new = "Another-long-password-2026"
        response = visitor.post(
            "/en/accounts/password/change/", {"oldpassword": PASSWORD, "password1": new, "password2": new}
        )
        assert response.status_code == 302
        [line] = security_events.named(events.PASSWORD_CHANGED)
        assert line["account_id"] == user.pk
        in_request(line, response)
        nothing_secret(log_lines, PASSWORD, new)

    def test_password_reset(self, visitor, security_events, log_lines):
        user = make_user("forgetful@example.org")
        visitor.post("/en/accounts/password/reset/", {"email": user.email})
        link = next(word for word in mail.outbox[-1].body.split() if "/accounts/password/reset/key/" in word)
        form = visitor.get(link.split("testserver", 1)[1], follow=True)
        new = "A-brand-new-password-2026"
        visitor.post(form.redirect_chain[-1][0], {"password1": new, "password2": new})
        [line] = security_events.named(events.PASSWORD_RESET)
        assert line["account_id"] == user.pk
        nothing_secret(log_lines, new, link)

    def test_email_change_is_logged_by_address_record_not_address(self, visitor, security_events, log_lines):
        user = make_user("old.address@example.org")
        visitor.force_login(user)
        visitor.post("/en/accounts/email/", {"email": "new.address@example.org", "action_add": ""})
        [added] = security_events.named(events.EMAIL_ADDED)
        new_address = EmailAddress.objects.get(email="new.address@example.org")
        assert added["email_address_id"] == new_address.pk
        link = confirmation_link(mail.outbox[-1])
        visitor.post(link)
        [changed] = security_events.named(events.EMAIL_CHANGED)
        assert changed["account_id"] == user.pk and changed["to_email_address_id"] == new_address.pk
        assert get_user_model().objects.get(pk=user.pk).email == "new.address@example.org"
        text = json.dumps(security_events.all())
        assert "new.address@example.org" not in text and "old.address@example.org" not in text


class TestRights:
    def test_grant_role_and_revoke_role_are_logged(self, security_events):
        user = make_user("official@example.org")
        call_command("grant_role", "official@example.org", "publisher", verbosity=0)
        granted = security_events.named(events.ROLE_GRANTED)
        assert {(line["account_id"], line["role"]) for line in granted} == {(user.pk, "Publishers"), (user.pk, "staff")}
        call_command("revoke_role", "official@example.org", "publisher", verbosity=0)
        revoked = security_events.named(events.ROLE_REVOKED)
        assert {(line["account_id"], line["role"]) for line in revoked} == {(user.pk, "Publishers"), (user.pk, "staff")}

    def test_a_role_granted_through_the_group_side_or_cleared_is_logged(self, security_events):
        user = make_user()
        moderators = Group.objects.get(name="Moderators")
        moderators.user_set.add(user)
        user.groups.clear()
        assert [line["role"] for line in security_events.named(events.ROLE_GRANTED)] == ["Moderators"]
        assert [line["role"] for line in security_events.named(events.ROLE_REVOKED)] == ["Moderators"]

    def test_a_sign_in_does_not_look_like_a_change_of_rights(self, visitor, security_events):
        visitor.post("/en/accounts/login/", {"login": make_user().email, "password": PASSWORD})
        assert not security_events.named(events.ROLE_GRANTED) and not security_events.named(events.ROLE_REVOKED)


def test_account_deletion(visitor, security_events):
    user = make_user()
    visitor.force_login(user)
    response = visitor.post("/en/accounts/delete/", {"password": PASSWORD})
    assert response.status_code == 302
    [line] = security_events.named(events.ACCOUNT_DELETED)
    assert line["account_id"] == user.pk
    in_request(line, response)


def test_the_helper_for_api_keys_writes_the_event_and_drops_any_secret(security_events):
    """For the API's keys: the documented event name, and a key, code or password passed by mistake is not written."""
    user = make_user()
    security_event(events.API_KEY_CREATED, user=user, key_id=7, key="sk_live_abc", api_key="sk_live_abc", code="1")
    [line] = security_events.named("api_key.created")
    assert (line["account_id"], line["key_id"]) == (user.pk, 7)
    assert "sk_live_abc" not in json.dumps(line) and "code" not in line


def test_events_outside_a_request_carry_no_address(security_events):
    security_event(events.ACCOUNT_DELETED, user=None, level=logging.INFO)
    [line] = security_events.named(events.ACCOUNT_DELETED)
    assert line["client_ip"] is None and line["request_id"] is None
