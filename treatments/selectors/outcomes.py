"""Outcome measures over time for one patient, for the patient page's chart and table.

Baselines at each treatment and the measures taken at completed follow-ups, as one date-sorted series.
"""

from django.utils import timezone

from clinic.formats import day as format_day
from treatments.models import FollowUp, FollowUpStatus, Treatment, TreatmentStatus

MEASURES = [
    {"key": "pain", "label": "Pain (0–10, lower is better)", "axis": "y"},
    {"key": "energy", "label": "Energy (0–10, higher is better)", "axis": "y"},
    {
        "key": "global_impression",
        "label": "Global impression of change (1–7, 1 very much improved, 4 no change)",
        "axis": "y1",
    },
]
MEASURE_KEYS = [measure["key"] for measure in MEASURES]


def _baseline_points(treatments) -> list[dict]:
    return [
        {
            "date": treatment.treatment_date.isoformat(),
            "day": format_day(treatment.treatment_date),
            "label": f"Round {treatment.round_number} baseline "
            f"({treatment.get_course_position_display().lower()})",
            "kind": "baseline",
            "pain": treatment.baseline_pain,
            "energy": treatment.baseline_energy,
            "global_impression": None,
        }
        for treatment in treatments
    ]


def _followup_points(followups) -> list[dict]:
    return [
        {
            "date": timezone.localdate(followup.completed_at).isoformat(),
            "day": format_day(followup.completed_at),
            "label": f"Round {followup.treatment.round_number} · {followup.step_name}",
            "kind": "followup",
            "pain": followup.pain,
            "energy": followup.energy,
            "global_impression": followup.global_impression,
        }
        for followup in followups
    ]


def outcome_series(*, patient, treatments: list | None = None, followups: list | None = None) -> dict:
    """``{"measures": [...], "points": [...], "has_data": bool}``.

    A point is one occasion: the baseline recorded on a signed treatment (labelled with its round
    and course position) or a completed follow-up (labelled with its round and step), with the
    value of each measure or None. Occasions without any measure are left out.

    Reads the patient's signed treatments and completed follow-ups in two queries (the follow-ups
    through followup_patient_done_idx: patient, status, completed_at); the patient page passes the
    lists it has already read (every treatment and follow-up of the patient) instead: no query.
    """
    if treatments is None:
        signed = list(
            Treatment.objects.signed()
            .filter(patient=patient)
            .only("performed_at", "round_number", "course_position", "baseline_pain", "baseline_energy")
        )
    else:
        signed = [t for t in treatments if t.status == TreatmentStatus.SIGNED]
    if followups is None:
        completed = list(
            FollowUp.objects.active()
            .filter(patient=patient, status=FollowUpStatus.COMPLETED)
            .select_related("treatment")
            .only(
                "completed_at", "step_name", "pain", "energy", "global_impression", "treatment__round_number"
            )
            .order_by("completed_at", "id")
        )
    else:
        completed = [f for f in followups if f.status == FollowUpStatus.COMPLETED and not f.is_voided]
    signed.sort(key=lambda t: (t.performed_at, t.pk))
    completed.sort(key=lambda f: (f.completed_at, f.pk))
    points = _baseline_points(signed) + _followup_points(completed)
    points = [p for p in points if any(p[key] is not None for key in MEASURE_KEYS)]
    # Same day: the baseline (taken before the treatment) comes before a follow-up.
    points.sort(key=lambda p: (p["date"], p["kind"] != "baseline"))
    return {"measures": MEASURES, "points": points, "has_data": bool(points)}
