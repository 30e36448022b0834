"""Publishers release statements in the Django admin, whose actions and change form call the publishing services."""

import datetime
import re

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from priorities.models import (
    CommentPeriodChange,
    Directive,
    ProgressNote,
    PublicationWithoutLanguage,
    PublishingEvent,
    Statement,
)

from .factories import make_publisher, make_statement, make_user, reauthenticate

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/priorities/statement/"
TRILINGUAL = {f"{field}_{code}": f"{field} ({code})" for field in ("title", "body") for code in ("en", "fr", "es")}


@pytest.fixture
def publisher(client):
    """A publisher with two-factor authentication (as the role requires), signed in, password just given again."""
    user = make_publisher()
    client.force_login(user)
    reauthenticate(client)
    return user


def change_url(statement):
    return f"/admin/priorities/statement/{statement.pk}/change/"


def change_form_data(statement, **changes):
    """The statement's change form as a publisher would submit it, with `changes` made."""

    def split(moment):
        return (moment.strftime("%Y-%m-%d"), moment.strftime("%H:%M:%S")) if moment else ("", "")

    data = {
        "slug": statement.slug,
        "original_language": statement.original_language,
        "release_date": statement.release_date.isoformat(),
        "status": statement.status,
        "priorities": [priority.pk for priority in statement.priorities.all()],
        "directives-TOTAL_FORMS": "0",
        "directives-INITIAL_FORMS": "0",
        "published_without-TOTAL_FORMS": "0",
        "published_without-INITIAL_FORMS": "0",
        "documents-TOTAL_FORMS": "0",
        "documents-INITIAL_FORMS": "0",
    }
    for name in ("published_at", "comments_open_at", "comments_close_at"):
        data[f"{name}_0"], data[f"{name}_1"] = split(changes.pop(name, getattr(statement, name)))
    for field in ("title", "summary", "body"):
        for code in ("en", "fr", "es"):
            data[f"{field}_{code}"] = getattr(statement, f"{field}_{code}") or ""
    data.update(changes)
    return data


def test_publishers_group_holds_exactly_the_publishing_permissions():
    perms = set(Group.objects.get(name="Publishers").permissions.values_list("codename", flat=True))
    assert {"add_statement", "change_statement", "view_statement", "change_directive", "add_directive"} <= perms
    assert "delete_statement" not in perms
    assert not any(codename.endswith("_user") or codename.endswith("_group") for codename in perms)


def test_statement_change_form_offers_all_three_languages_and_the_directives(client, publisher):
    statement = make_statement()
    response = client.get(change_url(statement))
    assert response.status_code == 200
    for field in ("title_en", "title_fr", "title_es", "body_en", "body_fr", "body_es", "directives-0-text_en"):
        assert f'name="{field}"' in response.text


class TestPublishAction:
    def test_publishes_a_draft_and_records_the_publisher(self, client, publisher):
        draft = make_statement(status=Statement.Status.DRAFT, **{**TRILINGUAL, "title_en": "Draft to publish"})
        response = client.post(CHANGELIST, {"action": "publish", "_selected_action": [draft.pk]}, follow=True)
        assert response.status_code == 200
        assert "1 statement published." in response.text
        draft.refresh_from_db()
        assert draft.is_published()
        event = PublishingEvent.objects.get(statement=draft)
        assert (event.action, event.actor) == (PublishingEvent.Action.PUBLISHED, publisher)
        client.logout()
        assert client.get(draft.get_absolute_url()).status_code == 200


