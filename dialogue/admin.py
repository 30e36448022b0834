"""The conversation in the Django admin: read-mostly. Decisions are made in the moderation pages,
where they are locked, checked and logged; the audit log cannot be changed here."""

from django.contrib import admin

from . import services
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


@admin.register(Organisation)
class OrganisationAdmin(ReadOnlyAdmin):
    """Verified or declined in the moderators' pages (with a note), never here."""

    list_display = ["name", "country", "sector", "status", "registry_id", "decided_at"]
    list_filter = ["status", "country", "sector"]
    search_fields = ["name", "registry_id"]
