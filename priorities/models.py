"""The published record: the SPP priorities, the ministers' statements and their directives."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Exists, Min, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .markup import render_markdown


class Priority(models.Model):
    """One of the five priorities the leaders identified at Montebello."""

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"))
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("priority")
        verbose_name_plural = _("priorities")

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("priorities:priority-detail", kwargs={"slug": self.slug})


class StatementQuerySet(models.QuerySet):
    def published(self, *, now=None):
        """Statements the public may read: published, and not scheduled for later than `now` (by default, the clock)."""
        return self.filter(status=Statement.Status.PUBLISHED, published_at__lte=now or timezone.now())

    def open_for_comments(self):
        now = timezone.now()
        return self.published().filter(comments_open_at__lte=now, comments_close_at__gt=now)

    def withdrawn(self):
        """Statements taken off the public site by a recorded withdrawal (their address answers 410 Gone)."""
        withdrawal = PublishingEvent.objects.filter(statement=OuterRef("pk"), action=PublishingEvent.Action.WITHDRAWN)
        return self.filter(Exists(withdrawal), status=Statement.Status.WITHDRAWN)

    def visible_to(self, user):
        """Publishers preview drafts and scheduled statements; everyone else sees the published ones."""
        if user.has_perm("priorities.change_statement"):
            return self.all()
        return self.published()

    def next_scheduled_change(self, *, after):
        """
        The next moment after `after` at which the public pages change by themselves: a scheduled
        statement appears, or a comment period opens or closes. None if nothing is scheduled.
        """
        moments = self.filter(status=Statement.Status.PUBLISHED).aggregate(
            publication=Min("published_at", filter=Q(published_at__gt=after)),
            opening=Min("comments_open_at", filter=Q(comments_open_at__gt=after)),
            closing=Min("comments_close_at", filter=Q(comments_close_at__gt=after)),
        )
        return min((moment for moment in moments.values() if moment is not None), default=None)


class Statement(models.Model):
    """A joint statement by the ministers, as released, with its comment period."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    title = models.CharField(_("title"), max_length=300)
    summary = models.TextField(_("summary"), blank=True)
    body = models.TextField(_("body"), help_text=_("Markdown. Links, lists and emphasis are kept; HTML is removed."))
    original_language = models.CharField(_("original language"), max_length=2, choices=settings.LANGUAGES, default="en")
    release_date = models.DateField(_("release date"))
    release_note = models.CharField(
        _("release note"), max_length=100, blank=True, help_text=_('For example "For Immediate Release".')
    )
    location = models.CharField(_("location"), max_length=200, blank=True)
    issuing_office = models.CharField(_("issuing office"), max_length=200, blank=True)
    press_contact = models.CharField(_("press contact"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(
        _("published at"), null=True, blank=True, help_text=_("A future time schedules publication.")
    )
    reviewed_on = models.DateField(_("last reviewed/modified"), null=True, blank=True)
    comments_open_at = models.DateTimeField(_("comments open at"), null=True, blank=True)
    comments_close_at = models.DateTimeField(_("comments close at"), null=True, blank=True)
    # The number and time of the current version (StatementVersion), kept by services.statement_amend
    # in the transaction that records it: the page and a new comment read them with the statement.
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    amended_at = models.DateTimeField(_("amended at"), null=True, blank=True, editable=False)
    priorities = models.ManyToManyField(Priority, related_name="statements", blank=True, verbose_name=_("priorities"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = StatementQuerySet.as_manager()

    class Meta:
        ordering = ["-release_date", "-published_at", "-pk"]
        verbose_name = _("statement")
        verbose_name_plural = _("statements")
        indexes = [models.Index(fields=["status", "published_at"], name="statement_published_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(comments_open_at__isnull=True)
                | Q(comments_close_at__isnull=True)
                | Q(comments_close_at__gt=models.F("comments_open_at")),
                name="statement_comment_period_order",
                violation_error_message=_("The comment period must close after it opens."),
            ),
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False),
                name="statement_published_has_time",
                violation_error_message=_("A published statement needs a publication time."),
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("priorities:statement-detail", kwargs={"slug": self.slug})

    # The page-cache tag of what shows only the published record (no conversation): dropped by the
    # record's own changes (which drop every page), kept through comments, approvals and responses.
    RECORD_TAG = "record"

    @staticmethod
    def cache_tag_for(slug: str) -> str:
        """The page-cache tag of everything shown about one statement: its page, feeds, exports, figures."""
        return f"statement:{slug}"

    @property
    def cache_tag(self) -> str:
        return self.cache_tag_for(self.slug)

    def is_published(self) -> bool:
        return (
            self.status == self.Status.PUBLISHED
            and self.published_at is not None
            and self.published_at <= timezone.now()
        )

    def is_scheduled(self) -> bool:
        return (
            self.status == self.Status.PUBLISHED
            and self.published_at is not None
            and self.published_at > timezone.now()
        )

    def is_open_for_comments(self, at=None) -> bool:
        at = at or timezone.now()
        return (
            self.is_published()
            and self.comments_open_at is not None
            and self.comments_close_at is not None
            and self.comments_open_at <= at < self.comments_close_at
        )

    def comments_open_from(self):
        """When readers may first comment: the period's opening, or the publication if that comes later."""
        if self.comments_open_at is None:
            return None
        if self.published_at is not None and self.published_at > self.comments_open_at:
            return self.published_at
        return self.comments_open_at

    def comments_not_yet_open(self) -> bool:
        opens = self.comments_open_from()
        return opens is not None and timezone.now() < opens

    def comments_closed(self) -> bool:
        return self.comments_close_at is not None and timezone.now() >= self.comments_close_at

    def body_html(self):
        return render_markdown(self.body)

    def official_languages(self) -> list[str]:
        """Languages in which this statement has an official text (title and body)."""
        return [
            code
            for code, _name in settings.LANGUAGES
            if getattr(self, f"title_{code}", None) and getattr(self, f"body_{code}", None)
        ]

    def missing_languages(self) -> list[str]:
        """Languages with no official text: publishing then needs a recorded "publish without" confirmation."""
        official = self.official_languages()
        return [code for code, _name in settings.LANGUAGES if code not in official]

    def content_language(self, language: str) -> str:
        """The language to show the text in: the reader's if official, otherwise the original."""
        official = self.official_languages()
        if language in official or not official:
            return language
        return self.original_language if self.original_language in official else official[0]

    def has_been_public(self) -> bool:
        """Public now, or withdrawn after it was: its texts are then changed only by numbered versions."""
        return self.is_published() or (self.status == self.Status.WITHDRAWN and self.published_at is not None)

    def is_amended(self) -> bool:
        return self.version > 1

    def published_outcome_report(self):
        """
        Its "What we heard" report if published (see OutcomeReport), or None. Select `outcome_report`
        with the statement (as the statement page does) and this asks nothing more of the database.
        """
        try:
            report = self.outcome_report
        except OutcomeReport.DoesNotExist:
            return None
        return report if report.is_published() else None

    def latest_withdrawal(self):
        """The recorded withdrawal in force (who, when, why), or None."""
        if self.status != self.Status.WITHDRAWN:
            return None
        return self.publishing_events.filter(action=PublishingEvent.Action.WITHDRAWN).order_by("-at", "-pk").first()


class DirectiveQuerySet(models.QuerySet):
    def published(self, *, now=None):
        """Directives of published statements (what "published" means is StatementQuerySet.published)."""
        return self.filter(statement__in=Statement.objects.published(now=now))


class Directive(models.Model):
    """One instruction to officials in a statement, under one priority."""

    class Progress(models.TextChoices):
        # The default, and the only status a directive may have without a dated progress note:
        # the portal claims no progress that no source supports.
        NOT_REPORTED = "not_reported", _("No progress reported")
        NOT_STARTED = "not_started", _("Not started")
        UNDER_WAY = "under_way", _("Under way")
        ACHIEVED = "achieved", _("Achieved")

    statement = models.ForeignKey(
        Statement, on_delete=models.CASCADE, related_name="directives", verbose_name=_("statement")
    )
    priority = models.ForeignKey(
        Priority, on_delete=models.PROTECT, related_name="directives", verbose_name=_("priority")
    )
    text = models.TextField(_("text"))
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    progress = models.CharField(
        _("progress"),
        max_length=12,
        choices=Progress.choices,
        default=Progress.NOT_REPORTED,
        help_text=_("Any status but “No progress reported” needs a dated progress note that supports it."),
    )

    objects = DirectiveQuerySet.as_manager()

    class Meta:
        ordering = ["statement", "order", "pk"]
        verbose_name = _("directive")
        verbose_name_plural = _("directives")

    def __str__(self):
        return f"{self.priority}: {self.text[:80]}"

    def get_absolute_url(self):
        return f"{self.statement.get_absolute_url()}#directive-{self.pk}"


class CommentPeriodChange(models.Model):
    """
    A publisher set, moved or removed a statement's comment period: who, when, from what to what.

    Extensions and shortenings are shown on the statement page, so that a reader who planned
    around the old deadline sees that it moved. Append-only, like the other publishing records.
    """

    statement = models.ForeignKey(
        Statement, on_delete=models.CASCADE, related_name="period_changes", verbose_name=_("statement")
    )
    previous_open = models.DateTimeField(_("previous opening time"), null=True, blank=True)
    previous_close = models.DateTimeField(_("previous closing time"), null=True, blank=True)
    new_open = models.DateTimeField(_("new opening time"), null=True, blank=True)
    new_close = models.DateTimeField(_("new closing time"), null=True, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("changed by")
    )
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)

    class Meta:
        ordering = ["changed_at", "pk"]
        verbose_name = _("comment period change")
        verbose_name_plural = _("comment period changes")

    def __str__(self):
        return f"{self.statement}: {self.previous_close} → {self.new_close}"

    def is_extension(self) -> bool:
        return self.previous_close is not None and self.new_close is not None and self.new_close > self.previous_close

    def is_shortening(self) -> bool:
        return self.previous_close is not None and self.new_close is not None and self.new_close < self.previous_close


class ProgressNote(models.Model):
    """A dated account, added by a publisher, of what has been done on a directive."""

    directive = models.ForeignKey(
        Directive, on_delete=models.CASCADE, related_name="progress_notes", verbose_name=_("directive")
    )
    date = models.DateField(_("date"))
    note = models.TextField(_("note"))

    class Meta:
        ordering = ["date", "pk"]
        verbose_name = _("progress note")
        verbose_name_plural = _("progress notes")

    def __str__(self):
        return f"{self.date:%Y-%m-%d}: {self.note[:80]}"


class PublicationWithoutLanguage(models.Model):
    """
    A publisher confirmed publishing a statement with no official text in one language.

    Publishing checks translation parity; a missing language needs this explicit, recorded
    confirmation (who, when), kept as its own row like a comment-period extension rather than
    as fields on Statement, so a later publication's confirmation never overwrites an earlier one.
    """

    statement = models.ForeignKey(
        Statement, on_delete=models.CASCADE, related_name="published_without", verbose_name=_("statement")
    )
    language = models.CharField(_("language"), max_length=2, choices=settings.LANGUAGES)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("confirmed by")
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), auto_now_add=True)

    class Meta:
        ordering = ["confirmed_at", "pk"]
        verbose_name = _("publication without a language")
        verbose_name_plural = _("publications without a language")

    def __str__(self):
        return f"{self.statement}: {self.get_language_display()}"


class PublishingEvent(models.Model):
    """
    One entry of a statement's publishing record: who published, scheduled, withdrew it or
    returned it to draft, and when. Written by priorities/services.py, never changed afterwards.

    A withdrawal's reason is public (the statement's address then answers 410 Gone and says why),
    so it is written in the three languages like the statement itself.
    """

    class Action(models.TextChoices):
        PUBLISHED = "published", _("Published")
        SCHEDULED = "scheduled", _("Scheduled")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        RETURNED_TO_DRAFT = "draft", _("Returned to draft")

    statement = models.ForeignKey(
        Statement, on_delete=models.CASCADE, related_name="publishing_events", verbose_name=_("statement")
    )
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("by")
    )
    at = models.DateTimeField(_("time"), default=timezone.now)
    publication_time = models.DateTimeField(
        _("publication time"), null=True, blank=True, help_text=_("When the statement is, or was to be, public.")
    )
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("publishing event")
        verbose_name_plural = _("publishing events")

    def __str__(self):
        return f"{self.statement}: {self.get_action_display()}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("Publishing events are append-only.")
        super().save(*args, **kwargs)


