"""The reports: an index with the period and filters, four report pages, each table's download."""

from django.urls import path

from treatments.views import reports

urlpatterns = [
    path("", reports.ReportIndexView.as_view(), name="report_index"),
    path("treatments/", reports.TreatmentsReportView.as_view(), name="report_treatments"),
    path("treatments/export/", reports.TreatmentsReportExport.as_view(), name="report_treatments_export"),
    path("follow-ups/", reports.FollowUpsReportView.as_view(), name="report_followups"),
    path("follow-ups/export/", reports.FollowUpsReportExport.as_view(), name="report_followups_export"),
    path("outcomes/", reports.OutcomesReportView.as_view(), name="report_outcomes"),
    path("outcomes/export/", reports.OutcomesReportExport.as_view(), name="report_outcomes_export"),
    path("side-effects/", reports.SideEffectsReportView.as_view(), name="report_side_effects"),
    path(
        "side-effects/export/", reports.SideEffectsReportExport.as_view(), name="report_side_effects_export"
    ),
]
