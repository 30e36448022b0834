"""The conversation: who takes part, what they say, and what moderators decide."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from priorities.models import Statement


class Stakeholder(models.Model):
    """A participant's public profile. The display name, never the email, is shown beside comments."""

    class Country(models.TextChoices):
        CANADA = "CA", _("Canada")
        MEXICO = "MX", _("Mexico")
        UNITED_STATES = "US", _("United States")
        OTHER = "OT", _("Other")

    class Sector(models.TextChoices):
        BUSINESS = "business", _("Business")
        INDUSTRY_ASSOCIATION = "industry", _("Industry association")
        LABOUR = "labour", _("Labour")
        CIVIL_SOCIETY = "civil_society", _("Civil society")
        ACADEMIA = "academia", _("Academia")
        GOVERNMENT = "government", _("Government")
        INDIVIDUAL = "individual", _("Individual")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="stakeholder", verbose_name=_("user")
    )
    display_name = models.CharField(
        _("display name"), max_length=80, help_text=_("Shown publicly beside your comments.")
    )
    country = models.CharField(_("country"), max_length=2, choices=Country.choices, default=Country.OTHER)
    sector = models.CharField(_("sector"), max_length=20, choices=Sector.choices, default=Sector.INDIVIDUAL)
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=2, choices=settings.LANGUAGES, default="en"
    )
    # What the portal emails about the stakeholder's comments, besides receipts and decisions.
    notify_responses = models.BooleanField(
        _("email me when a government responds officially to my comment"), default=True
    )
    notify_replies = models.BooleanField(_("email me when a reply to my comment is published"), default=True)
    terms_version = models.CharField(_("terms version accepted"), max_length=20, blank=True)
    terms_accepted_at = models.DateTimeField(_("terms accepted at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("stakeholder")
        verbose_name_plural = _("stakeholders")

    def __str__(self):
        return self.display_name


# The rules of a comment's shape, each written once: the forms, the services, the database
# constraint, the help text and the tests all read them from here.
BODY_MIN_LENGTH = 10
BODY_MAX_LENGTH = 5000
# Replies nest at most this many levels below a top-level comment.
MAX_DEPTH = 3


# Before anything the portal holds: a comment whose receipt was never opened has seen nothing yet.
NEVER = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)


class CommentQuerySet(models.QuerySet):
    """
    Who sees a comment, in three words that each mean one thing:

    - `approved()`: the moderation status alone, for workflows and officials' pages.
    - `published()`: what readers are shown, approved comments on statements the public may
      read (a withdrawn statement takes its conversation with it). The home page, feeds,
      search, open data, verification and the participation figures all use exactly this.
    - `shown_in_thread()`: what a statement's thread lays out, its approved comments and, in
      their place, the ones moderation removed (a placeholder, so replies keep their context).
    """

    def approved(self):
        return self.filter(status=Comment.Status.APPROVED)

    def published(self):
        return self.approved().filter(statement__in=Statement.objects.published())

    def shown_in_thread(self):
        return self.filter(status__in=[Comment.Status.APPROVED, Comment.Status.HIDDEN])

    def pending(self):
        return self.filter(status=Comment.Status.PENDING)

    def flagged(self):
        """Hidden after enough reports, waiting for a moderator to uphold or dismiss them."""
        return self.filter(flagged=True)

    def newest_first(self):
        return self.order_by("-submitted_at", "-pk")

    def with_public_author(self):
        return self.select_related("author__stakeholder", "directive", "priority")

    def with_news(self):
        """
        `new_response` and `new_reply`: an official response posted, or a reply published (approved),
        since the author last opened the comment's receipt (author_seen_at; never opened: any at all).
        """
        since = models.OuterRef("seen_since")
        responses = OfficialResponse.objects.filter(comment=models.OuterRef("pk"), created_at__gt=since)
        replies = Comment.objects.filter(
            parent=models.OuterRef("pk"), status=Comment.Status.APPROVED, decided_at__gt=since
        ).exclude(author=models.OuterRef("author"))
        return self.annotate(
            seen_since=Coalesce("author_seen_at", models.Value(NEVER)),
            new_response=models.Exists(responses),
            new_reply=models.Exists(replies),
        )


class Comment(models.Model):
    """A stakeholder's comment on a statement, one of its priorities or directives, or a reply."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting moderation")
        APPROVED = "approved", _("Published")
        REJECTED = "rejected", _("Rejected")
        HIDDEN = "hidden", _("Removed by moderation")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    # The limits above, also reachable as Comment.MAX_DEPTH and so on (Meta cannot see class attributes).
    MAX_DEPTH = MAX_DEPTH
    BODY_MIN_LENGTH = BODY_MIN_LENGTH
    BODY_MAX_LENGTH = BODY_MAX_LENGTH

    statement = models.ForeignKey(
        "priorities.Statement", on_delete=models.PROTECT, related_name="comments", verbose_name=_("statement")
    )
    priority = models.ForeignKey(
        "priorities.Priority",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="comments",
        verbose_name=_("priority"),
    )
    directive = models.ForeignKey(
        "priorities.Directive",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="comments",
        verbose_name=_("directive"),
    )
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replies", verbose_name=_("reply to")
    )
    # The top-level comment of the thread (itself for a top-level comment): threads are paginated
    # as units, and one query fetches every reply of the threads on a page.
    thread = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("thread")
    )
    depth = models.PositiveSmallIntegerField(_("depth"), default=0)
    # Null once the author deleted their account: the comment stays, attributed to a former participant.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="comments",
        verbose_name=_("author"),
    )
    body = models.TextField(_("comment"), max_length=BODY_MAX_LENGTH)
    language = models.CharField(_("language"), max_length=2, choices=settings.LANGUAGES)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    flagged = models.BooleanField(
        _("flagged for review"), default=False, help_text=_("Hidden after reports; waits for a moderator.")
    )
    tracking_number = models.CharField(_("tracking number"), max_length=16, unique=True)
    fingerprint = models.CharField(_("SHA-256 fingerprint"), max_length=64)
    # How many stakeholders support it (Support rows, counted here so that sorting by support and
    # showing the count cost no query; kept by dialogue.services in the same transaction).
    support_count = models.PositiveIntegerField(_("supports"), default=0)
    submitted_at = models.DateTimeField(_("submitted at"))
    edited_at = models.DateTimeField(_("edited at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    # The current decision's public reason and note (history is in ModerationEvent).
    decision_reason = models.CharField(_("reason"), max_length=30, blank=True)
    decision_note = models.TextField(_("note to the author"), blank=True)
    # When the author last opened the receipt: official responses and replies published since are
    # flagged "new" in My submissions.
    author_seen_at = models.DateTimeField(_("opened by the author at"), null=True, blank=True)
    # The near-identical submissions it was grouped with as it arrived (dialogue/campaigns.py).
    campaign = models.ForeignKey(
        "dialogue.Campaign",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("campaign"),
    )

    objects = CommentQuerySet.as_manager()

    class Meta:
        ordering = ["submitted_at", "pk"]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        permissions = [
            ("moderate_comment", _("Can moderate comments")),
            ("respond_officially", _("Can post official responses")),
        ]
        indexes = [
            models.Index(fields=["statement", "status", "depth", "submitted_at"], name="comment_thread_idx"),
            models.Index(fields=["thread", "submitted_at"], name="comment_replies_idx"),
            models.Index(fields=["status", "submitted_at"], name="comment_queue_idx"),
            models.Index(fields=["author", "submitted_at"], name="comment_author_idx"),
            # The queue's author history (approved/rejected counts per author) is counted from this index alone.
            models.Index(fields=["author", "status"], name="comment_author_status_idx"),
            # Moderators' navigation counts the flagged comments on every page: a handful among many.
            models.Index(fields=["flagged"], condition=models.Q(flagged=True), name="comment_flagged_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(depth__lte=MAX_DEPTH),
                name="comment_max_depth",
                violation_error_message=_("Too deep."),
            ),
        ]

    def __str__(self):
        return self.tracking_number

    def get_absolute_url(self):
        return f"{self.statement.get_absolute_url()}#comment-{self.tracking_number}"

    @property
    def is_published(self) -> bool:
        """Its text is shown to readers (see CommentQuerySet.published); a thread shows others as placeholders."""
        return self.status == self.Status.APPROVED

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.PENDING

    def conflict_of_interest(self, moderator) -> str:
        """
        Why this moderator may not decide on, hide, restore, respond to or resolve reports on this
        comment ("" if nothing stands in the way): it is their own. The services refuse, and the
        moderation pages show the reason instead of the buttons. (Organisations, issue 14, add
        "written by a member of your organisation, or on its behalf" here.)
        """
        if self.author_id is not None and self.author_id == moderator.pk:
            return str(_("You wrote this comment: another moderator decides on it."))
        return ""

    def public_author_name(self):
        if self.author_id is None:
            return _("Former participant")
        return self.author.stakeholder.display_name


class Campaign(models.Model):
    """
    Near-identical submissions on one statement from different authors (a form letter and its light
    edits), grouped as they arrive by dialogue.campaigns. The representative is the first of them:
    the queue shows what each other member changed against its text.
    """

    statement = models.ForeignKey(
        "priorities.Statement", on_delete=models.PROTECT, related_name="campaigns", verbose_name=_("statement")
    )
    representative = models.ForeignKey(
        Comment, on_delete=models.PROTECT, related_name="+", verbose_name=_("representative comment")
    )
    created_at = models.DateTimeField(_("formed at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")

    def __str__(self):
        return f"{self.pk}"

    def get_absolute_url(self):
        return reverse("dialogue:campaign", args=[self.pk])


class CampaignBand(models.Model):
    """
    One band of a comment's MinHash signature (dialogue.campaigns.band_hashes): comments sharing a
    band are candidates for the same campaign. In the database, not in a process's memory, so every
    app server groups against every comment, on SQLite and PostgreSQL alike.
    """

    band = models.BigIntegerField(_("band hash"))
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="+", verbose_name=_("comment"))

    class Meta:
        verbose_name = _("campaign band")
        verbose_name_plural = _("campaign bands")
        # The lookup at submission reads this index alone (band → comment).
        indexes = [models.Index(fields=["band", "comment"], name="campaign_band_idx")]

    def __str__(self):
        return f"{self.band} → {self.comment_id}"


class ModerationEvent(models.Model):
    """One entry of the audit log. Append-only: never changed or deleted through the portal."""

    class Action(models.TextChoices):
        SUBMIT = "submit", _("Submitted")
        EDIT = "edit", _("Edited by the author")
        WITHDRAW = "withdraw", _("Withdrawn by the author")
        APPROVE = "approve", _("Approved")
        REJECT = "reject", _("Rejected")
        HIDE = "hide", _("Hidden")
        RESTORE = "restore", _("Restored")
        FLAG_HIDE = "flag_hide", _("Hidden after reports")
        FLAGS_DISMISSED = "flags_dismissed", _("Reports dismissed")
        FLAGS_UPHELD = "flags_upheld", _("Reports upheld")
        RESPOND = "respond", _("Official response")
        ANONYMISE = "anonymise", _("Author's account deleted")
        APPEAL = "appeal", _("Appealed by the author")
        APPEAL_UPHELD = "appeal_upheld", _("Appeal turned down")
        APPEAL_REVERSED = "appeal_reversed", _("Appeal granted: published")

    comment = models.ForeignKey(Comment, on_delete=models.PROTECT, related_name="events", verbose_name=_("comment"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_name = models.CharField(_("actor name"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    from_status = models.CharField(_("from status"), max_length=10, choices=Comment.Status.choices, blank=True)
    to_status = models.CharField(_("to status"), max_length=10, choices=Comment.Status.choices, blank=True)
    reason = models.CharField(_("reason"), max_length=30, blank=True)
    note = models.TextField(_("note"), blank=True)
    # "Now" unless given: the demo seeder (dialogue/demo.py) dates its events at its comments' own
    # times, which auto_now_add would overwrite. The portal's services never give one.
    created_at = models.DateTimeField(_("time"), default=timezone.now, editable=False, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("moderation event")
        verbose_name_plural = _("moderation events")

    def __str__(self):
        return f"{self.get_action_display()} {self.comment_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("Moderation events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Moderation events are append-only.")


class RejectionReason(models.TextChoices):
    """The numbered rules of the published moderation policy."""

    OFF_TOPIC = "off_topic", _("1. Off-topic")
    ABUSIVE = "abusive", _("2. Abusive or hateful")
    PERSONAL_INFORMATION = "personal_information", _("3. Personal information")
    SPAM = "spam", _("4. Spam or commercial")
    DUPLICATE_CAMPAIGN = "duplicate_campaign", _("5. Duplicate campaign")
    OTHER = "other", _("6. Other")


# Rejecting or hiding a comment cites a rule of the published moderation policy: the author is told which.
REASON_REQUIRED = _("Choose the rule this comment breaks.")


# A decision applies to the text the moderator was shown (its fingerprint), never to a text edited since.
TEXT_CHANGED = _("The text changed since it was shown to you — review it again before you decide.")


def reason_missing(action: str, reason: str | None) -> bool:
    """True when `action` needs a reason from the policy and `reason` is not one."""
    return action in {ModerationEvent.Action.REJECT, ModerationEvent.Action.HIDE} and (
        reason not in RejectionReason.values
    )


class Appeal(models.Model):
    """
    The author of a rejected comment asks for the decision to be looked at again: once per comment
    (one-to-one), within settings.APPEAL_DAYS of the rejection, decided by a moderator of another
    country than the one who rejected it (dialogue.services.appeal_decide).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for a moderator")
        UPHELD = "upheld", _("Turned down: the rejection stands")
        REVERSED = "reversed", _("Granted: the comment is published")

    comment = models.OneToOneField(Comment, on_delete=models.PROTECT, related_name="appeal", verbose_name=_("comment"))
    explanation = models.TextField(_("why the decision should change"), max_length=2000)
    submitted_at = models.DateTimeField(_("appealed at"), default=timezone.now)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    first_decider = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("rejected by")
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("decided by")
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("reason given to the author"), blank=True)

    class Meta:
        ordering = ["submitted_at", "pk"]
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")

    def __str__(self):
        return f"{self.comment_id}: {self.status}"


