"""URLs of the side-effect reports, the review queue and the figures."""

from django.urls import path

from treatments.views import exports, side_effects

urlpatterns = [
    path("", side_effects.SideEffectListView.as_view(), name="sideeffect_list"),
    path("export/", exports.SideEffectListExportView.as_view(), name="sideeffect_list_export"),
    path("review/", side_effects.ReviewQueueView.as_view(), name="sideeffect_review_queue"),
    path("review/export/", exports.ReviewQueueExportView.as_view(), name="sideeffect_review_queue_export"),
    path("figures/", side_effects.SideEffectFiguresView.as_view(), name="sideeffect_figures"),
    path("<int:pk>/", side_effects.SideEffectDetailView.as_view(), name="sideeffect_detail"),
    path("<int:pk>/edit/", side_effects.SideEffectUpdateView.as_view(), name="sideeffect_update"),
    path("<int:pk>/void/", side_effects.SideEffectVoidView.as_view(), name="sideeffect_void"),
    path("<int:pk>/review/", side_effects.SideEffectReviewView.as_view(), name="sideeffect_review"),
]
