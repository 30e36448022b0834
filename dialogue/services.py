"""
Workflows that change the state of the conversation.

Each function is one database transaction: it locks the row it changes, checks that the
change is allowed from the current state, writes the ModerationEvent, and writes its emails into
the outbox in the same transaction (dialogue/notifications.py): they exist exactly when the change
does, and a worker sends them, with retries, after the commit.
"""

import datetime
import functools
import logging
import math
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pagecache.cache import invalidate_public_pages
from priorities.models import Directive, Priority, Statement
from safeguards.files import Checked, UnsafeFile, check_file

from . import campaigns, notifications
from .models import (
    ATTACHMENT_KINDS,
    REASON_REQUIRED,
    TEXT_CHANGED,
    Appeal,
    Attachment,
    Campaign,
    Comment,
    Flag,
    Membership,
    ModerationEvent,
    OfficialResponse,
    Organisation,
    OrganisationInterest,
    Stakeholder,
    Subscription,
    Support,
    reason_missing,
)
from .precompiled import PrecompiledQuery
from .text import TRACKING_ALPHABET, clean_body, fingerprint, pseudonym

Status = Comment.Status
Action = ModerationEvent.Action
logger = logging.getLogger(__name__)


class DialogueError(Exception):
    """A refusal the user is shown as it is; whatever they wrote is kept by the caller."""

    code = "refused"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class CommentPeriodClosed(DialogueError):
    code = "closed"


class RateLimited(DialogueError):
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after  # seconds until the oldest counted submission leaves the window


class DuplicateComment(DialogueError):
    code = "duplicate"


class FileRefused(DialogueError):
    """An attachment is not accepted (its kind, its size, how many): the form shows it beside the files."""

    code = "file_refused"


class NotAllowed(DialogueError):
    code = "not_allowed"


class ConflictOfInterest(NotAllowed):
    code = "conflict_of_interest"


def _check_no_conflict(comment: Comment, moderator) -> None:
    """A moderator never acts on a comment they have an interest in (Comment.conflict_of_interest)."""
    if reason := comment.conflict_of_interest(moderator, fresh=True):
        raise ConflictOfInterest(reason)


class AlreadyDecided(DialogueError):
    code = "already_decided"


class TextChanged(DialogueError):
    """The author edited the comment after the moderator's page showed it: the decision would apply to unseen text."""

    code = "text_changed"


# A withdrawn statement's conversation is closed with it: no new comment, reply or report.
WITHDRAWN_STATEMENT = gettext_lazy(
    "This statement was withdrawn: its conversation is closed to new comments, replies and reports."
)


def generate_tracking_number() -> str:
    """A short public number, unambiguous to read aloud and not guessable: SPP-7K3Q-M9TD (40 random bits)."""
    chars = "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(8))
    return f"SPP-{chars[:4]}-{chars[4:]}"


class SubqueryCount(Subquery):
    """The number of rows of a queryset, as a column of another query (one round trip for both)."""

    template = "(SELECT count(*) FROM (%(subquery)s) AS counted)"
    output_field = IntegerField()


def _event(comment, *, actor, action, from_status, reason="", note="", actor_name=None):
    return ModerationEvent.objects.create(
        comment=comment,
        actor=actor,
        actor_name=_actor_name(actor) if actor_name is None else actor_name,
        action=action,
        from_status=from_status,
        to_status=comment.status,
        reason=reason,
        note=note,
    )


def _actor_name(user) -> str:
    if user is None:
        return ""
    stakeholder = Stakeholder.objects.filter(user=user).only("display_name").first()
    return stakeholder.display_name if stakeholder else user.get_username()


def _has_verified_email(user) -> bool:
    return EmailAddress.objects.filter(user=user, verified=True).exists()


def _locked(comment: Comment) -> Comment:
    return Comment.objects.select_for_update().select_related("statement").get(pk=comment.pk)


# --- Stakeholders' workflows --------------------------------------------------


def comment_submit(*, statement: Statement, body: str, parent: Comment | None = None, **details) -> Comment:
    """
    A verified stakeholder's new comment or reply, with its attached `files` (checked here by their
    content: safeguards.files); it waits, pending, for a moderator. `on_behalf_of`: a verified
    organisation the author belongs to; `anonymous`: published without the author's name.

    What needs no database (the text cleaned, its campaign bands hashed) is done before the
    transaction: on SQLite a transaction holds the one write lock from its first statement.
    """
    body = clean_body(body)
    bands = campaigns.bands_of(statement.pk, body, reply=parent is not None)
    return _submit(statement=statement, body=body, parent=parent, bands=bands, **details)


