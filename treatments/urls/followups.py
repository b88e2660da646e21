"""URLs of the follow-up worklist and a follow-up's actions."""

from django.urls import path

from treatments.views import exports, followups

urlpatterns = [
    path("", followups.FollowUpListView.as_view(), name="followup_list"),
    path("export/", exports.FollowUpListExportView.as_view(), name="followup_list_export"),
    path("<int:pk>/", followups.FollowUpDetailView.as_view(), name="followup_detail"),
    path("<int:pk>/complete/", followups.FollowUpCompleteView.as_view(), name="followup_complete"),
    path("<int:pk>/attempt/", followups.FollowUpAttemptView.as_view(), name="followup_attempt"),
    path("<int:pk>/cancel/", followups.FollowUpCancelView.as_view(), name="followup_cancel"),
    path("<int:pk>/acknowledge/", followups.FollowUpAcknowledgeView.as_view(), name="followup_acknowledge"),
    path("<int:pk>/reschedule/", followups.FollowUpRescheduleView.as_view(), name="followup_reschedule"),
]
