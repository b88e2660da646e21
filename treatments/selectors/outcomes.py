"""Outcome measures over time for one patient, for the patient page's chart and table.

Baselines at each treatment and the measures taken at completed follow-ups, as one date-sorted series.
"""

from django.utils import timezone

from treatments.models import FollowUp, FollowUpStatus, Treatment

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


def _baseline_points(patient) -> list[dict]:
    treatments = Treatment.objects.signed().filter(patient=patient).order_by("performed_at", "id")
    return [
        {
            "date": treatment.treatment_date.isoformat(),
            "label": f"Round {treatment.round_number} baseline "
            f"({treatment.get_course_position_display().lower()})",
            "kind": "baseline",
            "pain": treatment.baseline_pain,
            "energy": treatment.baseline_energy,
            "global_impression": None,
        }
        for treatment in treatments.only(
            "performed_at", "round_number", "course_position", "baseline_pain", "baseline_energy"
        )
    ]


def _followup_points(patient) -> list[dict]:
    followups = (
        FollowUp.objects.active()
        .filter(patient=patient, status=FollowUpStatus.COMPLETED)
        .select_related("treatment")
        .only("completed_at", "step_name", "pain", "energy", "global_impression", "treatment__round_number")
        .order_by("completed_at", "id")
    )
    return [
        {
            "date": timezone.localdate(followup.completed_at).isoformat(),
            "label": f"Round {followup.treatment.round_number} · {followup.step_name}",
            "kind": "followup",
            "pain": followup.pain,
            "energy": followup.energy,
            "global_impression": followup.global_impression,
        }
        for followup in followups
    ]


def outcome_series(*, patient) -> dict:
    """``{"measures": [...], "points": [...], "has_data": bool}`` in two queries.

    A point is one occasion: the baseline recorded on a signed treatment (labelled with its round
    and course position) or a completed follow-up (labelled with its round and step), with the
    value of each measure or None. Occasions without any measure are left out.
    """
    points = _baseline_points(patient) + _followup_points(patient)
    points = [p for p in points if any(p[key] is not None for key in MEASURE_KEYS)]
    # Same day: the baseline (taken before the treatment) comes before a follow-up.
    points.sort(key=lambda p: (p["date"], p["kind"] != "baseline"))
    return {"measures": MEASURES, "points": points, "has_data": bool(points)}
