"""Worklist sections by date: due today / this week / overdue / upcoming / recent, around month
ends and in a clinic time zone far from UTC, with a frozen clock."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from treatments.models import FollowUp, FollowUpStatus

pytestmark = pytest.mark.django_db
UTC = dt.UTC


def sections(today=None) -> dict[str, list[str]]:
    followups = FollowUp.objects.all()
    return {
        name: sorted(getattr(followups, name)(today).values_list("kind", flat=True))
        for name in ("due_today", "due_this_week", "overdue", "upcoming", "recently_closed")
    }


def test_the_day_1_to_3_call_moves_through_the_sections_across_a_month_end(
    patient, make_signed_treatment, time_machine
):
    # Treated on 30 January: the call is due on 1 February, window 31 January to 2 February.
    make_signed_treatment(patient, dt.date(2026, 1, 30))
    call = FollowUp.objects.get(kind="check_in")
    assert (call.window_start, call.due_on, call.window_end) == (
        dt.date(2026, 1, 31),
        dt.date(2026, 2, 1),
        dt.date(2026, 2, 2),
    )
    time_machine.move_to(dt.datetime(2026, 1, 30, 12, tzinfo=UTC), tick=False)
    assert "check_in" in sections()["due_this_week"]
    time_machine.move_to(dt.datetime(2026, 2, 1, 12, tzinfo=UTC), tick=False)
    assert "check_in" in sections()["due_today"]
    # Past its due date but inside the window: still "due today", not overdue, not lost.
    time_machine.move_to(dt.datetime(2026, 2, 2, 12, tzinfo=UTC), tick=False)
    assert sections()["due_today"] == ["check_in"]
    assert sections()["overdue"] == []
    time_machine.move_to(dt.datetime(2026, 2, 3, 12, tzinfo=UTC), tick=False)
    assert sections()["overdue"] == ["check_in"]
    call.refresh_from_db()
    assert call.days_overdue() == 1
    time_machine.move_to(dt.datetime(2026, 3, 1, 12, tzinfo=UTC), tick=False)
    assert call.days_overdue() == 27  # 2 February + 27 days = 1 March (a 28-day February)


def test_each_open_followup_is_in_exactly_one_section(patient, make_signed_treatment, time_machine):
    make_signed_treatment(patient, dt.date(2026, 1, 1))
    time_machine.move_to(dt.datetime(2026, 2, 15, 9, tzinfo=UTC), tick=False)
    found = sections()
    # The call's window closed on 4 January; the week 6-8 check is due on 19 February (in 4 days);
    # the 3-month assessment (11 April) and later are more than 30 days away and not listed yet.
    assert found["overdue"] == ["check_in"]
    assert found["due_this_week"] == ["early_check"]
    assert found["due_today"] == found["upcoming"] == []
    time_machine.move_to(dt.datetime(2026, 3, 15, 9, tzinfo=UTC), tick=False)
    found = sections()
    assert found["overdue"] == ["check_in", "early_check"]
    assert found["upcoming"] == ["three_month"]  # due 11 April: 27 days ahead


def test_optional_reviews_are_overdue_too(patient, make_signed_treatment, time_machine):
    make_signed_treatment(patient, dt.date(2025, 1, 10))
    time_machine.move_to(dt.datetime(2026, 3, 1, 9, tzinfo=UTC), tick=False)
    overdue = FollowUp.objects.overdue().select_related("step")
    assert sorted(f.kind for f in overdue) == [
        "check_in",
        "early_check",
        "six_month",
        "three_month",
        "twelve_month",
    ]
    assert {f.kind for f in overdue if f.step.optional} == {"six_month", "twelve_month"}


def test_due_today_follows_the_clinic_date_not_utc(settings, patient, make_signed_treatment, time_machine):
    settings.TIME_ZONE = "Pacific/Auckland"
    make_signed_treatment(patient, dt.date(2026, 3, 10))  # call due 12 March, window 11-13
    # 23:30 UTC on 10 March is already 11 March (12:30) in Auckland: the window has opened, and
    # the due date is tomorrow there.
    time_machine.move_to(dt.datetime(2026, 3, 10, 23, 30, tzinfo=UTC), tick=False)
    assert timezone.localdate() == dt.date(2026, 3, 11)
    assert sections()["due_this_week"] == ["check_in"]
    # 11:30 UTC on 12 March is 00:30 on 13 March in Auckland; in UTC it is still the 12th.
    time_machine.move_to(dt.datetime(2026, 3, 12, 11, 30, tzinfo=UTC), tick=False)
    assert timezone.localdate() == dt.date(2026, 3, 13)
    assert sections()["due_today"] == ["check_in"]
    # 11:30 UTC on 13 March is the 14th in Auckland: the window closed yesterday there.
    time_machine.move_to(dt.datetime(2026, 3, 13, 11, 30, tzinfo=UTC), tick=False)
    assert sections()["overdue"] == ["check_in"]
    assert FollowUp.objects.get(kind="check_in").days_overdue() == 1


def test_the_treatment_date_is_the_clinic_date(settings, patient, make_signed_treatment):
    settings.TIME_ZONE = "Pacific/Auckland"
    # 22:00 UTC on 31 March is 11:00 on 1 April in Auckland (NZDT, +13).
    treatment = make_signed_treatment(
        patient,
        dt.date(2026, 3, 31),
        at=dt.time(22, 0),
        performed_at=dt.datetime(2026, 3, 31, 22, tzinfo=UTC),
    )
    assert treatment.treatment_date == dt.date(2026, 4, 1)
    call = treatment.followups.get(kind="check_in")
    assert call.due_on == dt.date(2026, 4, 3)


def test_recently_closed_keeps_completions_for_14_local_days_and_recent_misses(
    settings, patient, make_signed_treatment, staff, time_machine
):
    settings.TIME_ZONE = "Europe/Berlin"
    make_signed_treatment(patient, dt.date(2026, 1, 1))
    call, early = FollowUp.objects.filter(kind__in=["check_in", "early_check"]).order_by("due_on")
    berlin = ZoneInfo("Europe/Berlin")
    call.status, call.contact, call.completed_by = FollowUpStatus.COMPLETED, "call", staff
    call.completed_at = dt.datetime(2026, 1, 3, 0, 30, tzinfo=berlin)  # 2 January 23:30 UTC
    call.save()
    early.status = FollowUpStatus.MISSED
    early.save()  # window 12-26 February
    # Not yet seen by a physician, it is in "Missed" (whatever its age), not in "recent".
    assert list(FollowUp.objects.missed_unseen()) == [early]
    assert "early_check" not in sections()["recently_closed"]
    early.missed_seen_at, early.missed_seen_by = dt.datetime(2026, 1, 3, 9, tzinfo=berlin), staff
    early.save()
    assert list(FollowUp.objects.missed_unseen()) == []
    # Seen, a missed follow-up stays listed until 14 days after its window closed (26 February).
    time_machine.move_to(dt.datetime(2026, 1, 17, 12, tzinfo=berlin), tick=False)
    assert sections()["recently_closed"] == ["check_in", "early_check"]  # 3 Jan is 14 days back
    time_machine.move_to(dt.datetime(2026, 1, 18, 12, tzinfo=berlin), tick=False)
    assert sections()["recently_closed"] == ["early_check"]
    time_machine.move_to(dt.datetime(2026, 3, 12, 12, tzinfo=berlin), tick=False)
    assert sections()["recently_closed"] == ["early_check"]  # its window closed 14 days ago
    time_machine.move_to(dt.datetime(2026, 3, 13, 12, tzinfo=berlin), tick=False)
    assert sections()["recently_closed"] == []


def test_worklist_counts_agree_with_the_sections(patient, make_patient, make_signed_treatment, time_machine):
    make_signed_treatment(patient, dt.date(2026, 1, 1))  # call overdue, week 6-8 due 19 Feb
    make_signed_treatment(make_patient(), dt.date(2026, 2, 10))  # call closed 13 Feb: overdue
    make_signed_treatment(make_patient(), dt.date(2026, 2, 12))  # call due 14 Feb: today
    make_signed_treatment(make_patient(), dt.date(2026, 1, 20))  # call overdue, week 6-8 on 10 Mar
    time_machine.move_to(dt.datetime(2026, 2, 14, 9, tzinfo=UTC), tick=False)
    counts = FollowUp.objects.worklist_counts()
    for name in ("due_today", "due_this_week", "overdue", "upcoming"):
        assert counts[name] == getattr(FollowUp.objects, name)().count(), name
    assert counts == {"due_today": 1, "due_this_week": 1, "overdue": 3, "upcoming": 1, "missed": 0}
