"""Django admin for follow-ups, side-effect reports and calendar feeds: searchable by record number,
with history, never a delete, and read-only. Follow-ups and reports are written on the clinical
pages, through services whose rules (reasons, reopening a review, the expected resolution date)
the admin's plain form would skip."""

from django.contrib import admin

from treatments.admin.base import ATTRIBUTION_FIELDS, ReadOnlyClinicalAdmin
from treatments.models import CalendarFeed, FollowUp, FollowUpAttempt, SideEffectReport


class FollowUpAttemptInline(admin.TabularInline):
    model = FollowUpAttempt
    fields = ["at", "by", "contact", "outcome", "notes"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(FollowUp)
class FollowUpAdmin(ReadOnlyClinicalAdmin):
    pages_note = (
        "Read-only: follow-ups are scheduled when a treatment is signed, and recorded, rescheduled "
        "or cancelled on the follow-up pages, where every rule is checked."
    )
    patient_attname = "patient_id"
    list_display = ["step_name", "patient", "due_on", "window_start", "window_end", "status", "completed_at"]
    list_filter = [
        "status",
        "kind",
        "is_assessment",
        "decision",
        ("due_on", admin.DateFieldListFilter),
        ("voided_at", admin.EmptyFieldListFilter),
    ]
    search_fields = ["patient__mrn"]
    list_select_related = ["patient"]
    raw_id_fields = ["treatment", "patient", "step", "completed_by"]
    readonly_fields = [*ATTRIBUTION_FIELDS, "attempt_count"]
    object_select_related = ("treatment", "patient", "step", "completed_by", "missed_seen_by")
    inlines = [FollowUpAttemptInline]

    @admin.display(description="contact attempts")
    def attempt_count(self, obj):
        return obj.attempts.count() if obj.pk else 0


@admin.register(SideEffectReport)
class SideEffectReportAdmin(ReadOnlyClinicalAdmin):
    pages_note = (
        "Read-only: side-effect reports are reported, amended (with a reason), voided and reviewed "
        "on the clinical pages, where every rule is checked."
    )
    patient_attname = "patient_id"
    list_display = ["term", "patient", "onset", "resolved_on", "grade", "outcome", "reviewed_at", "voided_at"]
    list_filter = [
        "grade",
        "term",
        "outcome",
        ("onset", admin.DateFieldListFilter),
        ("reviewed_at", admin.EmptyFieldListFilter),
        ("resolved_on", admin.EmptyFieldListFilter),
        ("voided_at", admin.EmptyFieldListFilter),
    ]
    search_fields = ["patient__mrn"]
    list_select_related = ["patient"]
    raw_id_fields = ["patient", "treatment", "reported_by"]
    object_select_related = ("patient", "treatment", "reported_by", "reviewed_by")
    readonly_fields = [
        *ATTRIBUTION_FIELDS,
        "expected_resolution_by",
        "reviewed_at",
        "reviewed_by",
        "review_assessment",
        "review_action",
    ]


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    """Links are made and revoked by their owners; the admin only lists them (the token column
    holds a digest, never a usable link)."""

    list_display = ["user", "created_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__username"]
    fields = ["user", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
