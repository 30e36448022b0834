"""The conversation: who takes part, what they say, and what moderators decide."""

import datetime
import functools
import re
import secrets
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from priorities.models import Priority, Statement
from safeguards.files import KINDS

from .precompiled import PrecompiledQuery


def _choice_label(choices: type[models.TextChoices], value: str) -> str:
    """The label of `value` in the active language (the value itself if it is none of the choices, as Django does)."""
    try:
        return str(choices(value).label)
    except ValueError:
        return value


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
    # What the portal emails about the stakeholder's comments, besides receipts and decisions, is a
    # Subscription (topics "my_replies" and "my_responses"), like everything else they follow.
    terms_version = models.CharField(_("terms version accepted"), max_length=20, blank=True)
    terms_accepted_at = models.DateTimeField(_("terms accepted at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("stakeholder")
        verbose_name_plural = _("stakeholders")

    def __str__(self):
        return self.display_name

    # Beside every comment shown (threads, search results): Django's get_FOO_display() makes every
    # choice's label hashable, translating each of them, on each call; these translate one.
    def get_country_display(self) -> str:
        return _choice_label(self.Country, self.country)

    def get_sector_display(self) -> str:
        return _choice_label(self.Sector, self.sector)


# Registry identifiers an organisation may give, by its country: each registry's own format, so a
# typing mistake is caught at once (a moderator checks that the number is the organisation's).
REGISTRY_FORMATS = {
    # Canada's Registry of Lobbyists (Office of the Commissioner of Lobbying): a registration number,
    # two groups of digits and a version, e.g. 775530-12345-7.
    "CA": (
        re.compile(r"[0-9]{3,7}-[0-9]{3,7}(-[0-9]{1,3})?"),
        _("A Registry of Lobbyists registration number is written like 775530-12345-7 (digits and hyphens)."),
    ),
    # Mexico's RFC (Registro Federal de Contribuyentes): 3 letters for a company (4 for a person), the date
    # of incorporation as YYMMDD and a 3-character homoclave, e.g. ABC680524P76.
    "MX": (
        re.compile(r"[A-ZÑ&]{3,4}([0-9]{2})([0-9]{2})([0-9]{2})[A-Z0-9]{3}"),
        _(
            "An RFC has 12 characters for a company (13 for a person): 3 or 4 letters, the date as YYMMDD and "
            "3 letters or digits, e.g. ABC680524P76."
        ),
    ),
    # The US Lobbying Disclosure Act: the registrant ID the Senate's Office of Public Records assigns, digits only.
    "US": (
        re.compile(r"[0-9]{4,9}"),
        _("A Lobbying Disclosure Act registrant ID is a number of 4 to 9 digits, e.g. 401103153."),
    ),
}
REGISTRY_NAMES = {
    "CA": _("Registry of Lobbyists registration number"),
    "MX": _("RFC (Registro Federal de Contribuyentes)"),
    "US": _("Lobbying Disclosure Act registrant ID"),
}


def normalise_registry_id(value: str) -> str:
    """As typed, without spaces and in capitals (RFCs are written in capitals)."""
    return "".join(value.split()).upper()


def registry_problem(country: str, value: str):
    """Why `value` is not a registry identifier of `country`'s registry (None if it is, or if it is empty)."""
    if not value:
        return None
    if country not in REGISTRY_FORMATS:
        return _("Only organisations of Canada, Mexico and the United States have a registry identifier here.")
    pattern, problem = REGISTRY_FORMATS[country]
    match = pattern.fullmatch(value)
    if match is None:
        return problem
    if country == "MX":
        _year, month, day = (int(group) for group in match.groups())
        if not (1 <= month <= 12 and 1 <= day <= 31):
            return problem
    return None


class OrganisationQuerySet(models.QuerySet):
    def verified(self):
        return self.filter(status=Organisation.Status.VERIFIED)

    def pending(self):
        return self.filter(status=Organisation.Status.PENDING)


class Organisation(models.Model):
    """
    An organisation stakeholders speak for. Registered by one of them (its first administrator); a
    moderator verifies it (or declines it), with a note kept on it. Only a verified organisation's
    members may comment on its behalf, and only then is its name shown with the "verified" mark.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting verification")
        VERIFIED = "verified", _("Verified")
        DECLINED = "declined", _("Declined")

    name = models.CharField(_("name of the organisation"), max_length=200)
    country = models.CharField(_("country"), max_length=2, choices=Stakeholder.Country.choices)
    sector = models.CharField(_("sector"), max_length=20, choices=Stakeholder.Sector.choices)
    website = models.URLField(_("website"), max_length=300, blank=True)
    registry_id = models.CharField(_("registry identifier"), max_length=20, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("registered by"),
    )
    created_at = models.DateTimeField(_("registered at"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("verified or declined by"),
    )
    decided_by_name = models.CharField(_("moderator's name"), max_length=150, blank=True)
    decided_at = models.DateTimeField(_("verified or declined at"), null=True, blank=True)
    decision_note = models.TextField(_("moderator's note"), blank=True)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        permissions = [("verify_organisation", _("Can verify organisations"))]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("dialogue:organisation-detail", args=[self.pk])

    def clean(self):
        self.registry_id = normalise_registry_id(self.registry_id)
        if problem := registry_problem(self.country, self.registry_id):
            raise ValidationError({"registry_id": ValidationError(problem, code="registry_format")})

    @property
    def is_verified(self) -> bool:
        return self.status == self.Status.VERIFIED

    def registry_name(self):
        return REGISTRY_NAMES.get(self.country, "")


class Membership(models.Model):
    """A stakeholder's membership of an organisation; an administrator invites and removes members."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("organisation")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="organisation_memberships",
        verbose_name=_("member"),
    )
    is_admin = models.BooleanField(_("administrator"), default=False)
    joined_at = models.DateTimeField(_("joined at"), default=timezone.now)

    class Meta:
        ordering = ["joined_at", "pk"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [models.UniqueConstraint(fields=["organisation", "user"], name="membership_once")]

    def __str__(self):
        return f"{self.user_id} ∈ {self.organisation_id}"


class Invitation(models.Model):
    """An administrator's invitation, by email, to join an organisation; accepted by the invitee signed in."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("organisation")
    )
    email = models.EmailField(_("email address"))
    token = models.CharField(_("token"), max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("invited by")
    )
    created_at = models.DateTimeField(_("invited at"), default=timezone.now)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self):
        return f"{self.email} → {self.organisation_id}"

    def expires_at(self):
        return self.created_at + datetime.timedelta(days=settings.ORGANISATION_INVITATION_DAYS)


class OrganisationInterest:
    """
    What a moderator has an interest in through their organisations: the organisations they belong
    to and those organisations' members. Read once per moderator object (a request's user), so a
    listing of many comments asks the database twice, not once per comment.
    """

    def __init__(self, moderator, *, fresh: bool = False):
        self.moderator = moderator
        self.organisations = set()
        # Whether they belong to any was read with the signed-in user (is_organisation_member); a
        # decision asks `fresh`, under its locks, and reads the memberships as they are now.
        if fresh or is_organisation_member(moderator):
            self.organisations = {membership.organisation_id for membership in MEMBERSHIPS.objects(user=moderator.pk)}

    @functools.cached_property
    def members(self) -> set:
        """The other members of their organisations: read when first asked (a page may need only the organisations)."""
        if not self.organisations:
            return set()
        members = Membership.objects.filter(organisation__in=self.organisations).values_list("user_id", flat=True)
        return set(members) - {self.moderator.pk}

    @classmethod
    def of(cls, moderator, *, fresh: bool = False) -> "OrganisationInterest":
        interest = None if fresh else getattr(moderator, "_organisation_interest", None)
        if interest is None:
            interest = cls(moderator, fresh=fresh)
            moderator._organisation_interest = interest
        return interest


# A user's memberships (their organisations), asked on every moderation page: compiled once.
MEMBERSHIPS = PrecompiledQuery(
    Membership, lambda user: Membership.objects.filter(user_id=user).only("organisation_id"), "user"
)

# Read with the signed-in user by the project's authentication backend (spp_portal/auth.py), in the
# same query, so that a page asks the database nothing more for someone who belongs to none.
IS_MEMBER = "is_organisation_member"


def is_organisation_member(user) -> bool:
    """Whether the user belongs to an organisation: as read with the user, or else asked (one query)."""
    known = getattr(user, IS_MEMBER, None)
    return known if known is not None else MEMBERSHIPS.exists(user=user.pk)


# Read with the signed-in user the same way: whether a comment of theirs awaits moderation (anywhere).
# Most readers have none: their statement pages and a moderator's queue then ask nothing more.
HAS_PENDING = "has_pending_comments"


def may_have_pending_comments(user) -> bool:
    """False only when it was read with the user that none of their comments awaits moderation."""
    return getattr(user, HAS_PENDING, True)


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

    def published(self, *, now=None):
        return self.approved().filter(statement__in=Statement.objects.published(now=now))

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
        return self.select_related("author__stakeholder", "on_behalf_of", "directive", "priority")

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
    # Submitted on behalf of this (verified) organisation: kept when its author leaves it.
    on_behalf_of = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="comments",
        verbose_name=_("on behalf of"),
    )
    # Published as "Anonymous participant" with only the country and sector; moderators still see who wrote it.
    anonymous = models.BooleanField(_("published without the author's name"), default=False)
    # How many stakeholders support it (Support rows, counted here so that sorting by support and
    # showing the count cost no query; kept by dialogue.services in the same transaction).
    support_count = models.PositiveIntegerField(_("supports"), default=0)
    # The statement's version (Statement.version) when the comment was submitted: a comment on an
    # earlier text says so, and open data gives it.
    statement_version = models.PositiveIntegerField(_("statement version"), default=1)
    submitted_at = models.DateTimeField(_("submitted at"))
    edited_at = models.DateTimeField(_("edited at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    # The current decision's public reason and note (history is in ModerationEvent).
    decision_reason = models.CharField(_("reason"), max_length=30, blank=True)
    decision_note = models.TextField(_("note to the author"), blank=True)
    # When the author last opened the receipt: official responses and replies published since are
    # flagged "new" in My submissions.
    author_seen_at = models.DateTimeField(_("opened by the author at"), null=True, blank=True)
    # The attachments' number and extracted text, kept here by comment_submit: a page of comments
    # looks attachments up only when one of them has some, and the stored search vector
    # (migration 0013) covers the text, so search finds an attachment's words with its comment.
    attachment_count = models.PositiveSmallIntegerField(_("attachments"), default=0, editable=False)
    attachments_text = models.TextField(_("text of the attachments"), blank=True, editable=False)
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
            # Each submission asks whether its author already sent this very text on this statement.
            models.Index(fields=["author", "statement", "fingerprint"], name="comment_duplicate_idx"),
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

    def conflict_of_interest(self, moderator, *, fresh: bool = False) -> str:
        """
        Why this moderator may not decide on, hide, restore, respond to or resolve reports on this
        comment ("" if nothing stands in the way): it is their own, it was submitted on behalf of
        their organisation, or a member of their organisation wrote it. The services refuse (with
        `fresh` interests), and the moderation pages show the reason instead of the buttons.
        """
        if self.author_id is not None and self.author_id == moderator.pk:
            return str(_("You wrote this comment: another moderator decides on it."))
        interest = OrganisationInterest.of(moderator, fresh=fresh)
        if self.on_behalf_of_id is not None and self.on_behalf_of_id in interest.organisations:
            return str(_("This comment was submitted on behalf of your organisation: another moderator decides on it."))
        if self.author_id is not None and self.author_id in interest.members:
            return str(_("A member of your organisation wrote this comment: another moderator decides on it."))
        return ""

    def public_author_name(self):
        """The name readers see: the display name, unless the author chose to publish without it."""
        if self.anonymous:
            return _("Anonymous participant")
        if self.author_id is None:
            return _("Former participant")
        return self.author.stakeholder.display_name

    @property
    def verified_organisation(self):
        """The organisation it was submitted on behalf of, if that organisation is verified (None otherwise)."""
        organisation = self.on_behalf_of if self.on_behalf_of_id else None
        return organisation if organisation is not None and organisation.is_verified else None


# What a comment may carry: documents (their text is extracted for moderators and search) and pictures.
ATTACHMENT_KINDS = ("pdf", "docx", "odt", "txt", "png", "jpeg")


def attachment_path(attachment, filename: str) -> str:
    """Where the storage keeps it: a random name (the original is in `name`), never guessable."""
    return f"attachments/{timezone.now():%Y/%m}/{secrets.token_urlsafe(18)}{PurePath(filename).suffix.lower()}"


class AttachmentQuerySet(models.QuerySet):
    def visible_to(self, user):
        """What `user` may download: published comments' files; and their own, or any, for moderators."""
        published = models.Q(comment__in=Comment.objects.published())
        if not user.is_authenticated:
            return self.filter(published)
        if user.has_perm("dialogue.moderate_comment"):
            return self.all()
        return self.filter(published | models.Q(comment__author=user))


class Attachment(models.Model):
    """
    A file submitted with a comment, recognised by its content (safeguards.files.check_file). It
    shares its comment's fate: public only once the comment is published; the author and the
    moderators see it before. Downloaded only through dialogue.views.attachment_download.
    """

    comment = models.ForeignKey(
        Comment, on_delete=models.PROTECT, related_name="attachments", verbose_name=_("comment")
    )
    number = models.PositiveSmallIntegerField(_("number"))  # 1, 2, … in the order submitted: its address
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=200)
    name = models.CharField(_("file name"), max_length=100)
    kind = models.CharField(_("type"), max_length=10)  # a safeguards.files.KINDS code
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    text = models.TextField(_("extracted text"), blank=True)

    objects = AttachmentQuerySet.as_manager()

    class Meta:
        ordering = ["comment", "number"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        constraints = [
            models.UniqueConstraint(fields=["comment", "number"], name="attachment_number_per_comment"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("dialogue:attachment", kwargs={"tracking": self.comment.tracking_number, "number": self.number})

    @property
    def kind_label(self) -> str:
        return KINDS[self.kind].label if self.kind in KINDS else self.kind


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


class Subscription(models.Model):
    """
    What a person asked to be emailed about, and how: right away, or in a daily digest.

    A statement (new published comments, official responses, its comment period extended,
    shortened or closed, its outcome report), a priority (new statements in it), or their own
    comments (replies, official responses) and, for moderators, prompts when comments wait. The
    last three are on unless turned off: no row means DEFAULT_DELIVERY; a row with "off" records that
    the person stopped them. Following a statement or a priority is a row; stopping sets "off".
    """

    class Topic(models.TextChoices):
        STATEMENT = "statement", _("A statement")
        PRIORITY = "priority", _("A priority")
        MY_REPLIES = "my_replies", _("Replies to my comments")
        MY_RESPONSES = "my_responses", _("Official responses to my comments")
        MODERATION = "moderation", _("Comments waiting for moderation")

    class Delivery(models.TextChoices):
        IMMEDIATE = "immediate", _("Right away, one email each time")
        DAILY = "daily", _("Once a day, in a digest")
        OFF = "off", _("Never")

    # Topics about the person's own comments and work: on (right away) until they turn them off.
    STANDING_TOPICS = (Topic.MY_REPLIES, Topic.MY_RESPONSES, Topic.MODERATION)
    DEFAULT_DELIVERY = Delivery.IMMEDIATE

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="subscriptions", verbose_name=_("user")
    )
    topic = models.CharField(_("about"), max_length=20, choices=Topic.choices)
    statement = models.ForeignKey(
        Statement, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("statement")
    )
    priority = models.ForeignKey(
        Priority, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("priority")
    )
    delivery = models.CharField(_("email"), max_length=10, choices=Delivery.choices, default=Delivery.IMMEDIATE)
    created_at = models.DateTimeField(_("since"), default=timezone.now)

    class Meta:
        ordering = ["topic", "created_at", "pk"]
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "statement"], condition=models.Q(topic="statement"), name="subscription_statement_once"
            ),
            models.UniqueConstraint(
                fields=["user", "priority"], condition=models.Q(topic="priority"), name="subscription_priority_once"
            ),
            models.UniqueConstraint(
                fields=["user", "topic"],
                condition=models.Q(topic__in=["my_replies", "my_responses", "moderation"]),
                name="subscription_standing_once",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(topic="statement", statement__isnull=False, priority__isnull=True)
                    | models.Q(topic="priority", priority__isnull=False, statement__isnull=True)
                    | models.Q(
                        topic__in=["my_replies", "my_responses", "moderation"],
                        statement__isnull=True,
                        priority__isnull=True,
                    )
                ),
                name="subscription_subject_matches_topic",
            ),
        ]
        indexes = [
            # Who follows this statement or priority: read on every approval and official response.
            models.Index(fields=["statement", "delivery"], name="subscription_statement_idx"),
            models.Index(fields=["priority", "delivery"], name="subscription_priority_idx"),
        ]

    def __str__(self):
        return f"{self.user_id}: {self.topic} {self.statement_id or self.priority_id or ''} ({self.delivery})"

    @property
    def subject(self):
        """The statement or priority followed; None for the standing topics."""
        return self.statement or self.priority


