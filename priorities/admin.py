"""Publishing in the Django admin: statements with their directives, each language's text grouped together."""

from allauth.account.decorators import reauthentication_required
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import AdminSplitDateTime, RelatedFieldWidgetWrapper
from django.core.exceptions import PermissionDenied
from django.db import models
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin, TranslationStackedInline, TranslationTabularInline

from pagecache.cache import invalidate_public_pages
from safeguards.files import UnsafeFile, check_file

from . import services
from .languages import language_in_sentence
from .markup import render_markdown
from .models import (
    Directive,
    Priority,
    ProgressNote,
    PublicationWithoutLanguage,
    PublishingEvent,
    Statement,
    StatementDocument,
)

# The name of the change form's "Preview" button.
PREVIEW = "_preview"


def require_confirmation(form, cleaned: dict, missing) -> None:
    """Each language without an official title and body needs its "publish without" box ticked."""
    for code in missing:
        if not cleaned.get(f"publish_without_{code}"):
            form.add_error(
                f"publish_without_{code}",
                forms.ValidationError(
                    gettext(
                        "There is no official %(language)s title and body. Add them, or confirm "
                        "publishing without them."
                    )
                    % {"language": language_in_sentence(code)},
                    code="translation_missing",
                ),
            )


class LabelledSplitDateTime(AdminSplitDateTime):
    """
    The admin's date and time boxes, each with a <label> naming the field ("Published at: Date"):
    the admin's own shows "Date:" and "Time:" as bare words, leaving both boxes without a name.
    """

    template_name = "admin/priorities/widgets/split_datetime.html"
    field_label = ""

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["field_label"] = self.field_label
        return context


class LabelsDateTimes:
    """Every date and time of the admin's form with its LabelledSplitDateTime."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if isinstance(db_field, models.DateTimeField):
            kwargs["widget"] = LabelledSplitDateTime
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if formfield is not None and isinstance(formfield.widget, LabelledSplitDateTime):
            formfield.widget.field_label = formfield.label
        return formfield


class InvalidatesPublicPages:
    """
    Every change made here is on the public pages at once: the cached anonymous pages are
    dropped when the admin's transaction commits. Done here, where publishers change the
    record, rather than in save() or a signal, which would hide the effect.
    """

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        invalidate_public_pages()

    def save_related(self, request, form, formsets, change):
        # Inline directives and the priorities a statement addresses are saved after the statement.
        super().save_related(request, form, formsets, change)
        invalidate_public_pages()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        invalidate_public_pages()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        invalidate_public_pages()


@admin.register(Priority)
class PriorityAdmin(InvalidatesPublicPages, TranslationAdmin):
    list_display = ["title", "slug", "order"]
    prepopulated_fields = {"slug": ["title_en"]}
    search_fields = ["title", "summary"]


def has_change_summary(data) -> bool:
    """Whether the posted statement form carries a summary of the change, in any language."""
    return any((data.get(f"change_summary_{code}") or "").strip() for code, _name in settings.LANGUAGES)


class DirectiveFormSet(BaseInlineFormSet):
    """
    Directives added, removed, reordered or reworded in a statement the public has seen make a new
    version of it: the statement's form must then say what changed (its "summary of the change").
    """

    def clean(self):
        super().clean()
        if any(self.errors) or self.instance.pk is None or not self.has_changed():
            return
        stored = Statement.objects.get(pk=self.instance.pk)
        if stored.has_been_public() and not has_change_summary(self.data):
            raise forms.ValidationError(
                gettext(
                    "You changed the directives of a statement the public has read: say what changed and why "
                    "in “Summary of the change”. Nothing was saved yet; your changes are still in the form."
                ),
                code=services.ChangeSummaryMissing.code,
            )


class DirectiveInline(TranslationStackedInline):
    """
    Each directive stacked, its three languages one under the other: a row of three text boxes
    made the form 2,900 px wide on a laptop. No progress here: a status is reported with the
    dated note that supports it, on the directive's own page.
    """

    model = Directive
    formset = DirectiveFormSet
    extra = 1
    fields = ["order", "priority", "text"]
    # The five priorities as choices side by side, wrapping: a drop-down list cut their names on phones.
    radio_fields = {"priority": admin.HORIZONTAL}
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 3, "class": "vLargeTextField"})}}

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        # The priorities are edited on their own pages: no add/change/view icons beside every directive's choice.
        if formfield is not None and isinstance(formfield.widget, RelatedFieldWidgetWrapper):
            formfield.widget = formfield.widget.widget
        return formfield


class ProgressNoteFormSet(BaseInlineFormSet):
    """
    A directive claims no progress that no source supports: a status other than "no progress
    reported" needs a dated progress note, and notes need the status they support.
    """

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        notes = [form for form in self.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")]
        reported = self.instance.progress != Directive.Progress.NOT_REPORTED
        if reported and not notes:
            raise forms.ValidationError(
                gettext(
                    "“%(status)s” needs a dated progress note that supports it. Add one, or choose "
                    "“No progress reported”."
                )
                % {"status": self.instance.get_progress_display()},
                code="progress_without_note",
            )
        if notes and not reported:
            raise forms.ValidationError(
                gettext("Choose the status that these progress notes report."), code="note_without_progress"
            )


class ProgressNoteInline(TranslationTabularInline):
    model = ProgressNote
    formset = ProgressNoteFormSet
    extra = 1
    fields = ["date", "note"]


@admin.register(Directive)
class DirectiveAdmin(InvalidatesPublicPages, TranslationAdmin):
    """A directive's progress over time: its status, and dated notes in the three languages."""

    list_display = ["__str__", "statement", "progress"]
    list_filter = ["progress", "priority", "statement"]
    list_select_related = ["priority", "statement"]
    search_fields = ["text"]
    fields = ["statement", "priority", "order", "text", "progress"]
    readonly_fields = ["statement"]
    inlines = [ProgressNoteInline]

    def has_add_permission(self, request):
        # Directives are written inside their statement; here publishers follow them up.
        return False

    def get_readonly_fields(self, request, obj=None):
        # Once the public has read the statement, its directives change only on the statement's own
        # form, where each change becomes a numbered version with a summary (services.statement_amend).
        if obj is not None and obj.statement.has_been_public():
            return [*self.readonly_fields, "priority", "order", *services.VERSIONED_DIRECTIVE_FIELDS]
        return self.readonly_fields


