"""Django admin for protocol versions and their follow-up steps, saved together through
``protocol_save``; steps are never deleted."""

from django.contrib import admin

from treatments.admin.base import ServiceAdmin
from treatments.models import FollowUpStep, Protocol
from treatments.services.protocol import protocol_save


class FollowUpStepInline(admin.TabularInline):
    model = FollowUpStep
    extra = 0
    fields = [
        "order",
        "name",
        "kind",
        "offset_days",
        "window_before_days",
        "window_after_days",
        "optional",
        "is_assessment",
    ]

    def has_delete_permission(self, request, obj=None):
        # Follow-ups already scheduled point at their step: steps are kept, never deleted.
        return False


@admin.register(Protocol)
class ProtocolAdmin(ServiceAdmin):
    list_display = [
        "name",
        "effective_from",
        "max_dose_billion",
        "default_concentration",
        "expected_side_effect_days",
        "anti_inflammatory_pause_days_after",
    ]
    search_fields = ["name", "notes"]
    list_filter = [("effective_from", admin.DateFieldListFilter)]
    inlines = [FollowUpStepInline]

    def save_through_service(self, request, form, formsets, change):
        # New and changed steps only (the inline offers no delete).
        steps = [step for formset in formsets for step in formset.save(commit=False)]
        protocol_save(
            protocol=form.instance,
            user=request.user,
            steps=steps,
            expected_version=form.cleaned_data.get("version"),
            reason=self.reason(change),
        )

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            "subtitle": "A treatment is judged by the version in force on its date. To change the rules "
            "from a date on, add a version with that date rather than editing the one in force.",
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context)
