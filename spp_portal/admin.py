"""
Accounts in the admin: Django's own user and group pages, except that changing who holds which
rights asks the official for their password again first (allauth's reauthentication, valid for
ACCOUNT_REAUTHENTICATION_TIMEOUT), as publishing and bulk moderation decisions do.
"""

from allauth.account.decorators import reauthentication_required
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.utils.decorators import method_decorator

# Reading is free; every POST (a saved form, a deletion, a bulk action, a new password) needs it.
changes_rights = method_decorator(reauthentication_required(allow_get=True))


class ReauthenticateToChangeRights:
    @changes_rights
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return super().changeform_view(request, object_id, form_url, extra_context)

    @changes_rights
    def delete_view(self, request, object_id, extra_context=None):
        return super().delete_view(request, object_id, extra_context)

    @changes_rights
    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, extra_context)


class PortalUserAdmin(ReauthenticateToChangeRights, UserAdmin):
    @changes_rights
    def user_change_password(self, request, id, form_url=""):
        return super().user_change_password(request, id, form_url)


class PortalGroupAdmin(ReauthenticateToChangeRights, GroupAdmin):
    pass


User = get_user_model()
admin.site.unregister(User)
admin.site.register(User, PortalUserAdmin)
admin.site.unregister(Group)
admin.site.register(Group, PortalGroupAdmin)