class TestWithdrawAction:
    def test_asks_for_the_reason_before_withdrawing(self, client, publisher):
        statement = make_statement(title_en="To withdraw")
        response = client.post(CHANGELIST, {"action": "withdraw", "_selected_action": [statement.pk]})
        assert response.status_code == 200
        assert 'name="withdrawal_reason_fr"' in response.text
        assert Statement.objects.get(pk=statement.pk).is_published()

    def test_refuses_to_withdraw_without_a_reason(self, client, publisher):
        statement = make_statement(title_en="To withdraw")
        response = client.post(
            CHANGELIST,
            {"action": "withdraw", "_selected_action": [statement.pk], "confirm_withdrawal": "1"},
        )
        assert response.status_code == 200
        assert "Give the reason for the withdrawal" in response.text
        assert Statement.objects.get(pk=statement.pk).is_published()
        assert not PublishingEvent.objects.exists()

    def test_withdraws_with_the_reason_and_the_address_then_says_so(self, client, publisher):
        statement = make_statement(title_en="To withdraw")
        response = client.post(
            CHANGELIST,
            {
                "action": "withdraw",
                "_selected_action": [statement.pk],
                "confirm_withdrawal": "1",
                "withdrawal_reason_en": "Replaced by a corrected statement.",
                "withdrawal_reason_fr": "Remplacée par une déclaration corrigée.",
            },
            follow=True,
        )
        assert "1 statement withdrawn." in response.text
        event = PublishingEvent.objects.get(statement=statement)
        assert (event.action, event.actor) == (PublishingEvent.Action.WITHDRAWN, publisher)
        assert (event.reason_en, event.reason_fr, event.reason_es) == (
            "Replaced by a corrected statement.",
            "Remplacée par une déclaration corrigée.",
            "",
        )
        client.logout()
        response = client.get(f"/fr/statements/{statement.slug}/")
        assert response.status_code == 410
        assert "Remplacée par une déclaration corrigée." in response.text

    def test_a_draft_is_not_withdrawn(self, client, publisher):
        draft = make_statement(status=Statement.Status.DRAFT, title_en="Only a draft")
        response = client.post(
            CHANGELIST,
            {
                "action": "withdraw",
                "_selected_action": [draft.pk],
                "confirm_withdrawal": "1",
                "withdrawal_reason_en": "Never mind.",
            },
            follow=True,
        )
        assert "0 statements withdrawn." in response.text
        assert "Only a published statement can be withdrawn." in response.text
        assert Statement.objects.get(pk=draft.pk).status == Statement.Status.DRAFT


