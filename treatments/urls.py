"""URLs of the clinical pages."""

from django.urls import path

from treatments.views import (
    access_log,
    aftercare,
    calendar,
    dashboard,
    followups,
    lots,
    patients,
    protocol,
    side_effects,
    treatments,
)

urlpatterns = [
    path("", dashboard.HomeView.as_view(), name="home"),
    path("audit/access/", access_log.AccessLogView.as_view(), name="access_log"),
    path("audit/access/export.csv", access_log.AccessLogExportView.as_view(), name="access_log_export"),
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
    # Follow-ups
    path("followups/", followups.FollowUpListView.as_view(), name="followup_list"),
    path("followups/<int:pk>/", followups.FollowUpDetailView.as_view(), name="followup_detail"),
    path("followups/<int:pk>/complete/", followups.FollowUpCompleteView.as_view(), name="followup_complete"),
    path("followups/<int:pk>/attempt/", followups.FollowUpAttemptView.as_view(), name="followup_attempt"),
    path("followups/<int:pk>/cancel/", followups.FollowUpCancelView.as_view(), name="followup_cancel"),
    path(
        "followups/<int:pk>/reschedule/",
        followups.FollowUpRescheduleView.as_view(),
        name="followup_reschedule",
    ),
    # Side effects
    path("side-effects/", side_effects.SideEffectListView.as_view(), name="sideeffect_list"),
    path("side-effects/review/", side_effects.ReviewQueueView.as_view(), name="sideeffect_review_queue"),
    path("side-effects/figures/", side_effects.SideEffectFiguresView.as_view(), name="sideeffect_figures"),
    path(
        "patients/<int:patient_pk>/side-effects/new/",
        side_effects.SideEffectCreateView.as_view(),
        name="sideeffect_create",
    ),
    path("side-effects/<int:pk>/", side_effects.SideEffectDetailView.as_view(), name="sideeffect_detail"),
    path(
        "side-effects/<int:pk>/edit/", side_effects.SideEffectUpdateView.as_view(), name="sideeffect_update"
    ),
    path("side-effects/<int:pk>/void/", side_effects.SideEffectVoidView.as_view(), name="sideeffect_void"),
    path(
        "side-effects/<int:pk>/review/", side_effects.SideEffectReviewView.as_view(), name="sideeffect_review"
    ),
    # Private calendar feed
    path("calendar/", calendar.CalendarFeedManageView.as_view(), name="calendar_feed_manage"),
    path("calendar/new/", calendar.CalendarFeedCreateView.as_view(), name="calendar_feed_create"),
    path("calendar/revoke/", calendar.CalendarFeedRevokeView.as_view(), name="calendar_feed_revoke"),
    path("calendar/<str:token>.ics", calendar.calendar_feed, name="calendar_feed"),
]
