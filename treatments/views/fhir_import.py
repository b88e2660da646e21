"""Import of a FHIR Patient resource: paste or upload, preview what will happen, confirm (POST)."""

import json
import logging

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.views.generic import FormView

from clinic.mixins import RolePermissionMixin, add_service_error, apply_service
from treatments.forms.fhir import FhirPatientImportForm
from treatments.models import AccessEvent
from treatments.services.access import access_record
from treatments.services.fhir_import import patient_import_fhir, patient_import_plan

log = logging.getLogger(__name__)


class FhirPatientImportView(RolePermissionMixin, FormView):
    """The first POST previews (the new patient's fields, or the match and what differs); the
    second, with ``confirm``, imports. The resource travels in the form, never in a URL; a
    preview that shows a registered patient's data writes an access event."""

    permission_required = "treatments.add_patient"
    form_class = FhirPatientImportForm
    template_name = "treatments/fhir_import.html"

    def form_valid(self, form):
        resource, mrn = form.cleaned_data["resource"], form.cleaned_data["mrn"]
        if "confirm" in self.request.POST:
            return self.confirm(form, resource, mrn)
        try:
            plan = patient_import_plan(resource=resource, mrn=mrn)
        except ValidationError as error:
            add_service_error(form, error)
            return self.form_invalid(form)
        if plan.match is not None:
            access_record(user=self.request.user, patient_id=plan.match.pk, action=AccessEvent.Action.VIEW)
        context = self.get_context_data(
            form=form, plan=plan, resource_json=json.dumps(resource, ensure_ascii=False)
        )
        return self.render_to_response(context)

    def confirm(self, form, resource, mrn):
        result = {}

        def write():
            result["patient"], result["created"] = patient_import_fhir(
                resource=resource, user=self.request.user, mrn=mrn
            )

        if not apply_service(form, write):
            return self.form_invalid(form)
        patient = result["patient"]
        if result["created"]:
            log.info("FHIR Patient import: user id %s registered a patient.", self.request.user.pk)
            messages.success(self.request, "Patient registered from the FHIR resource.")
        else:
            messages.info(
                self.request,
                "The FHIR resource matches this patient: nothing was changed. Edit the patient to apply "
                "any difference the preview showed.",
            )
        return redirect(patient.get_absolute_url())