class StatementVersion(models.Model):
    """
    A statement's texts as the public read them from one moment: title, summary and body in each
    language, and its directives (their stable ids, priorities, order and texts). Version 1 is the
    statement as published; each later one is a publisher's amendment, with who, when and why.

    Written by priorities/services.py (statement_publish, statement_amend). While the statement is
    not public yet (a draft, or scheduled) its edits are still version 1, rewritten in place; once
    the public has seen it, every change is a new version and the earlier ones are never changed.
    """

    statement = models.ForeignKey(
        Statement, on_delete=models.CASCADE, related_name="versions", verbose_name=_("statement")
    )
    number = models.PositiveIntegerField(_("number"))
    # {"en": {"title": …, "summary": …, "body": …}, "fr": {…}, "es": {…}}
    texts = models.JSONField(_("texts"), default=dict)
    # [{"id": 12, "priority": "competitiveness", "order": 1, "text": {"en": …, "fr": …, "es": …}}, …]
    directives = models.JSONField(_("directives"), default=list)
    change_summary = models.TextField(
        _("summary of the change"), blank=True, help_text=_("Readers see it on the statement's versions page.")
    )
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("by")
    )
    made_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        ordering = ["statement", "number"]
        verbose_name = _("statement version")
        verbose_name_plural = _("statement versions")
        constraints = [models.UniqueConstraint(fields=["statement", "number"], name="statement_version_number")]

    def __str__(self):
        return f"{self.statement}: {self.number}"

    @classmethod
    def snapshot(cls, statement: Statement) -> dict:
        """The versioned texts of `statement` as stored now: the fields `texts` and `directives` of a version."""
        fields = ("title", "summary", "body")
        directives = statement.directives.select_related("priority").order_by("order", "pk")
        return {
            "texts": {
                code: {field: getattr(statement, f"{field}_{code}") or "" for field in fields}
                for code, _name in settings.LANGUAGES
            },
            "directives": [
                {
                    "id": directive.pk,
                    "priority": directive.priority.slug,
                    "order": directive.order,
                    "text": {code: getattr(directive, f"text_{code}") or "" for code, _name in settings.LANGUAGES},
                }
                for directive in directives
            ],
        }


