"""The home page's dashboard figures, by what the user may see (constant queries)."""

import datetime as dt

from treatments.models import Patient
from treatments.selectors.followups import followup_counts
from treatments.selectors.side_effect_figures import (
    default_period,
    patient_share,
    reports_for,
    treatments_in_period,
)
from treatments.selectors.side_effects import side_effect_review_queue


def dashboard_figures(*, user, today: dt.date) -> dict:
    """Each figure the user may see, keyed as the home page's includes name them: the patient
    count, the worklist's counts, the review queue's size and the share of treated patients with a
    side effect over the last 12 months."""
    figures = {}
    if user.has_perm("treatments.view_patient"):
        figures["patient_count"] = Patient.objects.active().count()
    if user.has_perm("treatments.view_followup"):
        figures["followup_counts"] = followup_counts(today=today)
    if user.has_perm("treatments.review_sideeffectreport"):
        figures["review_queue_size"] = side_effect_review_queue(today=today).count()
    if user.has_perm("treatments.view_sideeffectreport"):
        start, end = default_period(today=today)
        treatments = treatments_in_period(start=start, end=end)
        figures["side_effect_share"] = patient_share(
            treatments=treatments, reports=reports_for(treatments=treatments)
        )
    return figures
