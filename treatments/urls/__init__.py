"""URLs of the clinical pages: one module per aggregate, included here."""

from django.urls import include, path

from treatments.views import access_log, dashboard, protocol

urlpatterns = [
    path("", dashboard.HomeView.as_view(), name="home"),
    path("audit/access/", access_log.AccessLogView.as_view(), name="access_log"),
    path("audit/access/export.csv", access_log.AccessLogExportView.as_view(), name="access_log_export"),
    path("protocol/", protocol.ProtocolDetailView.as_view(), name="protocol_detail"),
    path("patients/", include("treatments.urls.patients")),
    path("treatments/", include("treatments.urls.treatments")),
    path("lots/", include("treatments.urls.lots")),
    path("followups/", include("treatments.urls.followups")),
    path("side-effects/", include("treatments.urls.side_effects")),
    path("calendar/", include("treatments.urls.calendar")),
    path("fhir/", include("treatments.urls.fhir")),
    path("exports/research/", include("treatments.urls.research")),
    path("reports/", include("treatments.urls.reports")),
]
