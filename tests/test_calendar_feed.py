"""Private calendar links: made and revoked by their owner, served without login as iCalendar that
names no patient, unguessable, and never written to a log."""

import datetime as dt
import logging
import re

import icalendar
import pytest
from django.urls import reverse

from clinic.roles import PHYSICIAN
from tests.helpers.auth import make_user
from treatments.models import CalendarFeed
from treatments.services.calendar import calendar_feed_create, token_digest
from treatments.services.followup_actions import followup_reschedule

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.time_machine(dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC), tick=False),
]
MANAGE = reverse("calendar_feed_manage")


def events(response) -> dict[str, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(response.content)
    return {str(event["uid"]): event for event in calendar.walk("VEVENT")}


@pytest.fixture
def followups(make_patient, make_signed_treatment, physician, settings):
    settings.EXOLOG_BASE_URL = "https://exolog.clinic.example"
    weber = make_user("dr.weber", PHYSICIAN)
    own = make_signed_treatment(
        make_patient(given_name="Zebulon", family_name="Quixote", mrn="DEMO-000123"), dt.date(2026, 2, 28)
    )
    other = make_signed_treatment(make_patient(mrn="DEMO-000456"), dt.date(2026, 2, 27), by=weber)
    return {"own": own, "other": other}


def make_link(client) -> str:
    response = client.post(reverse("calendar_feed_create"), follow=True)
    page = response.content.decode()
    return re.search(r'id="feed-url" class="[^"]*" type="text" value="([^"]+)"', page).group(1)


def test_a_user_makes_a_link_and_sees_it_only_once(staff_client, staff):
    page = staff_client.get(MANAGE).content.decode()
    assert "You have no calendar link." in page
    assert "due from 30 days ago to 120 days ahead, soonest first, at most 500" in page
    link = make_link(staff_client)
    assert link.startswith("http://testserver/calendar/") and link.endswith(".ics")
    token = link.rsplit("/", 1)[1].removesuffix(".ics")
    assert token not in staff_client.get(MANAGE).content.decode()  # shown once
    feed = CalendarFeed.objects.get(user=staff)
    assert feed.token_digest == token_digest(token) != token  # only a digest is stored


def test_the_link_shown_is_on_the_host_the_page_was_served_from(staff_client, settings):
    """EXOLOG_BASE_URL (the default http://127.0.0.1:8000 or the clinic's) is for mail only: the
    page shows a link on the (allowed) host and scheme it was reached by."""
    settings.EXOLOG_BASE_URL = "http://127.0.0.1:8000"
    response = staff_client.post(
        reverse("calendar_feed_create"), follow=True, HTTP_HOST="localhost:8443", secure=True
    )
    link = re.search(r'id="feed-url" class="[^"]*" type="text" value="([^"]+)"', response.content.decode())
    assert link.group(1).startswith("https://localhost:8443/calendar/")
    assert "127.0.0.1:8000" not in response.content.decode()


def test_a_host_outside_allowed_hosts_gets_no_link(staff_client, staff):
    response = staff_client.post(reverse("calendar_feed_create"), HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert not CalendarFeed.objects.filter(user=staff).exists()


def test_the_feed_is_served_without_login_as_icalendar(client, staff, followups):
    _, token = calendar_feed_create(user=staff)
    response = client.get(reverse("calendar_feed", args=[token]), HTTP_HOST="localhost", secure=True)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    found = events(response)
    call = followups["own"].followups.get(kind="check_in")
    event = found[f"followup-{call.pk}@exolog"]
    assert str(event["summary"]) == "Follow-up: Day 1–3 check-in call (record DEMO-000123)"
    assert event.decoded("dtstart") == dt.date(2026, 3, 2)
    assert event.decoded("dtend") == dt.date(2026, 3, 3)
    assert "Window 1 Mar 2026 to 3 Mar 2026." in str(event["description"])
    # The link back is on the host the calendar app fetched the feed from, not EXOLOG_BASE_URL.
    assert str(event["url"]) == f"https://localhost/followups/{call.pk}/"
    # Staff see every open follow-up due in the window (30 days back, 120 ahead): the check-in, the
    # week 6-8 check and the 3-month assessment of each of two patients; 6 and 12 months come later.
    assert len(found) == 6
    assert {str(e["summary"]).rsplit(" (record", 1)[0] for e in found.values()} == {
        "Follow-up: Day 1–3 check-in call",
        "Follow-up: Week 6–8 check",
        "Follow-up: 3-month (100-day) assessment",
    }
    body = response.content.decode()
    assert "Zebulon" not in body and "Quixote" not in body
    assert CalendarFeed.objects.get(user=staff).last_used_at is not None


def test_a_physician_sees_only_their_own_patients(client, physician, followups):
    _, token = calendar_feed_create(user=physician)
    summaries = {
        str(e["summary"]) for e in events(client.get(reverse("calendar_feed", args=[token]))).values()
    }
    assert all("DEMO-000123" in summary for summary in summaries) and len(summaries) == 3


def test_events_keep_their_uid_when_rescheduled_and_closed_ones_leave(client, staff, followups):
    _, token = calendar_feed_create(user=staff)
    url = reverse("calendar_feed", args=[token])
    call = followups["own"].followups.get(kind="check_in")
    followup_reschedule(followup=call, user=staff, new_due=dt.date(2026, 3, 3), reason="Asked for tomorrow")
    assert events(client.get(url))[f"followup-{call.pk}@exolog"].decoded("dtstart") == dt.date(2026, 3, 3)
    call.status = "cancelled"
    call.status_reason = "Declined"
    call.save()
    assert f"followup-{call.pk}@exolog" not in events(client.get(url))


@pytest.mark.security("login_required")
def test_revoked_and_unknown_tokens_get_404(client, staff_client, staff, followups):
    link = make_link(staff_client)
    path = link.removeprefix("http://testserver")
    assert client.get(path).status_code == 200
    staff_client.post(reverse("calendar_feed_revoke"))
    assert client.get(path).status_code == 404
    assert client.get(reverse("calendar_feed", args=["not-a-real-token"])).status_code == 404
    page = staff_client.get(MANAGE).content.decode()
    assert "You have no calendar link." in page
    assert "due from 30 days ago to 120 days ahead, soonest first, at most 500" in page


def test_a_new_link_replaces_the_old_one(client, staff, followups):
    _, first = calendar_feed_create(user=staff)
    _, second = calendar_feed_create(user=staff)
    assert client.get(reverse("calendar_feed", args=[first])).status_code == 404
    assert client.get(reverse("calendar_feed", args=[second])).status_code == 200
    assert CalendarFeed.objects.filter(user=staff, revoked_at__isnull=True).count() == 1


def test_a_deactivated_user_or_a_lost_role_ends_the_feed(client, staff, followups):
    _, token = calendar_feed_create(user=staff)
    staff.groups.clear()
    assert client.get(reverse("calendar_feed", args=[token])).status_code == 404
    staff.is_active = False
    staff.save()
    assert client.get(reverse("calendar_feed", args=[token])).status_code == 404


def test_tokens_are_long_random_and_url_safe(staff):
    tokens = {calendar_feed_create(user=staff)[1] for _ in range(20)}
    assert len(tokens) == 20
    for token in tokens:
        assert len(token) >= 43  # 256 bits in URL-safe base64
        assert re.fullmatch(r"[A-Za-z0-9_-]+", token)
    assert len(set("".join(tokens))) > 50  # spread over the whole alphabet


@pytest.mark.security("log_canary")
def test_the_token_never_reaches_a_log(client, staff, followups, caplog):
    _, token = calendar_feed_create(user=staff)
    revoked_token = token
    calendar_feed_create(user=staff)
    with caplog.at_level(logging.DEBUG):
        assert client.get(reverse("calendar_feed", args=[revoked_token])).status_code == 404
    assert caplog.records, "the 404 was logged (by django.request)"
    for record in caplog.records:
        assert revoked_token not in record.getMessage()
        assert "/calendar/[redacted].ics" in record.getMessage()


@pytest.mark.security("post_only")
def test_the_link_page_is_for_followup_users_and_changes_only_by_post(role_clients, staff, staff_client):
    assert role_clients["clinic_admin"].get(MANAGE).status_code == 403
    assert role_clients["physician"].get(MANAGE).status_code == 200
    assert staff_client.get(reverse("calendar_feed_create")).status_code == 405
    assert staff_client.get(reverse("calendar_feed_revoke")).status_code == 405
    assert not CalendarFeed.objects.filter(user=staff).exists()


def test_the_feed_holds_a_window_soonest_first_and_says_so(client, staff, followups, monkeypatch):
    from treatments.services import calendar

    _, token = calendar_feed_create(user=staff)
    url = reverse("calendar_feed", args=[token])
    six_months = followups["own"].followups.get(kind="six_month")
    assert six_months.due_on > dt.date(2026, 3, 2) + dt.timedelta(days=calendar.FEED_AHEAD_DAYS)
    assert f"followup-{six_months.pk}@exolog" not in events(client.get(url))
    # Moved into the window, it appears.
    six_months.window_start, six_months.due_on = dt.date(2026, 5, 25), dt.date(2026, 6, 1)
    six_months.window_end = dt.date(2026, 6, 8)
    six_months.save()
    assert f"followup-{six_months.pk}@exolog" in events(client.get(url))

    # A clinic-sized feed stops at the cap, soonest first, and its description says where it stops.
    monkeypatch.setattr(calendar, "FEED_MAX_EVENTS", 2)
    response = client.get(url)
    found = events(response)
    assert sorted(e.decoded("dtstart") for e in found.values()) == [dt.date(2026, 3, 1), dt.date(2026, 3, 2)]
    description = str(icalendar.Calendar.from_ical(response.content)["x-wr-caldesc"])
    assert description == (
        "Open follow-ups due 31 Jan 2026 to 30 Jun 2026, soonest first, at most 2. "
        "The worklist in Exolog has every follow-up."
    )


def test_the_feed_runs_the_same_queries_however_many_events(
    client, staff, followups, make_patient, make_signed_treatment
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _, token = calendar_feed_create(user=staff)
    url = reverse("calendar_feed", args=[token])
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for number in range(5):
        make_signed_treatment(make_patient(mrn=f"DEMO-0009{number:02d}"), dt.date(2026, 2, 20))
    with CaptureQueriesContext(connection) as more:
        assert len(events(client.get(url))) == 6 + 5 * 3
    assert len(more) == len(few)
