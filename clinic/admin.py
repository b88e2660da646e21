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


class LabelledListEditableMixin:
    """The inputs of ``list_editable`` columns carry no label in Django's change list (axe-core:
    "Form elements must have labels"): each gets one naming its column and row, e.g. "Order:
    Aftercare"."""

    def get_changelist_form(self, request, **kwargs):
        base = super().get_changelist_form(request, **kwargs)

        class LabelledForm(base):
            def __init__(self, *args, **form_kwargs):
                super().__init__(*args, **form_kwargs)
                for field in self.fields.values():
                    label = f"{field.label}: {self.instance}" if self.instance.pk else str(field.label)
                    field.widget.attrs.setdefault("aria-label", label)

        return LabelledForm
