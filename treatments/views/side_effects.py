"""Side-effect reports: list, report, amend, void, physician review queue and review, figures."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import CreateView, FormView, ListView, TemplateView, UpdateView

from clinic.form_parts import VoidForm
from clinic.mixins import RolePermissionMixin, ServiceFormMixin, apply_service
from treatments.filters.side_effects import SideEffectFilter
from treatments.forms.lookup import RecordNumberForm
from treatments.forms.side_effects import PeriodForm, ReviewForm, SideEffectReportForm
from treatments.models import AccessEvent, Patient, SideEffectReport
from treatments.selectors.history import record_history
from treatments.selectors.lookup import patient_with_record_number
from treatments.selectors.side_effect_figures import default_period, figures_page
from treatments.selectors.side_effects import (
    NO_SIGNED_TREATMENT,
    side_effect_administrations,
    side_effect_list,
    side_effect_review_queue,
    side_effect_treatments,
)
from treatments.services.access import access_record, access_record_many
from treatments.services.side_effects import (
    REVIEW_PERMISSION,
    side_effect_amend,
    side_effect_report,
    side_effect_review,
    side_effect_void,
)


class SideEffectListView(RolePermissionMixin, ListView):
    permission_required = "treatments.view_sideeffectreport"
    template_name = "treatments/sideeffect_list.html"
    context_object_name = "reports"
    paginate_by = 25

    def post(self, request, *args, **kwargs):
        """Report for a record number typed in: on to that patient's report form (by id)."""
        form = RecordNumberForm(request.POST)
        if form.is_valid():
            mrn = form.cleaned_data["mrn"].strip()
            patient = patient_with_record_number(mrn=mrn)
            if patient is not None:
                return redirect("sideeffect_create", patient_pk=patient.pk)
            messages.error(request, f"No active patient has the record number “{mrn}”.")
        return redirect("sideeffect_list")

    def get_queryset(self):
        self.today = timezone.localdate()
        self.filters = SideEffectFilter(self.request.GET or None, today=self.today)
        return side_effect_list(filters=self.filters)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        for report in context["reports"]:
            report.flagged = report.needs_review(self.today)
        listed(self.request.user, context["reports"])
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(
            {"filter_form": self.filters.form, "record_form": RecordNumberForm(), "query": query.urlencode()}
        )
        return context


class SideEffectCreateView(RolePermissionMixin, ServiceFormMixin, CreateView):
    permission_required = "treatments.add_sideeffectreport"
    form_class = SideEffectReportForm
    template_name = "treatments/sideeffect_form.html"
    success_message = "Side effect reported."

    def dispatch(self, request, *args, **kwargs):
        # The permission first: a user who sees no patient must not learn which ids exist (403 for
        # any id rather than 404 for the missing ones; found by the role matrix).
        if not self.has_permission():
            return self.handle_no_permission()
        self.patient = get_object_or_404(Patient.objects.active(), pk=kwargs["patient_pk"])
        # The form shows the patient's name and treatments: an access event, whatever follows.
        access_record(user=request.user, patient_id=self.patient.pk, action=AccessEvent.Action.VIEW)
        if not side_effect_treatments(patient=self.patient).exists():
            # Not a form with an empty treatment list: say why, and nothing is written on POST.
            return render(
                request,
                "treatments/sideeffect_form.html",
                {"patient": self.patient, "cannot_report": NO_SIGNED_TREATMENT},
                status=200 if request.method == "GET" else 409,
            )
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = SideEffectReport(patient=self.patient, reported_by=self.request.user)
        kwargs["patient"] = self.patient
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["patient"] = self.patient
        return context

    def perform(self, form):
        return side_effect_report(
            patient=self.patient,
            treatment=form.cleaned_data["treatment"],
            user=self.request.user,
            data=form.service_data(),
        )

    def get_success_url(self):
        return reverse("sideeffect_detail", args=[self.object.pk])


class SideEffectUpdateView(RolePermissionMixin, ServiceFormMixin, UpdateView):
    """An amendment: every field may change, with a reason; the history keeps the old values."""

    permission_required = "treatments.change_sideeffectreport"
    form_class = SideEffectReportForm
    template_name = "treatments/sideeffect_form.html"
    success_message = "Report amended."

    def get_queryset(self):
        return SideEffectReport.objects.with_page_relations().active()

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["patient"] = self.object.patient
        kwargs["amending"] = True
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["patient"] = self.object.patient
        # Each showing of the amendment form (the report and its patient): an access event.
        access_record(
            user=self.request.user, patient_id=self.object.patient_id, action=AccessEvent.Action.VIEW
        )
        return context

    def perform(self, form):
        # The form has set the new values on its instance already: the service gets the report as
        # stored, so it can tell what changed (a reviewed report's review reopens on a change).
        return side_effect_amend(
            report=SideEffectReport.objects.with_page_relations().get(pk=self.object.pk),
            user=self.request.user,
            data=form.service_data(),
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data.get("version"),
            treatment=form.cleaned_data["treatment"],
        )

    def get_success_url(self):
        return reverse("sideeffect_detail", args=[self.object.pk])


