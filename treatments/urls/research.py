"""URLs of the de-identified research export."""

from django.urls import path

from treatments.views import research

urlpatterns = [
    path("", research.ResearchExportPageView.as_view(), name="research_export"),
    path("research.zip", research.ResearchExportDownloadView.as_view(), name="research_export_download"),
]
