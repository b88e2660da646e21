"""What the patient page shows about follow-up: pending treatment plans from 3-month
assessments, outcomes over time, open follow-ups and side-effect reports."""

from django.utils import timezone

from treatments.models import (
    PLANNED_TREATMENT_DECISIONS,
    FollowUp,
    FollowUpStatus,
    SideEffectReport,
    Treatment,
)
from treatments.selectors.outcomes import outcome_series


def pending_plans(patient) -> list[FollowUp]:
    """Completed 3-month assessments that decided on a booster, second round or escalation and
    are still waiting for it: pending until the patient has a current (draft or signed) treatment
    with that course position on or after the day of the decision. Two queries at most."""
    assessments = list(
        FollowUp.objects.active()
        .filter(
            patient=patient,
            status=FollowUpStatus.COMPLETED,
            is_assessment=True,
            decision__in=PLANNED_TREATMENT_DECISIONS,
        )
        .select_related("completed_by", "treatment")
        .order_by("completed_at", "id")
    )
    if not assessments:
        return []
    given = [
        (position, timezone.localdate(performed_at))
        for position, performed_at in Treatment.objects.current()
        .filter(patient=patient, course_position__in=PLANNED_TREATMENT_DECISIONS)
        .values_list("course_position", "performed_at")
    ]
    pending = []
    for assessment in assessments:
        decided_on = timezone.localdate(assessment.completed_at)
        if not any(position == assessment.decision and day >= decided_on for position, day in given):
            pending.append(assessment)
    return pending


def patient_followup_context(patient) -> dict:
    """Everything the patient page's follow-up includes need (six queries, whatever the counts):
    ``patient_outcomes.html``, ``patient_plans.html`` and ``patient_followups.html``."""
    return {
        "outcome_series": outcome_series(patient=patient),
        "pending_plans": pending_plans(patient),
        "patient_open_followups": list(
            FollowUp.objects.open().filter(patient=patient).order_by("due_on", "id")
        ),
        "patient_side_effects": list(
            SideEffectReport.objects.active()
            .filter(patient=patient)
            .select_related("treatment")
            .order_by("-onset", "-id")
        ),
        "today": timezone.localdate(),
    }
