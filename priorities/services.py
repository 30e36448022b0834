"""
Publishing workflows: what changes what the public reads about a statement.

Each function is one transaction: it locks the statement's row, checks the change is allowed
from the state it finds, makes it, records who did it and when (a PublishingEvent, a
CommentPeriodChange, a PublicationWithoutLanguage or a StatementVersion), and drops the public page cache when the
transaction commits. The admin's actions and its change form call these; so may anything else
that publishes (a command, an API), and it gets the same checks and the same record.
"""

import datetime
from collections.abc import Callable, Collection, Mapping

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pagecache.cache import invalidate_public_pages

from .languages import language_in_sentence
from .models import (
    CommentPeriodChange,
    Directive,
    OutcomeReport,
    PublicationWithoutLanguage,
    PublishingEvent,
    Statement,
    StatementVersion,
)

Status = Statement.Status
Action = PublishingEvent.Action


class PublishingError(Exception):
    """A refusal shown to the publisher as it is; nothing was changed."""

    code = "refused"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotAllowed(PublishingError):
    code = "not_allowed"


class TranslationNotConfirmed(PublishingError):
    """A language with no official text, and no "publish without" confirmation for it."""

    code = "translation_missing"

    def __init__(self, languages: list[str]):
        self.languages = languages
        super().__init__(
            _("There is no official %(language)s title and body. Add them, or confirm publishing without them.")
            % {"language": ", ".join(language_in_sentence(code) for code in languages)}
        )


class ChangeSummaryMissing(PublishingError):
    """A change to the texts of a statement the public has seen, with no summary of the change."""

    code = "summary_missing"


# The texts a version keeps: what statement_amend may change, and what needs a summary once public.
VERSIONED_FIELDS = tuple(
    f"{field}_{code}" for field in ("title", "summary", "body") for code, _name in settings.LANGUAGES
)
VERSIONED_DIRECTIVE_FIELDS = tuple(f"text_{code}" for code, _name in settings.LANGUAGES)


# --- Rules the admin's form checks before it saves, and the services again when they run -----------


def languages_to_confirm(*, statement: Statement, before: Statement | None) -> list[str]:
    """
    The languages that need a recorded "publish without" for `statement` (its texts as they are to
    be saved) to be published: every language it lacks when it is being published; only the
    languages it loses when it already was (`before`: the statement as stored, None if new).
    """
    missing = statement.missing_languages()
    if before is not None and before.status == Status.PUBLISHED:
        official_before = before.official_languages()
        return [code for code in missing if code in official_before]
    return missing


def check_status_change(*, statement: Statement, status: str, publication_time: datetime.datetime | None) -> None:
    """Raise NotAllowed unless `statement`, as stored, may go to `status` at `publication_time`."""
    now = timezone.now()
    if status == Status.PUBLISHED:
        if statement.is_published() and publication_time is not None and publication_time > now:
            raise NotAllowed(
                _(
                    "This statement is public: it cannot be scheduled again for later. "
                    "Withdraw it instead, with a reason, if it must come down."
                )
            )
    elif status == Status.WITHDRAWN:
        if not statement.is_published():
            raise NotAllowed(
                _("Only a published statement can be withdrawn. Return a scheduled statement to draft instead.")
            )
    elif status == Status.DRAFT and statement.status != Status.DRAFT and not statement.is_scheduled():
        raise NotAllowed(
            _(
                "A statement the public has seen cannot return to draft: withdraw it, with a reason, "
                "so that its address says it was withdrawn."
            )
        )


def clean_reason(reason: Mapping[str, str]) -> dict[str, str]:
    """The withdrawal reason by language, stripped; NotAllowed if no language has one."""
    cleaned = {code: (reason.get(code) or "").strip() for code, _name in settings.LANGUAGES}
    if not any(cleaned.values()):
        raise NotAllowed(_("Give the reason for the withdrawal: readers see it at the statement's address."))
    return cleaned


