"""URLs of the clinical pages."""

from django.urls import path

from treatments.views import patients

urlpatterns = [
    path("patients/", patients.PatientListView.as_view(), name="patient_list"),
    path("patients/new/", patients.PatientCreateView.as_view(), name="patient_create"),
    path("patients/<int:pk>/", patients.PatientDetailView.as_view(), name="patient_detail"),
    path("patients/<int:pk>/edit/", patients.PatientUpdateView.as_view(), name="patient_update"),
    path("patients/<int:pk>/void/", patients.PatientVoidView.as_view(), name="patient_void"),
]
