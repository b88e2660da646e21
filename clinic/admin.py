"""Admin pieces shared by every app, and the user accounts: people who worked in the clinic are
deactivated, never deleted."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

User = get_user_model()


class ClinicUserAdmin(UserAdmin):
    def has_delete_permission(self, request, obj=None):
        # Attribution in the audit trail and the access log points at the account.
        return False


admin.site.unregister(User)
admin.site.register(User, ClinicUserAdmin)


class NoDeleteAdminMixin:
    """Records are voided, never deleted: the admin offers no delete at all."""

    def has_delete_permission(self, request, obj=None):
        return False

    # Django 6.1 passes an action_location (the one-argument signature is deprecated).
    def get_actions(self, request, action_location=admin.ActionLocation.CHANGE_LIST):
        actions = super().get_actions(request, action_location=action_location)
        actions.pop("delete_selected", None)
        return actions
