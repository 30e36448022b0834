"""Email to stakeholders about their submissions and what they follow, and to moderators about what waits.

Everything is plain text, in the recipient's preferred language, from the portal's name in that
language. Called inside the transaction that makes the change (dialogue/services.py) or by the
notification sweep (`sweep`, below): the mail API writes the message into the email outbox
(EMAIL_BACKEND, outbox/backends.py), so an email is committed with its change or not at all, and a
worker sends it; no request waits for an SMTP server.

What people follow is a Subscription (dialogue/models.py). "Right away" is one email per event;
"once a day" is a Notice row that the sweep gathers into one digest per recipient. Every such
email says how to stop it with a signed link (no sign-in needed) and carries it in the
`List-Unsubscribe` and `List-Unsubscribe-Post` headers (RFC 8058), so a mail client's
"Unsubscribe" button stops it in one click. Receipts and moderators' decisions are not
subscriptions: every author gets them.

The sweep (`manage.py send_notifications`, or the Celery beat task) runs every minute or so, one
at a time across servers (it locks the NotificationState row): it prompts moderators when comments
start waiting (at most once every MODERATION_PROMPT_MINUTES), announces the published record's
changes that happened since its last run (comment periods extended, shortened or closed, new
statements in a priority), and once a day, from NOTIFICATION_DIGEST_HOUR, sends the digests.
"""

import dataclasses
import datetime
from collections.abc import Collection

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Count, Exists, Min, OuterRef, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation

from priorities.models import CommentPeriodChange, Statement
from priorities.templatetags.record import capital_times

from .adapter import email_subject, preferred_language, sender, user_display
from .models import Appeal, Comment, Notice, NotificationState, OfficialResponse, Subscription

Topic = Subscription.Topic
Delivery = Subscription.Delivery
Event = Notice.Event

UNSUBSCRIBE_SALT = "dialogue.unsubscribe"
# An unsubscribe token's topic for "every daily digest of mine" (the digest's own header).
DIGEST = "digest"
ONE_CLICK = "List-Unsubscribe=One-Click"


def _send(comment: Comment, template: str, extra: dict | None = None) -> int:
    """
    Email `comment`'s author, in their language, from the portal's name in that language. With an
    `unsubscribe_token` (replies and responses: subscriptions) the email says how to stop them and
    carries the one-click headers; receipts and decisions go to every author.
    """
    author = comment.author
    if author is None or not author.email:
        return 0
    extra = extra or {}
    headers = {}
    with translation.override(preferred_language(author)):
        if token := extra.get("unsubscribe_token"):
            unsubscribe_url = settings.PORTAL_URL + reverse("dialogue:unsubscribe", args=[token])
            headers = unsubscribe_headers(unsubscribe_url)
            extra = {
                **extra,
                "unsubscribe_url": unsubscribe_url,
                "subscriptions_url": settings.PORTAL_URL + reverse("dialogue:subscriptions"),
            }
        context = {
            "comment": comment,
            "statement": comment.statement,
            "name": author.stakeholder.display_name,
            "receipt_url": settings.PORTAL_URL + reverse("dialogue:receipt", args=[comment.tracking_number]),
            "statement_url": settings.PORTAL_URL + comment.statement.get_absolute_url(),
            "profile_url": settings.PORTAL_URL + reverse("dialogue:profile"),
            "mine_url": settings.PORTAL_URL + reverse("dialogue:mine"),
            "appeal_days": settings.APPEAL_DAYS,
            **extra,
        }
        subject = email_subject(render_to_string(f"dialogue/email/{template}_subject.txt", context))
        body = render_to_string(f"dialogue/email/{template}_message.txt", context)
        from_email = sender()
    return _send_all([EmailMultiAlternatives(subject, body, from_email, [author.email], headers=headers)])


def _comment(comment_id: int) -> Comment:
    return Comment.objects.select_related("author__stakeholder", "statement").get(pk=comment_id)


def send_receipt(comment_id: int, *, comment: Comment | None = None) -> int:
    """The receipt of a submission; `comment` if the caller has it with its author and statement."""
    return _send(comment or _comment(comment_id), "receipt")


def send_decision(comment_id: int) -> int:
    comment = _comment(comment_id)
    template = "approved" if comment.status == Comment.Status.APPROVED else "rejected"
    return _send(comment, template)


def send_response(response_id: int) -> int:
    """
    A government answered a comment officially: its author is told (unless they turned this off, or
    chose the daily digest), and so are the statement's followers. Returns the emails written.
    """
    response = OfficialResponse.objects.select_related("comment__author__stakeholder", "comment__statement").get(
        pk=response_id
    )
    comment = response.comment
    sent = 0
    if comment.author is not None:
        sent += _tell_author(
            comment.author, Topic.MY_RESPONSES, Event.RESPONSE_TO_MINE, comment=comment, response=response
        )
    return sent + notify_statement_followers(
        comment.statement, Event.RESPONSE_POSTED, comment=comment, response=response, exclude=[comment.author_id]
    )