class Support(models.Model):
    """A stakeholder's support of a published comment: once each, withdrawable, never shown per person."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="supports", verbose_name=_("comment"))
    supporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("supporter")
    )
    created_at = models.DateTimeField(_("supported at"), auto_now_add=True)

    class Meta:
        verbose_name = _("support")
        verbose_name_plural = _("supports")
        constraints = [
            models.UniqueConstraint(fields=["comment", "supporter"], name="support_once_per_stakeholder"),
        ]

    def __str__(self):
        return f"{self.supporter_id} → {self.comment_id}"


class Flag(models.Model):
    """A stakeholder's report of a published comment."""

    class Resolution(models.TextChoices):
        OPEN = "open", _("Open")
        DISMISSED = "dismissed", _("Dismissed")
        UPHELD = "upheld", _("Upheld")

    comment = models.ForeignKey(Comment, on_delete=models.PROTECT, related_name="flags", verbose_name=_("comment"))
    flagger = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="flags",
        verbose_name=_("reported by"),
    )
    reason = models.CharField(_("reason"), max_length=30, choices=RejectionReason.choices)
    note = models.TextField(_("note"), blank=True, max_length=1000)
    created_at = models.DateTimeField(_("reported at"), auto_now_add=True)
    resolution = models.CharField(_("resolution"), max_length=10, choices=Resolution.choices, default=Resolution.OPEN)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("flag")
        verbose_name_plural = _("flags")
        constraints = [
            models.UniqueConstraint(fields=["comment", "flagger"], name="flag_once_per_stakeholder"),
        ]

    def __str__(self):
        return f"{self.get_reason_display()} ({self.comment_id})"


class OfficialResponse(models.Model):
    """An official answer to a comment, attributed to the responding government."""

    class Government(models.TextChoices):
        CANADA = "CA", _("Government of Canada")
        MEXICO = "MX", _("Government of Mexico")
        UNITED_STATES = "US", _("Government of the United States")
        JOINT = "joint", _("Canada, Mexico and the United States jointly")

    comment = models.ForeignKey(Comment, on_delete=models.PROTECT, related_name="responses", verbose_name=_("comment"))
    government = models.CharField(_("responding government"), max_length=5, choices=Government.choices)
    body = models.TextField(_("response"))
    language = models.CharField(_("language"), max_length=2, choices=settings.LANGUAGES)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("author")
    )
    created_at = models.DateTimeField(_("posted at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("official response")
        verbose_name_plural = _("official responses")

    def __str__(self):
        return f"{self.get_government_display()} → {self.comment_id}"
