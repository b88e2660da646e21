"""URLs of the FHIR R4 exports."""

from django.urls import path

from treatments.views import fhir

urlpatterns = [
    path(
        "Patient/<int:pk>/$everything", fhir.PatientEverythingView.as_view(), name="fhir_patient_everything"
    ),
    path("export/", fhir.ClinicExportPageView.as_view(), name="fhir_export"),
    path("export/clinic.zip", fhir.ClinicExportView.as_view(), name="fhir_export_download"),
]
