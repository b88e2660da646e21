"""The follow-up worklist, a follow-up's page, and the actions that work it (POST only)."""

from django.contrib import messages
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import DetailView, TemplateView

from clinic.mixins import RolePermissionMixin, apply_service
from treatments.filters.followups import WorklistFilter
from treatments.forms.followups import (
    FollowUpAttemptForm,
    FollowUpCancelForm,
    FollowUpCompleteForm,
    FollowUpRescheduleForm,
)
from treatments.forms.lookup import RecordNumberForm
from treatments.models import FollowUp
from treatments.models.followups import COUNT_CAP
from treatments.selectors.followups import SECTION_LIMIT, followup_attempts, followup_worklist
from treatments.selectors.history import record_history
from treatments.selectors.lookup import patient_with_record_number
from treatments.services.followup_actions import (
    followup_cancel,
    followup_complete,
    followup_record_attempt,
    followup_reschedule,
)

ACTION_FORMS = {
    "complete": FollowUpCompleteForm,
    "attempt": FollowUpAttemptForm,
    "reschedule": FollowUpRescheduleForm,
    "cancel": FollowUpCancelForm,
}


class FollowUpListView(RolePermissionMixin, TemplateView):
    """Due today, due this week, overdue, upcoming and recently completed as tabs with their counts,
    one section's page of rows below, with filters. Runs the same number of queries whatever the
    number of rows."""

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
            patient = patient_with_record_number(mrn=mrn)
            if patient is None:
                messages.error(request, f"No active patient has the record number “{mrn}”.")
            else:
                params["patient"] = str(patient.pk)
        url = reverse("followup_list")
        return redirect(f"{url}?{params.urlencode()}" if params else url)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        filters = WorklistFilter(self.request.GET or None)
        section = self.request.GET.get("section")
        try:
            page = int(self.request.GET.get("page", 1))
        except ValueError:
            page = 1
        worklist = followup_worklist(filters=filters, today=today, section=section, page=page)
        filters.offer_patients(worklist.patients)
        # The filters (ids and codes, never names) that the tab and pager links keep.
        kept = QueryDict(mutable=True)
        for name in filters.filters:
            if self.request.GET.get(name):
                kept[name] = self.request.GET[name]
        context.update(
            {
                "today": today,
                "filter_selects": filters.selects(),
                "record_form": RecordNumberForm(),
                "sections": worklist.sections,
                "section": worklist.section,
                "by_default": worklist.by_default,
                "can_change": self.request.user.has_perm("treatments.change_followup"),
                "section_limit": SECTION_LIMIT,
                "count_cap": COUNT_CAP,
                "filtered": filters.asked,
                "filter_query": kept.urlencode(),
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
        "attempts": followup_attempts(followup=followup),
        "forms": forms,
        "can_see_history": request.user.has_perm("treatments.view_history"),
    }
    if context["can_see_history"]:
        context["history"] = record_history(record=followup)
    return render(request, "treatments/followup_detail.html", context, status=status)


class FollowUpDetailView(RolePermissionMixin, DetailView):
    permission_required = "treatments.view_followup"

    def get_queryset(self):
        return FollowUp.objects.with_page_relations()

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
        followup = get_object_or_404(FollowUp.objects.with_page_relations(), pk=pk)
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