class WithdrawalReasonFields(forms.Form):
    """The reason for a withdrawal, in the three languages: readers see it at the statement's address."""

    withdrawal_reason_en = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    withdrawal_reason_fr = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    withdrawal_reason_es = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Labels in the publisher's language, so built per request rather than at import.
        for code, _name in settings.LANGUAGES:
            field = self.fields[f"withdrawal_reason_{code}"]
            field.label = gettext("Reason for the withdrawal, in %(language)s") % {
                "language": language_in_sentence(code)
            }
        self.fields["withdrawal_reason_en"].help_text = gettext(
            "Needed to withdraw a published statement, in one language at least: the statement's address "
            "then says that it was withdrawn, when, and why."
        )

    def withdrawal_reason(self) -> dict[str, str]:
        """The reason by language, or a form error (ValidationError) when there is none."""
        try:
            return services.clean_reason(
                {code: self.cleaned_data.get(f"withdrawal_reason_{code}", "") for code, _n in settings.LANGUAGES}
            )
        except services.PublishingError as error:
            raise forms.ValidationError({"withdrawal_reason_en": error.message}, code=error.code) from error


class WithdrawalForm(WithdrawalReasonFields):
    """The withdraw action's confirmation page."""

    def clean(self):
        cleaned = super().clean()
        self.reason = self.withdrawal_reason()
        return cleaned


class PublishingConfirmationForm(forms.Form):
    """
    A confirmation page of the statement's own "Publish" or "Schedule": a "publish without an
    official <language> version" box for each language the statement lacks (translation parity).
    """

    def __init__(self, *args, statement, **kwargs):
        super().__init__(*args, **kwargs)
        self.statement = statement
        self.missing = services.languages_to_confirm(statement=statement, before=statement)
        for code in self.missing:
            self.fields[f"publish_without_{code}"] = forms.BooleanField(
                required=False,
                label=gettext("Publish without an official %(language)s version")
                % {"language": language_in_sentence(code)},
            )

    def clean(self):
        cleaned = super().clean()
        require_confirmation(self, cleaned, self.missing)
        return cleaned

    def confirmed_without(self) -> list[str]:
        return [code for code in self.missing if self.cleaned_data.get(f"publish_without_{code}")]


