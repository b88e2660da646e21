"""URLs of the FAQ reference section (namespace ``faq``)."""

from django.urls import path

from faq import views

app_name = "faq"

urlpatterns = [
    path("", views.FaqIndexView.as_view(), name="index"),
    path("handout/", views.FaqHandoutView.as_view(), name="handout"),
    path("entries/<slug:slug>/", views.FaqEntryView.as_view(), name="entry"),
]