class Notice(models.Model):
    """One event waiting for its recipient's daily digest (Subscription.Delivery.DAILY); deleted once sent."""

    class Event(models.TextChoices):
        COMMENT_PUBLISHED = "comment_published", _("A new comment was published")
        RESPONSE_POSTED = "response_posted", _("A government responded officially")
        PERIOD_EXTENDED = "period_extended", _("The comment period was extended")
        PERIOD_SHORTENED = "period_shortened", _("The comment period was shortened")
        PERIOD_CLOSED = "period_closed", _("The comment period closed")
        OUTCOME_PUBLISHED = "outcome_published", _("What we heard: the outcome report was published")
        STATEMENT_PUBLISHED = "statement_published", _("A new statement was published")
        REPLY_PUBLISHED = "reply_published", _("A reply to your comment was published")
        RESPONSE_TO_MINE = "response_to_mine", _("A government responded officially to your comment")

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="notices", verbose_name=_("subscription")
    )
    event = models.CharField(_("event"), max_length=20, choices=Event.choices)
    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="+", verbose_name=_("statement"))
    comment = models.ForeignKey(
        Comment, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("comment")
    )
    response = models.ForeignKey(
        OfficialResponse,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("official response"),
    )
    # Where the email links (a URL name and its arguments), reversed in the recipient's language.
    link = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("notice waiting for a digest")
        verbose_name_plural = _("notices waiting for a digest")

    def __str__(self):
        return f"{self.event} → {self.subscription_id}"


class NotificationState(models.Model):
    """
    One row: what the notification sweep (dialogue.notifications.sweep) last did, shared by every
    app server and worker. Locked for the length of a sweep, so two sweeps never both send.
    """

    moderators_prompted_at = models.DateTimeField(null=True, blank=True)
    # The published record's changes (periods, new statements) up to this time were announced.
    record_announced_until = models.DateTimeField(null=True, blank=True)
    digests_sent_on = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification state")
        verbose_name_plural = _("notification state")

    def __str__(self):
        return "notification state"