class OutcomeReportQuerySet(models.QuerySet):
    def published(self):
        """Reports the public may read: published, about a statement the public may read."""
        return self.filter(status=OutcomeReport.Status.PUBLISHED, statement__in=Statement.objects.published())


class OutcomeReport(models.Model):
    """
    "What we heard": after a statement's comment period closes, what the governments heard and
    how they respond, in the three languages, with the conversation's figures frozen at publication.

    The report is part of the published record (its page, the statement page's link and the
    statements feed are the record's), so it lives here. Its figures are the conversation's: they
    are computed by dialogue (dialogue/outcomes.py) and stored here as a snapshot, with their labels
    in the three languages, so the report never drifts and the record never imports the conversation.
    Written in the admin; published only through services.outcome_report_publish, then read-only.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    statement = models.OneToOneField(
        Statement, on_delete=models.CASCADE, related_name="outcome_report", verbose_name=_("statement")
    )
    summary = models.TextField(
        _("summary"), blank=True, help_text=_("Markdown. Links, lists and emphasis are kept; HTML is removed.")
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, editable=False)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("published by"),
    )
    # The snapshot written by dialogue at publication: {"total", "answered", "tables": [{"key",
    # "title": {lang: text}, "heading": {lang: text}, "rows": [{"key", "label": {lang: text}, "count"}]}]}.
    figures = models.JSONField(_("figures"), default=dict, blank=True, editable=False)
    figures_computed_at = models.DateTimeField(_("figures computed at"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = OutcomeReportQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-pk"]
        verbose_name = _("outcome report (what we heard)")
        verbose_name_plural = _("outcome reports (what we heard)")
        permissions = [("publish_outcomereport", _("Can publish an outcome report"))]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False),
                name="outcome_report_published_has_time",
            ),
        ]

    def __str__(self):
        return str(self.statement)

    def get_absolute_url(self):
        return reverse("priorities:statement-outcome", kwargs={"slug": self.statement.slug})

    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    def summary_html(self):
        return render_markdown(self.summary)

    def missing_languages(self, themes=None) -> list[str]:
        """Languages lacking the summary or a theme's title, what was heard or the response: no publication then."""
        themes = list(self.themes.all()) if themes is None else themes
        return [
            code
            for code, _name in settings.LANGUAGES
            if not (getattr(self, f"summary_{code}", "") or "").strip()
            or any(
                not (getattr(theme, f"{field}_{code}", "") or "").strip()
                for theme in themes
                for field in ("title", "heard", "response")
            )
        ]

    def figure_tables(self, language: str) -> list[dict]:
        """The frozen figures in `language`: [{"key", "title", "heading", "rows": [{"label", "count", "percent"}]}]."""
        total = self.figures.get("total", 0)

        def said(texts):
            return texts.get(language) or texts.get(settings.LANGUAGE_CODE) or ""

        return [
            {
                "key": table["key"],
                "title": said(table["title"]),
                "heading": said(table["heading"]),
                "rows": [
                    {
                        "label": said(row["label"]),
                        "count": row["count"],
                        "percent": f"{(row['count'] / total * 100) if total else 0:.1f}",
                    }
                    for row in table["rows"]
                ],
            }
            for table in self.figures.get("tables", [])
        ]

    def answered_percent(self) -> str:
        total = self.figures.get("total", 0)
        return f"{(self.figures.get('answered', 0) / total * 100) if total else 0:.1f}"


