"""FHIR R4 exports: a patient's ``$everything`` Bundle (the patient page's permission) and the
whole clinic as bulk NDJSON in a zip (clinic admins). Each writes access events, as the patient
page does; the bulk export streams (one page of rows in memory at a time)."""

import json
import logging

from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.views.generic import TemplateView, View

from clinic.mixins import RolePermissionMixin
from clinic.roles import CLINIC_ADMIN, roles_of
from treatments.fhir.export import RESOURCE_TYPES, clinic_zip, patient_bundle
from treatments.models import AccessEvent
from treatments.services.access import access_record, access_record_many

log = logging.getLogger(__name__)

FHIR_JSON = "application/fhir+json"


class PatientEverythingView(RolePermissionMixin, View):
    """``GET /fhir/Patient/<id>/$everything``: the patient's resources in one searchset Bundle."""

    permission_required = "treatments.view_patient"
    http_method_names = ["get"]

    def get(self, request, pk):
        bundle = patient_bundle(patient_id=pk)
        if bundle is None:
            raise Http404("No such patient.")
        access_record(user=request.user, patient_id=pk, action=AccessEvent.Action.EXPORT)
        response = HttpResponse(json.dumps(bundle, ensure_ascii=False), content_type=FHIR_JSON)
        response["Content-Disposition"] = f'attachment; filename="patient-{pk}-fhir.json"'
        return response


class ClinicAdminOnlyMixin(RolePermissionMixin):
    """The whole clinic's export: clinic admins (and superusers) only."""

    def has_permission(self):
        user = self.request.user
        return user.is_superuser or CLINIC_ADMIN in roles_of(user)


class ClinicExportPageView(ClinicAdminOnlyMixin, TemplateView):
    template_name = "treatments/fhir_export.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs) | {"resource_types": RESOURCE_TYPES}


class ClinicExportView(ClinicAdminOnlyMixin, View):
    """The zip of NDJSON files, streamed as it is built. Each page of patients exported gets its
    export access events (one INSERT) before their resources are sent."""

    http_method_names = ["get"]

    def get(self, request):
        user = request.user

        def record(patient_ids):
            access_record_many(user=user, patient_ids=patient_ids, action=AccessEvent.Action.EXPORT)

        log.info("FHIR bulk export started by user id %s.", user.pk)
        response = StreamingHttpResponse(clinic_zip(on_patients=record), content_type="application/zip")
        filename = f"exolog-fhir-{timezone.localdate().isoformat()}.zip"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
