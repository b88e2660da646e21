"""Django admin for clinical records: searchable, with history, and no delete path."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from treatments.models import Indication, Patient


class NoDeleteAdminMixin:
    """Clinical records are voided, never deleted: the admin offers no delete at all."""

    def has_delete_permission(self, request, obj=None):
        return False

    # Django 6.1 passes an action_location (the one-argument signature is deprecated).
    def get_actions(self, request, action_location=admin.ActionLocation.CHANGE_LIST):
        actions = super().get_actions(request, action_location=action_location)
        actions.pop("delete_selected", None)
        return actions


@admin.register(Patient)
class PatientAdmin(NoDeleteAdminMixin, SimpleHistoryAdmin):
    list_display = ["mrn", "family_name", "given_name", "date_of_birth", "consent_on_file", "voided_at"]
    list_filter = ["sex", "indications", ("voided_at", admin.EmptyFieldListFilter)]
    search_fields = ["mrn", "family_name", "given_name"]
    readonly_fields = [
        "created_at",
        "created_by",
        "updated_at",
        "version",
        "voided_at",
        "voided_by",
        "void_reason",
    ]
    filter_horizontal = ["indications"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Indication)
class IndicationAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "order"]
    list_editable = ["order"]

    def has_delete_permission(self, request, obj=None):
        return False