def clean_change_summary(summary: Mapping[str, str]) -> dict[str, str]:
    """The summary of a change by language, stripped; ChangeSummaryMissing if no language has one."""
    cleaned = {code: (summary.get(code) or "").strip() for code, _name in settings.LANGUAGES}
    if not any(cleaned.values()):
        raise ChangeSummaryMissing(
            _(
                "Say what changed and why, in one language at least: readers see this summary with the new "
                "version. Nothing was saved yet; your changes are still in the form."
            )
        )
    return cleaned


# --- Workflows -----------------------------------------------------------------------------------


@transaction.atomic
def statement_publish(
    *,
    statement: Statement,
    by: AbstractBaseUser,
    at: datetime.datetime | None = None,
    confirmed_without: Collection[str] = (),
) -> Statement:
    """
    Publish `statement` at `at` (default: its publication time if it has one, otherwise now).

    A future time schedules it: the public sees it from then on, by itself (the page cache ends
    its generation at that moment; no cron). A language without an official text must be in
    `confirmed_without`, and each confirmation is recorded. Publishing an already published
    statement at another time moves its publication (a public one only into the past).
    """
    locked = _lock(statement)
    when = at or locked.published_at or timezone.now()
    check_status_change(statement=locked, status=Status.PUBLISHED, publication_time=when)
    unconfirmed = [
        code for code in languages_to_confirm(statement=locked, before=locked) if code not in confirmed_without
    ]
    if unconfirmed:
        raise TranslationNotConfirmed(unconfirmed)
    first_publication = not locked.has_been_public()
    locked.status = Status.PUBLISHED
    locked.published_at = when
    locked.save(update_fields=["status", "published_at", "updated_at"])
    if first_publication:
        _keep_first_version(locked, by=by, at=when)
    _record_without(locked, by, [code for code in locked.missing_languages() if code in confirmed_without])
    PublishingEvent.objects.create(
        statement=locked,
        action=Action.SCHEDULED if when > timezone.now() else Action.PUBLISHED,
        actor=by,
        publication_time=when,
    )
    invalidate_public_pages()
    return locked


@transaction.atomic
def statement_schedule(
    *,
    statement: Statement,
    by: AbstractBaseUser,
    at: datetime.datetime,
    confirmed_without: Collection[str] = (),
) -> Statement:
    """Publish `statement` at a future time `at` (see statement_publish); a past time is refused."""
    if at <= timezone.now():
        raise NotAllowed(_("A scheduled publication time must be in the future."))
    return statement_publish(statement=statement, by=by, at=at, confirmed_without=confirmed_without)


@transaction.atomic
def statement_withdraw(*, statement: Statement, by: AbstractBaseUser, reason: Mapping[str, str]) -> PublishingEvent:
    """
    Take a published statement off the public site, saying why (`reason`: language code -> text,
    at least one). Its address then answers 410 Gone with the date and the reason; its comments
    leave public view with it. It can be published again later.
    """
    reasons = clean_reason(reason)
    locked = _lock(statement)
    check_status_change(statement=locked, status=Status.WITHDRAWN, publication_time=locked.published_at)
    locked.status = Status.WITHDRAWN
    locked.save(update_fields=["status", "updated_at"])
    event = PublishingEvent.objects.create(
        statement=locked,
        action=Action.WITHDRAWN,
        actor=by,
        publication_time=locked.published_at,
        **{f"reason_{code}": text for code, text in reasons.items()},
    )
    invalidate_public_pages()
    return event


@transaction.atomic
def statement_return_to_draft(*, statement: Statement, by: AbstractBaseUser) -> Statement:
    """Unschedule a statement the public has not seen yet; a public one must be withdrawn instead."""
    locked = _lock(statement)
    check_status_change(statement=locked, status=Status.DRAFT, publication_time=None)
    if locked.status != Status.DRAFT:
        locked.status = Status.DRAFT
        locked.save(update_fields=["status", "updated_at"])
        PublishingEvent.objects.create(
            statement=locked, action=Action.RETURNED_TO_DRAFT, actor=by, publication_time=locked.published_at
        )
        invalidate_public_pages()
    return locked


