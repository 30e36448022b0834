"""The published record's public pages: home, priorities, the statement archive and one statement."""

import datetime

import pytest
from django.core.cache import cache
from django.utils import timezone

from priorities.models import Priority, Statement

from .factories import make_publisher, make_statement, seed_statement

pytestmark = pytest.mark.django_db


def test_root_redirects_to_the_visitors_language(client):
    response = client.get("/", headers={"accept-language": "es-MX,es;q=0.9"})
    assert response.status_code == 302
    assert response["Location"] == "/es/"


def test_home_shows_the_2008_statement_and_the_five_priorities(client):
    response = client.get("/en/")
    assert response.status_code == 200
    assert "Joint Statement by Ministers Responsible for the Security and Prosperity Partnership" in response.text
    for priority in Priority.objects.all():
        assert priority.title_en in response.text.replace("&amp;", "&")
    assert 'lang="en"' in response.text


def test_home_lists_statements_open_for_comment(client):
    statement = make_statement(title_en="Open consultation on border wait times")
    response = client.get("/en/")
    assert "Open consultation on border wait times" in response.text
    statement.comments_close_at = timezone.now() - datetime.timedelta(minutes=1)
    statement.comments_open_at = statement.comments_close_at - datetime.timedelta(days=2)
    statement.save()
    cache.clear()  # edited outside the admin and the services, which would drop the cached pages
    response = client.get("/en/")
    assert "No statement is open for comment at the moment." in response.text


def test_statement_page_shows_the_full_statement_with_directives_under_their_priorities(client):
    statement = seed_statement()
    response = client.get(f"/en/statements/{statement.slug}/")
    assert response.status_code == 200
    html = response.text
    assert "directed officials to:" in html
    assert "areas where there is ongoing work." in html
    assert "For Immediate Release" in html
    assert "Los Cabos, Baja California Sur" in html
    assert "This statement was last reviewed/modified on" in html
    directives_section = html[html.index('id="directives-heading"') :]
    for directive in statement.directives.select_related("priority"):
        heading = directives_section.index(f'id="directive-priority-{directive.priority.pk}"')
        text = directives_section.index(directive.text_en)
        assert heading < text, f"{directive.priority} heading must come before its directive"


def test_statement_without_an_official_translation_says_so_and_shows_the_original(client):
    statement = seed_statement()
    response = client.get(f"/fr/statements/{statement.slug}/")
    assert response.status_code == 200
    assert "areas where there is ongoing work." in response.text
    assert 'lang="en"' in response.text  # the English text is marked as English on a French page


def test_unknown_slugs_are_404(client):
    assert client.get("/en/statements/no-such-statement/").status_code == 404
    assert client.get("/en/priorities/no-such-priority/").status_code == 404
    response = client.get("/en/no/such/page/")
    assert response.status_code == 404
    assert "Page not found" in response.text


def test_priority_page_shows_its_directives_across_statements(client):
    later = make_statement(title_en="A later statement", release_date=datetime.date(2009, 8, 10))
    priority = Priority.objects.get(slug="competitiveness")
    response = client.get(f"/en/priorities/{priority.slug}/")
    assert response.status_code == 200
    html = response.text
    assert "Continue to implement the strategy to combat piracy and counterfeiting" in html
    assert later.directives.get(priority=priority).text_en in html
    assert html.index("A later statement") < html.index("Joint Statement by Ministers")


def test_archive_lists_newest_first_and_filters_by_priority_and_year(client):
    make_statement(title_en="Statement of 2010", release_date=datetime.date(2010, 5, 1))
    response = client.get("/en/statements/")
    assert response.text.index("Statement of 2010") < response.text.index("Joint Statement by Ministers")
    response = client.get("/en/statements/?year=2008")
    assert "Joint Statement by Ministers" in response.text
    assert "Statement of 2010" not in response.text
    response = client.get("/en/statements/?priority=competitiveness&year=2010")
    assert "Statement of 2010" in response.text


def test_archive_is_paginated(client):
    for number in range(12):
        make_statement(title_en=f"Paged statement {number:02d}", release_date=datetime.date(2011, 1, 1 + number))
    first = client.get("/en/statements/")
    second = client.get("/en/statements/?page=2")
    assert "Page 1 of 2" in first.text
    assert "Joint Statement by Ministers" in second.text
    assert "Joint Statement by Ministers" not in first.text


class TestVisibility:
    """Drafts, scheduled and withdrawn statements: 404 to the public, previewable by publishers."""

    @pytest.fixture
    def unpublished(self):
        return {
            "draft": make_statement(status=Statement.Status.DRAFT, title_en="A draft"),
            "scheduled": make_statement(
                title_en="A scheduled one", published_at=timezone.now() + datetime.timedelta(hours=2)
            ),
            "withdrawn": make_statement(
                status=Statement.Status.WITHDRAWN, title_en="A withdrawn one", published_at=timezone.now()
            ),
        }

    def test_public_gets_404(self, client, unpublished):
        for statement in unpublished.values():
            assert client.get(statement.get_absolute_url()).status_code == 404
        archive = client.get("/en/statements/").text
        assert "A draft" not in archive and "A scheduled one" not in archive and "A withdrawn one" not in archive

    def test_stakeholder_without_permission_gets_404(self, client, unpublished):
        from .factories import make_user

        client.force_login(make_user())
        assert client.get(unpublished["draft"].get_absolute_url()).status_code == 404

    def test_publisher_previews_with_a_notice(self, client, unpublished):
        client.force_login(make_publisher())
        response = client.get(unpublished["draft"].get_absolute_url())
        assert response.status_code == 200
        assert "Preview: this statement is a draft" in response.text
        response = client.get(unpublished["scheduled"].get_absolute_url())
        assert "scheduled for publication" in response.text

    def test_scheduled_statement_appears_by_itself_at_its_time(self, client, unpublished):
        scheduled = unpublished["scheduled"]
        Statement.objects.filter(pk=scheduled.pk).update(published_at=timezone.now() - datetime.timedelta(seconds=1))
        assert client.get(scheduled.get_absolute_url()).status_code == 200
        assert Statement.objects.published().filter(pk=scheduled.pk).exists()


class TestQueryCounts:
    """
    List pages run a fixed number of queries, however much data there is. Each count includes
    one query of the anonymous page cache, which looks up the next scheduled change on a cold cache.
    """

    def test_home(self, client, django_assert_num_queries):
        for _ in range(5):
            make_statement()
        with django_assert_num_queries(1 + 4):
            client.get("/en/")

    def test_archive(self, client, django_assert_num_queries):
        for _ in range(15):
            make_statement()
        # count, page of statements, filter choices (priorities, years)
        with django_assert_num_queries(1 + 4):
            client.get("/en/statements/")

    def test_priority(self, client, django_assert_num_queries):
        for _ in range(5):
            make_statement()
        # the priority, its directives with their statements, their progress notes
        with django_assert_num_queries(1 + 3):
            client.get("/en/priorities/competitiveness/")


def test_an_untranslated_title_is_marked_with_its_language(client):
    """WCAG 3.1.2: the English-only 2008 title on the French home page is marked lang="en"."""
    html = client.get("/fr/").text
    assert 'lang="en">Joint Statement by Ministers Responsible' in html
    translated = make_statement(title_en="English title", title_fr="Titre français")
    assert (
        f'href="{translated.get_absolute_url().replace("/en/", "/fr/")}" lang="fr">Titre français'
        in client.get("/fr/statements/").text
    )