class TestChangeForm:
    def test_publishing_from_the_change_form_is_recorded(self, client, publisher):
        draft = make_statement(status=Statement.Status.DRAFT, open_comments=False, **TRILINGUAL)
        when = timezone.now().replace(microsecond=0) - datetime.timedelta(minutes=5)
        response = client.post(change_url(draft), change_form_data(draft, status="published", published_at=when))
        assert response.status_code == 302
        draft.refresh_from_db()
        assert draft.is_published() and draft.published_at == when
        event = PublishingEvent.objects.get(statement=draft)
        assert (event.action, event.actor, event.publication_time) == (
            PublishingEvent.Action.PUBLISHED,
            publisher,
            when,
        )

    def test_a_future_publication_time_schedules_and_is_recorded(self, client, publisher):
        draft = make_statement(status=Statement.Status.DRAFT, open_comments=False, **TRILINGUAL)
        later = timezone.now().replace(microsecond=0) + datetime.timedelta(days=3)
        client.post(change_url(draft), change_form_data(draft, status="published", published_at=later))
        assert Statement.objects.get(pk=draft.pk).is_scheduled()
        assert PublishingEvent.objects.get(statement=draft).action == PublishingEvent.Action.SCHEDULED

    def test_shortening_the_comment_period_is_recorded_and_shown(self, client, publisher):
        statement = make_statement(**TRILINGUAL)
        previous = statement.comments_close_at
        sooner = previous.replace(microsecond=0) - datetime.timedelta(days=7)
        response = client.post(change_url(statement), change_form_data(statement, comments_close_at=sooner))
        assert response.status_code == 302
        change = CommentPeriodChange.objects.get(statement=statement)
        assert (change.previous_close, change.new_close, change.changed_by) == (previous, sooner, publisher)
        assert change.is_shortening()
        assert Statement.objects.get(pk=statement.pk).comments_close_at == sooner
        client.logout()
        assert "Shortened on" in client.get(statement.get_absolute_url()).text

    def test_removing_a_language_from_a_published_statement_needs_the_parity_confirmation(self, client, publisher):
        statement = make_statement(**TRILINGUAL)
        data = change_form_data(statement, title_fr="", body_fr="", change_summary_en="French text withdrawn.")
        response = client.post(change_url(statement), data)
        assert response.status_code == 200
        assert "There is no official French title and body" in response.text
        assert Statement.objects.get(pk=statement.pk).title_fr == "title (fr)"
        assert not PublicationWithoutLanguage.objects.exists()

        response = client.post(change_url(statement), {**data, "publish_without_fr": "on"})
        assert response.status_code == 302
        statement.refresh_from_db()
        assert not statement.title_fr and statement.is_published()
        [record] = PublicationWithoutLanguage.objects.filter(statement=statement)
        assert (record.language, record.confirmed_by) == ("fr", publisher)

    def test_editing_a_published_statement_without_removing_a_language_needs_no_confirmation(self, client, publisher):
        statement = make_statement(title_en="English only")
        data = change_form_data(statement, summary_en="A new summary.", change_summary_en="A summary added.")
        response = client.post(change_url(statement), data)
        assert response.status_code == 302
        assert Statement.objects.get(pk=statement.pk).summary_en == "A new summary."
        assert not PublicationWithoutLanguage.objects.exists()

    def test_withdrawing_from_the_change_form_needs_a_reason(self, client, publisher):
        statement = make_statement(**TRILINGUAL)
        response = client.post(change_url(statement), change_form_data(statement, status="withdrawn"))
        assert response.status_code == 200
        assert "Give the reason for the withdrawal" in response.text
        assert Statement.objects.get(pk=statement.pk).is_published()

        response = client.post(
            change_url(statement),
            change_form_data(statement, status="withdrawn", withdrawal_reason_es="Publicada por error."),
        )
        assert response.status_code == 302
        event = PublishingEvent.objects.get(statement=statement)
        assert (event.action, event.actor, event.reason_es) == (
            PublishingEvent.Action.WITHDRAWN,
            publisher,
            "Publicada por error.",
        )
        client.logout()
        assert client.get(f"/es/statements/{statement.slug}/").status_code == 410

    def test_a_public_statement_cannot_be_returned_to_draft(self, client, publisher):
        statement = make_statement(**TRILINGUAL)
        response = client.post(change_url(statement), change_form_data(statement, status="draft"))
        assert response.status_code == 200
        assert "cannot return to draft" in response.text
        assert Statement.objects.get(pk=statement.pk).is_published()

    def test_the_publishing_record_is_shown_on_the_change_form(self, client, publisher):
        statement = make_statement(**TRILINGUAL)
        client.post(
            change_url(statement),
            change_form_data(statement, status="withdrawn", withdrawal_reason_en="Published in error."),
        )
        page = client.get(change_url(statement)).text
        assert "Publishing record" in page
        assert "Withdrawn. Reason: Published in error." in page


def fieldset_headed(page, heading):
    """The HTML of the change form's (top-level) fieldset whose heading is `heading`."""
    for block in re.findall(r"<fieldset.*?</fieldset>", page, re.S):
        if f'class="fieldset-heading">{heading}</h2>' in block:
            return block
    raise AssertionError(f"no fieldset headed {heading!r}")


def step_url(statement, step):
    return f"/admin/priorities/statement/{statement.pk}/{step}/"