class ScheduleForm(PublishingConfirmationForm):
    """The statement's own "Schedule": when it becomes public, by itself."""

    publish_at = forms.SplitDateTimeField(widget=LabelledSplitDateTime)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["publish_at"]
        field.label = field.widget.field_label = gettext("Public from")
        field.help_text = gettext("In UTC. The statement becomes public by itself at that moment.")
        planned = self.statement.published_at
        if planned is not None and planned > timezone.now():
            field.initial = planned
        # The time first in the form: the parity boxes, if any, follow it.
        self.order_fields(["publish_at"])

    def clean_publish_at(self):
        moment = self.cleaned_data["publish_at"]
        if moment <= timezone.now():
            raise forms.ValidationError(
                gettext("A scheduled publication time must be in the future."), code="not_future"
            )
        return moment


class ChangeSummaryFields(forms.Form):
    """Why a public statement's texts changed, in the three languages: readers see it with the new version."""

    change_summary_en = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    change_summary_fr = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    change_summary_es = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for code, _name in settings.LANGUAGES:
            self.fields[f"change_summary_{code}"].label = gettext("Summary of the change, in %(language)s") % {
                "language": language_in_sentence(code)
            }
        self.fields["change_summary_en"].help_text = gettext(
            "Needed when you change the title, summary, text or directives of a statement the public has read, "
            "in one language at least: the change becomes a numbered version, and readers see this summary "
            "with it on the statement's versions page."
        )

    def change_summary(self) -> dict[str, str]:
        return {code: self.cleaned_data.get(f"change_summary_{code}", "") for code, _name in settings.LANGUAGES}


class StatementAdminForm(ChangeSummaryFields, WithdrawalReasonFields, forms.ModelForm):
    """
    Checks, before anything is saved, what the publishing services will check again when they run:
    the status change is allowed; a withdrawal has a reason; translation parity — a statement
    becoming published with no official title and body in one of the three languages, or a
    published one losing a language, needs the publisher's explicit "publish without" for it.
    """

    publish_without_en = forms.BooleanField(required=False)
    publish_without_fr = forms.BooleanField(required=False)
    publish_without_es = forms.BooleanField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for code, _name in settings.LANGUAGES:
            field = self.fields.get(f"publish_without_{code}")
            if field is not None:
                field.label = gettext("Publish without an official %(language)s version") % {
                    "language": language_in_sentence(code)
                }
                field.help_text = gettext(
                    "Needed only when this language has no title or body. Your confirmation is recorded."
                )
        for code, _name in settings.LANGUAGES:
            # A summary is a sentence or two; the body is the statement itself.
            for field, rows in ((f"summary_{code}", 3), (f"body_{code}", 20)):
                if field in self.fields:
                    self.fields[field].widget.attrs["rows"] = rows
        self.confirmed_missing: list[str] = []
        self.reason: dict[str, str] = {}

    def is_previewing(self) -> bool:
        return self.is_bound and PREVIEW in self.data

    def is_valid(self):
        # "Preview" shows the form again with the texts as they would be published: it never saves.
        return super().is_valid() and not self.is_previewing()

    def clean(self):
        cleaned = super().clean()
        # Still the statement as stored: the form's values reach the instance after clean().
        stored = self.instance
        amended = [field for field in services.VERSIONED_FIELDS if field in self.changed_data]
        if stored.pk and stored.has_been_public() and amended:
            try:
                services.clean_change_summary(self.change_summary())
            except services.PublishingError as error:
                self.add_error("change_summary_en", forms.ValidationError(error.message, code=error.code))
        status = cleaned.get("status")
        if status is None:
            return cleaned
        publication_time = cleaned.get("published_at")
        if status != stored.status or (
            status == Statement.Status.PUBLISHED and publication_time != stored.published_at
        ):
            try:
                services.check_status_change(statement=stored, status=status, publication_time=publication_time)
            except services.PublishingError as error:
                self.add_error("status", forms.ValidationError(error.message, code=error.code))
                return cleaned
        if status == Statement.Status.WITHDRAWN and stored.status != Statement.Status.WITHDRAWN:
            try:
                self.reason = self.withdrawal_reason()
            except forms.ValidationError as error:
                self.add_error(None, error)
        if status == Statement.Status.PUBLISHED:
            texts = {
                f"{field}_{code}": cleaned.get(f"{field}_{code}")
                for field in ("title", "body")
                for code, _n in settings.LANGUAGES
            }
            self.confirmed_missing = services.languages_to_confirm(
                statement=Statement(**texts), before=stored if stored.pk else None
            )
            require_confirmation(self, cleaned, self.confirmed_missing)
        return cleaned


