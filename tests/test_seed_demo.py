"""`manage.py seed_demo`: deterministic demo data, idempotent, with a dry run, never in production."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from priorities.models import Statement

pytestmark = pytest.mark.django_db


def test_refuses_to_run_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DJANGO_DEBUG=1"):
        call_command("seed_demo")


def test_creates_accounts_and_statements_once(settings, capsys):
    settings.DEBUG = True
    call_command("seed_demo", statements=3)
    out = capsys.readouterr().out
    assert "stakeholder@example.com" in out and "moderator@example.com" in out and "publisher@example.com" in out
    users, statements = get_user_model().objects.count(), Statement.objects.count()
    assert statements == 4
    call_command("seed_demo", statements=3)
    assert (get_user_model().objects.count(), Statement.objects.count()) == (users, statements)


def test_same_arguments_give_the_same_data(settings):
    settings.DEBUG = True
    call_command("seed_demo", statements=2)
    first = list(Statement.objects.order_by("slug").values_list("slug", "title_fr", "location", "release_date"))
    Statement.objects.filter(slug__startswith="demo-").delete()
    call_command("seed_demo", statements=2)
    assert list(Statement.objects.order_by("slug").values_list("slug", "title_fr", "location", "release_date")) == first


def test_dry_run_changes_nothing(settings):
    settings.DEBUG = True
    call_command("seed_demo", statements=2, dry_run=True)
    assert not get_user_model().objects.exists()
    assert Statement.objects.count() == 1


def test_demo_accounts_can_sign_in(settings, client):
    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)
    response = client.post(
        "/en/accounts/login/", {"login": "stakeholder@example.com", "password": "dialogue-demo-2008"}
    )
    assert response.status_code == 302
    assert client.get("/en/").context["user"].email == "stakeholder@example.com"