class TestStatementFormLayout:
    def test_each_languages_title_summary_and_text_are_grouped_under_its_name(self, client, publisher):
        page = client.get(change_url(make_statement(**TRILINGUAL))).text
        for code, heading in (("en", "English"), ("fr", "French"), ("es", "Spanish")):
            group = fieldset_headed(page, heading)
            for field in ("title", "summary", "body"):
                assert f'name="{field}_{code}"' in group
                others = [other for other in ("en", "fr", "es") if other != code]
                assert not any(f'name="{field}_{other}"' in group for other in others)
        # Jump links lead to each language's group and to the directives.
        assert '<a href="#fieldset-0-1-heading">French</a>' in page
        assert '<a href="#directives-heading">Directives</a>' in page

    def test_directives_are_stacked_each_text_labelled_in_its_language(self, client, publisher):
        page = client.get(change_url(make_statement())).text
        assert 'id="directives-group"' in page
        assert 'data-inline-type="stacked"' in page
        for code in ("en", "fr", "es"):
            assert re.search(f'<label [^>]*for="id_directives-0-text_{code}"', page)


class TestPreview:
    HOSTILE = (
        "Intro with **strong words**.\n\n<script>alert('preview')</script>\n\n"
        "[a trap](javascript:alert(1)) and [the record](https://example.org/record)"
    )

    def preview(self, client, statement, **changes):
        data = change_form_data(statement, **changes)
        data["_preview"] = "Preview"
        response = client.post(change_url(statement), data)
        assert response.status_code == 200, "the form is shown again, not saved and redirected"
        [section] = re.findall(r'<section class="statement-preview".*?</section>', response.text, re.S)
        return response.text, section

    def test_shows_the_body_through_the_public_sanitiser_and_saves_nothing(self, client, publisher):
        statement = make_statement(**TRILINGUAL)
        page, section = self.preview(client, statement, body_en=self.HOSTILE, title_es="Título nuevo")
        assert "<strong>strong words</strong>" in section
        assert '<a href="https://example.org/record" rel="noopener noreferrer">the record</a>' in section
        assert "<script" not in section and "javascript:" not in section
        assert "<script>alert" not in page  # in the text box it is text, escaped
        assert "Título nuevo" in section
        statement.refresh_from_db()
        assert (statement.body_en, statement.title_es) == ("body (en)", "title (es)")
        assert not PublishingEvent.objects.exists()

    def test_a_language_without_text_says_so(self, client, publisher):
        statement = make_statement(title_en="English only", body_en="Only in English.")
        _page, section = self.preview(client, statement)
        assert section.count("No title or text in this language yet.") == 2

    def test_a_new_statement_is_previewed_before_it_exists(self, client, publisher):
        data = {
            "slug": "new-statement",
            "original_language": "en",
            "release_date": "2026-11-29",
            "status": "draft",
            "title_fr": "Une nouvelle déclaration",
            "body_fr": "Un **nouveau** texte.",
            "directives-TOTAL_FORMS": "0",
            "directives-INITIAL_FORMS": "0",
            "published_without-TOTAL_FORMS": "0",
            "published_without-INITIAL_FORMS": "0",
            "documents-TOTAL_FORMS": "0",
            "documents-INITIAL_FORMS": "0",
            "_preview": "Preview",
        }
        response = client.post("/admin/priorities/statement/add/", data)
        assert response.status_code == 200
        assert "Un <strong>nouveau</strong> texte." in response.text
        assert not Statement.objects.filter(slug="new-statement").exists()

    def test_preview_never_publishes_a_status_change(self, client, publisher):
        draft = make_statement(status=Statement.Status.DRAFT, open_comments=False, **TRILINGUAL)
        self.preview(client, draft, status="published")
        assert Statement.objects.get(pk=draft.pk).status == Statement.Status.DRAFT
        assert not PublishingEvent.objects.exists()


