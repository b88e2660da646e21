"""The follow-up worklist, a follow-up's page, and the actions that work it (POST only)."""

from django.contrib import messages
from django.db.models import F
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import DetailView, TemplateView

from clinic.mixins import RolePermissionMixin, apply_service
from treatments.forms.followups import (
    FollowUpAttemptForm,
    FollowUpCancelForm,
    FollowUpCompleteForm,
    FollowUpRescheduleForm,
    WorklistFilterForm,
)
from treatments.forms.lookup import RecordNumberForm
from treatments.models import FollowUp, Patient
from treatments.selectors.history import record_history
from treatments.services.followup_actions import (
    followup_cancel,
    followup_complete,
    followup_record_attempt,
    followup_reschedule,
)

# Rows shown per worklist section; the section's full count is always shown, filters narrow it.
SECTION_LIMIT = 100
FILTER_PARAMS = ("physician", "kind", "patient")
ACTION_FORMS = {
    "complete": FollowUpCompleteForm,
    "attempt": FollowUpAttemptForm,
    "reschedule": FollowUpRescheduleForm,
    "cancel": FollowUpCancelForm,
}


class FollowUpListView(RolePermissionMixin, TemplateView):
    """Due today, due this week, overdue, upcoming and recently completed, with filters. Runs the
    same number of queries whatever the number of rows."""

    permission_required = "treatments.view_followup"
    template_name = "treatments/followup_list.html"

    def post(self, request, *args, **kwargs):
        """A typed record number becomes the patient's id in the URL (never the number itself)."""
        params = QueryDict(mutable=True)
        for name in ("physician", "kind"):
            if request.GET.get(name):
                params[name] = request.GET[name]
        form = RecordNumberForm(request.POST)
        if form.is_valid():
            mrn = form.cleaned_data["mrn"].strip()
            patient = Patient.objects.active().filter(mrn__iexact=mrn).only("pk").first()
            if patient is None:
                messages.error(request, f"No active patient has the record number “{mrn}”.")
            else:
                params["patient"] = str(patient.pk)
        url = reverse("followup_list")
        return redirect(f"{url}?{params.urlencode()}" if params else url)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        form = WorklistFilterForm(self.request.GET or None, patients=Patient.objects.active())
        followups = FollowUp.objects.all()
        if form.is_bound and form.is_valid():
            if form.cleaned_data["physician"]:
                followups = followups.for_physician(form.cleaned_data["physician"])
            if form.cleaned_data["kind"]:
                followups = followups.filter(kind=form.cleaned_data["kind"])
            if form.cleaned_data["patient"]:
                followups = followups.filter(patient=form.cleaned_data["patient"])
        counts = followups.worklist_counts(today)
        rows = followups.with_worklist_relations()
        sections = [
            ("due_today", "Due today", "Due date reached, window still open.", rows.due_today(today)),
            ("due_this_week", "Due this week", "The next six days.", rows.due_this_week(today)),
            (
                "overdue",
                "Overdue",
                "The window has closed and nobody reached the patient.",
                rows.overdue(today),
            ),
            ("upcoming", "Upcoming", "Due in the next 30 days, after this week.", rows.upcoming(today)),
            (
                "recent",
                "Recently completed",
                "Completed or missed in the last 14 days.",
                rows.recently_closed(today),
            ),
        ]
        order = {
            "overdue": ["window_end", "due_on", "id"],
            "recent": [F("completed_at").desc(nulls_last=True), "-due_on", "-id"],
        }
        shown = []
        for key, title, help_text, queryset in sections:
            items = list(queryset.order_by(*order.get(key, ["due_on", "id"]))[:SECTION_LIMIT])
            for item in items:
                item.overdue_days = item.days_overdue(today)
                item.days_since_due = (today - item.due_on).days if item.is_open else 0
            count = counts.get(key, len(items))
            shown.append({"key": key, "title": title, "help": help_text, "rows": items, "count": count})
        # The patient select offers the patients on the open sections (no query of its own).
        patients = {row.patient.pk: row.patient for section in shown[:4] for row in section["rows"]}
        if form.is_bound and form.is_valid() and form.cleaned_data["patient"]:
            chosen = form.cleaned_data["patient"]
            patients[chosen.pk] = chosen
        label = form.fields["patient"].label_from_instance
        form.fields["patient"].choices = [("", "All patients")] + [
            (patient.pk, label(patient))
            for patient in sorted(patients.values(), key=lambda p: (p.family_name, p.given_name, p.pk))
        ]
        context.update(
            {
                "today": today,
                "filter_form": form,
                "record_form": RecordNumberForm(),
                "sections": shown,
                "section_limit": SECTION_LIMIT,
                "filtered": any(self.request.GET.get(name) for name in FILTER_PARAMS),
            }
        )
        return context


