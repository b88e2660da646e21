"""Working a follow-up: complete, attempts and missed, cancel, reschedule; refusals and conflicts."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from clinic.models import StaleRecord
from treatments.models import FollowUp, FollowUpAttempt, FollowUpStatus
from treatments.services.followup_actions import (
    followup_cancel,
    followup_complete,
    followup_record_attempt,
    followup_reschedule,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.time_machine(dt.datetime(2026, 5, 20, 9, tzinfo=dt.UTC), tick=False),
]


@pytest.fixture
def followups(patient, make_signed_treatment):
    treatment = make_signed_treatment(patient, dt.date(2026, 2, 9))
    return {f.kind: f for f in treatment.followups.all()}


def test_completing_records_contact_measures_and_who(followups, staff):
    call = followups["check_in"]
    followup_complete(
        followup=call,
        user=staff,
        data={
            "contact": "call",
            "pain": 4,
            "energy": 6,
            "global_impression": 3,
            "flare_up": False,
            "notes": "Fine",
        },
        expected_version=call.version,
    )
    call.refresh_from_db()
    assert call.status == FollowUpStatus.COMPLETED
    assert (call.pain, call.energy, call.global_impression, call.flare_up) == (4, 6, 3, False)
    assert call.completed_by == staff and call.completed_at is not None
    latest = call.history.latest()
    assert latest.history_user == staff
    assert latest.history_change_reason == "Completed"


def test_completing_needs_a_contact_and_keeps_measures_in_range(followups, staff):
    call = followups["check_in"]
    with pytest.raises(ValidationError) as refused:
        followup_complete(followup=call, user=staff, data={"contact": "", "pain": 4})
    assert "Say how the patient was reached" in str(refused.value)
    with pytest.raises(ValidationError) as refused:
        followup_complete(followup=call, user=staff, data={"contact": "call", "pain": 11})
    assert "pain" in refused.value.message_dict
    call.refresh_from_db()
    assert call.status == FollowUpStatus.SCHEDULED


def test_the_contact_time_cannot_be_in_the_future_or_before_the_treatment(followups, staff):
    call = followups["check_in"]
    for when, message in [
        (dt.datetime(2026, 5, 21, 9, tzinfo=dt.UTC), "cannot be in the future"),
        (dt.datetime(2026, 2, 8, 9, tzinfo=dt.UTC), r"on or after the treatment date \(9 Feb 2026\)"),
    ]:
        with pytest.raises(ValidationError, match=message):
            followup_complete(followup=call, user=staff, data={"contact": "call"}, completed_at=when)


def test_a_decision_is_only_taken_at_the_assessment(followups, staff):
    early = followups["early_check"]
    with pytest.raises(ValidationError, match="only at the 3-month assessment"):
        followup_complete(followup=early, user=staff, data={"contact": "visit", "decision": "booster"})
    # The database refuses it as well, whatever the path.
    early.decision = "booster"
    with pytest.raises(IntegrityError), transaction.atomic():
        FollowUp.save(early)


def test_the_assessment_requires_a_decision_and_home_care_needs_its_text(followups, physician):
    assessment = followups["three_month"]
    with pytest.raises(ValidationError, match="choose a decision"):
        followup_complete(followup=assessment, user=physician, data={"contact": "visit"})
    with pytest.raises(ValidationError, match="Describe the home-care protocol"):
        followup_complete(
            followup=assessment, user=physician, data={"contact": "visit", "decision": "home_care"}
        )
    followup_complete(
        followup=assessment,
        user=physician,
        data={"contact": "visit", "decision": "home_care", "home_care_protocol": "Daily mobility exercises"},
    )
    assessment.refresh_from_db()
    assert assessment.decision == "home_care"
    assert assessment.home_care_protocol == "Daily mobility exercises"


def test_several_attempts_then_missed_then_completed_when_the_patient_calls_back(followups, staff):
    call = followups["check_in"]
    followup_record_attempt(followup=call, user=staff, contact="call", outcome="no_answer")
    followup_record_attempt(
        followup=call, user=staff, contact="call", outcome="left_message", notes="Voicemail"
    )
    call.refresh_from_db()
    assert call.status == FollowUpStatus.SCHEDULED  # attempts alone do not give up
    followup_record_attempt(
        followup=call,
        user=staff,
        contact="call",
        outcome="no_answer",
        mark_missed=True,
        expected_version=call.version,
    )
    call.refresh_from_db()
    assert call.status == FollowUpStatus.MISSED
    assert call.attempts.count() == 3
    assert call.history.latest().history_change_reason == "Marked missed after 3 attempts (no answer)"
    assert FollowUpAttempt.objects.filter(followup=call).first().history.get().history_user == staff
    # Missed: no more attempts, no cancel or reschedule; but the patient may still call back.
    with pytest.raises(ValidationError, match="is missed: only a scheduled follow-up can be given a contact"):
        followup_record_attempt(followup=call, user=staff, contact="call", outcome="no_answer")
    with pytest.raises(ValidationError, match="is missed: only a scheduled follow-up can be cancelled"):
        followup_cancel(followup=call, user=staff, reason="Gave up")
    followup_complete(followup=call, user=staff, data={"contact": "call", "pain": 2})
    call.refresh_from_db()
    assert call.status == FollowUpStatus.COMPLETED
    assert call.history.latest().history_change_reason == "Completed after being marked missed"


def test_a_no_show_at_a_visit_is_recorded(followups, staff):
    visit = followups["early_check"]
    attempt = followup_record_attempt(
        followup=visit, user=staff, contact="visit", outcome="no_show", mark_missed=True
    )
    assert attempt.get_outcome_display() == "No-show"
    visit.refresh_from_db()
    assert visit.status == FollowUpStatus.MISSED


def test_cancelling_requires_a_reason(followups, staff):
    review = followups["six_month"]
    with pytest.raises(ValidationError, match="Say why this follow-up is cancelled"):
        followup_cancel(followup=review, user=staff, reason="   ")
    followup_cancel(followup=review, user=staff, reason="Patient moved abroad")
    review.refresh_from_db()
    assert review.status == FollowUpStatus.CANCELLED
    assert review.status_reason == "Patient moved abroad"
    assert review.history.latest().history_change_reason == "Cancelled: Patient moved abroad"
    with pytest.raises(ValidationError, match="is cancelled: only a scheduled follow-up can be cancelled"):
        followup_cancel(followup=review, user=staff, reason="Again")
    with pytest.raises(ValidationError, match="only a scheduled or missed follow-up can be completed"):
        followup_complete(followup=review, user=staff, data={"contact": "call"})


def test_a_completed_followup_cannot_be_completed_again_or_rescheduled(followups, staff):
    call = followups["check_in"]
    followup_complete(followup=call, user=staff, data={"contact": "message"})
    with pytest.raises(ValidationError, match="is completed"):
        followup_complete(followup=call, user=staff, data={"contact": "call"})
    with pytest.raises(ValidationError, match="is completed: only a scheduled follow-up can be rescheduled"):
        followup_reschedule(followup=call, user=staff, new_due=dt.date(2026, 6, 1), reason="x")


def test_rescheduling_within_the_window_moves_only_the_due_date(followups, staff):
    assessment = followups["three_month"]  # due 20 May, window 10 May to 3 June
    assert (assessment.window_start, assessment.due_on, assessment.window_end) == (
        dt.date(2026, 5, 10),
        dt.date(2026, 5, 20),
        dt.date(2026, 6, 3),
    )
    followup_reschedule(
        followup=assessment, user=staff, new_due=dt.date(2026, 5, 28), reason="Patient on holiday"
    )
    assessment.refresh_from_db()
    assert (assessment.window_start, assessment.due_on, assessment.window_end) == (
        dt.date(2026, 5, 10),
        dt.date(2026, 5, 28),
        dt.date(2026, 6, 3),
    )
    assert assessment.status_reason == "Patient on holiday"
    reason = assessment.history.latest().history_change_reason
    assert reason == "Rescheduled 20 May 2026 → 28 May 2026 (in window): Patient on holiday"


def test_rescheduling_outside_the_window_moves_the_window_with_it(followups, staff):
    call = followups["check_in"]  # due 11 Feb, window 10-12 Feb: long overdue on 20 May
    assert call.days_overdue() > 0
    followup_reschedule(
        followup=call, user=staff, new_due=dt.date(2026, 5, 22), reason="Reached the patient's son"
    )
    call.refresh_from_db()
    assert (call.window_start, call.due_on, call.window_end) == (
        dt.date(2026, 5, 21),
        dt.date(2026, 5, 22),
        dt.date(2026, 5, 23),
    )
    assert call.days_overdue() == 0
    assert "window moved" in call.history.latest().history_change_reason


def test_rescheduling_refuses_no_reason_the_past_and_the_treatment_day(followups, staff):
    assessment = followups["three_month"]
    with pytest.raises(ValidationError, match="Say why this follow-up is rescheduled"):
        followup_reschedule(followup=assessment, user=staff, new_due=dt.date(2026, 5, 25), reason="")
    with pytest.raises(ValidationError, match=r"today \(20 May 2026\) or later"):
        followup_reschedule(followup=assessment, user=staff, new_due=dt.date(2026, 5, 19), reason="x")
    with pytest.raises(ValidationError, match=r"after the treatment date \(9 Feb 2026\)"):
        followup_reschedule(followup=assessment, user=staff, new_due=dt.date(2026, 2, 9), reason="x")
    with pytest.raises(ValidationError, match="already due on 20 May 2026"):
        followup_reschedule(followup=assessment, user=staff, new_due=dt.date(2026, 5, 20), reason="x")


@pytest.mark.security("audit_trail")
def test_a_long_reason_is_kept_whole_on_the_record_and_in_the_history(followups, staff):
    reason = "The patient asked to come later because " + "of a family matter " * 20
    followup_cancel(followup=followups["twelve_month"], user=staff, reason=reason)
    review = FollowUp.objects.get(pk=followups["twelve_month"].pk)
    assert review.status_reason == reason.strip()
    assert review.history.latest().history_change_reason == f"Cancelled: {reason.strip()}"


@pytest.mark.security("stale_forms")
def test_a_stale_form_gets_a_conflict_and_changes_nothing(followups, staff, physician):
    call = followups["check_in"]
    loaded_version = call.version
    other_copy = FollowUp.objects.get(pk=call.pk)
    followup_reschedule(followup=other_copy, user=physician, new_due=dt.date(2026, 5, 25), reason="Phoned")
    with pytest.raises(StaleRecord, match="changed by someone else"):
        followup_complete(
            followup=call, user=staff, data={"contact": "call"}, expected_version=loaded_version
        )
    with pytest.raises(StaleRecord):
        followup_cancel(followup=call, user=staff, reason="x", expected_version=loaded_version)
    call.refresh_from_db()
    assert call.status == FollowUpStatus.SCHEDULED
    assert call.due_on == dt.date(2026, 5, 25)


def test_unknown_fields_are_a_programming_error(followups, staff):
    with pytest.raises(ValueError, match="status"):
        followup_complete(
            followup=followups["check_in"], user=staff, data={"contact": "call", "status": "missed"}
        )