@transaction.atomic
def comment_period_change(
    *,
    statement: Statement,
    by: AbstractBaseUser,
    opens_at: datetime.datetime | None,
    closes_at: datetime.datetime | None,
) -> CommentPeriodChange | None:
    """
    Set, extend, shorten or move `statement`'s comment period; None if nothing changed.

    Every change is recorded (who, when, from what to what); the statement page lists the
    extensions and shortenings of a deadline. Shortening to a time already past closes the period now.
    """
    if opens_at is not None and closes_at is not None and closes_at <= opens_at:
        raise NotAllowed(_("The comment period must close after it opens."))
    locked = _lock(statement)
    previous = (locked.comments_open_at, locked.comments_close_at)
    if previous == (opens_at, closes_at):
        return None
    locked.comments_open_at, locked.comments_close_at = opens_at, closes_at
    locked.save(update_fields=["comments_open_at", "comments_close_at", "updated_at"])
    change = CommentPeriodChange.objects.create(
        statement=locked,
        previous_open=previous[0],
        previous_close=previous[1],
        new_open=opens_at,
        new_close=closes_at,
        changed_by=by,
    )
    invalidate_public_pages()
    return change


@transaction.atomic
def statement_confirm_missing_languages(
    *, statement: Statement, by: AbstractBaseUser, languages: Collection[str]
) -> list[PublicationWithoutLanguage]:
    """
    Record that `statement` is public without an official text in `languages` (translation
    parity): needed when a published statement loses a language, as when one is published without it.
    The statement page then tells readers of those languages that no official version exists.
    """
    locked = _lock(statement)
    missing = locked.missing_languages()
    if official := [code for code in languages if code not in missing]:
        raise NotAllowed(
            _("The statement has an official %(languages)s text: there is nothing to confirm.")
            % {"languages": ", ".join(language_in_sentence(code) for code in official)}
        )
    records = _record_without(locked, by, list(languages))
    invalidate_public_pages()
    return records


@transaction.atomic
def statement_amend(
    *,
    statement: Statement,
    by: AbstractBaseUser,
    summary: Mapping[str, str] | None = None,
    texts: Mapping[str, str] | None = None,
    directive_texts: Mapping[int, Mapping[str, str]] | None = None,
) -> StatementVersion | None:
    """
    Change the title, summary, body or directives of `statement`, keeping each version the public read.

    `texts` maps fields (title_fr, body_en…) to their new text; `directive_texts` maps a directive's
    id to its new texts (text_en…). A caller that saved the change itself in this transaction (the
    admin's form, with its rows of directives: added, removed, moved) passes neither: the texts as
    stored now are the new version. Once the public has seen the statement, a change makes version
    N + 1 (who, when, `summary`: language code -> text, at least one; ChangeSummaryMissing, and
    nothing saved, without it) and drops the cached pages. Before that, version 1 follows the edit.
    Returns the new version, or None when no versioned text changed or the statement is not public yet.
    """
    locked = _lock(statement)
    if texts:
        if unknown := set(texts) - set(VERSIONED_FIELDS):
            raise NotAllowed(f"Not a versioned text: {', '.join(sorted(unknown))}")
        for field, value in texts.items():
            setattr(locked, field, value)
        locked.save(update_fields=[*texts, "updated_at"])
    for pk, fields in (directive_texts or {}).items():
        if unknown := set(fields) - set(VERSIONED_DIRECTIVE_FIELDS):
            raise NotAllowed(f"Not a versioned text: {', '.join(sorted(unknown))}")
        directive = Directive.objects.get(statement=locked, pk=pk)
        for field, value in fields.items():
            setattr(directive, field, value)
        directive.save(update_fields=list(fields))
    if not locked.has_been_public():
        if locked.versions.exists():  # scheduled, or back to draft: nobody has read version 1 yet
            _keep_first_version(locked, by=by, at=locked.published_at)
        return None
    latest = locked.versions.order_by("-number").first()
    if latest is None:  # public before versions were kept, and missed by the migration that adds them
        latest = _keep_first_version(locked, by=None, at=locked.published_at)
    snapshot = StatementVersion.snapshot(locked)
    if snapshot == {"texts": latest.texts, "directives": latest.directives}:
        return None
    summaries = clean_change_summary(summary or {})
    version = StatementVersion.objects.create(
        statement=locked,
        number=latest.number + 1,
        made_by=by,
        **snapshot,
        **{f"change_summary_{code}": text for code, text in summaries.items()},
    )
    locked.version, locked.amended_at = version.number, version.made_at
    locked.save(update_fields=["version", "amended_at", "updated_at"])
    # Every page: the title is on the home page, the archive, the search and the feeds as well.
    invalidate_public_pages()
    return version


