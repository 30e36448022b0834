from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from . import delivery
from .models import Message


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    """What waits, what was sent and what failed; read-only. The text itself is not shown (reset links)."""

    list_display = ["created_at", "subject", "recipients", "status", "attempts", "next_attempt_at", "sent_at"]
    list_filter = ["status"]
    search_fields = ["subject"]
    fields = ["created_at", "status", "from_email", "to", "cc", "bcc", "subject", "attempts"]
    fields += ["next_attempt_at", "sent_at", "last_error"]
    readonly_fields = fields
    actions = ["send_again"]

    @admin.display(description=_("to"))
    def recipients(self, message):
        return ", ".join(message.to)

    @admin.action(description=_("Send the selected emails that were given up again"))
    def send_again(self, request, queryset):
        delivery.requeue_failed(queryset)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser
