"""
Publishing workflows (priorities/services.py) through the real database: each one checks the
change, records who made it and when, and the public pages show it at once.
"""

import datetime

import pytest
from django.utils import timezone

from dialogue import services as dialogue_services
from priorities import services
from priorities.models import (
    CommentPeriodChange,
    Directive,
    Priority,
    PublicationWithoutLanguage,
    PublishingEvent,
    Statement,
)

from .factories import make_comment, make_moderator, make_publisher, make_statement, make_user, seed_statement
from .pages import visible_text

pytestmark = pytest.mark.django_db

TRILINGUAL = {f"{field}_{code}": f"{field} ({code})" for field in ("title", "body") for code in ("en", "fr", "es")}


@pytest.fixture
def publisher():
    return make_publisher()


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run the services' after-commit work (the page cache's new generation) as a real commit would."""

    def run():
        return django_capture_on_commit_callbacks(execute=True)

    return run


class TestPublish:
    def test_publishing_makes_a_draft_public_at_once_and_records_who_and_when(self, client, publisher, on_commit):
        draft = make_statement(status=Statement.Status.DRAFT, **{**TRILINGUAL, "title_en": "Now for everyone"})
        assert "Now for everyone" not in client.get("/en/statements/").text  # the archive is now cached
        before = timezone.now()
        with on_commit():
            services.statement_publish(statement=draft, by=publisher)
        assert "Now for everyone" in client.get("/en/statements/").text
        assert client.get(draft.get_absolute_url()).status_code == 200
        [event] = PublishingEvent.objects.filter(statement=draft)
        assert (event.action, event.actor) == (PublishingEvent.Action.PUBLISHED, publisher)
        assert before <= event.at <= timezone.now()
        assert event.publication_time == Statement.objects.get(pk=draft.pk).published_at

    def test_a_missing_language_is_refused_until_confirmed_and_the_confirmation_is_recorded(self, publisher):
        draft = make_statement(status=Statement.Status.DRAFT, title_fr="Titre", body_fr="Texte")
        with pytest.raises(services.TranslationNotConfirmed) as refusal:
            services.statement_publish(statement=draft, by=publisher)
        assert refusal.value.languages == ["es"]
        assert Statement.objects.get(pk=draft.pk).status == Statement.Status.DRAFT
        assert not PublishingEvent.objects.exists()

        services.statement_publish(statement=draft, by=publisher, confirmed_without=["es"])
        assert Statement.objects.get(pk=draft.pk).is_published()
        [record] = PublicationWithoutLanguage.objects.filter(statement=draft)
        assert (record.language, record.confirmed_by) == ("es", publisher)

    def test_scheduling_keeps_it_from_the_public_until_its_time(self, client, publisher):
        draft = make_statement(status=Statement.Status.DRAFT, **TRILINGUAL)
        later = timezone.now() + datetime.timedelta(hours=3)
        services.statement_schedule(statement=draft, by=publisher, at=later)
        statement = Statement.objects.get(pk=draft.pk)
        assert statement.is_scheduled() and statement.published_at == later
        assert PublishingEvent.objects.get(statement=draft).action == PublishingEvent.Action.SCHEDULED
        assert client.get(draft.get_absolute_url()).status_code == 404

    def test_scheduling_for_a_past_time_is_refused(self, publisher):
        draft = make_statement(status=Statement.Status.DRAFT, **TRILINGUAL)
        with pytest.raises(services.NotAllowed):
            services.statement_schedule(statement=draft, by=publisher, at=timezone.now() - datetime.timedelta(hours=1))
        assert Statement.objects.get(pk=draft.pk).status == Statement.Status.DRAFT

    def test_a_public_statement_cannot_be_rescheduled_for_later(self, publisher):
        statement = make_statement(**TRILINGUAL)
        with pytest.raises(services.NotAllowed):
            services.statement_publish(
                statement=statement, by=publisher, at=timezone.now() + datetime.timedelta(days=1)
            )
        assert Statement.objects.get(pk=statement.pk).is_published()


class TestReturnToDraft:
    def test_a_scheduled_statement_returns_to_draft_and_it_is_recorded(self, publisher):
        scheduled = make_statement(published_at=timezone.now() + datetime.timedelta(days=2))
        services.statement_return_to_draft(statement=scheduled, by=publisher)
        assert Statement.objects.get(pk=scheduled.pk).status == Statement.Status.DRAFT
        event = PublishingEvent.objects.get(statement=scheduled)
        assert (event.action, event.actor) == (PublishingEvent.Action.RETURNED_TO_DRAFT, publisher)

    def test_a_public_statement_cannot_silently_return_to_draft(self, publisher):
        statement = make_statement()
        with pytest.raises(services.NotAllowed):
            services.statement_return_to_draft(statement=statement, by=publisher)
        assert Statement.objects.get(pk=statement.pk).is_published()


class TestWithdraw:
    def test_withdrawal_records_who_when_and_why(self, publisher):
        statement = make_statement()
        event = services.statement_withdraw(
            statement=statement, by=publisher, reason={"en": "Superseded by the statement of 2009."}
        )
        assert Statement.objects.get(pk=statement.pk).status == Statement.Status.WITHDRAWN
        assert (event.action, event.actor, event.reason_en) == (
            PublishingEvent.Action.WITHDRAWN,
            publisher,
            "Superseded by the statement of 2009.",
        )

    @pytest.mark.parametrize("reason", [{}, {"en": ""}, {"en": "   ", "fr": "\n"}])
    def test_a_withdrawal_without_a_reason_is_refused(self, publisher, reason):
        statement = make_statement()
        with pytest.raises(services.NotAllowed):
            services.statement_withdraw(statement=statement, by=publisher, reason=reason)
        assert Statement.objects.get(pk=statement.pk).is_published()
        assert not PublishingEvent.objects.exists()

    def test_only_a_published_statement_can_be_withdrawn(self, publisher):
        draft = make_statement(status=Statement.Status.DRAFT)
        with pytest.raises(services.NotAllowed):
            services.statement_withdraw(statement=draft, by=publisher, reason={"en": "No longer needed."})
        assert Statement.objects.get(pk=draft.pk).status == Statement.Status.DRAFT

    def test_the_address_answers_410_with_the_date_and_reason_in_each_language(self, client, publisher, on_commit):
        statement = make_statement(title_en="Withdrawn statement", title_fr="Déclaration retirée")
        assert client.get(statement.get_absolute_url()).status_code == 200  # cached as a published page
        with on_commit():
            event = services.statement_withdraw(
                statement=statement,
                by=publisher,
                reason={
                    "en": "Published in error.",
                    "fr": "Publiée par erreur.",
                    "es": "Publicada por error.",
                },
            )
        expected = {
            "en": ("This statement has been withdrawn", "Published in error."),
            "fr": ("Cette déclaration a été retirée", "Publiée par erreur."),
            "es": ("Esta declaración ha sido retirada", "Publicada por error."),
        }
        for code, (heading, reason) in expected.items():
            response = client.get(f"/{code}/statements/{statement.slug}/")
            assert response.status_code == 410
            assert f'<html lang="{code}">' in response.text
            assert heading in response.text
            assert reason in response.text
            assert f'datetime="{event.at.isoformat()}"' in response.text
        assert "Déclaration retirée" in client.get(f"/fr/statements/{statement.slug}/").text

    def test_a_reason_in_one_language_is_shown_to_every_reader_marked_with_its_language(self, client, publisher):
        statement = make_statement()
        services.statement_withdraw(statement=statement, by=publisher, reason={"en": "Published in error."})
        response = client.get(f"/es/statements/{statement.slug}/")
        assert response.status_code == 410
        assert '<dd class="col-sm-9" lang="en">Published in error.</dd>' in response.text

    def test_its_comments_leave_public_view(self, client, publisher, on_commit):
        statement = make_statement()
        make_comment(statement, body="A comment that was public on the statement.", approve_by=make_moderator())
        assert "A comment that was public on the statement." in client.get("/en/").text
        with on_commit():
            services.statement_withdraw(statement=statement, by=publisher, reason={"en": "Published in error."})
        assert "A comment that was public on the statement." not in client.get("/en/").text
        assert "A comment that was public" not in client.get(statement.get_absolute_url()).text

    def test_a_draft_never_published_is_still_not_found(self, client):
        draft = make_statement(status=Statement.Status.DRAFT)
        assert client.get(draft.get_absolute_url()).status_code == 404


class TestCommentPeriodChange:
    def test_an_extension_is_recorded(self, publisher):
        statement = make_statement()
        previous = statement.comments_close_at
        later = previous + datetime.timedelta(days=14)
        change = services.comment_period_change(
            statement=statement, by=publisher, opens_at=statement.comments_open_at, closes_at=later
        )
        assert change == CommentPeriodChange.objects.get(statement=statement)
        assert (change.previous_close, change.new_close, change.changed_by) == (previous, later, publisher)
        assert change.is_extension() and not change.is_shortening()
        assert Statement.objects.get(pk=statement.pk).comments_close_at == later

    def test_a_shortening_is_recorded_and_shown_on_the_statement_page(self, client, publisher, on_commit):
        statement = make_statement()
        previous = statement.comments_close_at
        sooner = previous - datetime.timedelta(days=10)
        client.get(statement.get_absolute_url())  # cached before the change
        with on_commit():
            change = services.comment_period_change(
                statement=statement, by=publisher, opens_at=statement.comments_open_at, closes_at=sooner
            )
        assert change == CommentPeriodChange.objects.get(statement=statement)
        assert change.is_shortening() and not change.is_extension()
        assert (change.previous_close, change.new_close) == (previous, sooner)
        page = client.get(statement.get_absolute_url()).text
        assert "Shortened on" in page
        assert "Extended on" not in page

    def test_shortening_to_a_past_time_closes_the_period(self, client, publisher):
        statement = make_statement()
        services.comment_period_change(
            statement=statement,
            by=publisher,
            opens_at=statement.comments_open_at,
            closes_at=timezone.now() - datetime.timedelta(minutes=1),
        )
        with pytest.raises(dialogue_services.CommentPeriodClosed):
            make_comment(Statement.objects.get(pk=statement.pk))
        assert "Comments closed" in visible_text(client.get(statement.get_absolute_url()).text)

    def test_an_unchanged_period_records_nothing(self, publisher):
        statement = make_statement()
        assert (
            services.comment_period_change(
                statement=statement,
                by=publisher,
                opens_at=statement.comments_open_at,
                closes_at=statement.comments_close_at,
            )
            is None
        )
        assert not CommentPeriodChange.objects.exists()

    def test_a_period_closing_before_it_opens_is_refused(self, publisher):
        statement = make_statement()
        with pytest.raises(services.NotAllowed):
            services.comment_period_change(
                statement=statement,
                by=publisher,
                opens_at=statement.comments_close_at,
                closes_at=statement.comments_open_at,
            )
        assert not CommentPeriodChange.objects.exists()


class TestConfirmMissingLanguages:
    def test_a_language_removed_from_a_published_statement_is_recorded(self, client, publisher, on_commit):
        statement = make_statement(**TRILINGUAL)
        Statement.objects.filter(pk=statement.pk).update(title_fr="", body_fr="")
        french = f"/fr/statements/{statement.slug}/"
        assert "les responsables de la publication ont confirmé" not in client.get(french).text  # now cached
        with on_commit():
            [record] = services.statement_confirm_missing_languages(statement=statement, by=publisher, languages=["fr"])
        assert (record.language, record.confirmed_by) == ("fr", publisher)
        assert "les responsables de la publication ont confirmé" in client.get(french).text

    def test_a_language_with_an_official_text_cannot_be_confirmed_missing(self, publisher):
        statement = make_statement(**TRILINGUAL)
        with pytest.raises(services.NotAllowed):
            services.statement_confirm_missing_languages(statement=statement, by=publisher, languages=["fr"])
        assert not PublicationWithoutLanguage.objects.exists()


class TestNotYetOpen:
    @pytest.fixture
    def upcoming(self):
        return make_statement(
            comments_open_at=datetime.datetime(2030, 3, 2, 15, 0, tzinfo=datetime.UTC),
            comments_close_at=datetime.datetime(2030, 4, 1, 16, 0, tzinfo=datetime.UTC),
        )

    def test_the_statement_page_says_when_comments_open_in_the_three_capitals(self, client, upcoming):
        page = visible_text(client.get(upcoming.get_absolute_url()).text)
        assert "Not open yet" in page
        assert (
            "Opening time March 2, 2030: Ottawa 10 a.m. (UTC-5), Mexico City 9 a.m. (UTC-6), Washington 10 a.m. (UTC-5)"
            in page
        )
        assert "Closing time April 1, 2030: Ottawa noon (UTC-4)" in page  # and when they close
        assert "closed" not in page.lower()

    def test_a_comment_sent_early_is_told_the_period_has_not_opened(self, upcoming):
        with pytest.raises(dialogue_services.CommentPeriodClosed) as refusal:
            make_comment(upcoming)
        assert "has not opened yet" in refusal.value.message
        assert "closed" not in refusal.value.message

    def test_a_period_that_opens_before_a_scheduled_publication_opens_with_it(self, client):
        publication = timezone.now() + datetime.timedelta(days=2)
        statement = make_statement(published_at=publication)
        assert statement.comments_open_from() == publication
        assert statement.comments_not_yet_open()


class TestDirectiveProgress:
    def test_the_2008_directives_claim_no_progress(self, client):
        """They shipped as "under way" with no note behind them; the migration resets them."""
        directives = seed_statement().directives.all()
        assert {directive.progress for directive in directives} == {Directive.Progress.NOT_REPORTED}
        assert not any(directive.progress_notes.exists() for directive in directives)

    def test_the_statement_and_priority_pages_say_no_progress_reported(self, client):
        statement_page = client.get(seed_statement().get_absolute_url()).text
        assert statement_page.count("No progress reported") == 5
        assert "Under way" not in statement_page
        priority_page = client.get("/en/priorities/competitiveness/").text
        assert "No progress reported" in priority_page
        assert "Under way" not in priority_page
        assert "Aucun progrès signalé" in client.get("/fr/priorities/competitiveness/").text
        assert "No se han reportado avances" in client.get(f"/es/statements/{seed_statement().slug}/").text

    def test_search_results_say_no_progress_reported(self, client):
        page = client.get("/en/search/", {"q": "counterfeiting"}).text
        assert "No progress reported" in page
        assert "Under way" not in page

    def test_a_new_directive_starts_with_no_progress_reported(self):
        directive = Directive.objects.create(
            statement=make_statement(), priority=Priority.objects.first(), text_en="Meet again"
        )
        assert directive.get_progress_display() == "No progress reported"


def test_publishing_events_are_append_only():
    """The record cannot be rewritten: an event is written once."""
    event = PublishingEvent.objects.create(
        statement=make_statement(), action=PublishingEvent.Action.PUBLISHED, actor=make_user()
    )
    event.reason_en = "Rewritten"
    with pytest.raises(PermissionError):
        event.save()