class StatementDocumentForm(forms.ModelForm):
    """An official document: a PDF, recognised by its content (safeguards.files), never by its name."""

    class Meta:
        model = StatementDocument
        fields = ["language", "title", "file"]
        # No "Currently: <link>": stored files are never served by address, only by the portal's view.
        widgets = {"file": forms.FileInput(attrs={"accept": ".pdf,application/pdf"})}

    def clean_file(self):
        file = self.cleaned_data["file"]
        if file and "file" in self.changed_data:
            try:
                self.checked = check_file(file, allowed=("pdf",), max_bytes=settings.STATEMENT_DOCUMENT_MAX_BYTES)
            except UnsafeFile as error:
                raise forms.ValidationError(error.message, code="unsafe_file") from error
        return file

    def save(self, commit=True):
        checked = getattr(self, "checked", None)
        if checked is not None:
            self.instance.name, self.instance.size, self.instance.sha256 = checked.name, checked.size, checked.sha256
        return super().save(commit)


class StatementDocumentInline(admin.StackedInline):
    """
    Official documents (PDF) per language, listed on the statement page with their size and date.
    Stacked, like the directives: every field keeps its own label, at any width.
    """

    model = StatementDocument
    form = StatementDocumentForm
    extra = 0
    fields = ["language", "title", "file", "name", "size", "created_at"]
    readonly_fields = ["name", "size", "created_at"]
    view_on_site = False


