"""URLs of the lot pages: stock, receiving, recall and its list."""

from django.urls import path

from treatments.views import exports, lots

urlpatterns = [
    path("", lots.LotListView.as_view(), name="lot_list"),
    path("export/", exports.LotListExportView.as_view(), name="lot_list_export"),
    path("new/", lots.LotCreateView.as_view(), name="lot_create"),
    path("<int:pk>/", lots.LotDetailView.as_view(), name="lot_detail"),
    path("<int:pk>/edit/", lots.LotUpdateView.as_view(), name="lot_update"),
    path("<int:pk>/recall/", lots.LotRecallView.as_view(), name="lot_recall"),
    path("<int:pk>/recall.csv", lots.LotRecallCsvView.as_view(), name="lot_recall_csv"),
]