class TestPublishingFromTheStatementPage:
    """ "Publish", "Schedule" and "Withdraw" on the statement's own page: each asks first, then calls the services."""

    def test_a_draft_offers_publish_and_schedule_a_public_statement_withdraw(self, client, publisher):
        draft = make_statement(status=Statement.Status.DRAFT, **TRILINGUAL)
        page = client.get(change_url(draft)).text
        assert f'href="{step_url(draft, "publish")}"' in page and f'href="{step_url(draft, "schedule")}"' in page
        assert step_url(draft, "withdraw") not in page
        public = make_statement(**TRILINGUAL)
        page = client.get(change_url(public)).text
        assert f'href="{step_url(public, "withdraw")}"' in page
        assert step_url(public, "publish") not in page

    def test_publish_asks_for_confirmation_then_publishes_and_records_who(self, client, publisher):
        draft = make_statement(status=Statement.Status.DRAFT, open_comments=False, **TRILINGUAL)
        response = client.get(step_url(draft, "publish"))
        assert response.status_code == 200
        assert "Publish the statement?" in response.text
        assert Statement.objects.get(pk=draft.pk).status == Statement.Status.DRAFT

        response = client.post(step_url(draft, "publish"), follow=True)
        assert response.redirect_chain[-1][0] == change_url(draft)
        assert "The statement is published." in response.text
        draft.refresh_from_db()
        assert draft.is_published()
        event = PublishingEvent.objects.get(statement=draft)
        assert (event.action, event.actor) == (PublishingEvent.Action.PUBLISHED, publisher)

    def test_publish_without_a_language_needs_its_box_ticked_and_records_it(self, client, publisher):
        draft = make_statement(status=Statement.Status.DRAFT, title_en="English only", body_en="Text.")
        page = client.get(step_url(draft, "publish")).text
        assert 'name="publish_without_fr"' in page and 'name="publish_without_es"' in page

        response = client.post(step_url(draft, "publish"), {"publish_without_fr": "on"})
        assert response.status_code == 200
        assert "There is no official Spanish title and body" in response.text
        assert Statement.objects.get(pk=draft.pk).status == Statement.Status.DRAFT

        response = client.post(step_url(draft, "publish"), {"publish_without_fr": "on", "publish_without_es": "on"})
        assert response.status_code == 302
        assert Statement.objects.get(pk=draft.pk).is_published()
        records = PublicationWithoutLanguage.objects.filter(statement=draft)
        assert {(record.language, record.confirmed_by) for record in records} == {("fr", publisher), ("es", publisher)}

    def test_schedule_asks_for_the_time_then_schedules_and_records_who(self, client, publisher):
        draft = make_statement(status=Statement.Status.DRAFT, open_comments=False, **TRILINGUAL)
        later = (timezone.now() + datetime.timedelta(days=2)).replace(second=0, microsecond=0)
        assert 'name="publish_at_0"' in client.get(step_url(draft, "schedule")).text

        past = later - datetime.timedelta(days=4)
        response = client.post(
            step_url(draft, "schedule"),
            {"publish_at_0": past.strftime("%Y-%m-%d"), "publish_at_1": past.strftime("%H:%M")},
        )
        assert response.status_code == 200
        assert "A scheduled publication time must be in the future." in response.text
        assert not PublishingEvent.objects.exists()

        response = client.post(
            step_url(draft, "schedule"),
            {"publish_at_0": later.strftime("%Y-%m-%d"), "publish_at_1": later.strftime("%H:%M")},
            follow=True,
        )
        assert "The statement is scheduled" in response.text
        draft.refresh_from_db()
        assert draft.is_scheduled() and draft.published_at == later
        event = PublishingEvent.objects.get(statement=draft)
        assert (event.action, event.actor, event.publication_time) == (
            PublishingEvent.Action.SCHEDULED,
            publisher,
            later,
        )
        client.logout()
        assert client.get(draft.get_absolute_url()).status_code == 404

    def test_withdraw_asks_for_the_reason_then_withdraws_and_records_who(self, client, publisher):
        statement = make_statement(**TRILINGUAL)
        response = client.post(step_url(statement, "withdraw"), {})
        assert response.status_code == 200
        assert "Give the reason for the withdrawal" in response.text
        assert Statement.objects.get(pk=statement.pk).is_published()

        response = client.post(step_url(statement, "withdraw"), {"withdrawal_reason_fr": "Publiée par erreur."})
        assert response.status_code == 302
        assert Statement.objects.get(pk=statement.pk).status == Statement.Status.WITHDRAWN
        event = PublishingEvent.objects.get(statement=statement)
        assert (event.action, event.actor, event.reason_fr) == (
            PublishingEvent.Action.WITHDRAWN,
            publisher,
            "Publiée par erreur.",
        )
        client.logout()
        assert client.get(f"/fr/statements/{statement.slug}/").status_code == 410

    def test_a_step_not_open_to_the_statement_goes_back_to_it_saying_why(self, client, publisher):
        draft = make_statement(status=Statement.Status.DRAFT, **TRILINGUAL)
        response = client.post(step_url(draft, "withdraw"), {"withdrawal_reason_en": "Never mind."}, follow=True)
        assert response.redirect_chain[-1][0] == change_url(draft)
        assert "Only a published statement can be withdrawn." in response.text
        assert not PublishingEvent.objects.exists()

    def test_each_step_needs_the_password_given_again(self, client):
        client.force_login(make_publisher())  # signed in, but not in the last few minutes
        draft = make_statement(status=Statement.Status.DRAFT, **TRILINGUAL)
        response = client.post(step_url(draft, "publish"))
        assert response.status_code == 302 and "/reauthenticate/" in response["Location"]
        assert Statement.objects.get(pk=draft.pk).status == Statement.Status.DRAFT

    def test_someone_who_is_not_a_publisher_cannot_publish(self, client):
        client.force_login(make_user(staff=True, mfa=True))
        reauthenticate(client)
        draft = make_statement(status=Statement.Status.DRAFT, **TRILINGUAL)
        response = client.post(step_url(draft, "publish"))
        assert response.status_code == 403
        assert Statement.objects.get(pk=draft.pk).status == Statement.Status.DRAFT


