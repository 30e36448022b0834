"""
Officials' sessions (issue 18, item 6): moderators and publishers are not remembered, are signed out
after OFFICIAL_IDLE_TIMEOUT without a request, and give their password again (allauth's
reauthentication) before a bulk decision, publishing or changing someone's rights; over HTTPS the
session and CSRF cookies carry the __Host- prefix. Real allauth sign-in, TOTP and reauthentication
flows throughout; time is moved with time-machine, never waited for.
"""

import datetime

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client, override_settings
from django.utils import timezone

from dialogue.models import Comment
from priorities.models import Statement

from .factories import PASSWORD, make_comment, make_moderator, make_publisher, make_statement, make_user
from .test_accounts import totp_code
from .test_security import production

pytestmark = pytest.mark.django_db

REAUTHENTICATE = "/en/accounts/reauthenticate/"


def sign_in(client: Client, user, *, remember: bool, **extra):
    """allauth's sign-in form, then the authenticator code if the account has one."""
    data = {"login": user.email, "password": PASSWORD}
    if remember:
        data["remember"] = "on"
    response = client.post("/en/accounts/login/", data, **extra)
    if response["Location"] == "/en/accounts/2fa/authenticate/":
        response = client.post("/en/accounts/2fa/authenticate/", {"code": totp_code(user.totp_secret)}, **extra)
    assert response.status_code == 302
    return response


def signed_in_as(client: Client):
    return client.get("/en/").context["user"]


class TestNoRememberMeForOfficials:
    @pytest.mark.parametrize("make_official", [make_moderator, make_publisher], ids=["moderator", "publisher"])
    def test_an_official_s_session_ends_with_the_browser_even_if_they_ask_to_be_remembered(self, make_official):
        client = Client()
        response = sign_in(client, make_official(), remember=True)
        cookie = response.cookies["sessionid"]
        assert cookie["expires"] == "" and cookie["max-age"] == "", "a session cookie, not a stored one"
        assert client.session.get_expire_at_browser_close()

    def test_a_stakeholder_who_asks_is_remembered(self):
        client = Client()
        response = sign_in(client, make_user(), remember=True)
        assert response.cookies["sessionid"]["max-age"], "kept after the browser closes"

    def test_an_official_appointed_during_a_remembered_session_is_no_longer_remembered(self):
        user = make_user()
        client = Client()
        sign_in(client, user, remember=True)
        user.groups.add(Group.objects.get(name="Moderators"))
        response = client.get("/en/")
        assert response.cookies["sessionid"]["max-age"] == ""
        assert client.session.get_expire_at_browser_close()


class TestIdleTimeout:
    def test_an_idle_moderator_is_signed_out_and_comes_back_to_the_page_after_signing_in(self, settings):
        assert settings.OFFICIAL_IDLE_TIMEOUT == 30 * 60, "30 minutes by default"
        moderator = make_moderator()
        client = Client()
        with time_machine.travel(timezone.now(), tick=False) as clock:
            sign_in(client, moderator, remember=False)
            assert client.get("/en/moderation/").status_code == 200
            clock.shift(datetime.timedelta(minutes=31))
            response = client.get("/en/moderation/?status=flagged")
            assert response.status_code == 302
            assert response["Location"] == "/en/accounts/login/?next=%2Fen%2Fmoderation%2F%3Fstatus%3Dflagged"
            page = client.get(response["Location"])
            assert "You were signed out after 30 minutes without activity." in page.text
            assert not signed_in_as(client).is_authenticated

    def test_activity_keeps_the_session_alive(self):
        moderator = make_moderator()
        client = Client()
        with time_machine.travel(timezone.now(), tick=False) as clock:
            sign_in(client, moderator, remember=False)
            for _ in range(4):
                clock.shift(datetime.timedelta(minutes=25))
                assert client.get("/en/moderation/").status_code == 200
            assert signed_in_as(client) == moderator

    def test_the_timeout_is_a_setting(self, settings):
        settings.OFFICIAL_IDLE_TIMEOUT = 5 * 60
        publisher = make_publisher()
        client = Client()
        with time_machine.travel(timezone.now(), tick=False) as clock:
            sign_in(client, publisher, remember=False)
            assert client.get("/admin/").status_code == 200
            clock.shift(datetime.timedelta(minutes=6))
            assert client.get("/admin/").status_code == 302
            assert not signed_in_as(client).is_authenticated

    def test_a_stakeholder_is_not_timed_out(self):
        client = Client()
        user = make_user()
        with time_machine.travel(timezone.now(), tick=False) as clock:
            sign_in(client, user, remember=True)
            clock.shift(datetime.timedelta(hours=5))
            assert signed_in_as(client) == user

    def test_the_timeout_is_logged(self, security_events):
        moderator = make_moderator()
        client = Client()
        with time_machine.travel(timezone.now(), tick=False) as clock:
            sign_in(client, moderator, remember=False)
            client.get("/en/moderation/")
            clock.shift(datetime.timedelta(minutes=45))
            client.get("/en/moderation/")
        [line] = security_events.named("session.idle_timeout")
        assert line["account_id"] == moderator.pk


