"""Patient registry pages."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.generic import CreateView, DetailView, FormView, ListView, UpdateView

from clinic.form_parts import VoidForm
from clinic.mixins import RolePermissionMixin, ServiceFormMixin, apply_service
from treatments.filters.patients import SORTS, PatientFilter
from treatments.forms.patients import PatientForm
from treatments.models import AccessEvent, Patient
from treatments.selectors.history import record_history
from treatments.selectors.patients import patient_for_page, patient_list, patient_page
from treatments.services.access import access_record
from treatments.services.patients import patient_save, patient_void


class PatientListView(RolePermissionMixin, ListView):
    """The registry. The search term travels by POST and lives in the session, so that a
    patient's name never appears in a URL, a browser history or an access log."""

    permission_required = "treatments.view_patient"
    template_name = "treatments/patient_list.html"
    context_object_name = "patients"
    paginate_by = 25

    def post(self, request, *args, **kwargs):
        PatientFilter.keep_search(request)
        url = reverse("patient_list")
        sort = request.GET.get("sort")
        return redirect(f"{url}?sort={sort}" if sort in SORTS else url)

    def get_queryset(self):
        self.filters = PatientFilter.from_session(self.request)
        return patient_list(filters=self.filters)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["search_term"] = self.filters.search_term
        context["search_error"] = self.filters.search_error
        context["sort"] = self.filters.chosen_sort
        return context


class PatientCreateView(RolePermissionMixin, ServiceFormMixin, CreateView):
    permission_required = "treatments.add_patient"
    model = Patient
    form_class = PatientForm
    template_name = "treatments/patient_form.html"
    success_message = "Patient registered."

    def perform(self, form):
        return patient_save(
            patient=form.instance, user=self.request.user, indications=form.cleaned_data["indications"]
        )

    def get_success_url(self):
        return self.object.get_absolute_url()


class PatientUpdateView(RolePermissionMixin, ServiceFormMixin, UpdateView):
    permission_required = "treatments.change_patient"
    form_class = PatientForm
    template_name = "treatments/patient_form.html"
    success_message = "Patient details saved."

    def get_queryset(self):
        return Patient.objects.active()

    def perform(self, form):
        return patient_save(
            patient=form.instance,
            user=self.request.user,
            indications=form.cleaned_data["indications"],
            expected_version=form.cleaned_data.get("version"),
        )

    def get_success_url(self):
        return self.object.get_absolute_url()


class PatientDetailView(RolePermissionMixin, DetailView):
    permission_required = "treatments.view_patient"
    template_name = "treatments/patient_detail.html"
    context_object_name = "patient"

    def get_object(self, queryset=None):
        patient = patient_for_page(pk=self.kwargs["pk"])
        if patient is None:
            raise Http404("No such patient.")
        access_record(user=self.request.user, patient_id=patient.pk, action=AccessEvent.Action.VIEW)
        return patient

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        patient = self.object
        context["can_see_history"] = self.request.user.has_perm("treatments.view_history")
        if context["can_see_history"]:
            context["history"] = record_history(record=patient)
        context.update(patient_page(patient=patient))
        open_followups = context["patient_open_followups"]
        context["next_followup"] = open_followups[0] if open_followups else None
        return context


class PatientVoidView(RolePermissionMixin, FormView):
    """GET shows the confirmation form; only POST voids."""

    permission_required = "treatments.void_patient"
    form_class = VoidForm
    template_name = "treatments/void_form.html"

    def dispatch(self, request, *args, **kwargs):
        # The permission first: a user who sees no patient must not learn which ids exist.
        if not self.has_permission():
            return self.handle_no_permission()
        self.patient = get_object_or_404(Patient.objects.active(), pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["record"] = self.patient
        context["cancel_url"] = self.patient.get_absolute_url()
        return context

    def form_valid(self, form):
        def void():
            patient_void(patient=self.patient, user=self.request.user, reason=form.cleaned_data["reason"])

        if not apply_service(form, void):
            return self.form_invalid(form)
        messages.success(self.request, "Patient record voided. It is hidden from lists and kept for audit.")
        return redirect("patient_list")
