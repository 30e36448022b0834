"""Publishers release statements in the Django admin."""

import pytest
from django.contrib.auth.models import Group

from priorities.models import Statement

from .factories import make_publisher, make_statement

pytestmark = pytest.mark.django_db


def test_publishers_group_holds_exactly_the_publishing_permissions():
    perms = set(Group.objects.get(name="Publishers").permissions.values_list("codename", flat=True))
    assert {"add_statement", "change_statement", "view_statement", "change_directive", "add_directive"} <= perms
    assert "delete_statement" not in perms
    assert not any(codename.endswith("_user") or codename.endswith("_group") for codename in perms)


def test_publish_action_publishes_a_draft(client):
    draft = make_statement(
        status=Statement.Status.DRAFT,
        title_en="Draft to publish",
        **{f"{field}_{code}": f"{field} ({code})" for field in ("title", "body") for code in ("fr", "es")},
    )
    client.force_login(make_publisher())
    response = client.post(
        "/admin/priorities/statement/",
        {"action": "publish", "_selected_action": [draft.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert "1 statement published." in response.text
    draft.refresh_from_db()
    assert draft.is_published()
    assert client.get(draft.get_absolute_url()).status_code == 200


def test_withdraw_action_takes_a_statement_off_the_public_site(client):
    statement = make_statement(title_en="To withdraw")
    client.force_login(make_publisher())
    client.post("/admin/priorities/statement/", {"action": "withdraw", "_selected_action": [statement.pk]})
    client.logout()
    assert client.get(statement.get_absolute_url()).status_code == 404


def test_statement_change_form_offers_all_three_languages_and_the_directives(client):
    client.force_login(make_publisher())
    statement = make_statement()
    response = client.get(f"/admin/priorities/statement/{statement.pk}/change/")
    assert response.status_code == 200
    for field in ("title_en", "title_fr", "title_es", "body_en", "body_fr", "body_es", "directives-0-text_en"):
        assert f'name="{field}"' in response.text