def reauthenticate(client: Client, response, password: str = PASSWORD):
    """allauth's reauthentication page, reached from `response`, answered with the password."""
    assert response.status_code == 302, response.status_code
    assert response["Location"].startswith(f"{REAUTHENTICATE}?next="), response["Location"]
    assert client.get(response["Location"]).status_code == 200
    return client.post(response["Location"], {"password": password})


class TestReauthenticationBeforeABulkDecision:
    @pytest.fixture
    def pending(self, generous_rate_limit):
        statement = make_statement()
        return [make_comment(statement) for _ in range(3)]

    def bulk_approve(self, client, comments):
        selected = [f"{comment.pk}:{comment.fingerprint}" for comment in comments]
        return client.post("/en/moderation/bulk/", {"bulk_action": "approve", "comments": selected, "next": "/en/"})

    def test_the_password_is_asked_first_then_the_decision_is_carried_out(self, pending):
        client = Client()
        client.force_login(make_moderator())
        response = self.bulk_approve(client, pending)
        assert not Comment.objects.approved().exists(), "nothing decided before the password"
        response = reauthenticate(client, response)
        assert response.status_code == 302 and response["Location"] == "/en/"
        assert Comment.objects.approved().count() == 3

    def test_a_wrong_password_decides_nothing(self, pending):
        client = Client()
        client.force_login(make_moderator())
        response = reauthenticate(client, self.bulk_approve(client, pending), password="not-my-password")
        assert response.status_code == 200
        assert not Comment.objects.approved().exists()

    def test_within_five_minutes_of_the_password_the_next_bulk_decision_goes_straight_through(self, pending):
        client = Client()
        client.force_login(make_moderator())
        with time_machine.travel(timezone.now(), tick=False) as clock:
            reauthenticate(client, self.bulk_approve(client, pending[:1]))
            clock.shift(datetime.timedelta(minutes=4))
            assert self.bulk_approve(client, pending[1:2])["Location"] == "/en/"
            clock.shift(datetime.timedelta(minutes=2))
            assert self.bulk_approve(client, pending[2:])["Location"].startswith(REAUTHENTICATE)
        assert Comment.objects.approved().count() == 2

    def test_a_single_decision_needs_no_password(self, pending):
        client = Client()
        client.force_login(make_moderator())
        comment = pending[0]
        client.post(f"/en/moderation/comments/{comment.tracking_number}/approve/", {"seen": comment.fingerprint})
        assert Comment.objects.approved().count() == 1


CHANGELIST = "/admin/priorities/statement/"