def send_reply(reply_id: int) -> int:
    """A reply was published (approved, not merely submitted): the author of the comment it answers is told."""
    reply = Comment.objects.select_related(
        "author__stakeholder", "parent__author__stakeholder", "parent__statement"
    ).get(pk=reply_id)
    parent = reply.parent
    if parent is None or parent.author is None or parent.author_id == reply.author_id:
        return 0
    return _tell_author(parent.author, Topic.MY_REPLIES, Event.REPLY_PUBLISHED, comment=parent, reply=reply)


def send_published(comment_id: int) -> int:
    """A comment was published (approved, or on appeal): the statement's followers are told, not its author
    (who has the decision email), nor, for a reply, the author of the comment it answers (told as such)."""
    comment = Comment.objects.select_related("author__stakeholder", "statement", "parent").get(pk=comment_id)
    exclude = [comment.author_id, comment.parent.author_id if comment.parent else None]
    return notify_statement_followers(comment.statement, Event.COMMENT_PUBLISHED, comment=comment, exclude=exclude)


def send_appeal_outcome(appeal_id: int) -> int:
    """An appeal was decided: its author is told the outcome and the reason, in their language."""
    appeal = Appeal.objects.select_related("comment__author__stakeholder", "comment__statement").get(pk=appeal_id)
    template = "appeal_granted" if appeal.status == Appeal.Status.REVERSED else "appeal_refused"
    return _send(appeal.comment, template, {"appeal": appeal})


# --- Following: statements, priorities, one's own comments -----------------------------------------


def notify_statement_followers(
    statement: Statement,
    event: str,
    *,
    comment: Comment | None = None,
    response: OfficialResponse | None = None,
    link: tuple[str, list] | None = None,
    exclude: Collection[int | None] = (),
) -> int:
    """
    Tell everyone who follows `statement` that `event` (a Notice.Event) happened: right away, one email
    each, or as a line of tomorrow's digest, as each chose. Call it inside the transaction of the change.

    `comment` and `response`: what the event is about, if anything. `link`: where the email points, as a
    URL name and its arguments (reversed in each recipient's language); the statement page by default.
    Event.OUTCOME_PUBLISHED with link=("<the outcome report's URL name>", [statement.slug]) announces
    "What we heard". `exclude`: user ids not to tell (the author, told otherwise). Returns the emails
    written now (notices for digests are not counted).
    """
    followers = (
        Subscription.objects.filter(topic=Topic.STATEMENT, statement=statement)
        .exclude(delivery=Delivery.OFF)
        .exclude(user_id__in=[pk for pk in exclude if pk is not None])
        .filter(user__is_active=True)
        .select_related("user__stakeholder", "statement")
    )
    return _deliver(followers, event, statement=statement, comment=comment, response=response, link=link)


def _tell_author(author, topic: str, event: str, *, comment: Comment, **extra) -> int:
    """An author's own comment had news: an email now (their own template), a digest line, or nothing."""
    subscription = Subscription.objects.filter(user=author, topic=topic).first() or Subscription(
        user=author, topic=topic, delivery=Subscription.DEFAULT_DELIVERY
    )
    if subscription.delivery == Delivery.OFF:
        return 0
    if subscription.delivery == Delivery.DAILY:
        Notice.objects.create(
            subscription=subscription,
            event=event,
            statement=comment.statement,
            comment=extra.get("reply", comment),
            response=extra.get("response"),
        )
        return 0
    template = "reply" if topic == Topic.MY_REPLIES else "response"
    return _send(comment, template, {**extra, "unsubscribe_token": unsubscribe_token(author, topic)})


def _deliver(subscriptions, event: str, *, statement: Statement, comment=None, response=None, link=None) -> int:
    messages, notices = [], []
    for subscription in subscriptions:
        if subscription.delivery == Delivery.DAILY:
            notices.append(
                Notice(
                    subscription=subscription,
                    event=event,
                    statement=statement,
                    comment=comment,
                    response=response,
                    link=list(link or []),
                )
            )
        elif subscription.delivery == Delivery.IMMEDIATE and subscription.user.email:
            item = Item(event, statement, comment, response, link, subscription.priority)
            messages.append(
                _email(
                    subscription.user,
                    "notice",
                    {"item": item},
                    token=unsubscribe_token(subscription.user, subscription.topic, subscription.subject),
                )
            )
    Notice.objects.bulk_create(notices)
    return _send_all(messages)


