"""The Django admin for follow-ups, side-effect reports and calendar feeds keeps the rules."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from tests.helpers.auth import login_verified
from treatments.models import CalendarFeed, FollowUp, SideEffectReport
from treatments.services.calendar import calendar_feed_create
from treatments.services.followup_actions import followup_record_attempt

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.time_machine(dt.datetime(2026, 3, 20, 9, tzinfo=dt.UTC), tick=False),
]


@pytest.fixture
def root(superuser):
    client = Client()
    login_verified(client, superuser)
    return client


@pytest.fixture
def treatment(patient, make_signed_treatment):
    return make_signed_treatment(patient, dt.date(2026, 3, 1))


def report_form(treatment, user, **overrides):
    data = {
        "patient": treatment.patient.pk,
        "treatment": treatment.pk,
        "reported_by": user.pk,
        "reported_at_0": "2026-03-10",
        "reported_at_1": "10:00:00",
        "term": "headache",
        "term_other": "",
        "onset": "2026-03-05",
        "resolved_on": "",
        "grade": "2",
        "outcome": "recovering",
        "causality": "possible",
        "action_taken": "",
        "narrative": "",
    }
    data.update(overrides)
    return data


def test_followups_are_searchable_by_record_number_with_attempts_read_only(root, treatment, staff):
    call = treatment.followups.get(kind="check_in")
    followup_record_attempt(followup=call, user=staff, contact="call", outcome="no_answer")
    changelist = root.get(reverse("admin:treatments_followup_changelist"), {"q": "MRN-ADA"}).content.decode()
    assert "Day 1–3 check-in call" in changelist
    nothing = root.get(reverse("admin:treatments_followup_changelist"), {"q": "OTHER"}).content.decode()
    assert "0 results" in nothing
    page = root.get(reverse("admin:treatments_followup_change", args=[call.pk])).content.decode()
    assert "No answer" in page and 'name="attempts-0-outcome"' not in page
    assert root.get(reverse("admin:treatments_followup_delete", args=[call.pk])).status_code == 403


def test_an_admin_report_gets_its_expected_resolution_date_and_history(root, treatment, superuser):
    response = root.post(reverse("admin:treatments_sideeffectreport_add"), report_form(treatment, superuser))
    assert response.status_code == 302, response.content.decode()[:2000]
    report = SideEffectReport.objects.get()
    assert report.expected_resolution_by == dt.date(2026, 3, 7)
    assert report.created_by == superuser
    assert report.history.get().history_change_reason == "Edited in the admin"
    # Moving the onset in the admin moves the expected resolution date with it.
    root.post(
        reverse("admin:treatments_sideeffectreport_change", args=[report.pk]),
        report_form(treatment, superuser, onset="2026-03-08"),
    )
    report.refresh_from_db()
    assert report.expected_resolution_by == dt.date(2026, 3, 10)


def test_the_admin_refuses_what_the_rules_refuse(root, treatment, superuser):
    page = root.post(
        reverse("admin:treatments_sideeffectreport_add"),
        report_form(treatment, superuser, grade="5", outcome="recovering", onset="2026-02-27"),
    ).content.decode()
    assert "Grade 5 means death" in page
    assert "The onset must be on or after the treatment date (2026-03-01)." in page
    assert not SideEffectReport.objects.exists()


def test_calendar_feeds_are_listed_but_not_made_or_changed_in_the_admin(root, staff):
    feed, token = calendar_feed_create(user=staff)
    page = root.get(reverse("admin:treatments_calendarfeed_changelist")).content.decode()
    assert "staff" in page and token not in page
    assert root.get(reverse("admin:treatments_calendarfeed_add")).status_code == 403
    detail = root.get(reverse("admin:treatments_calendarfeed_change", args=[feed.pk])).content.decode()
    assert feed.token_digest not in detail and token not in detail
    assert CalendarFeed.objects.count() == 1


def test_followups_cannot_be_deleted_in_bulk_from_the_admin(root, treatment):
    response = root.post(
        reverse("admin:treatments_followup_changelist"),
        {"action": "delete_selected", "_selected_action": [f.pk for f in treatment.followups.all()]},
    )
    assert response.status_code in (200, 302)
    assert FollowUp.objects.filter(treatment=treatment).count() == 5