def listed(user, reports) -> None:
    """A list page of reports names their patients: one access event per patient listed, in one
    INSERT (as the follow-up worklist does)."""
    access_record_many(
        user=user,
        patient_ids=list(dict.fromkeys(report.patient_id for report in reports)),
        action=AccessEvent.Action.LIST,
    )


def report_page(request, report: SideEffectReport, *, review_form=None, status: int = 200):
    """The report's page (also after a refused review): an access event each time it is shown."""
    access_record(user=request.user, patient_id=report.patient_id, action=AccessEvent.Action.VIEW)
    today = timezone.localdate()
    can_review = request.user.has_perm(REVIEW_PERMISSION)
    context = {
        "report": report,
        "administrations": side_effect_administrations(report=report),
        "today": today,
        "review_reasons": report.review_reasons(today) if not report.is_voided else [],
        "needs_review": report.needs_review(today),
        "can_review": can_review and report.reviewed_at is None and not report.is_voided,
        "review_form": review_form or ReviewForm(initial={"version": report.version}),
        "can_see_history": request.user.has_perm("treatments.view_history"),
    }
    if context["can_see_history"]:
        context["history"] = record_history(record=report)
    return render(request, "treatments/sideeffect_detail.html", context, status=status)


class SideEffectDetailView(RolePermissionMixin, View):
    permission_required = "treatments.view_sideeffectreport"

    def get(self, request, pk):
        return report_page(request, get_object_or_404(SideEffectReport.objects.with_page_relations(), pk=pk))


class SideEffectVoidView(RolePermissionMixin, FormView):
    """Voiding removes a report from the figures and the review queue, a clinical judgement: it is
    left to physicians. GET shows the confirmation form; only POST voids."""

    permission_required = REVIEW_PERMISSION
    form_class = VoidForm
    template_name = "treatments/void_form.html"

    def dispatch(self, request, *args, **kwargs):
        if not self.has_permission():  # before the lookup, as on the report form
            return self.handle_no_permission()
        self.report = get_object_or_404(
            SideEffectReport.objects.with_page_relations().active(), pk=kwargs["pk"]
        )
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["record"] = self.report
        context["cancel_url"] = reverse("sideeffect_detail", args=[self.report.pk])
        return context

    def form_valid(self, form):
        def void():
            side_effect_void(report=self.report, user=self.request.user, reason=form.cleaned_data["reason"])

        if not apply_service(form, void):
            return self.form_invalid(form)
        messages.success(self.request, "Report voided. It is kept for audit and left out of the figures.")
        return redirect("sideeffect_detail", pk=self.report.pk)


class ReviewQueueView(RolePermissionMixin, ListView):
    """Reports waiting for a physician, most urgent first (serious, then grade 5 to 1, then oldest
    onset), each with why it is flagged."""

    permission_required = REVIEW_PERMISSION
    template_name = "treatments/sideeffect_review_queue.html"
    context_object_name = "reports"
    paginate_by = 50

    def get_queryset(self):
        self.today = timezone.localdate()
        return side_effect_review_queue(today=self.today)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        for report in context["reports"]:
            report.reasons = report.review_reasons(self.today)
        listed(self.request.user, context["reports"])
        context["today"] = self.today
        return context


class SideEffectReviewView(RolePermissionMixin, View):
    permission_required = REVIEW_PERMISSION
    http_method_names = ["post"]

    def post(self, request, pk):
        report = get_object_or_404(SideEffectReport.objects.with_page_relations(), pk=pk)
        form = ReviewForm(request.POST)
        if form.is_valid():

            def review():
                side_effect_review(
                    report=report,
                    user=request.user,
                    assessment=form.cleaned_data["assessment"],
                    action=form.cleaned_data["action"],
                    expected_version=form.cleaned_data["version"],
                )

            if apply_service(form, review):
                messages.success(request, "Review recorded.")
                return redirect("sideeffect_review_queue")
            report.refresh_from_db()
        return report_page(request, report, review_form=form)


class SideEffectFiguresView(RolePermissionMixin, TemplateView):
    permission_required = "treatments.view_sideeffectreport"
    template_name = "treatments/sideeffect_figures.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        start, end = default_period()
        form = PeriodForm(self.request.GET or None, initial={"start": start, "end": end})
        if form.is_bound and form.is_valid():
            start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        context["form"] = form
        context["figures"] = figures_page(start=start, end=end)
        return context
