"""Admin for user accounts: people who worked in the clinic are deactivated, never deleted."""

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
