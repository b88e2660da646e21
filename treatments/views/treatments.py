"""Treatment pages: record (draft), view, print, sign, amend and void."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.views import View
from django.views.generic import DetailView, FormView

from clinic.formats import day as format_day
from clinic.mixins import RolePermissionMixin, apply_service
from clinic.roles import PHYSICIAN, roles_of
from treatments.forms.treatments import (
    AdministrationFormSet,
    ReasonForm,
    SignForm,
    TreatmentForm,
    lot_options,
)
from treatments.models import (
    AccessEvent,
    Administration,
    Protocol,
    Treatment,
    TreatmentStatus,
)
from treatments.selectors.patients import patient_for_page
from treatments.selectors.safety import patient_safety, suggested_course_position
from treatments.selectors.treatments import (
    treatment_administrations_to_sign,
    treatment_histories,
    treatment_page,
    treatment_print,
    treatments_for_page,
    treatments_for_print,
)
from treatments.services.access import access_record
from treatments.services.signing import (
    can_void,
    sign_problems,
    treatment_amend,
    treatment_sign,
    treatment_void,
)
from treatments.services.treatments import treatment_save
from treatments.views.documents import document_response

READ_ONLY_MESSAGE = (
    "This treatment is {status} and read-only. To change it, start an amendment with a reason."
)


class TreatmentFormView(RolePermissionMixin, View):
    """Shared by the create and edit pages: the visit form plus its administrations formset.
    Subclasses define ``get_treatment()``: a new draft for the patient, or the draft being edited."""

    template_name = "treatments/treatment_form.html"

    def initial(self) -> dict:
        return {}

    def dispatch(self, request, *args, **kwargs):
        if not self.has_permission():
            return self.handle_no_permission()
        self.treatment = self.get_treatment()
        if self.treatment.pk and self.treatment.status != TreatmentStatus.DRAFT:
            status = self.treatment.get_status_display().lower()
            messages.warning(request, READ_ONLY_MESSAGE.format(status=status))
            return redirect(self.treatment.get_absolute_url())
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def protocol(self) -> Protocol:
        day = self.treatment.treatment_date if self.treatment.performed_at else timezone.localdate()
        return Protocol.objects.in_force_on(day)

    @cached_property
    def safety(self) -> dict:
        return patient_safety(patient=self.treatment.patient, protocol=self.protocol)

    def build(self, data=None):
        treatment = self.treatment
        formset = AdministrationFormSet(
            data, instance=treatment, queryset=Administration.objects.active(), prefix="administrations"
        )
        # The formset's own read of the draft's administrations (one query, kept for its forms)
        # names the lots the draft holds, which stay choosable; the forms are built after this.
        keep = [administration.lot_id for administration in formset.get_queryset()]
        choices, lot_data = lot_options(timezone.localdate(), keep)
        formset.form_kwargs = {
            "lot_choices": choices,
            "lot_data": lot_data,
            "default_lot": choices[1][0] if len(choices) > 1 else None,
        }
        form = TreatmentForm(
            data,
            instance=treatment,
            initial=self.initial() if data is None else {},
            physician_field=PHYSICIAN not in roles_of(self.request.user),
        )
        if data is None and not treatment.pk:
            # Time, indication and course are filled in: the first thing to choose is the route.
            formset.forms[0].fields["route"].widget.attrs["autofocus"] = True
        return form, formset, lot_data

    def render_page(self, form, formset, lot_data):
        context = {
            "form": form,
            "formset": formset,
            "treatment": self.treatment,
            "patient": self.treatment.patient,
            "safety": self.safety,
            "lot_data": lot_data,
            "max_dose": str(self.protocol.max_dose_billion),
            "can_sign": self.request.user.has_perm("treatments.sign_treatment"),
        }
        return render(self.request, self.template_name, context)

    def get(self, request, *args, **kwargs):
        return self.render_page(*self.build())

    def post(self, request, *args, **kwargs):
        form, formset, lot_data = self.build(request.POST)
        if form.is_valid() and formset.is_valid():
            kept = [
                f.instance
                for f in formset.forms
                if not f.cleaned_data.get("DELETE") and (f.instance.pk or f.has_changed())
            ]
            versions = {f.instance.pk: f.cleaned_data.get("version") for f in formset.forms if f.instance.pk}
            saved = {}

            def save():
                saved["treatment"] = treatment_save(
                    treatment=form.instance,
                    user=request.user,
                    administrations=kept,
                    expected_version=form.cleaned_data.get("version"),
                    administration_versions=versions,
                )

            if apply_service(form, save):
                if "then_sign" in request.POST:
                    return redirect("treatment_sign", saved["treatment"].pk)
                messages.success(request, "Treatment saved as a draft. Check it, then a physician signs it.")
                return redirect(saved["treatment"].get_absolute_url())
        return self.render_page(form, formset, lot_data)


class TreatmentCreateView(TreatmentFormView):
    permission_required = "treatments.add_treatment"

    def get_treatment(self):
        # The patient with its indications in one query: the first is the form's default.
        patient = patient_for_page(pk=self.kwargs["patient_pk"])
        if patient is None or patient.is_voided:
            raise Http404("No such patient.")
        treatment = Treatment(patient=patient)
        if PHYSICIAN in roles_of(self.request.user):
            treatment.physician = self.request.user
        return treatment

    def initial(self):
        indications = self.treatment.patient.page_indications
        return {
            "performed_at": timezone.localtime().replace(second=0, microsecond=0),
            "indication": indications[0] if indications else None,
            "course_position": suggested_course_position(safety=self.safety),
        }

    def render_page(self, form, formset, lot_data):
        plans = self.safety["pending_plans"]
        if plans:
            plan = plans[-1]
            form.fields["course_position"].help_text = (
                f"From the pending treatment plan: {plan.get_decision_display().lower()}, decided on "
                f"{format_day(plan.completed_at)}."
            )
        return super().render_page(form, formset, lot_data)


class TreatmentUpdateView(TreatmentFormView):
    permission_required = "treatments.change_treatment"

    def get_treatment(self):
        return get_object_or_404(treatments_for_page(), pk=self.kwargs["pk"])


class TreatmentDetailView(RolePermissionMixin, DetailView):
    permission_required = "treatments.view_treatment"
    template_name = "treatments/treatment_detail.html"
    context_object_name = "treatment"

    def get_queryset(self):
        return treatments_for_page()

    def get_object(self, queryset=None):
        treatment = super().get_object(queryset)
        access_record(user=self.request.user, patient_id=treatment.patient_id, action=AccessEvent.Action.VIEW)
        return treatment

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        treatment, user = self.object, self.request.user
        context.update(treatment_page(treatment=treatment))
        context.update(
            can_edit=treatment.is_editable and user.has_perm("treatments.change_treatment"),
            can_sign=treatment.is_editable and user.has_perm("treatments.sign_treatment"),
            can_amend=treatment.status == TreatmentStatus.SIGNED
            and context["amendment"] is None
            and user.has_perm("treatments.change_treatment"),
            can_void=can_void(treatment, user),
            can_see_history=user.has_perm("treatments.view_history"),
        )
        if context["can_see_history"]:
            context["histories"] = treatment_histories(treatment=treatment)
        return context


class TreatmentPrintView(RolePermissionMixin, View):
    """The treatment record on one A4 page: the clinic, the patient, every administration, the
    signature, the amendments and the void. Drafts and voided records print too, marked as such."""

    permission_required = "treatments.view_treatment"
    template_name = "treatments/treatment_print.html"
    pdf = False

    def get(self, request, pk):
        treatment = get_object_or_404(treatments_for_print(), pk=pk)
        access_record(user=request.user, patient_id=treatment.patient_id, action=AccessEvent.Action.PRINT)
        context = {
            "treatment": treatment,
            "patient": treatment.patient,
            **treatment_print(treatment=treatment),
            "clinic_name": settings.CLINIC_NAME,
            "clinic_phone": settings.CLINIC_PHONE,
            "printed_at": timezone.now(),
            "pdf": self.pdf,
        }
        html = render_to_string(self.template_name, context, request=request)
        return document_response(request, html, pdf=self.pdf, filename=f"treatment-{treatment.pk}.pdf")


class TreatmentPrintPdfView(TreatmentPrintView):
    pdf = True


class TreatmentActionView(RolePermissionMixin, FormView):
    """A state change on one treatment: GET shows the confirmation form, only POST changes anything."""

    @cached_property
    def treatment(self):
        return get_object_or_404(treatments_for_page(), pk=self.kwargs["pk"])

    def get_initial(self):
        return {"version": self.treatment.version}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["treatment"] = self.treatment
        context["record"] = self.treatment
        context["cancel_url"] = self.treatment.get_absolute_url()
        return context

    def form_valid(self, form):
        result = {}

        def write():
            result["record"] = self.perform(form)

        if not apply_service(form, write):
            return self.form_invalid(form)
        return redirect(self.success_url_for(result["record"]))

    def success_url_for(self, result):
        return result.get_absolute_url()


class TreatmentSignView(TreatmentActionView):
    permission_required = "treatments.sign_treatment"
    form_class = SignForm
    template_name = "treatments/treatment_sign.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["problems"] = sign_problems(self.treatment, self.request.user)
        context["administrations"] = treatment_administrations_to_sign(treatment=self.treatment)
        protocol = Protocol.objects.in_force_on(self.treatment.treatment_date)
        context["safety"] = patient_safety(patient=self.treatment.patient, protocol=protocol)
        return context

    def perform(self, form):
        treatment = treatment_sign(
            treatment=self.treatment,
            user=self.request.user,
            password=form.cleaned_data["password"],
            request=self.request,
            expected_version=form.cleaned_data.get("version"),
        )
        messages.success(self.request, "Treatment signed. Follow-ups are scheduled.")
        return treatment


class TreatmentAmendView(TreatmentActionView):
    permission_required = "treatments.change_treatment"
    form_class = ReasonForm
    template_name = "treatments/treatment_amend.html"

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs.update(
            label="Reason for the amendment",
            help_text="Required. The signed original stays visible with this reason.",
        )
        return kwargs

    def perform(self, form):
        amendment = treatment_amend(
            treatment=self.treatment, user=self.request.user, reason=form.cleaned_data["reason"]
        )
        messages.success(
            self.request,
            "Amendment started as a draft copy. Make the changes, then a physician signs it; "
            "until then the original stays in force.",
        )
        return amendment

    def success_url_for(self, result):
        return reverse("treatment_update", args=[result.pk])


class TreatmentVoidView(TreatmentActionView):
    # Staff may void the drafts they created; the service decides (PermissionDenied -> 403).
    permission_required = "treatments.add_treatment"
    form_class = ReasonForm
    template_name = "treatments/void_form.html"

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs.update(
            label="Reason for voiding",
            help_text="Required. The treatment stays visible to auditors with this reason; stock returns.",
        )
        return kwargs

    def dispatch(self, request, *args, **kwargs):
        # GET and POST alike: a POST with no reason used to re-render the form (200) for a user who
        # may not void this treatment, where the GET was refused (found by the role matrix).
        if self.has_permission() and not can_void(self.treatment, request.user):
            raise PermissionDenied("You cannot void this treatment.")
        return super().dispatch(request, *args, **kwargs)

    def perform(self, form):
        treatment = treatment_void(
            treatment=self.treatment,
            user=self.request.user,
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data.get("version"),
        )
        messages.success(self.request, "Treatment voided. It stays visible with your reason.")
        return treatment
