"""The follow-up worklist, a follow-up's page, and the actions that work it (POST only)."""

from django.contrib import messages
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import DetailView, TemplateView

from clinic.mixins import RolePermissionMixin, apply_service
from clinic.roles import PHYSICIAN, roles_of
from faq.links import CHECK_IN, THREE_MONTH
from treatments.filters.followups import WorklistFilter
from treatments.forms.followups import (
    FollowUpAcknowledgeForm,
    FollowUpAttemptForm,
    FollowUpCancelForm,
    FollowUpCompleteForm,
    FollowUpRescheduleForm,
)
from treatments.forms.lookup import RecordNumberForm
from treatments.models import AccessEvent, FollowUp, StepKind
from treatments.models.followup_worklist import COUNT_CAP
from treatments.selectors.followups import SECTION_LIMIT, followup_attempts, followup_worklist
from treatments.selectors.history import record_history
from treatments.selectors.lookup import patient_with_record_number
from treatments.services.access import access_record, access_record_many
from treatments.services.followup_actions import (
    ACTIONS,
    ASSESSMENT_REFUSAL,
    action_refusal,
    allowed_actions_for,
    followup_acknowledge_missed,
    followup_cancel,
    followup_complete,
    followup_record_attempt,
    followup_reschedule,
)

ACTION_FORMS = {
    "acknowledge": FollowUpAcknowledgeForm,
    "complete": FollowUpCompleteForm,
    "attempt": FollowUpAttemptForm,
    "reschedule": FollowUpRescheduleForm,
    "cancel": FollowUpCancelForm,
}
# The FAQ entries a follow-up's page lists ("Patient questions on this"), by the step's kind: the
# questions patients ask on the day 1-3 call and at the 3-month assessment (faq.links).
FAQ_TAGS = {StepKind.CHECK_IN: CHECK_IN, StepKind.THREE_MONTH: THREE_MONTH}


def worklist_filters(request) -> tuple[WorklistFilter, bool]:
    """The worklist's filters from the request (the page's and its download's), and whether the
    physician's own default applies: a physician sees their own patients unless they chose otherwise
    (any physician, or all: an empty "physician" in the URL) or asked for one patient, a visible,
    removable default."""
    data = request.GET.copy()
    user = request.user
    own_default = PHYSICIAN in roles_of(user) and "physician" not in data and not data.get("patient")
    if own_default:
        data["physician"] = str(user.pk)
    return WorklistFilter(data), own_default


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
            # an empty physician is kept: "all physicians" chosen over a physician's own default
            if request.GET.get(name) or (name == "physician" and name in request.GET):
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
        user = self.request.user
        filters, own_default = worklist_filters(self.request)
        section = self.request.GET.get("section")
        try:
            page = int(self.request.GET.get("page", 1))
        except ValueError:
            page = 1
        worklist = followup_worklist(filters=filters, today=today, section=section, page=page, user=user)
        filters.offer_patients(worklist.patients)
        # The rows show names, record numbers and phones: one access event per patient listed,
        # in one INSERT (see docs/ARCHITECTURE.md, "Access events").
        access_record_many(
            user=user,
            patient_ids=list(dict.fromkeys(row.patient.pk for row in worklist.section.rows)),
            action=AccessEvent.Action.LIST,
        )
        # The filters (ids and codes, never names) that the tab and pager links keep; the
        # physician's default stays implicit, "all physicians" chosen over it stays explicit.
        kept = QueryDict(mutable=True)
        for name in filters.filters:
            if self.request.GET.get(name) or (name == "physician" and name in self.request.GET):
                kept[name] = self.request.GET[name]
        everyone = kept.copy()
        everyone["physician"] = ""
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
                "own_default": own_default,
                "all_query": everyone.urlencode(),
                "clear_query": "physician=" if PHYSICIAN in roles_of(user) else "",
                "record_query": "&".join(
                    f"{name}={kept[name]}" for name in ("physician", "kind") if name in kept
                ),
            }
        )
        return context


def followup_page(request, followup: FollowUp, *, action: str | None = None, bound=None, status: int = 200):
    """The follow-up's page with one action's form: the one asked for (``?action=``, from a row
    or a tab), the one that was sent with errors, or the primary action the user may take. Only
    the actions the user may take are offered (action_refusal, as the services decide)."""
    user = request.user
    allowed = allowed_actions_for(user=user, followup=followup)
    refusals, notice, refused_form = [], "", None
    if bound is not None:
        action, form = bound
        if action not in allowed:
            refused_form = form
            # Refused meanwhile (e.g. someone cancelled it): say why, offer what is left.
            refusals = list(form.non_field_errors()) or [
                action_refusal(
                    user=user,
                    action=action,
                    status=followup.status,
                    is_assessment=followup.is_assessment,
                    voided=followup.is_voided,
                    missed_seen=followup.missed_seen_at is not None,
                )
            ]
            action, form = None, None
    else:
        form = None
        if action in ACTIONS and action not in allowed:
            notice = action_refusal(
                user=user,
                action=action,
                status=followup.status,
                is_assessment=followup.is_assessment,
                voided=followup.is_voided,
                missed_seen=followup.missed_seen_at is not None,
            )
            action = None
    if form is None:
        action = action if action in allowed else (allowed[0] if allowed else None)
        form = ACTION_FORMS[action](followup=followup) if action else None
    access_record(user=user, patient_id=followup.patient_id, action=AccessEvent.Action.VIEW)
    timing = followup.timing()
    assessment_note = (
        followup.is_assessment
        and followup.can_be_completed
        and "complete" not in allowed
        and user.has_perm("treatments.change_followup")
    )
    context = {
        "followup": followup,
        "refusals": refusals,
        "refused_form": refused_form,  # (its errors are moot: the action is no longer offered)
        "notice": notice,
        "assessment_note": ASSESSMENT_REFUSAL if assessment_note else "",
        "today": timezone.localdate(),
        "timing": timing,
        "overdue_days": followup.days_overdue(),
        "attempts": followup_attempts(followup=followup),
        "tabs": [(key, ACTIONS[key]) for key in allowed],
        "action": action,
        "form": form,
        "faq_tag": FAQ_TAGS.get(followup.kind, ""),
        "can_see_history": user.has_perm("treatments.view_history"),
    }
    if context["can_see_history"]:
        context["history"] = record_history(record=followup)
    return render(request, "treatments/followup_detail.html", context, status=status)


class FollowUpDetailView(RolePermissionMixin, DetailView):
    permission_required = "treatments.view_followup"

    def get_queryset(self):
        return FollowUp.objects.with_page_relations()

    def get(self, request, *args, **kwargs):
        return followup_page(request, self.get_object(), action=request.GET.get("action"))


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
        return followup_page(request, followup, bound=(self.action, form))


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


class FollowUpAcknowledgeView(FollowUpActionView):
    """A physician has seen the missed follow-up (the service refuses everyone else)."""

    permission_required = "treatments.acknowledge_missed"
    action = "acknowledge"
    success_message = "Marked as seen: the follow-up has left the Missed section."

    def perform(self, followup, form):
        followup_acknowledge_missed(
            followup=followup, user=self.request.user, expected_version=form.cleaned_data["version"]
        )
