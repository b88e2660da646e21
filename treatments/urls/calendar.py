"""URLs of the private calendar feed; its .ics link is the one clinical URL without a login (a token)."""

from django.urls import path

from treatments.views import calendar

urlpatterns = [
    path("", calendar.CalendarFeedManageView.as_view(), name="calendar_feed_manage"),
    path("new/", calendar.CalendarFeedCreateView.as_view(), name="calendar_feed_create"),
    path("revoke/", calendar.CalendarFeedRevokeView.as_view(), name="calendar_feed_revoke"),
    path("<str:token>.ics", calendar.calendar_feed, name="calendar_feed"),
]