def followup_page(request, followup: FollowUp, *, bound: dict | None = None, status: int = 200):
    """The follow-up's page, with one action form bound (after an error) and the others fresh."""
    forms = {key: form_class(followup=followup) for key, form_class in ACTION_FORMS.items()}
    forms.update(bound or {})
    # A refusal (e.g. "this follow-up is cancelled") must show even when its form no longer does.
    shown = dict.fromkeys(ACTION_FORMS, followup.is_open) | {"complete": followup.can_be_completed}
    refusals = [
        error for key, form in (bound or {}).items() if not shown[key] for error in form.non_field_errors()
    ]
    context = {
        "followup": followup,
        "refusals": refusals,
        "today": timezone.localdate(),
        "overdue_days": followup.days_overdue(),
        "attempts": list(followup.attempts.select_related("by")),
        "forms": forms,
        "can_see_history": request.user.has_perm("treatments.view_history"),
    }
    if context["can_see_history"]:
        context["history"] = record_history(record=followup)
    return render(request, "treatments/followup_detail.html", context, status=status)


def followup_queryset():
    return FollowUp.objects.select_related(
        "patient", "step", "treatment__physician", "completed_by", "created_by", "voided_by"
    )


class FollowUpDetailView(RolePermissionMixin, DetailView):
    permission_required = "treatments.view_followup"

    def get_queryset(self):
        return followup_queryset()

    def get(self, request, *args, **kwargs):
        return followup_page(request, self.get_object())


class FollowUpActionView(RolePermissionMixin, View):
    """Base of the actions: POST only; a rule or stale-form error shows the page again with the
    form as it was sent and the message on it. Subclasses name their ``action`` and define
    ``perform(followup, form)``, which calls the service."""

    permission_required = "treatments.change_followup"
    http_method_names = ["post"]
    action = ""
    success_message = ""

    def post(self, request, pk):
        followup = get_object_or_404(followup_queryset(), pk=pk)
        form = ACTION_FORMS[self.action](request.POST, followup=followup)
        if form.is_valid():
            if apply_service(form, lambda: self.perform(followup, form)):
                messages.success(request, self.success_message)
                return redirect("followup_detail", pk=followup.pk)
            followup.refresh_from_db()  # the page shows the record as it is now
        return followup_page(request, followup, bound={self.action: form})


class FollowUpCompleteView(FollowUpActionView):
    action = "complete"
    success_message = "Follow-up completed."

    def perform(self, followup, form):
        followup_complete(
            followup=followup,
            user=self.request.user,
            data=form.service_data(),
            completed_at=form.cleaned_data["completed_at"],
            expected_version=form.cleaned_data["version"],
        )


class FollowUpAttemptView(FollowUpActionView):
    action = "attempt"

    def perform(self, followup, form):
        data = form.cleaned_data
        followup_record_attempt(
            followup=followup,
            user=self.request.user,
            contact=data["contact"],
            outcome=data["outcome"],
            notes=data["notes"],
            mark_missed=data["mark_missed"],
            expected_version=data["version"],
        )
        self.success_message = (
            "Attempt recorded; the follow-up is marked missed."
            if data["mark_missed"]
            else "Attempt recorded."
        )


class FollowUpCancelView(FollowUpActionView):
    action = "cancel"
    success_message = "Follow-up cancelled."

    def perform(self, followup, form):
        followup_cancel(
            followup=followup,
            user=self.request.user,
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data["version"],
        )


class FollowUpRescheduleView(FollowUpActionView):
    action = "reschedule"
    success_message = "Follow-up rescheduled."

    def perform(self, followup, form):
        followup_reschedule(
            followup=followup,
            user=self.request.user,
            new_due=form.cleaned_data["new_due"],
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data["version"],
        )
