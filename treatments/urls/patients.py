"""URLs of the patient pages (and what is recorded for one patient)."""

from django.urls import path

from treatments.views import exports, fhir_import, patient_summary, patients, side_effects, treatments

urlpatterns = [
    path("", patients.PatientListView.as_view(), name="patient_list"),
    path("export/", exports.PatientListExportView.as_view(), name="patient_list_export"),
    path("new/", patients.PatientCreateView.as_view(), name="patient_create"),
    path("import/fhir/", fhir_import.FhirPatientImportView.as_view(), name="patient_import_fhir"),
    path("<int:pk>/", patients.PatientDetailView.as_view(), name="patient_detail"),
    path("<int:pk>/edit/", patients.PatientUpdateView.as_view(), name="patient_update"),
    path("<int:pk>/void/", patients.PatientVoidView.as_view(), name="patient_void"),
    path("<int:pk>/summary/", patient_summary.PatientSummaryView.as_view(), name="patient_summary"),
    path("<int:pk>/summary.pdf", patient_summary.PatientSummaryPdfView.as_view(), name="patient_summary_pdf"),
    path(
        "<int:patient_pk>/treatments/new/", treatments.TreatmentCreateView.as_view(), name="treatment_create"
    ),
    path(
        "<int:patient_pk>/side-effects/new/",
        side_effects.SideEffectCreateView.as_view(),
        name="sideeffect_create",
    ),
]
