"""A patient's treatment summary for a referral letter: on screen (to check before sending) and as a
PDF, with the patient page's permission. Identified on purpose: it goes to a referring physician.
Each opening writes a print access event."""

from django.conf import settings
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.generic import View

from clinic.mixins import RolePermissionMixin
from treatments.models import AccessEvent
from treatments.selectors.patient_summary import patient_summary, summary_patient
from treatments.services.access import access_record
from treatments.views.documents import document_response


class PatientSummaryView(RolePermissionMixin, View):
    permission_required = "treatments.view_patient"
    http_method_names = ["get"]
    template_name = "treatments/patient_summary.html"
    pdf = False

    def get(self, request, pk):
        patient = summary_patient(pk=pk)
        if patient is None:
            raise Http404("No such patient.")
        access_record(user=request.user, patient_id=patient.pk, action=AccessEvent.Action.PRINT)
        context = {
            "patient": patient,
            **patient_summary(patient=patient),
            "clinic_name": settings.CLINIC_NAME,
            "clinic_phone": settings.CLINIC_PHONE,
            "printed_at": timezone.now(),
            "pdf": self.pdf,
        }
        html = render_to_string(self.template_name, context, request=request)
        return document_response(request, html, pdf=self.pdf, filename=f"patient-{patient.pk}-summary.pdf")


class PatientSummaryPdfView(PatientSummaryView):
    pdf = True
