"""Working a follow-up from the worklist: complete it, record contact attempts (and mark it missed),
cancel it, reschedule it, and acknowledge a missed one as seen.

Rules (decided here, shown to staff as form errors):

- Who may take which action on a follow-up in which state is decided once, by ``action_refusal``:
  the services refuse with its message, and the pages offer only the actions it allows
  (``followup_allowed_actions``), so no button leads to a refusal.
- Only a scheduled follow-up can get an attempt, be marked missed, cancelled or rescheduled.
- A scheduled follow-up can be completed, and so can a missed one: when the patient calls back
  after being marked missed, the contact is still recorded (the history keeps the "missed" step).
  The 3-month assessment is completed by a physician only (it decides further treatment).
- A missed follow-up stays in the worklist's "Missed" section until a physician acknowledges it
  as seen (who and when are kept, and the history row).
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
from clinic.formats import day as format_day
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


# The actions on a follow-up, in the order a page offers them (the first allowed is the primary
# one), with their button labels. The worklist links each to ``?action=<key>`` on the follow-up's
# page, which shows that action's form alone.
ACTIONS = {
    "acknowledge": "Mark seen",
    "complete": "Complete",
    "attempt": "Record attempt",
    "reschedule": "Reschedule",
    "cancel": "Cancel",
}
VERBS = {
    "acknowledge": "acknowledged as seen",
    "complete": "completed",
    "attempt": "given a contact attempt",
    "reschedule": "rescheduled",
    "cancel": "cancelled",
}
CHANGE_PERMISSION = "treatments.change_followup"
ASSESSMENT_PERMISSION = "treatments.complete_assessment"
ACKNOWLEDGE_PERMISSION = "treatments.acknowledge_missed"
ASSESSMENT_REFUSAL = (
    "The 3-month assessment is completed by a physician, who decides further treatment. "
    "Staff can record contact attempts or reschedule it."
)


def action_refusal(
    *,
    user,
    action: str,
    status: str,
    is_assessment: bool,
    voided: bool = False,
    missed_seen: bool = False,
    verb: str | None = None,
) -> str | None:
    """Why ``user`` may not take ``action`` on a follow-up in this state, or None when they may:
    the one place the rules of who does what live (services and pages both ask it)."""
    verb = verb or VERBS[action]
    label = FollowUpStatus(status).label.lower()
    if action == "acknowledge":
        if not user.has_perm(ACKNOWLEDGE_PERMISSION):
            return "A physician acknowledges a missed follow-up as seen."
        if voided:
            return f"This follow-up is voided: it cannot be {verb}."
        if status != FollowUpStatus.MISSED:
            return f"This follow-up is {label}: only a missed follow-up can be {verb}."
        if missed_seen:
            return "This missed follow-up has been seen already."
        return None
    if not user.has_perm(CHANGE_PERMISSION):
        return "Your role cannot work follow-ups."
    if voided:
        return f"This follow-up is voided: it cannot be {verb}."
    if action == "complete":
        if status not in (FollowUpStatus.SCHEDULED, FollowUpStatus.MISSED):
            return f"This follow-up is {label}: only a scheduled or missed follow-up can be completed."
        if is_assessment and not user.has_perm(ASSESSMENT_PERMISSION):
            # domain.md: physicians decide on boosters at the 3-month assessment.
            return ASSESSMENT_REFUSAL
        return None
    if status != FollowUpStatus.SCHEDULED:
        return f"This follow-up is {label}: only a scheduled follow-up can be {verb}."
    return None


def followup_allowed_actions(
    *, user, status: str, is_assessment: bool, voided: bool = False, missed_seen: bool = False
) -> tuple[str, ...]:
    """The actions (keys of ACTIONS, primary first) that ``user`` may take on such a follow-up."""
    state = {"status": status, "is_assessment": is_assessment, "voided": voided, "missed_seen": missed_seen}
    return tuple(action for action in ACTIONS if action_refusal(user=user, action=action, **state) is None)


def allowed_actions_for(*, user, followup: FollowUp) -> tuple[str, ...]:
    return followup_allowed_actions(user=user, **_state(followup))


def _state(followup: FollowUp) -> dict:
    return {
        "status": followup.status,
        "is_assessment": followup.is_assessment,
        "voided": followup.is_voided,
        "missed_seen": followup.missed_seen_at is not None,
    }


def _refuse(followup: FollowUp, user, action: str, verb: str | None = None) -> None:
    refusal = action_refusal(user=user, action=action, verb=verb, **_state(followup))
    if refusal:
        raise ValidationError(refusal)


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
            {field: f"The contact must be on or after the treatment date ({format_day(treated)})."}
        )


@transaction.atomic
def followup_complete(
    *, followup: FollowUp, user, data: dict, completed_at=None, expected_version=None
) -> FollowUp:
    """Record the contact and its outcome measures; ``data`` holds COMPLETION_FIELDS."""
    followup.check_version(expected_version)
    _refuse(followup, user, "complete")
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
    _refuse(followup, user, "attempt", "marked missed" if mark_missed else None)
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
    _refuse(followup, user, "cancel")
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
    _refuse(followup, user, "reschedule")
    reason = _required_text(reason, "reason", "Say why this follow-up is rescheduled.")
    treated = followup.treatment.treatment_date
    today = timezone.localdate()
    if new_due <= treated:
        raise ValidationError(
            {"new_due": f"The new due date must be after the treatment date ({format_day(treated)})."}
        )
    if new_due < today:
        raise ValidationError({"new_due": f"The new due date must be today ({format_day(today)}) or later."})
    latest = today + dt.timedelta(days=RESCHEDULE_HORIZON_DAYS)
    if new_due > latest:
        # Also keeps the window arithmetic below clear of the calendar's end (found by fuzzing).
        raise ValidationError(
            {"new_due": f"The new due date must be within two years ({format_day(latest)} at the latest)."}
        )
    if new_due == followup.due_on:
        raise ValidationError({"new_due": f"The follow-up is already due on {format_day(new_due)}."})
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
        reason=f"Rescheduled {format_day(old_due)} → {format_day(new_due)} ({where}): {reason}",
    )
    followup.save()
    return followup


@transaction.atomic
def followup_acknowledge_missed(*, followup: FollowUp, user, expected_version=None) -> FollowUp:
    """A physician has seen that this follow-up was missed: it leaves the "Missed" section (and
    the dashboard's count), who and when are kept on it, and its history says so."""
    followup.check_version(expected_version)
    _refuse(followup, user, "acknowledge")
    followup.missed_seen_at = timezone.now()
    followup.missed_seen_by = user
    followup.full_clean()
    attribute(followup, user=user, reason="Missed follow-up seen by a physician")
    followup.save()
    return followup