class TestReauthenticationBeforePublishing:
    @pytest.fixture
    def publisher_client(self):
        client = Client()
        client.force_login(make_publisher())
        return client

    @staticmethod
    def trilingual_draft():
        texts = {f"{field}_{code}": f"{field} ({code})" for field in ("title", "body") for code in ("en", "fr", "es")}
        return make_statement(status=Statement.Status.DRAFT, **texts)

    def test_the_publish_action_asks_for_the_password_then_publishes(self, publisher_client):
        draft = self.trilingual_draft()
        response = publisher_client.post(CHANGELIST, {"action": "publish", "_selected_action": [draft.pk]})
        assert Statement.objects.get(pk=draft.pk).status == Statement.Status.DRAFT
        reauthenticate(publisher_client, response)
        assert Statement.objects.get(pk=draft.pk).is_published()

    def test_the_withdraw_action_asks_for_the_password_first(self, publisher_client):
        statement = make_statement()
        response = publisher_client.post(
            CHANGELIST,
            {
                "action": "withdraw",
                "_selected_action": [statement.pk],
                "confirm_withdrawal": "1",
                "withdrawal_reason_en": "Replaced by a corrected statement.",
            },
        )
        assert Statement.objects.get(pk=statement.pk).is_published()
        reauthenticate(publisher_client, response)
        assert Statement.objects.get(pk=statement.pk).status == Statement.Status.WITHDRAWN

    def test_publishing_from_the_change_form_asks_for_the_password_first(self, publisher_client):
        from .test_admin_publishing import change_form_data, change_url

        draft = self.trilingual_draft()
        data = change_form_data(draft, status=Statement.Status.PUBLISHED, published_at=timezone.now())
        response = publisher_client.post(change_url(draft), data)
        assert Statement.objects.get(pk=draft.pk).status == Statement.Status.DRAFT
        reauthenticate(publisher_client, response)
        assert Statement.objects.get(pk=draft.pk).is_published()

    def test_editing_a_draft_needs_no_password(self, publisher_client):
        from .test_admin_publishing import change_form_data, change_url

        draft = self.trilingual_draft()
        response = publisher_client.post(change_url(draft), change_form_data(draft, title_en="A better title"))
        assert response.status_code == 302 and not response["Location"].startswith(REAUTHENTICATE)
        assert Statement.objects.get(pk=draft.pk).title_en == "A better title"


class TestReauthenticationBeforeChangingRights:
    def test_granting_a_role_in_the_admin_asks_for_the_password_first(self):
        admin = make_user(staff=True, mfa=True)
        admin.is_superuser = True
        admin.save()
        stakeholder = make_user("future.moderator@example.org")
        client = Client()
        client.force_login(admin)
        url = f"/admin/auth/user/{stakeholder.pk}/change/"
        form = client.get(url)
        assert form.status_code == 200, "reading needs no password"
        moderators = Group.objects.get(name="Moderators")
        data = {
            "username": stakeholder.username,
            "email": stakeholder.email,
            "is_active": "on",
            "groups": [moderators.pk],
            "last_login_0": "",
            "last_login_1": "",
            "date_joined_0": stakeholder.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": stakeholder.date_joined.strftime("%H:%M:%S"),
            "initial-date_joined_0": stakeholder.date_joined.strftime("%Y-%m-%d"),
            "initial-date_joined_1": stakeholder.date_joined.strftime("%H:%M:%S"),
        }
        response = client.post(url, data)
        assert not get_user_model().objects.get(pk=stakeholder.pk).groups.exists()
        response = reauthenticate(client, response)
        assert response.status_code == 302, response.content[:500]
        assert list(get_user_model().objects.get(pk=stakeholder.pk).groups.all()) == [moderators]


class TestHostPrefixedCookies:
    def test_with_https_the_settings_name_the_cookies_with_the_host_prefix(self):
        code = (
            "import os, json, django; os.environ['DJANGO_SETTINGS_MODULE'] = 'spp_portal.settings'; django.setup();"
            "from django.conf import settings as s;"
            "print(json.dumps([s.SESSION_COOKIE_NAME, s.CSRF_COOKIE_NAME, s.SESSION_COOKIE_PATH, s.CSRF_COOKIE_PATH,"
            "s.SESSION_COOKIE_DOMAIN, s.CSRF_COOKIE_DOMAIN, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE]))"
        )
        result = production("-c", code)
        assert result.stdout.strip().splitlines()[-1] == (
            '["__Host-sessionid", "__Host-csrftoken", "/", "/", null, null, true, true]'
        ), result.stderr

    @override_settings(
        SESSION_COOKIE_NAME="__Host-sessionid",
        CSRF_COOKIE_NAME="__Host-csrftoken",
        SESSION_COOKIE_SECURE=True,
        CSRF_COOKIE_SECURE=True,
    )
    def test_a_browser_receives_host_prefixed_cookies_it_will_accept(self):
        """The rules browsers enforce for __Host-: Secure, Path=/, no Domain — or the cookie is dropped."""
        client = Client()
        login = client.get("/en/accounts/login/", secure=True)
        response = client.post("/en/accounts/login/", {"login": make_user().email, "password": PASSWORD}, secure=True)
        for cookie in (login.cookies["__Host-csrftoken"], response.cookies["__Host-sessionid"]):
            assert cookie["secure"] and cookie["path"] == "/" and not cookie["domain"]
        assert signed_in_as_secure(client).is_authenticated


def signed_in_as_secure(client: Client):
    return client.get("/en/", secure=True).context["user"]
