"""Follow-ups follow the treatment: scheduled on signing, cancelled on void, moved on amendment."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from treatments.models import FollowUp, FollowUpStatus, Indication, Protocol, Treatment, TreatmentStatus
from treatments.services.followups import (
    followup_dates,
    followups_cancel_open,
    followups_move_to_amendment,
    followups_schedule,
)

pytestmark = pytest.mark.django_db


def make_treatment(patient, physician, day: dt.date, **extra) -> Treatment:
    values = {
        "patient": patient,
        "physician": physician,
        "performed_at": timezone.make_aware(dt.datetime.combine(day, dt.time(10, 0))),
        "indication": Indication.objects.order_by("order").first(),
        "status": TreatmentStatus.SIGNED,
        "signed_at": timezone.now(),
        "signed_by": physician,
        "created_by": physician,
    }
    values.update(extra)
    return Treatment.objects.create(**values)


def test_the_default_protocol_schedules_five_steps_with_windows(patient, physician):
    treatment = make_treatment(patient, physician, dt.date(2026, 1, 31))
    followups = followups_schedule(treatment=treatment, user=physician)
    by_kind = {f.kind: f for f in followups}
    assert list(by_kind) == ["check_in", "early_check", "three_month", "six_month", "twelve_month"]
    check_in = by_kind["check_in"]
    assert (check_in.window_start, check_in.due_on, check_in.window_end) == (
        dt.date(2026, 2, 1),
        dt.date(2026, 2, 2),
        dt.date(2026, 2, 3),
    )
    early = by_kind["early_check"]
    assert (early.window_start, early.window_end) == (dt.date(2026, 3, 14), dt.date(2026, 3, 28))
    assessment = by_kind["three_month"]
    assert assessment.due_on == dt.date(2026, 5, 11)
    assert assessment.is_assessment is True
    assert all(f.patient_id == patient.pk and f.status == FollowUpStatus.SCHEDULED for f in followups)
    assert check_in.history.get().history_user == physician


def test_each_follow_up_is_saved_with_its_history_row(patient, physician):
    """Each follow-up has one "+" history row naming the signer and the reason, with its values."""
    treatment = make_treatment(patient, physician, dt.date(2026, 2, 1))
    followups = followups_schedule(treatment=treatment, user=physician)
    saved = FollowUp.objects.filter(treatment=treatment).order_by("due_on")
    assert [f.pk for f in saved] == [f.pk for f in sorted(followups, key=lambda f: f.due_on)]
    for followup in saved:
        (row,) = followup.history.all()
        assert (row.history_type, row.history_user, row.history_change_reason) == (
            "+",
            physician,
            "Scheduled on signing",
        )
        assert (row.due_on, row.window_start, row.window_end, row.status, row.version) == (
            followup.due_on,
            followup.window_start,
            followup.window_end,
            FollowUpStatus.SCHEDULED,
            1,
        )
        assert followup.created_at is not None and followup.updated_at is not None


def test_scheduling_twice_creates_nothing_more(patient, physician):
    treatment = make_treatment(patient, physician, dt.date(2026, 3, 1))
    followups_schedule(treatment=treatment, user=physician)
    followups_schedule(treatment=treatment, user=physician)
    assert FollowUp.objects.filter(treatment=treatment).count() == 5


def test_it_uses_the_protocol_in_force_on_the_treatment_date(patient, physician):
    later = Protocol.objects.create(effective_from=dt.date(2026, 6, 1), max_dose_billion=Decimal("12"))
    later.steps.create(
        name="Week 2 call", kind="other", offset_days=14, window_before_days=2, window_after_days=2
    )
    before = make_treatment(patient, physician, dt.date(2026, 5, 31))
    after = make_treatment(patient, physician, dt.date(2026, 6, 1))
    assert len(followups_schedule(treatment=before, user=physician)) == 5
    assert [f.step_name for f in followups_schedule(treatment=after, user=physician)] == ["Week 2 call"]


def test_voiding_cancels_only_open_followups(patient, physician):
    treatment = make_treatment(patient, physician, dt.date(2026, 1, 5))
    first, *rest = followups_schedule(treatment=treatment, user=physician)
    first.status, first.contact, first.completed_at = FollowUpStatus.COMPLETED, "call", timezone.now()
    first.save()
    assert followups_cancel_open(treatment=treatment, user=physician, reason="Treatment voided") == 4
    statuses = dict(FollowUp.objects.filter(treatment=treatment).values_list("kind", "status"))
    assert statuses == {
        "check_in": "completed",
        "early_check": "cancelled",
        "three_month": "cancelled",
        "six_month": "cancelled",
        "twelve_month": "cancelled",
    }


def test_an_amendment_moves_open_followups_to_its_date(patient, physician):
    original = make_treatment(patient, physician, dt.date(2026, 2, 10))
    followups_schedule(treatment=original, user=physician)
    done = original.followups.get(kind="check_in")
    done.status, done.contact, done.completed_at = FollowUpStatus.COMPLETED, "call", timezone.now()
    done.save()
    amendment = make_treatment(
        patient, physician, dt.date(2026, 2, 12), amends=original, amendment_reason="Wrong date entered"
    )
    followups_move_to_amendment(original=original, amendment=amendment, user=physician)
    assert not original.followups.exists()
    moved = {f.kind: f for f in amendment.followups.all()}
    assert moved["check_in"].due_on == dt.date(2026, 2, 12)  # completed: kept as it happened
    assert moved["three_month"].due_on == dt.date(2026, 5, 23)
    assert moved["three_month"].history.latest().history_change_reason.startswith("Moved to the amendment")


def test_followup_dates_cross_month_and_year_ends():
    class Step:
        offset_days, window_before_days, window_after_days = 100, 10, 14

    assert followup_dates(dt.date(2026, 12, 31), Step) == (
        dt.date(2027, 3, 31),
        dt.date(2027, 4, 10),
        dt.date(2027, 4, 24),
    )


def test_followups_carry_their_treatments_physician_and_move_with_an_amendment(
    patient, physician, other_physician
):
    """The copy of the treating physician a physician's own worklist reads (FollowUp.physician):
    set on scheduling, and the amending physician's once an amendment by someone else takes them."""
    original = make_treatment(patient, physician, dt.date(2026, 2, 10))
    followups_schedule(treatment=original, user=physician)
    assert set(original.followups.values_list("physician", flat=True)) == {physician.pk}
    assert FollowUp.objects.for_physician(physician).count() == 5
    amendment = make_treatment(
        patient,
        other_physician,
        dt.date(2026, 2, 12),
        amends=original,
        amendment_reason="Given by the colleague",
        signed_by=other_physician,
        created_by=other_physician,
    )
    followups_move_to_amendment(original=original, amendment=amendment, user=other_physician)
    assert set(amendment.followups.values_list("physician", flat=True)) == {other_physician.pk}
    assert not FollowUp.objects.for_physician(physician).exists()
    assert FollowUp.objects.for_physician(other_physician).count() == 5
    assert amendment.followups.first().history.latest().physician_id == other_physician.pk
