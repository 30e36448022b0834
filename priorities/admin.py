"""Publishing in the Django admin: statements with their directives, translations side by side."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db import transaction
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin, TranslationTabularInline

from pagecache.cache import invalidate_public_pages

from .languages import language_in_sentence
from .models import (
    CommentPeriodExtension,
    Directive,
    Priority,
    ProgressNote,
    PublicationWithoutLanguage,
    Statement,
)


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


class StatementAdminForm(forms.ModelForm):
    """
    Translation parity: a statement becoming published with no official title and body in one of
    the three languages needs the publisher's explicit "publish without" for that language.
    """

    publish_without_en = forms.BooleanField(required=False)
    publish_without_fr = forms.BooleanField(required=False)
    publish_without_es = forms.BooleanField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Labels in the publisher's language, so built per request rather than at import.
        for code, _name in settings.LANGUAGES:
            field = self.fields.get(f"publish_without_{code}")
            if field is not None:
                field.label = gettext("Publish without an official %(language)s version") % {
                    "language": language_in_sentence(code)
                }
                field.help_text = gettext(
                    "Needed only when this language has no title or body. Your confirmation is recorded."
                )
        self.confirmed_missing: list[str] = []

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("status") != Statement.Status.PUBLISHED or self.initial.get("status") == cleaned["status"]:
            return cleaned
        texts = {
            f"{field}_{code}": cleaned.get(f"{field}_{code}")
            for field in ("title", "body")
            for code, _n in settings.LANGUAGES
        }
        missing = Statement(**texts).missing_languages()
        for code in missing:
            if not cleaned.get(f"publish_without_{code}"):
                self.add_error(
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
        self.confirmed_missing = missing
        return cleaned


class PublicationWithoutLanguageInline(admin.TabularInline):
    """The recorded "publish without" confirmations: read-only, they are the record."""

    model = PublicationWithoutLanguage
    extra = 0
    fields = ["language", "confirmed_by", "confirmed_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Statement)
class StatementAdmin(InvalidatesPublicPages, TranslationAdmin):
    form = StatementAdminForm
    list_display = ["title", "status", "published_at", "release_date", "comments_open_at", "comments_close_at"]
    list_filter = ["status", "priorities", "release_date", "original_language"]
    search_fields = ["title", "summary", "body"]
    date_hierarchy = "release_date"
    prepopulated_fields = {"slug": ["title_en"]}
    filter_horizontal = ["priorities"]
    inlines = [DirectiveInline, PublicationWithoutLanguageInline]
    actions = ["publish", "withdraw"]
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "summary", "body", "original_language", "priorities"]}),
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
                    ("publish_without_en", "publish_without_fr", "publish_without_es"),
                    "created_at",
                    "updated_at",
                ]
            },
        ),
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
        PublicationWithoutLanguage.objects.bulk_create(
            PublicationWithoutLanguage(statement=obj, language=code, confirmed_by=request.user)
            for code in getattr(form, "confirmed_missing", [])
        )

    @admin.action(description=_("Publish the selected statements now (or at their scheduled time)"))
    def publish(self, request, queryset):
        """Publish; a statement missing a language first goes through the "publish without" confirmation."""
        statements = list(queryset.exclude(status=Statement.Status.PUBLISHED))
        missing = {statement.pk: statement.missing_languages() for statement in statements}
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
        now = timezone.now()
        count = skipped = 0
        with transaction.atomic():
            for statement in statements:
                if any(f"{statement.pk}:{code}" not in confirmed for code in missing[statement.pk]):
                    skipped += 1
                    continue
                statement.status = Statement.Status.PUBLISHED
                statement.published_at = statement.published_at or now
                statement.save(update_fields=["status", "published_at", "updated_at"])
                PublicationWithoutLanguage.objects.bulk_create(
                    PublicationWithoutLanguage(statement=statement, language=code, confirmed_by=request.user)
                    for code in missing[statement.pk]
                )
                count += 1
        invalidate_public_pages()
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