def _recent(*, author: int, since: datetime.datetime):
    return Comment.objects.filter(author_id=author, submitted_at__gt=since)


def _submission_checks(*, statement: int, author: int, since: datetime.datetime, digest: str):
    """
    The statement as it is now, with how many comments the author submitted since `since` (the rate
    limit) and whether they already submitted this exact text (`digest`) on it, not withdrawn.
    """
    return Statement.objects.filter(pk=statement).annotate(
        recent_comments=SubqueryCount(_recent(author=author, since=since).order_by().values("pk")),
        duplicate=Exists(
            Comment.objects.filter(author_id=author, statement=OuterRef("pk"), fingerprint=digest).exclude(
                status=Status.WITHDRAWN
            )
        ),
    )


# Asked by every submission while, on SQLite, it holds the one write lock: compiled once per process
# (building the query took a fifth of the submission's time under the lock).
SUBMISSION_CHECKS = PrecompiledQuery(
    Statement, _submission_checks, "statement", "author", since=datetime.datetime, digest=str
)


@transaction.atomic
def _submit(
    *,
    author,
    statement: Statement,
    body: str,
    language: str,
    directive: Directive | None = None,
    priority: Priority | None = None,
    parent: Comment | None = None,
    on_behalf_of: Organisation | None = None,
    anonymous: bool = False,
    files: Sequence[File] = (),
    at: datetime.datetime | None = None,
    bands: list[int] | None = None,
) -> Comment:
    now = at or timezone.now()
    # One submission at a time per stakeholder, so the rate limit and duplicate checks hold: the lock
    # first, then the checks in a statement of their own (read committed: it sees what committed while
    # this one waited). Each is one round trip: the lock reads whether the address is verified, the
    # second reads the statement, the stakeholder's recent comments and an earlier identical one.
    stakeholder = (
        Stakeholder.objects.select_for_update(of=("self",))
        .filter(user=author)
        .annotate(email_verified=Exists(EmailAddress.objects.filter(user=author, verified=True)))
        .first()
    )
    verified = stakeholder.email_verified if stakeholder is not None else _has_verified_email(author)
    if not verified:
        raise NotAllowed(_("Please verify your email address before you take part."))
    if on_behalf_of is not None:
        _check_on_behalf_of(on_behalf_of, author, anonymous)
    checked = _check_files(files)
    limit, window = settings.COMMENT_RATE_LIMIT
    since = now - datetime.timedelta(seconds=window)
    # The fingerprint covers the attached files (their SHA-256), as the receipt does.
    digest = fingerprint(body, [check.sha256 for _file, check in checked])
    found = SUBMISSION_CHECKS.objects(statement=statement.pk, author=author.pk, since=since, digest=digest)
    if not found:
        raise Statement.DoesNotExist("The statement was deleted while the comment was being submitted.")
    statement = found[0]
    if statement.status == Statement.Status.WITHDRAWN:
        raise NotAllowed(WITHDRAWN_STATEMENT)
    if not statement.is_open_for_comments(at=now):
        raise CommentPeriodClosed(
            _(
                "The comment period for this statement has not opened yet. Your comment was not submitted; "
                "its text is below."
            )
            if statement.comments_not_yet_open()
            else _(
                "The comment period for this statement is closed. Your comment was not submitted; its text is below."
            )
        )
    if statement.recent_comments >= limit:
        oldest = (
            _recent(author=author.pk, since=since)
            .order_by("submitted_at")
            .values_list("submitted_at", flat=True)
            .first()
        )
        raise RateLimited(
            _(
                "You have submitted %(limit)d comments in the last %(minutes)d minutes, the most the portal accepts. "
                "Please wait a few minutes; your text is kept below."
            )
            % {"limit": limit, "minutes": window // 60},
            retry_after=max(1, math.ceil((oldest + datetime.timedelta(seconds=window) - now).total_seconds())),
        )
    _check_attachment_rate(author, count=len(checked), now=now)
    if statement.duplicate:
        raise DuplicateComment(_("You have already submitted exactly this comment on this statement."))

    depth = 0
    thread = None
    if parent is not None:
        parent = Comment.objects.select_related("parent").get(pk=parent.pk)
        if parent.statement_id != statement.pk or parent.status != Status.APPROVED:
            raise NotAllowed(_("You can only reply to a published comment on this statement."))
        if parent.depth >= Comment.MAX_DEPTH:
            # Past the deepest level, a reply joins the conversation at that level instead.
            parent = parent.parent
        depth = parent.depth + 1
        thread = parent.thread_id or parent.pk
        directive = directive or parent.directive
        priority = priority or parent.priority
    if directive is not None and directive.statement_id != statement.pk:
        raise NotAllowed(_("This directive belongs to another statement."))
    if priority is not None and not statement.priorities.filter(pk=priority.pk).exists():
        raise NotAllowed(_("This statement does not address that priority."))

    comment = Comment(
        statement=statement,
        directive=directive,
        priority=priority or (directive.priority if directive else None),
        parent=parent,
        thread_id=thread,
        depth=depth,
        author=author,
        on_behalf_of=on_behalf_of,
        anonymous=anonymous,
        body=body,
        language=language,
        status=Status.PENDING,
        fingerprint=digest,
        submitted_at=now,
        statement_version=statement.version,
    )
    for _attempt in range(5):
        comment.tracking_number = generate_tracking_number()
        try:
            with transaction.atomic():
                comment.save()
            break
        except IntegrityError:
            if Comment.objects.filter(tracking_number=comment.tracking_number).exists():
                comment.pk = None
                continue
            raise
    else:  # 5 collisions in a 2**40 space: never by chance (tests force it)
        raise DialogueError(_("The portal could not issue a tracking number; please submit again."))
    if thread is None:
        Comment.objects.filter(pk=comment.pk).update(thread=comment.pk)
        comment.thread_id = comment.pk
    if checked:
        _store_attachments(comment, checked)
    # The event and the receipt use the rows read above rather than reading them again.
    _event(
        comment,
        actor=author,
        action=Action.SUBMIT,
        from_status="",
        actor_name=stakeholder.display_name if stakeholder is not None else None,
    )
    if stakeholder is not None:
        author.stakeholder = stakeholder
    notifications.send_receipt(comment.pk, comment=comment)
    _group_into_campaign(comment, functools.partial(campaigns.group, bands=bands))
    # The statement page shows how many comments await moderation.
    invalidate_public_pages(tags=[statement.cache_tag])
    return comment


def _check_on_behalf_of(organisation: Organisation, author, anonymous: bool) -> None:
    """Only a member speaks for an organisation, only a verified one, and never without their name."""
    if not Membership.objects.filter(organisation=organisation, user=author).exists():
        raise NotAllowed(_("You can only comment on behalf of an organisation you belong to."))
    if not Organisation.objects.verified().filter(pk=organisation.pk).exists():
        raise NotAllowed(
            _("“%(name)s” is not verified yet: you can comment on its behalf once a moderator has verified it.")
            % {"name": organisation.name}
        )
    if anonymous:
        raise NotAllowed(
            _("A comment on behalf of an organisation is published with your name: it cannot also be anonymous.")
        )


def _check_files(files: Sequence[File]) -> list[tuple[File, Checked]]:
    """Each file recognised by its content, at most ATTACHMENT_MAX_FILES of them, or FileRefused."""
    if len(files) > settings.ATTACHMENT_MAX_FILES:
        raise FileRefused(
            _("You can attach at most %(max)d files to a comment (you chose %(count)d).")
            % {"max": settings.ATTACHMENT_MAX_FILES, "count": len(files)}
        )
    checked = []
    for file in files:
        try:
            checked.append((file, check_file(file, allowed=ATTACHMENT_KINDS, max_bytes=settings.ATTACHMENT_MAX_BYTES)))
        except UnsafeFile as error:
            raise FileRefused(error.message) from error
    return checked


def _check_attachment_rate(author, *, count: int, now: datetime.datetime) -> None:
    if not count:
        return
    limit, window = settings.ATTACHMENT_RATE_LIMIT
    recent = Attachment.objects.filter(
        comment__author=author, comment__submitted_at__gt=now - datetime.timedelta(seconds=window)
    ).count()
    if recent + count > limit:
        raise FileRefused(
            _(
                "You have attached %(count)d files in the last %(hours)d hours; the portal accepts %(limit)d. "
                "Submit your comment without files, or try again later."
            )
            % {"count": recent, "hours": window // 3600, "limit": limit}
        )


def _store_attachments(comment: Comment, checked: list[tuple[File, Checked]]) -> None:
    """Each file into the storage (a random name), its row, and the comment's count and searchable text."""
    stored = []
    try:
        for number, (file, check) in enumerate(checked, start=1):
            attachment = Attachment(
                comment=comment,
                number=number,
                name=check.name,
                kind=check.kind.code,
                content_type=check.kind.content_type,
                size=check.size,
                sha256=check.sha256,
                text=check.text,
            )
            file.seek(0)
            attachment.file.save(check.name, file, save=False)
            stored.append(attachment.file.name)
            attachment.save()
    except Exception:
        # The transaction rolls the rows back; the files it stored go with them.
        for name in stored:
            default_storage.delete(name)
        raise
    comment.attachment_count = len(checked)
    comment.attachments_text = "\n\n".join(check.text for _file, check in checked if check.text)
    comment.save(update_fields=["attachment_count", "attachments_text"])


def _group_into_campaign(comment: Comment, grouping) -> None:
    """
    Group the comment into its campaign in the submission's transaction, in a savepoint of its own:
    a failure of grouping leaves the comment submitted, ungrouped, and is logged.
    """
    try:
        with transaction.atomic():
            grouping(comment)
    except Exception:
        comment.refresh_from_db(fields=["campaign"])
        logger.exception("Campaign grouping failed for comment %s; it stays ungrouped.", comment.tracking_number)


@transaction.atomic
def comment_edit(*, comment: Comment, author, body: str) -> Comment:
    """The author changes a pending comment; the fingerprint follows the new text."""
    comment = _locked(comment)
    if comment.author_id != author.pk:
        raise NotAllowed(_("Only the author can edit this comment."))
    if comment.status != Status.PENDING:
        raise NotAllowed(_("Only a comment awaiting moderation can be edited."))
    if not comment.statement.is_open_for_comments():
        raise CommentPeriodClosed(_("The comment period has closed; this comment can no longer be edited."))
    body = clean_body(body)
    previous = comment.fingerprint
    comment.body = body
    comment.fingerprint = fingerprint(body, list(comment.attachments.values_list("sha256", flat=True)))
    comment.edited_at = timezone.now()
    comment.save(update_fields=["body", "fingerprint", "edited_at"])
    _event(
        comment,
        actor=author,
        action=Action.EDIT,
        from_status=Status.PENDING,
        note=f"previous fingerprint {previous}",
    )
    _group_into_campaign(comment, campaigns.regroup_after_edit)
    # Every moderator's queue is a shared fragment that declares no tags: this shows them the new
    # text at once. The statement's pages stay cached: a pending text is not on them.
    invalidate_public_pages(tags=())
    return comment


@transaction.atomic
def comment_withdraw(*, comment: Comment, author) -> Comment:
    comment = _locked(comment)
    if comment.author_id != author.pk:
        raise NotAllowed(_("Only the author can withdraw this comment."))
    if comment.status != Status.PENDING:
        raise NotAllowed(_("Only a comment awaiting moderation can be withdrawn."))
    comment.status = Status.WITHDRAWN
    comment.decided_at = timezone.now()
    comment.save(update_fields=["status", "decided_at"])
    _event(comment, actor=author, action=Action.WITHDRAW, from_status=Status.PENDING)
    invalidate_public_pages(tags=[comment.statement.cache_tag])
    return comment


@transaction.atomic
def comment_flag(*, comment: Comment, flagger, reason: str, note: str = "") -> Flag:
    """A stakeholder reports a published comment; enough distinct reports hide it until a moderator looks."""
    comment = _locked(comment)
    if comment.statement.status == Statement.Status.WITHDRAWN:
        raise NotAllowed(WITHDRAWN_STATEMENT)
    if comment.status != Status.APPROVED:
        raise NotAllowed(_("Only a published comment can be reported."))
    if comment.author_id == flagger.pk:
        raise NotAllowed(_("You cannot report your own comment."))
    if Flag.objects.filter(comment=comment, flagger=flagger).exists():
        raise NotAllowed(_("You have already reported this comment."))
    flag = Flag.objects.create(comment=comment, flagger=flagger, reason=reason, note=note)
    open_flags = Flag.objects.filter(comment=comment, resolution=Flag.Resolution.OPEN).count()
    if open_flags >= settings.FLAG_THRESHOLD:
        comment.status = Status.HIDDEN
        comment.flagged = True
        comment.decided_at = timezone.now()
        comment.save(update_fields=["status", "flagged", "decided_at"])
        _event(comment, actor=None, action=Action.FLAG_HIDE, from_status=Status.APPROVED, reason=reason)
        invalidate_public_pages(tags=[comment.statement.cache_tag])
    return flag


@transaction.atomic
def comment_support(*, comment: Comment, supporter, support: bool = True) -> Comment:
    """
    Support a published comment (once), or withdraw one's support. The count is kept on the comment
    in the same transaction; who supports what is never shown. One's own comment cannot be supported.
    """
    comment = _locked(comment)
    if not comment.is_published:
        raise NotAllowed(_("Only a published comment can be supported."))
    if comment.author_id == supporter.pk:
        raise NotAllowed(_("You cannot support your own comment."))
    if support:
        _created, added = Support.objects.get_or_create(comment=comment, supporter=supporter)
        change = 1 if added else 0
    else:
        change = -Support.objects.filter(comment=comment, supporter=supporter).delete()[0]
    if change:
        Comment.objects.filter(pk=comment.pk).update(support_count=F("support_count") + change)
        comment.refresh_from_db(fields=["support_count"])
        invalidate_public_pages(tags=[comment.statement.cache_tag])
    return comment


# --- Moderators' workflows ----------------------------------------------------


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset
    target: str


TRANSITIONS = {
    Action.APPROVE: Transition(Action.APPROVE, frozenset({Status.PENDING}), Status.APPROVED),
    Action.REJECT: Transition(Action.REJECT, frozenset({Status.PENDING}), Status.REJECTED),
    Action.HIDE: Transition(Action.HIDE, frozenset({Status.APPROVED}), Status.HIDDEN),
    Action.RESTORE: Transition(Action.RESTORE, frozenset({Status.HIDDEN}), Status.APPROVED),
}


def _check_seen(comment: Comment, seen: str) -> None:
    """A decision applies to the text the moderator was shown (its fingerprint), never to a text edited since."""
    if seen != comment.fingerprint:
        raise TextChanged(str(TEXT_CHANGED))


def _decide(comment: Comment, *, moderator, action: str, seen: str, reason: str = "", note: str = "") -> Comment:
    transition = TRANSITIONS[action]
    comment = _locked(comment)
    _check_no_conflict(comment, moderator)
    if comment.status not in transition.sources:
        decided = {Status.APPROVED, Status.REJECTED, Status.HIDDEN}
        if comment.status in decided and Status.PENDING in transition.sources:
            last = comment.events.exclude(action=Action.SUBMIT).first()
            raise AlreadyDecided(
                _("This comment was already decided (%(status)s) by %(who)s.")
                % {"status": comment.get_status_display(), "who": (last.actor_name if last else "") or _("someone")}
            )
        raise NotAllowed(
            _("A comment that is “%(status)s” cannot be %(action)s.")
            % {"status": comment.get_status_display(), "action": ModerationEvent.Action(action).label.lower()}
        )
    if reason_missing(action, reason):
        raise NotAllowed(str(REASON_REQUIRED))
    _check_seen(comment, seen)
    from_status = comment.status
    comment.status = transition.target
    comment.decided_at = timezone.now()
    comment.decision_reason = reason
    comment.decision_note = note
    if action == Action.RESTORE:
        comment.flagged = False
    comment.save(update_fields=["status", "decided_at", "decision_reason", "decision_note", "flagged"])
    _event(comment, actor=moderator, action=action, from_status=from_status, reason=reason, note=note)
    if action in {Action.APPROVE, Action.REJECT}:
        notifications.send_decision(comment.pk)
    if action == Action.APPROVE and comment.parent_id:
        notifications.send_reply(comment.pk)
    if action == Action.APPROVE:
        notifications.send_published(comment.pk)
    invalidate_public_pages(tags=[comment.statement.cache_tag])
    return comment


@transaction.atomic
def comment_approve(*, comment: Comment, moderator, seen: str) -> Comment:
    """Publish a pending comment. `seen`: the fingerprint of the text the moderator was shown."""
    return _decide(comment, moderator=moderator, action=Action.APPROVE, seen=seen)


@transaction.atomic
def comment_reject(*, comment: Comment, moderator, seen: str, reason: str, note: str = "") -> Comment:
    return _decide(comment, moderator=moderator, action=Action.REJECT, seen=seen, reason=reason, note=note)


@transaction.atomic
def comment_hide(*, comment: Comment, moderator, seen: str, reason: str, note: str = "") -> Comment:
    return _decide(comment, moderator=moderator, action=Action.HIDE, seen=seen, reason=reason, note=note)


@transaction.atomic
def comment_restore(*, comment: Comment, moderator, seen: str, note: str = "") -> Comment:
    return _decide(comment, moderator=moderator, action=Action.RESTORE, seen=seen, note=note)


@dataclass
class CampaignDecision:
    decided: list = field(default_factory=list)  # the comments decided
    refused: list = field(default_factory=list)  # (comment, why) for each the service refused


def campaign_decide(
    *, campaign: Campaign, moderator, action: str, seen: dict[int, str], reason: str = "", note: str = ""
) -> CampaignDecision:
    """
    Approve or reject, with one reason, every member of a campaign the moderator was shown (`seen`:
    comment id → fingerprint of the text shown). Each member goes through comment_approve or
    comment_reject, in its own transaction: its own event and email, the conflict-of-interest and
    "already decided" checks per comment; a member refused (another moderator decided it first, the
    author edited it, it is the moderator's own) is reported and stops nothing else. Members that
    joined after the page was shown are not in `seen` and wait for their own decision.
    """
    if action not in {Action.APPROVE, Action.REJECT}:
        raise NotAllowed(_("A campaign can be approved or rejected."))
    if reason_missing(action, reason):
        raise NotAllowed(str(REASON_REQUIRED))
    result = CampaignDecision()
    for comment in Comment.objects.filter(campaign=campaign, pk__in=list(seen)).order_by("submitted_at", "pk"):
        try:
            if action == Action.APPROVE:
                comment_approve(comment=comment, moderator=moderator, seen=seen[comment.pk])
            else:
                comment_reject(comment=comment, moderator=moderator, seen=seen[comment.pk], reason=reason, note=note)
        except DialogueError as error:
            result.refused.append((comment, error.message))
        else:
            result.decided.append(comment)
    return result


@transaction.atomic
def flags_resolve(*, comment: Comment, moderator, seen: str, uphold: bool, note: str = "") -> Comment:
    """Dismiss the reports (the comment is published again) or uphold them (it stays hidden)."""
    comment = _locked(comment)
    _check_no_conflict(comment, moderator)
    open_flags = Flag.objects.filter(comment=comment, resolution=Flag.Resolution.OPEN)
    if not open_flags.exists():
        raise NotAllowed(_("This comment has no open report."))
    _check_seen(comment, seen)
    now = timezone.now()
    reason = (
        open_flags.values("reason").annotate(n=Count("pk")).order_by("-n", "reason").values_list("reason", flat=True)
    )[0]
    open_flags.update(
        resolution=Flag.Resolution.UPHELD if uphold else Flag.Resolution.DISMISSED,
        resolved_at=now,
    )
    from_status = comment.status
    if uphold:
        comment.status = Status.HIDDEN
        comment.decision_reason = reason
    else:
        comment.status = Status.APPROVED
        comment.decision_reason = ""
    comment.flagged = False
    comment.decided_at = now
    comment.decision_note = note
    comment.save(update_fields=["status", "flagged", "decided_at", "decision_reason", "decision_note"])
    _event(
        comment,
        actor=moderator,
        action=Action.FLAGS_UPHELD if uphold else Action.FLAGS_DISMISSED,
        from_status=from_status,
        reason=reason if uphold else "",
        note=note,
    )
    invalidate_public_pages(tags=[comment.statement.cache_tag])
    return comment


@transaction.atomic
def response_post(*, comment: Comment, moderator, government: str, body: str, language: str) -> OfficialResponse:
    """An official answer under a published comment; allowed after the comment period too."""
    comment = _locked(comment)
    _check_no_conflict(comment, moderator)
    if comment.status != Status.APPROVED:
        raise NotAllowed(_("Official responses can only answer a published comment."))
    response = OfficialResponse.objects.create(
        comment=comment, government=government, body=clean_body(body), language=language, author=moderator
    )
    _event(comment, actor=moderator, action=Action.RESPOND, from_status=comment.status, note=government)
    notifications.send_response(response.pk)
    invalidate_public_pages(tags=[comment.statement.cache_tag])
    return response


# --- Appeals ------------------------------------------------------------------


def appeal_deadline(comment: Comment):
    """Until when a rejected comment's author may appeal (None: it cannot be appealed)."""
    if comment.status != Status.REJECTED or comment.decided_at is None:
        return None
    return comment.decided_at + datetime.timedelta(days=settings.APPEAL_DAYS)


@transaction.atomic
def appeal_submit(*, comment: Comment, author, explanation: str) -> Appeal:
    """The author of a rejected comment appeals, once, within APPEAL_DAYS, saying why."""
    comment = _locked(comment)
    if comment.author_id != author.pk:
        raise NotAllowed(_("Only the author of a comment can appeal its rejection."))
    deadline = appeal_deadline(comment)
    if deadline is None:
        raise NotAllowed(_("Only a rejected comment can be appealed."))
    if Appeal.objects.filter(comment=comment).exists():
        raise NotAllowed(_("This comment was already appealed: each decision can be appealed once."))
    if timezone.now() > deadline:
        raise NotAllowed(
            _("The time to appeal this decision ended %(days)s days after it.") % {"days": settings.APPEAL_DAYS}
        )
    explanation = clean_body(explanation)
    if not explanation:
        raise NotAllowed(_("Say why the decision should change."))
    rejection = comment.events.filter(action=Action.REJECT).first()  # newest first
    appeal = Appeal.objects.create(
        comment=comment, explanation=explanation, first_decider=rejection.actor if rejection else None
    )
    _event(comment, actor=author, action=Action.APPEAL, from_status=comment.status)
    return appeal


def moderator_country(user) -> str:
    # Through the relation, so that a listing's select_related (and the user's cached profile) serve it.
    stakeholder = getattr(user, "stakeholder", None)
    return stakeholder.country if stakeholder else ""


def appeal_conflict(appeal: Appeal, moderator) -> str:
    """Why this moderator may not decide this appeal ("" if they may): a moderator of another country
    than the first decider's decides it, and never the author nor the first decider themself."""
    if reason := appeal.comment.conflict_of_interest(moderator):
        return reason
    if appeal.first_decider_id == moderator.pk:
        return str(_("You rejected this comment: a moderator of another country decides the appeal."))
    first_country = moderator_country(appeal.first_decider) if appeal.first_decider_id else ""
    if first_country and moderator_country(moderator) == first_country:
        return str(
            _(
                "The comment was rejected by a moderator of %(country)s: "
                "a moderator of another country decides the appeal."
            )
            % {"country": Stakeholder.Country(first_country).label}
        )
    return ""


@transaction.atomic
def appeal_decide(*, appeal: Appeal, moderator, grant: bool, note: str) -> Appeal:
    """Grant the appeal (the comment is published) or turn it down (the rejection stands), with a reason
    the author is emailed in their language."""
    comment = _locked(appeal.comment)
    appeal = Appeal.objects.select_for_update().get(pk=appeal.pk)
    OrganisationInterest.of(moderator, fresh=True)  # the memberships as they are now
    if appeal.status != Appeal.Status.PENDING:
        raise AlreadyDecided(_("This appeal was already decided."))
    if reason := appeal_conflict(appeal, moderator):
        raise ConflictOfInterest(reason)
    note = clean_body(note)
    if not note:
        raise NotAllowed(_("Give the author the reason for this decision."))
    now = timezone.now()
    from_status = comment.status
    if grant:
        comment.status = Status.APPROVED
        comment.decided_at = now
        comment.decision_reason = ""
        comment.decision_note = note
        comment.save(update_fields=["status", "decided_at", "decision_reason", "decision_note"])
    appeal.status = Appeal.Status.REVERSED if grant else Appeal.Status.UPHELD
    appeal.decided_by = moderator
    appeal.decided_at = now
    appeal.decision_note = note
    appeal.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    _event(
        comment,
        actor=moderator,
        action=Action.APPEAL_REVERSED if grant else Action.APPEAL_UPHELD,
        from_status=from_status,
        note=note,
    )
    notifications.send_appeal_outcome(appeal.pk)
    if grant:
        notifications.send_published(comment.pk)
        invalidate_public_pages(tags=[comment.statement.cache_tag])
    return appeal


# --- Subscriptions ------------------------------------------------------------


@transaction.atomic
def subscription_set(
    *,
    user,
    topic: str,
    delivery: str,
    statement: Statement | None = None,
    priority: Priority | None = None,
) -> Subscription:
    """
    Follow a statement or a priority, change how one hears of it, or stop ("off"); the same for the
    standing topics (replies, responses, moderators' prompts). Moderators' prompts are only for
    moderators, and come right away or not at all (their daily summary is the moderation digest).
    """
    if topic == Subscription.Topic.STATEMENT and (statement is None or not statement.is_published()):
        raise NotAllowed(_("Only a published statement can be followed."))
    if topic == Subscription.Topic.PRIORITY and priority is None:
        raise NotAllowed(_("Choose the priority to follow."))
    if topic == Subscription.Topic.MODERATION:
        if not user.has_perm("dialogue.moderate_comment"):
            raise NotAllowed(_("Only moderators are prompted when comments wait."))
        if delivery == Subscription.Delivery.DAILY:
            raise NotAllowed(_("Moderators' prompts come right away or not at all."))
    subscription, _created = Subscription.objects.update_or_create(
        user=user, topic=topic, statement=statement, priority=priority, defaults={"delivery": delivery}
    )
    return subscription


@transaction.atomic
def subscription_stop(*, user_id: int, topic: str, subject_id: int | None = None) -> int:
    """
    Stop what an unsubscribe link names (no sign-in: the link is signed). `topic` "digest" stops every
    daily digest of the person. Nothing is deleted: the subscription is set "off". Returns how many stopped.
    """
    mine = Subscription.objects.filter(user_id=user_id)
    if topic == notifications.DIGEST:
        return mine.filter(delivery=Subscription.Delivery.DAILY).update(delivery=Subscription.Delivery.OFF)
    if topic not in Subscription.Topic.values:
        raise NotAllowed(_("This link does not name anything you receive."))
    subject = {}
    if topic == Subscription.Topic.STATEMENT:
        subject = {"statement_id": subject_id}
    elif topic == Subscription.Topic.PRIORITY:
        subject = {"priority_id": subject_id}
    if topic in Subscription.STANDING_TOPICS:
        Subscription.objects.update_or_create(
            user_id=user_id, topic=topic, defaults={"delivery": Subscription.Delivery.OFF}
        )
        return 1
    return mine.filter(topic=topic, **subject).update(delivery=Subscription.Delivery.OFF)


# --- Accounts -----------------------------------------------------------------

# What readers see beside a published comment (the rest of the profile is the stakeholder's own).
PUBLIC_PROFILE_FIELDS = ("display_name", "country", "sector", "organisation")


@transaction.atomic
def stakeholder_update(*, stakeholder: Stakeholder, changed: list[str]) -> Stakeholder:
    """
    Save a stakeholder's profile, whose `changed` fields were set on it (the profile form, the admin).
    A change to what readers see beside the stakeholder's published comments ends the page cache's
    generation, so a rename shows at once on every cached page and shared thread.
    """
    stakeholder.save()
    if set(changed) & set(PUBLIC_PROFILE_FIELDS):
        invalidate_public_pages()
    return stakeholder


@transaction.atomic
def account_delete(*, user) -> None:
    """Erase a stakeholder's personal data; their published comments stay, by a former participant."""
    pending = Comment.objects.select_for_update().filter(author=user, status=Status.PENDING)
    now = timezone.now()
    for comment in pending:
        comment.status = Status.WITHDRAWN
        comment.decided_at = now
        comment.save(update_fields=["status", "decided_at"])
        _event(comment, actor=None, action=Action.WITHDRAW, from_status=Status.PENDING, note="account deleted")
    for comment in Comment.objects.filter(author=user):
        _event(comment, actor=None, action=Action.ANONYMISE, from_status=comment.status)
    # Their supports go with the account, and the counts with them.
    for support in Support.objects.filter(supporter=user).select_related("comment__statement"):
        Comment.objects.filter(pk=support.comment_id).update(support_count=F("support_count") - 1)
    # The log keeps what happened, not who: the one change the database lets through on events.
    ModerationEvent.objects.filter(actor=user).update(actor_name=pseudonym(user.pk))
    Organisation.objects.filter(decided_by=user).update(decided_by_name=pseudonym(user.pk))
    # Comments, flags and events keep their rows with the author set to NULL (on_delete=SET_NULL);
    # the profile, email addresses, sessions' user and MFA authenticators go with the user.
    user.delete()
    invalidate_public_pages()