class OutcomeTheme(models.Model):
    """One main theme of what was heard, and the governments' response to it."""

    report = models.ForeignKey(
        OutcomeReport, on_delete=models.CASCADE, related_name="themes", verbose_name=_("outcome report")
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    title = models.CharField(_("theme"), max_length=200, blank=True)
    heard = models.TextField(_("what we heard"), blank=True)
    response = models.TextField(_("the governments' response"), blank=True)

    class Meta:
        ordering = ["report", "order", "pk"]
        verbose_name = _("theme")
        verbose_name_plural = _("themes")

    def __str__(self):
        return self.title

    def heard_html(self):
        return render_markdown(self.heard)

    def response_html(self):
        return render_markdown(self.response)


def document_path(document, filename: str) -> str:
    """Where the storage keeps it: a random name (the original is in `name`)."""
    return f"statement-documents/{timezone.now():%Y/%m}/{secrets.token_urlsafe(18)}.pdf"


class StatementDocument(models.Model):
    """
    An official document (PDF) a publisher attaches to a statement, in one language: recognised by
    its content (safeguards.files) in the admin's form, listed on the statement page with its
    language, size and date, and downloaded only through priorities.views.statement_document.
    """

    statement = models.ForeignKey(
        Statement, on_delete=models.CASCADE, related_name="documents", verbose_name=_("statement")
    )
    language = models.CharField(_("language"), max_length=2, choices=settings.LANGUAGES)
    title = models.CharField(_("title"), max_length=200, help_text=_("In the document's language."))
    file = models.FileField(_("PDF file"), upload_to=document_path, max_length=200)
    name = models.CharField(_("file name"), max_length=100, editable=False)
    size = models.PositiveIntegerField(_("size in bytes"), editable=False)
    sha256 = models.CharField(_("SHA-256"), max_length=64, editable=False)
    created_at = models.DateTimeField(_("added on"), auto_now_add=True)

    class Meta:
        ordering = ["language", "created_at", "pk"]
        verbose_name = _("official document")
        verbose_name_plural = _("official documents")

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("priorities:statement-document", kwargs={"slug": self.statement.slug, "pk": self.pk})