@dataclasses.dataclass
class Item:
    """One event as an email or a digest line says it; its link is reversed in the reader's language."""

    event: str
    statement: Statement
    comment: Comment | None = None
    response: OfficialResponse | None = None
    link: list | tuple | None = None
    priority: object = None

    def url(self) -> str:
        if self.link:
            name, args = self.link
            return settings.PORTAL_URL + reverse(name, args=args)
        url = settings.PORTAL_URL + self.statement.get_absolute_url()
        if self.event in {Event.COMMENT_PUBLISHED, Event.REPLY_PUBLISHED} and self.comment is not None:
            return f"{url}#comment-{self.comment.tracking_number}"
        if self.response is not None and self.comment is not None:
            return f"{url}#comment-{self.comment.tracking_number}"
        return url

    def closes(self) -> str:
        """The statement's closing time in the three capitals, as a line of plain text."""
        return "; ".join(
            f"{formats.date_format(local, 'DATETIME_FORMAT')} ({name})"
            for name, local in capital_times(self.statement.comments_close_at)
        )


def unsubscribe_token(user, topic: str, subject=None) -> str:
    """The signed part of an unsubscribe link: whose, which topic, which statement or priority."""
    return signing.dumps([user.pk, topic, subject.pk if subject is not None else None], salt=UNSUBSCRIBE_SALT)


def read_unsubscribe_token(token: str) -> tuple[int, str, int | None]:
    """(user id, topic, subject id); signing.BadSignature if the link was altered or forged."""
    user_id, topic, subject_id = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    return user_id, topic, subject_id


def _email(user, template: str, context: dict, *, token: str) -> EmailMultiAlternatives:
    """A subscription's email to `user`, in their language, with its unsubscribe link and headers."""
    with translation.override(preferred_language(user)):
        unsubscribe_url = settings.PORTAL_URL + reverse("dialogue:unsubscribe", args=[token])
        context = {
            "name": user_display(user),
            "unsubscribe_url": unsubscribe_url,
            "subscriptions_url": settings.PORTAL_URL + reverse("dialogue:subscriptions"),
            **context,
        }
        subject = email_subject(render_to_string(f"dialogue/email/{template}_subject.txt", context))
        body = render_to_string(f"dialogue/email/{template}_message.txt", context)
        from_email = sender()
    return EmailMultiAlternatives(subject, body, from_email, [user.email], headers=unsubscribe_headers(unsubscribe_url))


def unsubscribe_headers(url: str) -> dict:
    """RFC 2369 and RFC 8058: a mail client's one-click "Unsubscribe" POSTs `List-Unsubscribe=One-Click` to it."""
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": ONE_CLICK}


def _send_all(messages: list[EmailMultiAlternatives]) -> int:
    """Write the messages into the outbox in one insert."""
    if not messages:
        return 0
    return get_connection().send_messages(messages)


# --- The sweep: moderators' prompts, the record's changes, daily digests ----------------------------


@dataclasses.dataclass
class SweepOutcome:
    prompts: int = 0
    announced: int = 0
    digests: int = 0


def sweep(*, now: datetime.datetime | None = None, digests: bool | None = None) -> SweepOutcome:
    """
    One pass, in one transaction, one server at a time. `digests`: send the daily digests now (True),
    never (False), or when they are due (None: once a day, from NOTIFICATION_DIGEST_HOUR, local time).
    """
    now = now or timezone.now()
    outcome = SweepOutcome()
    with transaction.atomic():
        NotificationState.objects.get_or_create(pk=1)
        state = NotificationState.objects.select_for_update().get(pk=1)
        outcome.prompts = _prompt_moderators(state, now)
        outcome.announced = _announce_record(state, now)
        today = timezone.localdate(now)
        due = state.digests_sent_on != today and timezone.localtime(now).hour >= settings.NOTIFICATION_DIGEST_HOUR
        if digests or (digests is None and due):
            outcome.digests = send_digests(now=now)
            state.digests_sent_on = today
        state.save()
    return outcome


def moderators():
    """Everyone who may moderate, active, with an address."""
    permission = Permission.objects.get(content_type__app_label="dialogue", codename="moderate_comment")
    return (
        get_user_model()
        .objects.filter(Q(groups__permissions=permission) | Q(user_permissions=permission) | Q(is_superuser=True))
        .filter(is_active=True)
        .exclude(email="")
        .select_related("stakeholder")
        .distinct()
    )