class TestDirectiveProgress:
    def directive_form(self, directive, progress, notes=()):
        data = {
            "priority": directive.priority_id,
            "order": directive.order,
            "text_en": directive.text_en,
            "text_fr": "",
            "text_es": "",
            "progress": progress,
            "progress_notes-TOTAL_FORMS": str(len(notes)),
            "progress_notes-INITIAL_FORMS": "0",
        }
        for number, (date, note) in enumerate(notes):
            data[f"progress_notes-{number}-date"] = date
            data[f"progress_notes-{number}-note_en"] = note
        return data

    def test_a_status_without_a_dated_note_is_refused(self, client, publisher):
        directive = make_statement().directives.first()
        url = f"/admin/priorities/directive/{directive.pk}/change/"
        response = client.post(url, self.directive_form(directive, "under_way"))
        assert response.status_code == 200
        assert "needs a dated progress note that supports it" in response.text
        assert Directive.objects.get(pk=directive.pk).progress == Directive.Progress.NOT_REPORTED

    def test_a_status_with_its_dated_note_is_saved(self, client, publisher):
        directive = make_statement().directives.first()
        url = f"/admin/priorities/directive/{directive.pk}/change/"
        response = client.post(url, self.directive_form(directive, "under_way", [("2008-06-01", "Working group met.")]))
        assert response.status_code == 302
        assert Directive.objects.get(pk=directive.pk).progress == Directive.Progress.UNDER_WAY
        assert ProgressNote.objects.get(directive=directive).note_en == "Working group met."

    def test_a_note_without_a_status_is_refused(self, client, publisher):
        directive = make_statement().directives.first()
        url = f"/admin/priorities/directive/{directive.pk}/change/"
        response = client.post(
            url, self.directive_form(directive, "not_reported", [("2008-06-01", "Working group met.")])
        )
        assert response.status_code == 200
        assert "Choose the status that these progress notes report." in response.text
        assert not ProgressNote.objects.exists()