def _keep_first_version(statement: Statement, *, by, at) -> StatementVersion:
    """Version 1 is the statement as published: written (or rewritten) until the public has seen it."""
    version, _created = StatementVersion.objects.update_or_create(
        statement=statement,
        number=1,
        defaults={"made_by": by, "made_at": at or timezone.now(), **StatementVersion.snapshot(statement)},
    )
    return version


# --- "What we heard": the outcome report after a comment period ----------------------------------


class OutcomeTranslationMissing(PublishingError):
    """An outcome report is published in the three languages or not at all (no "publish without")."""

    code = "translation_missing"

    def __init__(self, languages: list[str]):
        self.languages = languages
        super().__init__(
            _(
                "The report has no %(language)s text for its summary or for every theme (its title, what was "
                "heard and the response). Write it: a report is published in English, French and Spanish."
            )
            % {"language": ", ".join(language_in_sentence(code) for code in languages)}
        )


def check_outcome_report(report: OutcomeReport) -> None:
    """Raise a PublishingError unless `report`, as stored, may be published now."""
    statement = report.statement
    if report.is_published():
        raise NotAllowed(_("This report is already published."))
    if not statement.is_published():
        raise NotAllowed(_("Only the report on a published statement can be published."))
    if not statement.comments_closed():
        raise NotAllowed(
            _(
                "The comment period has not closed: the report is published after it closes, "
                "so that it reflects every comment."
            )
        )
    themes = list(report.themes.all())
    if not themes:
        raise NotAllowed(_("Add at least one main theme, with what was heard and the governments' response."))
    if missing := report.missing_languages(themes):
        raise OutcomeTranslationMissing(missing)


@transaction.atomic
def outcome_report_publish(
    *, report: OutcomeReport, by: AbstractBaseUser, figures: Callable[[Statement], dict]
) -> OutcomeReport:
    """
    Publish `report` once its statement's comment period has closed, in the three languages,
    freezing `figures(statement)` (the conversation's figures, computed by dialogue: see
    dialogue.outcomes.outcome_report_publish, the workflow to call) with the time they were
    computed. Only a holder of priorities.publish_outcomereport may. Refreshes the statement's
    pages and the statements feed.
    """
    if not by.has_perm("priorities.publish_outcomereport"):
        raise NotAllowed(_("Only publishers can publish an outcome report."))
    locked = OutcomeReport.objects.select_for_update().get(pk=report.pk)
    locked.statement = _lock(locked.statement)
    check_outcome_report(locked)
    now = timezone.now()
    locked.figures = figures(locked.statement)
    locked.figures_computed_at = now
    locked.status = OutcomeReport.Status.PUBLISHED
    locked.published_at = now
    locked.published_by = by
    locked.save()
    invalidate_public_pages(tags=[locked.statement.cache_tag])
    return locked


def _lock(statement: Statement) -> Statement:
    return Statement.objects.select_for_update().get(pk=statement.pk)


def _record_without(statement: Statement, by: AbstractBaseUser, languages: list[str]):
    return PublicationWithoutLanguage.objects.bulk_create(
        PublicationWithoutLanguage(statement=statement, language=code, confirmed_by=by) for code in languages
    )