class PublicationWithoutLanguageInline(admin.TabularInline):
    """The recorded "publish without" confirmations: read-only, they are the record."""

    model = PublicationWithoutLanguage
    extra = 0
    fields = ["language", "confirmed_by", "confirmed_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


# Publishing changes what the public reads in three countries' names: one stolen session must not be
# enough. allauth's reauthentication asks for the password (unless given in the last few minutes),
# then carries out the request as it was posted.
publishing_reauthentication = method_decorator(reauthentication_required)


def _to_the_second(moment):
    """The admin's form shows publication times to the second: a stored time's microseconds are no change."""
    return moment.replace(microsecond=0) if moment else moment


def require_recent_password(request) -> None:
    """Raise allauth's ReauthenticationRequired (the admin's transaction is rolled back) unless recently given."""
    reauthentication_required(lambda request: None)(request)


@admin.register(Statement)
class StatementAdmin(LabelsDateTimes, InvalidatesPublicPages, TranslationAdmin):
    form = StatementAdminForm
    list_display = ["title", "status", "published_at", "release_date", "comments_open_at", "comments_close_at"]
    list_filter = ["status", "priorities", "release_date", "original_language"]
    search_fields = ["title", "summary", "body"]
    date_hierarchy = "release_date"
    prepopulated_fields = {"slug": ["title_en"]}
    inlines = [DirectiveInline, StatementDocumentInline, PublicationWithoutLanguageInline]
    actions = ["publish", "withdraw"]
    readonly_fields = ["created_at", "updated_at", "publishing_record", "version_record"]
    # Each language's title, summary and text together, one language under the other (jump links
    # at the top of the form lead to each): read and compared at 1,280 px and at 320 px alike,
    # with no JavaScript. Then what the three languages share.
    fieldsets = [
        *(
            (name, {"fields": [f"title_{code}", f"summary_{code}", f"body_{code}"], "classes": ["language-text"]})
            for code, name in settings.LANGUAGES
        ),
        (
            _("Versions"),
            {"fields": ["change_summary_en", "change_summary_fr", "change_summary_es", "version_record"]},
        ),
        (_("Statement"), {"fields": ["slug", "original_language", "priorities"]}),
        (
            _("Release"),
            {"fields": ["release_date", "release_note", "location", "issuing_office", "press_contact", "reviewed_on"]},
        ),
        (
            _("Publication"),
            {
                "fields": [
                    "status",
                    "published_at",
                    "publish_without_en",
                    "publish_without_fr",
                    "publish_without_es",
                    "withdrawal_reason_en",
                    "withdrawal_reason_fr",
                    "withdrawal_reason_es",
                    "publishing_record",
                    "created_at",
                    "updated_at",
                ]
            },
        ),
        (_("Comment period"), {"fields": ["comments_open_at", "comments_close_at"]}),
    ]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        # Five priorities: boxes to tick read at any width, where the two-list selector needs JavaScript and room.
        if db_field.name == "priorities":
            kwargs["widget"] = forms.CheckboxSelectMultiple
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        form = context["adminform"].form
        if form.is_previewing():
            context["preview"] = self._preview(form)
        if change and obj is not None and self.has_change_permission(request, obj):
            context["publishing_actions"] = self._publishing_actions(obj)
        # Jump links to each part of a long form: the headings' ids are the admin's fieldset template's.
        context["form_sections"] = [
            (f"fieldset-0-{number}-heading", name)
            for number, (name, _options) in enumerate(self.get_fieldsets(request, obj))
            if name
        ] + [("directives-heading", Directive._meta.verbose_name_plural.capitalize())]
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    @staticmethod
    def _preview(form):
        """Each language's title, summary and text as the form holds them; the body through the public sanitiser."""
        values = getattr(form, "cleaned_data", {})
        changed = {
            code
            for code, _name in settings.LANGUAGES
            for field in ("title", "summary", "body")
            if f"{field}_{code}" in form.changed_data
        }
        # Opened: the languages just edited, or else the original; the others one click away.
        opened = changed or {values.get("original_language") or settings.LANGUAGE_CODE}
        return [
            {
                "code": code,
                "language": name,
                "open": code in opened,
                "title": values.get(f"title_{code}") or "",
                "summary": values.get(f"summary_{code}") or "",
                "body": render_markdown(values.get(f"body_{code}") or ""),
            }
            for code, name in settings.LANGUAGES
        ]

    @staticmethod
    def _steps_open_to(statement) -> list[str]:
        """A public statement can be withdrawn; any other (draft, scheduled, withdrawn) published or scheduled."""
        return ["withdraw"] if statement.is_published() else ["publish", "schedule"]

    def _publishing_actions(self, statement):
        """The publishing steps open to this statement now, each with its confirmation page: [(url, label)]."""
        labels = {"publish": gettext("Publish"), "schedule": gettext("Schedule"), "withdraw": gettext("Withdraw")}
        return [(self._url(name, statement), labels[name]) for name in self._steps_open_to(statement)]

    def _refused(self, request, statement, step):
        """Back to the statement, saying why, when `step` is not open to it (an old tab, a typed address)."""
        if step in self._steps_open_to(statement):
            return None
        if step == "withdraw":
            message = gettext(
                "Only a published statement can be withdrawn. Return a scheduled statement to draft instead."
            )
        elif step == "schedule":
            message = gettext(
                "This statement is public: it cannot be scheduled again for later. "
                "Withdraw it instead, with a reason, if it must come down."
            )
        else:
            message = gettext("This statement is already public.")
        self.message_user(request, message, messages.WARNING)
        return HttpResponseRedirect(reverse("admin:priorities_statement_change", args=[statement.pk]))

    def _url(self, name, statement):
        return reverse(f"admin:priorities_statement_{name}", args=[statement.pk], current_app=self.admin_site.name)

    def get_urls(self):
        # Before the admin's own: its "<object_id>/" catches every path below a statement.
        views = {"publish": self.publish_view, "schedule": self.schedule_view, "withdraw": self.withdraw_view}
        return [
            path(f"<path:object_id>/{name}/", self.admin_site.admin_view(view), name=f"priorities_statement_{name}")
            for name, view in views.items()
        ] + super().get_urls()

    def _statement_to_change(self, request, object_id):
        statement = self.get_object(request, unquote(object_id))
        if statement is None:
            raise Http404
        if not self.has_change_permission(request, statement):
            raise PermissionDenied
        return statement

    def _confirmation(self, request, statement, form, *, action, title, submit):
        """The confirmation page of one publishing step: what it does, the form it needs, the button, a way back."""
        return TemplateResponse(
            request,
            "admin/priorities/statement/statement_confirmation.html",
            {
                **self.admin_site.each_context(request),
                "title": title,
                "subtitle": str(statement),
                "opts": self.model._meta,
                "original": statement,
                "action": action,
                "form": form,
                "submit": submit,
                "media": self.media + form.media,
                "change_url": reverse("admin:priorities_statement_change", args=[statement.pk]),
                "now": timezone.now(),
                "public_from": self._publication_time(statement),
            },
        )

    def _done(self, request, statement, message):
        self.message_user(request, message, messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:priorities_statement_change", args=[statement.pk]))

    @staticmethod
    def _publication_time(statement):
        """
        "Publish" on the statement's page makes it public now: at its publication time if that is
        past (a withdrawn statement published again keeps its date), otherwise at once. A future
        time is what "Schedule" is for.
        """
        if statement.published_at is not None and statement.published_at <= timezone.now():
            return statement.published_at
        return timezone.now()

    @publishing_reauthentication
    def publish_view(self, request, object_id):
        statement = self._statement_to_change(request, object_id)
        if refused := self._refused(request, statement, "publish"):
            return refused
        form = PublishingConfirmationForm(request.POST if request.method == "POST" else None, statement=statement)
        if request.method == "POST" and form.is_valid():
            try:
                services.statement_publish(
                    statement=statement,
                    by=request.user,
                    at=self._publication_time(statement),
                    confirmed_without=form.confirmed_without(),
                )
            except services.PublishingError as error:
                form.add_error(None, error.message)
            else:
                return self._done(request, statement, gettext("The statement is published."))
        return self._confirmation(
            request,
            statement,
            form,
            action="publish",
            title=gettext("Publish the statement?"),
            submit=gettext("Publish"),
        )

    @publishing_reauthentication
    def schedule_view(self, request, object_id):
        statement = self._statement_to_change(request, object_id)
        if refused := self._refused(request, statement, "schedule"):
            return refused
        form = ScheduleForm(request.POST if request.method == "POST" else None, statement=statement)
        if request.method == "POST" and form.is_valid():
            try:
                statement = services.statement_schedule(
                    statement=statement,
                    by=request.user,
                    at=form.cleaned_data["publish_at"],
                    confirmed_without=form.confirmed_without(),
                )
            except services.PublishingError as error:
                form.add_error(None, error.message)
            else:
                message = gettext("The statement is scheduled: it becomes public by itself on %(time)s.") % {
                    "time": f"{date_format(statement.published_at, 'DATETIME_FORMAT')} UTC"
                }
                return self._done(request, statement, message)
        return self._confirmation(
            request,
            statement,
            form,
            action="schedule",
            title=gettext("Schedule the statement?"),
            submit=gettext("Schedule"),
        )

    @publishing_reauthentication
    def withdraw_view(self, request, object_id):
        statement = self._statement_to_change(request, object_id)
        if refused := self._refused(request, statement, "withdraw"):
            return refused
        form = WithdrawalForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                services.statement_withdraw(statement=statement, by=request.user, reason=form.reason)
            except services.PublishingError as error:
                form.add_error(None, error.message)
            else:
                return self._done(request, statement, gettext("The statement is withdrawn."))
        return self._confirmation(
            request,
            statement,
            form,
            action="withdraw",
            title=gettext("Withdraw the statement?"),
            submit=gettext("Withdraw"),
        )

    # What the public sees of a statement's life — status, publication time, comment period — is
    # changed only through priorities/services.py, which checks and records each change.
    WORKFLOW_FIELDS = ("status", "published_at", "comments_open_at", "comments_close_at")

    def save_model(self, request, obj, form, change):
        """Save the texts as edited; hand the status, publication time and comment period to the services."""
        stored = Statement.objects.get(pk=obj.pk) if change else Statement()
        wanted = {field: getattr(obj, field) for field in self.WORKFLOW_FIELDS}
        if wanted["status"] != stored.status or (
            wanted["status"] == Statement.Status.PUBLISHED
            and _to_the_second(wanted["published_at"]) != _to_the_second(stored.published_at)
        ):
            require_recent_password(request)  # publishing, scheduling, withdrawing, unpublishing
        obj.status, obj.comments_open_at, obj.comments_close_at = (
            stored.status,
            stored.comments_open_at,
            stored.comments_close_at,
        )
        if stored.status != Statement.Status.DRAFT:
            obj.published_at = stored.published_at  # a draft's publication time is only a plan, saved as written
        super().save_model(request, obj, form, change)
        # Applied once the directives are saved too (save_related): a version, or version 1 on
        # publication, holds the statement's texts and its directives as the form leaves them.
        form.workflow = (stored, wanted)

    def save_related(self, request, form, formsets, change):
        """The directives and priorities saved, the texts' change is a version; then the publishing steps."""
        super().save_related(request, form, formsets, change)
        obj = form.instance
        stored, wanted = form.workflow
        # The form and the directives' formset checked the summary; were the service to refuse anyway,
        # its error rolls the whole save back: a public text is never changed without its version.
        services.statement_amend(statement=obj, by=request.user, summary=form.change_summary())
        try:
            self._apply_workflow(request, obj, form, stored, wanted)
        except services.PublishingError as error:
            # Checked by the form already; only a change made by someone else meanwhile gets here.
            self.message_user(request, error.message, messages.ERROR)
        obj.refresh_from_db()

    def _apply_workflow(self, request, obj, form, stored, wanted):
        by = request.user
        period = (wanted["comments_open_at"], wanted["comments_close_at"])
        if period != (stored.comments_open_at, stored.comments_close_at):
            services.comment_period_change(statement=obj, by=by, opens_at=period[0], closes_at=period[1])
        status = wanted["status"]
        if status == Statement.Status.PUBLISHED and (
            stored.status != status or wanted["published_at"] != stored.published_at
        ):
            services.statement_publish(
                statement=obj, by=by, at=wanted["published_at"], confirmed_without=form.confirmed_missing
            )
        elif status == Statement.Status.WITHDRAWN and stored.status != status:
            services.statement_withdraw(statement=obj, by=by, reason=form.reason)
        elif status == Statement.Status.DRAFT and stored.status != status:
            services.statement_return_to_draft(statement=obj, by=by)
        elif form.confirmed_missing:
            services.statement_confirm_missing_languages(statement=obj, by=by, languages=form.confirmed_missing)

    @admin.display(description=_("Publishing record"))
    def publishing_record(self, obj):
        """Who published, scheduled, withdrew, and changed the comment period, and when: the record, read-only."""
        if obj.pk is None:
            return "—"
        entries = [(event.at, self._describe_event(event), event.actor) for event in obj.publishing_events.all()] + [
            (change.changed_at, self._describe_period_change(change), change.changed_by)
            for change in obj.period_changes.all()
        ]
        if not entries:
            return "—"
        entries.sort(key=lambda entry: entry[0])
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>{}: {} ({})</li>",
                ((date_format(localtime(at), "DATETIME_FORMAT"), text, actor or "—") for at, text, actor in entries),
            ),
        )

    @admin.display(description=_("Versions"))
    def version_record(self, obj):
        """Each version of the texts the public has read: number, when, by whom, why."""
        versions = obj.versions.select_related("made_by") if obj.pk else []
        if not versions:
            return gettext("None yet: version 1 is kept when the statement is published.")
        return format_html(
            "<ol>{}</ol>",
            format_html_join(
                "",
                '<li value="{}">{} ({}): {}</li>',
                (
                    (
                        version.number,
                        date_format(localtime(version.made_at), "DATETIME_FORMAT"),
                        version.made_by or "—",
                        version.change_summary or gettext("As published"),
                    )
                    for version in versions
                ),
            ),
        )

    @staticmethod
    def _describe_event(event):
        when = date_format(localtime(event.publication_time), "DATETIME_FORMAT") if event.publication_time else "—"
        if event.action == PublishingEvent.Action.WITHDRAWN:
            return gettext("Withdrawn. Reason: %(reason)s") % {"reason": event.reason}
        if event.action in (PublishingEvent.Action.PUBLISHED, PublishingEvent.Action.SCHEDULED):
            return gettext("%(action)s, public from %(time)s") % {"action": event.get_action_display(), "time": when}
        return event.get_action_display()

    @staticmethod
    def _describe_period_change(change):
        def moment(value):
            return date_format(localtime(value), "DATETIME_FORMAT") if value else "—"

        return gettext(
            "Comment period changed: opening %(old_open)s → %(new_open)s, closing %(old_close)s → %(new_close)s"
        ) % {
            "old_open": moment(change.previous_open),
            "old_close": moment(change.previous_close),
            "new_open": moment(change.new_open),
            "new_close": moment(change.new_close),
        }

    @admin.action(description=_("Publish the selected statements now (or at their scheduled time)"))
    @publishing_reauthentication
    def publish(self, request, queryset):
        """Publish; a statement missing a language first goes through the "publish without" confirmation."""
        statements = list(queryset.exclude(status=Statement.Status.PUBLISHED))
        missing = {
            statement.pk: services.languages_to_confirm(statement=statement, before=statement)
            for statement in statements
        }
        if any(missing.values()) and "confirm_parity" not in request.POST:
            return TemplateResponse(
                request,
                "admin/priorities/statement/publish_confirmation.html",
                {
                    **self.admin_site.each_context(request),
                    "title": gettext("Publish statements without every language?"),
                    "opts": self.model._meta,
                    "rows": [
                        (statement, [(code, language_in_sentence(code)) for code in missing[statement.pk]])
                        for statement in statements
                    ],
                    "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                },
            )
        confirmed = set(request.POST.getlist("publish_without"))
        count = skipped = 0
        for statement in statements:
            try:
                services.statement_publish(
                    statement=statement,
                    by=request.user,
                    confirmed_without=[code for code in missing[statement.pk] if f"{statement.pk}:{code}" in confirmed],
                )
            except services.TranslationNotConfirmed:
                skipped += 1
            except services.PublishingError as error:
                self.message_user(request, f"{statement}: {error.message}", messages.ERROR)
            else:
                count += 1
        self.message_user(
            request,
            ngettext("%(count)d statement published.", "%(count)d statements published.", count) % {"count": count},
            messages.SUCCESS,
        )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d statement not published: a missing language was not confirmed.",
                    "%(count)d statements not published: a missing language was not confirmed.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )

    @admin.action(description=_("Withdraw the selected statements (asks for the reason)"))
    @publishing_reauthentication
    def withdraw(self, request, queryset):
        """Withdraw with a reason, asked for on a confirmation page; only published statements can be withdrawn."""
        statements = list(queryset)
        form = WithdrawalForm(request.POST if "confirm_withdrawal" in request.POST else None)
        if not form.is_valid():
            return TemplateResponse(
                request,
                "admin/priorities/statement/withdraw_confirmation.html",
                {
                    **self.admin_site.each_context(request),
                    "title": gettext("Withdraw statements"),
                    "opts": self.model._meta,
                    "statements": statements,
                    "form": form,
                    "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                },
            )
        count = 0
        for statement in statements:
            try:
                services.statement_withdraw(statement=statement, by=request.user, reason=form.reason)
            except services.PublishingError as error:
                self.message_user(request, f"{statement}: {error.message}", messages.WARNING)
            else:
                count += 1
        self.message_user(
            request,
            ngettext("%(count)d statement withdrawn.", "%(count)d statements withdrawn.", count) % {"count": count},
            messages.SUCCESS,
        )
