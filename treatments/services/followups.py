"""Follow-up scheduling tied to a treatment's life: created on signing, cancelled on voiding, moved
on amendment. The worklist actions (complete, miss, reschedule) live in followup_actions.py."""

import datetime as dt

from clinic.audit import attribute
from clinic.formats import day as format_day
from treatments.models import FollowUp, FollowUpStatus, Protocol, Treatment


def followup_dates(treatment_date: dt.date, step) -> tuple[dt.date, dt.date, dt.date]:
    """(window start, due, window end) of a step for a treatment on ``treatment_date``."""
    due = treatment_date + dt.timedelta(days=step.offset_days)
    return (
        due - dt.timedelta(days=step.window_before_days),
        due,
        due + dt.timedelta(days=step.window_after_days),
    )


def followups_plan(*, treatment: Treatment, steps, user) -> list[FollowUp]:
    """The follow-ups ``steps`` (the protocol in force on the treatment date) give this treatment,
    unsaved: the one statement of the schedule, shared by signing and the demo's bulk path."""
    day = treatment.treatment_date
    planned = []
    for step in steps:
        start, due, end = followup_dates(day, step)
        planned.append(
            FollowUp(
                treatment=treatment,
                patient_id=treatment.patient_id,
                physician_id=treatment.physician_id,
                step=step,
                step_name=step.name,
                kind=step.kind,
                is_assessment=step.is_assessment,
                due_on=due,
                window_start=start,
                window_end=end,
                created_by=user,
            )
        )
    return planned


def followups_schedule(*, treatment: Treatment, user) -> list[FollowUp]:
    """Create the follow-ups of the protocol in force on the treatment date (call inside the
    signing transaction). A treatment that already has follow-ups gets none twice."""
    if treatment.followups.exists():
        return list(treatment.followups.all())
    protocol = Protocol.objects.in_force_on(treatment.treatment_date)
    created = followups_plan(treatment=treatment, steps=protocol.steps.all(), user=user)
    for followup in created:
        attribute(followup, user=user, reason="Scheduled on signing")
        followup.save()
    return created


def followups_cancel_open(*, treatment: Treatment, user, reason: str) -> int:
    """Cancel the treatment's follow-ups that are still scheduled; completed ones stay as they are."""
    count = 0
    for followup in treatment.followups.open():
        followup.status = FollowUpStatus.CANCELLED
        followup.status_reason = reason
        attribute(followup, user=user, reason=reason)
        followup.save()
        count += 1
    return count


def followups_move_to_amendment(*, original: Treatment, amendment: Treatment, user) -> None:
    """Re-anchor the original's follow-ups on the signed amendment; open ones follow its new date.

    Completed, missed and cancelled follow-ups keep their dates: they record what happened.
    """
    reason = f"Moved to the amendment of {format_day(original.treatment_date)}"
    for followup in original.followups.select_related("step"):
        followup.treatment = amendment
        followup.physician_id = amendment.physician_id
        if followup.status == FollowUpStatus.SCHEDULED:
            followup.window_start, followup.due_on, followup.window_end = followup_dates(
                amendment.treatment_date, followup.step
            )
        attribute(followup, user=user, reason=reason)
        followup.save()
