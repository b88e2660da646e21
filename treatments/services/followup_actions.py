"""Working a follow-up from the worklist: complete it, record contact attempts (and mark it missed),
cancel it, reschedule it.

Rules (decided here, shown to staff as form errors):

- Only a scheduled follow-up can get an attempt, be marked missed, cancelled or rescheduled.
- A scheduled follow-up can be completed, and so can a missed one: when the patient calls back
  after being marked missed, the contact is still recorded (the history keeps the "missed" step).
- Rescheduling always needs a reason and never goes before today or onto/before the treatment
  date. A new due date inside the current window moves the due date only. Outside the window,
  the window moves with it and keeps its width around the new due date (opening no earlier than
  the day after the treatment), so a rescheduled follow-up is not overdue at once.
- The treatment decision is recorded only at the 3-month assessment, where it is required; the
  home-care protocol text is required when the decision is "home-care protocol only".
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from clinic.audit import attribute
from treatments.models import Decision, FollowUp, FollowUpAttempt, FollowUpStatus

COMPLETION_FIELDS = (
    "contact",
    "pain",
    "global_impression",
    "energy",
    "flare_up",
    "new_side_effects",
    "decision",
    "home_care_protocol",
    "notes",
)
# A clock a few minutes fast on a tablet must not refuse a contact made just now.
CLOCK_TOLERANCE = dt.timedelta(minutes=5)
# How far ahead a follow-up may be rescheduled.
RESCHEDULE_HORIZON_DAYS = 730


def _refuse_unless_scheduled(followup: FollowUp, action: str) -> None:
    if followup.is_voided:
        raise ValidationError(f"This follow-up is voided: it cannot be {action}.")
    if followup.status != FollowUpStatus.SCHEDULED:
        raise ValidationError(
            f"This follow-up is {followup.get_status_display().lower()}: only a scheduled follow-up "
            f"can be {action}."
        )


def _required_text(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: message})
    return value


def _check_contact_time(followup: FollowUp, when: dt.datetime, field: str) -> None:
    if when > timezone.now() + CLOCK_TOLERANCE:
        raise ValidationError({field: "The contact cannot be in the future."})
    treated = followup.treatment.treatment_date
    if timezone.localdate(when) < treated:
        raise ValidationError(
            {field: f"The contact must be on or after the treatment date ({treated:%Y-%m-%d})."}
        )


@transaction.atomic
def followup_complete(
    *, followup: FollowUp, user, data: dict, completed_at=None, expected_version=None
) -> FollowUp:
    """Record the contact and its outcome measures; ``data`` holds COMPLETION_FIELDS."""
    followup.check_version(expected_version)
    if followup.is_voided or not followup.can_be_completed:
        raise ValidationError(
            f"This follow-up is {followup.get_status_display().lower()}: only a scheduled or missed "
            "follow-up can be completed."
        )
    if followup.is_assessment and not user.has_perm("treatments.complete_assessment"):
        # domain.md: physicians decide on boosters at the 3-month assessment.
        raise ValidationError(
            "The 3-month assessment is completed by a physician, who decides further treatment. "
            "Staff can record contact attempts or reschedule it."
        )
    unknown = set(data) - set(COMPLETION_FIELDS)
    if unknown:
        raise ValueError(f"Not completion fields: {', '.join(sorted(unknown))}")
    was_missed = followup.status == FollowUpStatus.MISSED
    for name, value in data.items():
        setattr(followup, name, value)
    followup.home_care_protocol = (followup.home_care_protocol or "").strip()
    errors = {}
    if not followup.contact:
        errors["contact"] = "Say how the patient was reached: phone call, visit or message."
    if followup.is_assessment and not followup.decision:
        errors["decision"] = "The 3-month assessment decides further treatment: choose a decision."
    if followup.decision and not followup.is_assessment:
        errors["decision"] = "A treatment decision is recorded only at the 3-month assessment."
    if followup.decision == Decision.HOME_CARE and not followup.home_care_protocol:
        errors["home_care_protocol"] = "Describe the home-care protocol the patient follows."
    if errors:
        raise ValidationError(errors)
    completed_at = completed_at or timezone.now()
    _check_contact_time(followup, completed_at, "completed_at")
    followup.status = FollowUpStatus.COMPLETED
    followup.completed_at = completed_at
    followup.completed_by = user
    followup.full_clean()
    attribute(
        followup, user=user, reason="Completed after being marked missed" if was_missed else "Completed"
    )
    followup.save()
    return followup


@transaction.atomic
def followup_record_attempt(
    *,
    followup: FollowUp,
    user,
    contact: str,
    outcome: str,
    notes: str = "",
    mark_missed: bool = False,
    at=None,
    expected_version=None,
) -> FollowUpAttempt:
    """Record a contact attempt that did not reach the patient; with ``mark_missed`` the follow-up
    is given up as missed (it can still be completed if the patient calls back)."""
    followup.check_version(expected_version)
    _refuse_unless_scheduled(followup, "marked missed" if mark_missed else "given a contact attempt")
    at = at or timezone.now()
    _check_contact_time(followup, at, "at")
    attempt = FollowUpAttempt(
        followup=followup, at=at, by=user, contact=contact, outcome=outcome, notes=(notes or "").strip()
    )
    attempt.full_clean()
    attribute(attempt, user=user, reason="Contact attempt")
    attempt.save()
    if mark_missed:
        count = followup.attempts.count()
        followup.status = FollowUpStatus.MISSED
        followup.full_clean()
        plural = "s" if count != 1 else ""
        outcome_label = attempt.get_outcome_display().lower()
        attribute(
            followup, user=user, reason=f"Marked missed after {count} attempt{plural} ({outcome_label})"
        )
        followup.save()
    return attempt


@transaction.atomic
def followup_cancel(*, followup: FollowUp, user, reason: str, expected_version=None) -> FollowUp:
    followup.check_version(expected_version)
    _refuse_unless_scheduled(followup, "cancelled")
    reason = _required_text(reason, "reason", "Say why this follow-up is cancelled.")
    followup.status = FollowUpStatus.CANCELLED
    followup.status_reason = reason
    followup.full_clean()
    attribute(followup, user=user, reason=f"Cancelled: {reason}")
    followup.save()
    return followup


@transaction.atomic
def followup_reschedule(
    *, followup: FollowUp, user, new_due: dt.date, reason: str, expected_version=None
) -> FollowUp:
    followup.check_version(expected_version)
    _refuse_unless_scheduled(followup, "rescheduled")
    reason = _required_text(reason, "reason", "Say why this follow-up is rescheduled.")
    treated = followup.treatment.treatment_date
    today = timezone.localdate()
    if new_due <= treated:
        raise ValidationError(
            {"new_due": f"The new due date must be after the treatment date ({treated:%Y-%m-%d})."}
        )
    if new_due < today:
        raise ValidationError({"new_due": f"The new due date must be today ({today:%Y-%m-%d}) or later."})
    latest = today + dt.timedelta(days=RESCHEDULE_HORIZON_DAYS)
    if new_due > latest:
        # Also keeps the window arithmetic below clear of the calendar's end (found by fuzzing).
        raise ValidationError(
            {"new_due": f"The new due date must be within two years ({latest:%Y-%m-%d} at the latest)."}
        )
    if new_due == followup.due_on:
        raise ValidationError({"new_due": f"The follow-up is already due on {new_due:%Y-%m-%d}."})
    within = followup.window_start <= new_due <= followup.window_end
    if not within:
        before = followup.due_on - followup.window_start
        after = followup.window_end - followup.due_on
        followup.window_start = max(new_due - before, treated + dt.timedelta(days=1))
        followup.window_end = new_due + after
    old_due = followup.due_on
    followup.due_on = new_due
    followup.status_reason = reason
    followup.full_clean()
    where = "in window" if within else "window moved"
    # The full reason stays in status_reason; the history row gets a summary that fits its column.
    attribute(
        followup,
        user=user,
        reason=f"Rescheduled {old_due:%Y-%m-%d} → {new_due:%Y-%m-%d} ({where}): {reason}",
    )
    followup.save()
    return followup
