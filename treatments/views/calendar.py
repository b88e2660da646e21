"""Private calendar links: manage yours, and the feed itself (no login: calendar apps cannot)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.views import View
from django.views.decorators.http import require_GET
from django.views.generic import TemplateView

from clinic.mixins import RolePermissionMixin
from treatments.services.calendar import (
    FEED_AHEAD_DAYS,
    FEED_MAX_EVENTS,
    FEED_PAST_DAYS,
    build_calendar,
    calendar_feed_create,
    calendar_feed_for_token,
    calendar_feed_live,
    calendar_feed_revoke,
    calendar_feed_touch,
    feed_followups,
    feed_path,
)

# The new link waits here between the POST that makes it and the page that shows it once.
NEW_LINK_SESSION_KEY = "calendar_feed_new_link"


class CalendarFeedManageView(RolePermissionMixin, TemplateView):
    permission_required = "treatments.view_followup"
    template_name = "treatments/calendar_feed.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["feed"] = calendar_feed_live(self.request.user)
        context["feed_past_days"] = FEED_PAST_DAYS
        context["feed_ahead_days"] = FEED_AHEAD_DAYS
        context["feed_max_events"] = FEED_MAX_EVENTS
        context["new_link"] = self.request.session.pop(NEW_LINK_SESSION_KEY, None)
        return context


class CalendarFeedCreateView(RolePermissionMixin, View):
    permission_required = "treatments.view_followup"
    http_method_names = ["post"]

    def post(self, request):
        _, token = calendar_feed_create(user=request.user)
        # Built from the host this request came to (one of ALLOWED_HOSTS), not EXOLOG_BASE_URL: the
        # link must work from where the user is; the configured base URL is for mail only.
        request.session[NEW_LINK_SESSION_KEY] = request.build_absolute_uri(feed_path(token))
        messages.success(request, "New calendar link made. Any earlier link no longer works.")
        return redirect("calendar_feed_manage")


class CalendarFeedRevokeView(RolePermissionMixin, View):
    permission_required = "treatments.view_followup"
    http_method_names = ["post"]

    def post(self, request):
        if calendar_feed_revoke(user=request.user):
            messages.success(request, "Calendar link revoked: calendar apps using it get nothing more.")
        else:
            messages.info(request, "You had no calendar link.")
        return redirect("calendar_feed_manage")


@login_not_required
@require_GET
def calendar_feed(request, token: str):
    """The feed of one user's open follow-ups; the unguessable token is the only credential."""
    feed = calendar_feed_for_token(token)
    if feed is None or not feed.user.has_perm("treatments.view_followup"):
        raise Http404("No such calendar.")
    calendar_feed_touch(feed)
    response = HttpResponse(
        build_calendar(feed_followups(feed.user), absolute_url=request.build_absolute_uri),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = 'inline; filename="exolog-follow-ups.ics"'
    return response
