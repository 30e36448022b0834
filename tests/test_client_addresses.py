"""
Client addresses behind a proxy (issue 18, item 4): TRUSTED_PROXY_COUNT / TRUSTED_CLIENT_IP_HEADER.

Every request reaches the app servers from the load balancer's address. The balancer appends the
address it saw to X-Forwarded-For, after anything the client wrote there itself. These tests send
exactly what such a balancer forwards — REMOTE_ADDR the balancer, X-Forwarded-For "<forged
entries>, <the client's real address>" — through allauth's real sign-in form and its real rate
limits (10 failed sign-ins a minute per address, 5 per account in 5 minutes).
"""

import pytest
from django.test import Client

from .factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db

BALANCER = "10.0.0.2"
ATTACKER = "203.0.113.66"
NEIGHBOUR = "192.0.2.10"
LOCKED_OUT = "Too many failed login attempts"


def through_balancer(client: Client, address: str, *, forged: str = ""):
    """Post to the sign-in form as `address` would, through the load balancer, having forged `forged`."""
    forwarded = f"{forged}, {address}" if forged else address

    def sign_in(email: str, password: str):
        return client.post(
            "/en/accounts/login/",
            {"login": email, "password": password},
            REMOTE_ADDR=BALANCER,
            headers={"X-Forwarded-For": forwarded},
        )

    return sign_in


def signed_in(client: Client) -> bool:
    return client.get("/en/", REMOTE_ADDR=BALANCER).context["user"].is_authenticated


@pytest.fixture
def behind_one_balancer(settings):
    settings.TRUSTED_PROXY_COUNT = 1


def fail_ten_times_with_forged_addresses(client: Client) -> None:
    """Ten wrong passwords, each for another account (so no per-account limit), each from a 'new' address."""
    for number in range(10):
        response = through_balancer(client, ATTACKER, forged=f"198.51.100.{number}")(
            f"victim{number}@example.org", "wrong-guess"
        )
        assert response.status_code == 200
        assert LOCKED_OUT not in response.text


def test_a_forged_x_forwarded_for_does_not_dodge_the_sign_in_limit(behind_one_balancer):
    """After ten failures, the eleventh attempt is refused, whatever address the attacker claims this time."""
    attacker = Client()
    fail_ten_times_with_forged_addresses(attacker)
    real = make_user("eleventh@example.org")
    response = through_balancer(attacker, ATTACKER, forged="198.51.100.250")(real.email, PASSWORD)
    assert response.status_code in (200, 429)
    assert LOCKED_OUT in response.text
    assert not signed_in(attacker)


def test_one_client_s_failures_behind_the_balancer_do_not_lock_out_anyone_else(behind_one_balancer):
    """Another reader behind the same balancer signs in at once (before: 11 failures locked out everyone)."""
    fail_ten_times_with_forged_addresses(Client())
    neighbour, account = Client(), make_user("neighbour@example.org")
    response = through_balancer(neighbour, NEIGHBOUR)(account.email, PASSWORD)
    assert response.status_code == 302, response.content[:300]
    assert signed_in(neighbour)


def test_claiming_another_reader_s_address_spends_only_one_s_own_attempts(behind_one_balancer):
    """The attacker writes the neighbour's address into X-Forwarded-For: the limit still counts the attacker."""
    attacker = Client()
    for number in range(11):
        through_balancer(attacker, ATTACKER, forged=NEIGHBOUR)(f"victim{number}@example.org", "wrong-guess")
    neighbour, account = Client(), make_user("neighbour@example.org")
    assert through_balancer(neighbour, NEIGHBOUR)(account.email, PASSWORD).status_code == 302
    assert signed_in(neighbour)


def test_the_request_log_names_the_client_not_the_balancer_nor_a_forged_address(behind_one_balancer, log_lines):
    Client().get("/en/", REMOTE_ADDR=BALANCER, headers={"X-Forwarded-For": f"{NEIGHBOUR}, {ATTACKER}"})
    [line] = [line for line in log_lines if line["logger"] == "spp_portal.requests"]
    assert line["client_ip"] == ATTACKER


def test_without_a_trusted_proxy_x_forwarded_for_is_ignored(settings, log_lines):
    """The default (TRUSTED_PROXY_COUNT = 0): the connection's address is the client, whatever the header says."""
    assert settings.TRUSTED_PROXY_COUNT == 0
    attacker = Client()
    for number in range(11):
        response = attacker.post(
            "/en/accounts/login/",
            {"login": f"victim{number}@example.org", "password": "wrong-guess"},
            REMOTE_ADDR=ATTACKER,
            headers={"X-Forwarded-For": f"198.51.100.{number}"},
        )
    assert LOCKED_OUT in response.text
    assert {line["client_ip"] for line in log_lines if line["logger"] == "spp_portal.requests"} == {ATTACKER}


def test_two_trusted_proxies_take_the_address_two_places_from_the_end(settings, log_lines):
    """A CDN in front of the balancer: the CDN's entry names the client; anything left of it may be forged."""
    settings.TRUSTED_PROXY_COUNT = 2
    Client().get("/en/", REMOTE_ADDR=BALANCER, headers={"X-Forwarded-For": f"198.51.100.1, {ATTACKER}, 172.16.0.9"})
    [line] = [line for line in log_lines if line["logger"] == "spp_portal.requests"]
    assert line["client_ip"] == ATTACKER


def test_a_trusted_client_ip_header_is_read_instead(settings, log_lines):
    """TRUSTED_CLIENT_IP_HEADER: the proxy's own header names the client; X-Forwarded-For is not read."""
    settings.TRUSTED_CLIENT_IP_HEADER = "X-Real-IP"
    Client().get("/en/", REMOTE_ADDR=BALANCER, headers={"X-Real-IP": ATTACKER, "X-Forwarded-For": NEIGHBOUR})
    [line] = [line for line in log_lines if line["logger"] == "spp_portal.requests"]
    assert line["client_ip"] == ATTACKER


@pytest.mark.parametrize("forwarded", ["not-an-address", "", " , ,", "999.1.1.1", "\x00"])
def test_a_garbled_header_falls_back_to_the_connection_and_never_fails(behind_one_balancer, log_lines, forwarded):
    response = Client().get("/en/", REMOTE_ADDR=BALANCER, headers={"X-Forwarded-For": forwarded})
    assert response.status_code == 200
    [line] = [line for line in log_lines if line["logger"] == "spp_portal.requests"]
    assert line["client_ip"] == BALANCER
