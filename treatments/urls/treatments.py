"""URLs of a treatment's pages: view, edit, sign, amend, void, print, aftercare sheet."""

from django.urls import path

from treatments.views import aftercare, exports, treatment_list, treatments

urlpatterns = [
    path("", treatment_list.TreatmentListView.as_view(), name="treatment_list"),
    path("export/", exports.TreatmentListExportView.as_view(), name="treatment_list_export"),
    path("<int:pk>/", treatments.TreatmentDetailView.as_view(), name="treatment_detail"),
    path("<int:pk>/edit/", treatments.TreatmentUpdateView.as_view(), name="treatment_update"),
    path("<int:pk>/sign/", treatments.TreatmentSignView.as_view(), name="treatment_sign"),
    path("<int:pk>/amend/", treatments.TreatmentAmendView.as_view(), name="treatment_amend"),
    path("<int:pk>/void/", treatments.TreatmentVoidView.as_view(), name="treatment_void"),
    path("<int:pk>/print/", treatments.TreatmentPrintView.as_view(), name="treatment_print"),
    path("<int:pk>/record.pdf", treatments.TreatmentPrintPdfView.as_view(), name="treatment_print_pdf"),
    path("<int:pk>/aftercare/", aftercare.AftercareView.as_view(), name="treatment_aftercare"),
    path("<int:pk>/aftercare.pdf", aftercare.AftercarePdfView.as_view(), name="treatment_aftercare_pdf"),
]