def _prompt_moderators(state: NotificationState, now: datetime.datetime) -> int:
    """Comments started waiting since the last prompt, and that was MODERATION_PROMPT_MINUTES ago: one prompt."""
    last = state.moderators_prompted_at
    if last is not None and now - last < datetime.timedelta(minutes=settings.MODERATION_PROMPT_MINUTES):
        return 0
    waiting = Comment.objects.pending()
    if not waiting.filter(submitted_at__gt=last).exists() if last else not waiting.exists():
        return 0
    summary = waiting.aggregate(count=Count("pk"), oldest=Min("submitted_at"))
    stopped = Subscription.objects.filter(user=OuterRef("pk"), topic=Topic.MODERATION, delivery=Delivery.OFF)
    messages = []
    for moderator in moderators().filter(~Exists(stopped)):
        with translation.override(preferred_language(moderator)):
            queue_url = settings.PORTAL_URL + reverse("dialogue:moderation-queue")
        context = {**summary, "now": now, "queue_url": queue_url}
        messages.append(
            _email(moderator, "moderation_prompt", context, token=unsubscribe_token(moderator, Topic.MODERATION))
        )
    state.moderators_prompted_at = now
    return _send_all(messages)


def _announce_record(state: NotificationState, now: datetime.datetime) -> int:
    """
    The published record's changes since the last sweep, to the followers of each statement and
    priority: comment periods extended, shortened or closed (by a publisher, or because the time
    came) and statements published (a scheduled one when its time comes). The first sweep starts
    the clock and announces nothing from before it.
    """
    # Up to a little before now: a change is dated when made and seen when committed, so a change
    # whose transaction is still open when the sweep passes is announced by the next one.
    until = now - datetime.timedelta(seconds=settings.NOTIFICATION_SETTLE_SECONDS)
    since = state.record_announced_until
    if since is not None and until <= since:
        return 0
    state.record_announced_until = until
    if since is None:
        return 0
    sent = 0
    announced = set()
    changes = CommentPeriodChange.objects.filter(changed_at__gt=since, changed_at__lte=until).select_related(
        "statement"
    )
    for change in changes:
        if not change.statement.is_published():
            continue
        if change.new_close is not None and change.new_close <= until:
            event = Event.PERIOD_CLOSED
        elif change.is_extension():
            event = Event.PERIOD_EXTENDED
        elif change.previous_close and change.new_close and change.new_close < change.previous_close:
            event = Event.PERIOD_SHORTENED
        else:
            continue
        if (change.statement_id, event) not in announced:
            announced.add((change.statement_id, event))
            sent += notify_statement_followers(change.statement, event)
    # Public at `now` (the sweep's time, which Statement.objects.published() would take as the clock's).
    public = Statement.objects.filter(status=Statement.Status.PUBLISHED, published_at__lte=until)
    for statement in public.filter(comments_close_at__gt=since, comments_close_at__lte=until):
        if (statement.pk, Event.PERIOD_CLOSED) not in announced:
            announced.add((statement.pk, Event.PERIOD_CLOSED))
            sent += notify_statement_followers(statement, Event.PERIOD_CLOSED)
    new_statements = public.filter(published_at__gt=since)
    for statement in new_statements.prefetch_related("priorities"):
        sent += _notify_priority_followers(statement)
    return sent


def _notify_priority_followers(statement: Statement) -> int:
    """A statement was published: whoever follows one of its priorities is told once."""
    followers = (
        Subscription.objects.filter(topic=Topic.PRIORITY, priority__in=statement.priorities.all())
        .exclude(delivery=Delivery.OFF)
        .filter(user__is_active=True)
        .select_related("user__stakeholder", "priority")
        .order_by("user_id", "priority__order")
    )
    once = {}
    for subscription in followers:
        once.setdefault(subscription.user_id, subscription)
    return _deliver(once.values(), Event.STATEMENT_PUBLISHED, statement=statement)


def send_digests(*, now: datetime.datetime | None = None) -> int:
    """Every notice waiting, gathered into one email per recipient; the notices are then deleted."""
    now = now or timezone.now()
    notices = list(
        Notice.objects.filter(created_at__lte=now)
        .select_related(
            "subscription__user__stakeholder",
            "subscription__priority",
            "statement",
            "comment__author__stakeholder",
            "response",
        )
        .order_by("subscription__user_id", "created_at", "pk")
    )
    by_user = {}
    for notice in notices:
        by_user.setdefault(notice.subscription.user_id, []).append(notice)
    messages = []
    for user_notices in by_user.values():
        user = user_notices[0].subscription.user
        if not user.email or not user.is_active:
            continue
        items = [
            Item(n.event, n.statement, n.comment, n.response, n.link, n.subscription.priority) for n in user_notices
        ]
        messages.append(_email(user, "follow_digest", {"items": items}, token=unsubscribe_token(user, DIGEST)))
    Notice.objects.filter(pk__in=[notice.pk for notice in notices]).delete()
    return _send_all(messages)
