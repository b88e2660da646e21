"""Private calendar-feed links: create (replacing any live one), revoke, look up, and the feed.

Only a SHA-256 digest of the token is stored: the link is shown once when it is made, and a
copy of the database cannot be turned into working links.
"""

import datetime as dt
import hashlib
import secrets

import icalendar
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from clinic.formats import day as format_day
from treatments.models import CalendarFeed, FollowUp

TOKEN_BYTES = 32  # 256 bits of randomness, 43 URL-safe characters
# The feed holds the open follow-ups due from FEED_PAST_DAYS ago to FEED_AHEAD_DAYS ahead, soonest
# first, at most FEED_MAX_EVENTS of them (older and later ones stay on the worklist), so a calendar
# app's download stays small and quick whatever the size of the clinic. The calendar's description
# says so: nothing is left out without a word.
FEED_PAST_DAYS = 30
FEED_AHEAD_DAYS = 120
FEED_MAX_EVENTS = 500


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_path(token: str) -> str:
    """The feed's path; the page that shows the link makes it absolute from the request's host."""
    return reverse("calendar_feed", args=[token])


@transaction.atomic
def calendar_feed_create(*, user) -> tuple[CalendarFeed, str]:
    """Revoke the user's live link, if any, and make a new one; returns the feed and its token
    (shown once, never stored in clear)."""
    calendar_feed_revoke(user=user)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    feed = CalendarFeed.objects.create(user=user, token_digest=token_digest(token))
    return feed, token


@transaction.atomic
def calendar_feed_revoke(*, user) -> int:
    count = 0
    for feed in CalendarFeed.objects.select_for_update().filter(user=user, revoked_at__isnull=True):
        feed.revoked_at = timezone.now()
        feed.save(update_fields=["revoked_at"])
        count += 1
    return count


def calendar_feed_live(user) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(user=user, revoked_at__isnull=True).first()


def calendar_feed_for_token(token: str) -> CalendarFeed | None:
    """The live feed behind a token, or None (unknown, revoked, or its user deactivated)."""
    if not token or len(token) > 128:
        return None
    return (
        CalendarFeed.objects.select_related("user")
        .filter(token_digest=token_digest(token), revoked_at__isnull=True, user__is_active=True)
        .first()
    )


def calendar_feed_touch(feed: CalendarFeed) -> None:
    feed.last_used_at = timezone.now()
    feed.save(update_fields=["last_used_at"])


def feed_window(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    today = today or timezone.localdate()
    return today - dt.timedelta(days=FEED_PAST_DAYS), today + dt.timedelta(days=FEED_AHEAD_DAYS)


def feed_followups(user, today: dt.date | None = None):
    """The feed's follow-ups: open, due in the window, soonest first, at most FEED_MAX_EVENTS."""
    start, end = feed_window(today)
    return (
        FollowUp.objects.reminders_for(user)
        .filter(due_on__gte=start, due_on__lte=end)
        .select_related("patient", "step")
        .order_by("due_on", "id")[:FEED_MAX_EVENTS]
    )


def build_calendar(followups, *, absolute_url, today: dt.date | None = None) -> bytes:
    """An iCalendar of all-day events, one per follow-up. The feed leaves the clinic's machine:
    no patient names and no clinical details, only the step, the record number and a link, made
    absolute by ``absolute_url`` (the feed request's own host: the one the calendar app reaches)."""
    start, end = feed_window(today)
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Exolog//Follow-ups//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", "Exolog follow-ups")
    calendar.add(
        "x-wr-caldesc",
        f"Open follow-ups due {format_day(start)} to {format_day(end)}, soonest first, at most "
        f"{FEED_MAX_EVENTS}. The worklist in Exolog has every follow-up.",
    )
    for followup in followups:
        event = icalendar.Event()
        # Stable per follow-up, so a rescheduled one moves in the calendar instead of doubling.
        event.add("uid", f"followup-{followup.pk}@exolog")
        event.add("dtstamp", followup.updated_at)
        event.add("last-modified", followup.updated_at)
        event.add("dtstart", followup.due_on)
        event.add("dtend", followup.due_on + dt.timedelta(days=1))
        event.add("summary", f"Follow-up: {followup.step_name} (record {followup.patient.mrn})")
        window = f"Window {format_day(followup.window_start)} to {format_day(followup.window_end)}."
        optional = " Optional step." if followup.step.optional else ""
        event.add("description", f"{window}{optional} Details in Exolog (sign-in required).")
        event.add("url", absolute_url(reverse("followup_detail", args=[followup.pk])))
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    return calendar.to_ical()
