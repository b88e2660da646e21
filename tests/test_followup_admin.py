"""The Django admin for follow-ups, side-effect reports and calendar feeds: for finding and auditing;
they are written on the clinical pages, through their services."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from tests.helpers.auth import login_verified
from treatments.models import CalendarFeed, FollowUp
from treatments.services.calendar import calendar_feed_create
from treatments.services.followup_actions import followup_record_attempt
from treatments.services.side_effects import side_effect_review

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


def test_side_effect_reports_are_read_only_in_the_admin(root, treatment, superuser, make_report, db_snapshot):
    # Changed from "an admin report gets its expected resolution date and history": the admin used
    # to add and edit reports with its own copy of the rules and no reason. Reports are now written
    # on the clinical pages only (side_effect_report / side_effect_amend).
    report = make_report(treatment, onset=dt.date(2026, 3, 5))
    before = db_snapshot()
    added = root.post(reverse("admin:treatments_sideeffectreport_add"), report_form(treatment, superuser))
    assert added.status_code == 403
    changed = root.post(
        reverse("admin:treatments_sideeffectreport_change", args=[report.pk]),
        report_form(treatment, superuser, onset="2026-03-08", grade="3"),
    )
    assert changed.status_code == 403
    assert db_snapshot() == before
    page = root.get(reverse("admin:treatments_sideeffectreport_change", args=[report.pk])).content.decode()
    assert "7 Mar 2026" in page  # the expected resolution date, shown
    changelist = root.get(reverse("admin:treatments_sideeffectreport_changelist")).content.decode()
    assert "Read-only: side-effect reports are reported, amended (with a reason)" in changelist


def test_a_reviewed_report_keeps_its_review_in_the_admin(root, treatment, superuser, physician, make_report):
    # Changed from "the admin refuses what the rules refuse": the admin no longer writes reports, so
    # neither a regrade without a reason nor a revert to the version before the review gets through.
    report = make_report(treatment, grade=3)
    unreviewed = report.history.get()
    side_effect_review(report=report, user=physician, assessment="Expected reaction", action="")
    regrade = root.post(
        reverse("admin:treatments_sideeffectreport_change", args=[report.pk]),
        report_form(treatment, superuser, grade="1"),
    )
    revert = root.post(
        reverse("admin:treatments_sideeffectreport_simple_history", args=[report.pk, unreviewed.history_id]),
        report_form(treatment, superuser, grade="1"),
    )
    assert (regrade.status_code, revert.status_code) == (403, 403)
    report.refresh_from_db()
    assert (report.grade, report.reviewed_by, report.version) == (3, physician, 2)


def test_follow_ups_are_read_only_in_the_admin(root, treatment, db_snapshot):
    call = treatment.followups.get(kind="check_in")
    before = db_snapshot()
    response = root.post(
        reverse("admin:treatments_followup_change", args=[call.pk]), {"status": "cancelled", "notes": "x"}
    )
    assert response.status_code == 403
    assert root.get(reverse("admin:treatments_followup_add")).status_code == 403
    assert db_snapshot() == before
    changelist = root.get(reverse("admin:treatments_followup_changelist")).content.decode()
    assert "Read-only: follow-ups are scheduled when a treatment is signed" in changelist


def test_calendar_feeds_are_listed_but_not_made_or_changed_in_the_admin(root, staff):
    feed, token = calendar_feed_create(user=staff)
    page = root.get(reverse("admin:treatments_calendarfeed_changelist")).content.decode()
    assert "staff" in page and token not in page
    assert root.get(reverse("admin:treatments_calendarfeed_add")).status_code == 403
    detail = root.get(reverse("admin:treatments_calendarfeed_change", args=[feed.pk])).content.decode()
    assert feed.token_digest not in detail and token not in detail
    assert CalendarFeed.objects.count() == 1


@pytest.mark.security("no_delete")
def test_followups_cannot_be_deleted_in_bulk_from_the_admin(root, treatment):
    response = root.post(
        reverse("admin:treatments_followup_changelist"),
        {"action": "delete_selected", "_selected_action": [f.pk for f in treatment.followups.all()]},
    )
    assert response.status_code in (200, 302)
    assert FollowUp.objects.filter(treatment=treatment).count() == 5
