"""URLs of the clinical pages."""

from django.urls import path

from treatments.views import aftercare, lots, patients, protocol, treatments

urlpatterns = [
    path("patients/", patients.PatientListView.as_view(), name="patient_list"),
    path("patients/new/", patients.PatientCreateView.as_view(), name="patient_create"),
    path("patients/<int:pk>/", patients.PatientDetailView.as_view(), name="patient_detail"),
    path("patients/<int:pk>/edit/", patients.PatientUpdateView.as_view(), name="patient_update"),
    path("patients/<int:pk>/void/", patients.PatientVoidView.as_view(), name="patient_void"),
    path(
        "patients/<int:patient_pk>/treatments/new/",
        treatments.TreatmentCreateView.as_view(),
        name="treatment_create",
    ),
    path("treatments/<int:pk>/", treatments.TreatmentDetailView.as_view(), name="treatment_detail"),
    path("treatments/<int:pk>/edit/", treatments.TreatmentUpdateView.as_view(), name="treatment_update"),
    path("treatments/<int:pk>/sign/", treatments.TreatmentSignView.as_view(), name="treatment_sign"),
    path("treatments/<int:pk>/amend/", treatments.TreatmentAmendView.as_view(), name="treatment_amend"),
    path("treatments/<int:pk>/void/", treatments.TreatmentVoidView.as_view(), name="treatment_void"),
    path("treatments/<int:pk>/aftercare/", aftercare.AftercareView.as_view(), name="treatment_aftercare"),
    path(
        "treatments/<int:pk>/aftercare.pdf",
        aftercare.AftercarePdfView.as_view(),
        name="treatment_aftercare_pdf",
    ),
    path("lots/", lots.LotListView.as_view(), name="lot_list"),
    path("lots/new/", lots.LotCreateView.as_view(), name="lot_create"),
    path("lots/<int:pk>/", lots.LotDetailView.as_view(), name="lot_detail"),
    path("lots/<int:pk>/edit/", lots.LotUpdateView.as_view(), name="lot_update"),
    path("lots/<int:pk>/recall/", lots.LotRecallView.as_view(), name="lot_recall"),
    path("lots/<int:pk>/recall.csv", lots.LotRecallCsvView.as_view(), name="lot_recall_csv"),
    path("protocol/", protocol.ProtocolDetailView.as_view(), name="protocol_detail"),
]
