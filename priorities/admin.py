"""Publishing in the Django admin: statements with their directives, translations side by side."""

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from modeltranslation.admin import TranslationAdmin, TranslationTabularInline

from spp_portal.cache import invalidate_public_pages

from .models import CommentPeriodExtension, Directive, Priority, ProgressNote, Statement


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


class DirectiveInline(TranslationTabularInline):
    model = Directive
    extra = 1
    fields = ["order", "priority", "text", "progress"]


class ProgressNoteInline(TranslationTabularInline):
    model = ProgressNote
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


@admin.register(Statement)
class StatementAdmin(InvalidatesPublicPages, TranslationAdmin):
    list_display = ["title", "status", "published_at", "release_date", "comments_open_at", "comments_close_at"]
    list_filter = ["status", "priorities", "release_date", "original_language"]
    search_fields = ["title", "summary", "body"]
    date_hierarchy = "release_date"
    prepopulated_fields = {"slug": ["title_en"]}
    filter_horizontal = ["priorities"]
    inlines = [DirectiveInline]
    actions = ["publish", "withdraw"]
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "summary", "body", "original_language", "priorities"]}),
        (
            _("Release"),
            {"fields": ["release_date", "release_note", "location", "issuing_office", "press_contact", "reviewed_on"]},
        ),
        (_("Publication"), {"fields": ["status", "published_at", "created_at", "updated_at"]}),
        (_("Comment period"), {"fields": ["comments_open_at", "comments_close_at"]}),
    ]

    def save_model(self, request, obj, form, change):
        # A later closing time on a statement that already had one is an extension: record it.
        previous = form.initial.get("comments_close_at") if change else None
        super().save_model(request, obj, form, change)
        if previous and obj.comments_close_at and obj.comments_close_at > previous:
            CommentPeriodExtension.objects.create(
                statement=obj, previous_close=previous, new_close=obj.comments_close_at, extended_by=request.user
            )

    @admin.action(description=_("Publish the selected statements now (or at their scheduled time)"))
    def publish(self, request, queryset):
        now = timezone.now()
        count = 0
        for statement in queryset.exclude(status=Statement.Status.PUBLISHED):
            statement.status = Statement.Status.PUBLISHED
            statement.published_at = statement.published_at or now
            statement.save(update_fields=["status", "published_at", "updated_at"])
            count += 1
        invalidate_public_pages()
        self.message_user(
            request,
            ngettext("%(count)d statement published.", "%(count)d statements published.", count) % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Withdraw the selected statements"))
    def withdraw(self, request, queryset):
        count = queryset.exclude(status=Statement.Status.WITHDRAWN).update(
            status=Statement.Status.WITHDRAWN, updated_at=timezone.now()
        )
        invalidate_public_pages()
        self.message_user(
            request,
            ngettext("%(count)d statement withdrawn.", "%(count)d statements withdrawn.", count) % {"count": count},
            messages.SUCCESS,
        )
