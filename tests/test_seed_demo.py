"""`manage.py seed_demo`: deterministic demo data, idempotent, with a dry run, never in production."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from dialogue.models import Campaign, Comment
from priorities.models import Statement
from tests.pages import visible_text

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


def test_demo_comments_read_like_a_consultation(settings):
    """Benchmarks and search are measured on the demo comments: a long-tailed vocabulary in three
    languages, drawn partly from the statement's own words, not a handful of repeated sentences."""
    import collections
    import re

    from dialogue.demo import CommentSeeder
    from dialogue.models import Comment

    statement = Statement.objects.get(slug="2008-02-28-joint-statement-los-cabos")
    CommentSeeder(statement, say=lambda message: None).seed(3000, 0, kind="approved")
    bodies = list(Comment.objects.filter(statement=statement).values_list("body", "language"))
    assert len({body for body, _language in bodies}) == len(bodies), "every text is its own"
    own_words = set(re.findall(r"[a-z]{6,}", statement.body_en.lower()))
    for language in ("en", "fr", "es"):
        texts = [body.lower() for body, written_in in bodies if written_in == language]
        in_comments = collections.Counter(word for text in texts for word in set(re.findall(r"[^\W\d_]{6,}", text)))
        shares = sorted((count / len(texts) for count in in_comments.values()), reverse=True)
        assert len(in_comments) > 120, f"{language}: a vocabulary, not a handful of sentences"
        assert shares[0] < 0.6, f"{language}: no word is in nearly every comment"
        median = shares[len(shares) // 2]
        assert median < 0.08 and shares[0] > 4 * median, f"{language}: a few common words, a long tail of rare ones"
        if language == "en":
            assert len(own_words & set(in_comments)) > 100, "the statement's own words are in the conversation"


def test_the_showcase_shows_an_organisation_an_anonymous_comment_and_a_campaign_once(settings, client):
    """`make run` seeds what a consultation carries beside single comments, visible on the statement page."""
    settings.DEBUG = True
    call_command("seed_demo", comments=10, showcase=True)
    call_command("seed_demo", comments=10, showcase=True)
    [campaign] = Campaign.objects.all()
    assert campaign.members.count() == 5
    assert Comment.objects.filter(anonymous=True).count() == 1
    page = visible_text(client.get("/en/statements/2008-02-28-joint-statement-los-cabos/").content.decode())
    assert "Dana Stakeholder, on behalf of Canadian Manufacturers Forum — verified" in page
    assert "Anonymous participant" in page
    assert "and 2 similar submissions" in page
