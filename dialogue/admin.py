"""The conversation in the Django admin: read-mostly. Decisions are made in the moderation pages,
where they are locked, checked and logged; the audit log cannot be changed here."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin, TranslationStackedInline

from priorities.admin import publishing_reauthentication
from priorities.models import OutcomeReport, OutcomeTheme, Statement
from priorities.services import PublishingError, check_outcome_report

from . import outcomes, services
from .models import Comment, Flag, ModerationEvent, OfficialResponse, Organisation, Stakeholder


@admin.register(Stakeholder)
class StakeholderAdmin(admin.ModelAdmin):
    list_display = ["display_name", "country", "sector", "organisation", "preferred_language"]
    list_filter = ["country", "sector", "preferred_language"]
    search_fields = ["display_name", "organisation", "user__email"]
    raw_id_fields = ["user"]

    def save_model(self, request, obj, form, change):
        # Through the service: a rename must reach the cached pages that show it.
        services.stakeholder_update(stakeholder=obj, changed=form.changed_data)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Comment)
class CommentAdmin(ReadOnlyAdmin):
    list_display = ["tracking_number", "statement", "status", "language", "submitted_at"]
    list_filter = ["status", "language", "flagged"]
    search_fields = ["tracking_number", "body"]
    date_hierarchy = "submitted_at"


@admin.register(ModerationEvent)
class ModerationEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "comment", "action", "from_status", "to_status", "reason", "actor_name"]
    list_filter = ["action", "reason"]
    date_hierarchy = "created_at"


@admin.register(Flag)
class FlagAdmin(ReadOnlyAdmin):
    list_display = ["comment", "reason", "resolution", "created_at"]
    list_filter = ["reason", "resolution"]


@admin.register(OfficialResponse)
class OfficialResponseAdmin(ReadOnlyAdmin):
    list_display = ["comment", "government", "language", "created_at"]
    list_filter = ["government", "language"]


class OutcomeThemeInline(TranslationStackedInline):
    """Each main theme stacked: its title, what was heard and the governments' response, in each language."""

    model = OutcomeTheme
    extra = 1
    # Each language's title, what was heard and response together, as the statement's form groups its texts.
    fieldsets = [
        (None, {"fields": ["order"]}),
        *(
            (name, {"fields": [f"title_{code}", f"heard_{code}", f"response_{code}"], "classes": ["language-text"]})
            for code, name in settings.LANGUAGES
        ),
    ]
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 4, "class": "vLargeTextField"})}}


@admin.register(OutcomeReport)
class OutcomeReportAdmin(TranslationAdmin):
    """
    "What we heard", written by publishers in the three languages and published from its own page.

    Registered by the conversation rather than by the record, although the report is the record's
    (priorities.OutcomeReport): publishing freezes the conversation's figures
    (dialogue/outcomes.py), which the record cannot import. A published report is read-only: its
    texts and figures are what the governments published.
    """

    change_form_template = "admin/dialogue/outcome_report_change_form.html"
    inlines = [OutcomeThemeInline]
    list_display = ["statement", "status", "published_at", "figures_computed_at"]
    list_filter = ["status"]
    list_select_related = ["statement"]
    radio_fields = {"statement": admin.VERTICAL}
    readonly_fields = ["status", "published_at", "published_by", "figures_computed_at"]
    fieldsets = [
        (None, {"fields": ["statement"]}),
        *((name, {"fields": [f"summary_{code}"], "classes": ["language-text"]}) for code, name in settings.LANGUAGES),
        (_("Publication"), {"fields": ["status", "published_at", "published_by", "figures_computed_at"]}),
    ]

    def get_readonly_fields(self, request, obj=None):
        # A report is about one statement for good: chosen when it is written.
        return [*self.readonly_fields, "statement"] if obj is not None else self.readonly_fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "statement":
            # The published statements that have no report yet, as choices to tick: a drop-down list
            # cut long titles on phones.
            kwargs["queryset"] = Statement.objects.published().filter(outcome_report__isnull=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        # Statements are edited on their own pages: no add/change/view icons beside the choice.
        if formfield is not None and isinstance(formfield.widget, RelatedFieldWidgetWrapper):
            formfield.widget = formfield.widget.widget
        return formfield

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not (obj is not None and obj.is_published())

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj is not None and obj.is_published())

    def get_urls(self):
        view = self.admin_site.admin_view(self.publish_view)
        # Before the admin's own: its "<object_id>/" catches every path below a report.
        return [path("<path:object_id>/publish/", view, name="priorities_outcomereport_publish"), *super().get_urls()]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and not obj.is_published() and request.user.has_perm("priorities.publish_outcomereport"):
            context["publish_url"] = reverse("admin:priorities_outcomereport_publish", args=[obj.pk])
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    @publishing_reauthentication
    def publish_view(self, request, object_id):
        """The report's "Publish": what it does and whether it can, then the service, which checks again."""
        report = self.get_object(request, unquote(object_id))
        if report is None:
            raise Http404
        if not request.user.has_perm("priorities.publish_outcomereport"):
            raise PermissionDenied
        change_url = reverse("admin:priorities_outcomereport_change", args=[report.pk])
        error = None
        if request.method == "POST":
            try:
                outcomes.outcome_report_publish(report=report, by=request.user)
            except PublishingError as refusal:
                error = refusal.message
            else:
                self.message_user(request, gettext("The report is published."), messages.SUCCESS)
                return HttpResponseRedirect(change_url)
        else:
            try:
                check_outcome_report(report)
            except PublishingError as refusal:
                error = refusal.message
        return TemplateResponse(
            request,
            "admin/dialogue/outcome_report_publish.html",
            {
                **self.admin_site.each_context(request),
                "title": gettext("Publish the report?"),
                "subtitle": str(report),
                "opts": self.model._meta,
                "original": report,
                "error": error,
                "change_url": change_url,
            },
        )


@admin.register(Organisation)
class OrganisationAdmin(ReadOnlyAdmin):
    """Verified or declined in the moderators' pages (with a note), never here."""

    list_display = ["name", "country", "sector", "status", "registry_id", "decided_at"]
    list_filter = ["status", "country", "sector"]
    search_fields = ["name", "registry_id"]
