"""The dashboard's follow-up and side-effect figures, by what the user may see (constant queries)."""

from treatments.models import FollowUp, SideEffectReport
from treatments.selectors.side_effect_figures import (
    default_period,
    patient_share,
    reports_for,
    treatments_in_period,
)


def dashboard_context(user) -> dict:
    context = {}
    if user.has_perm("treatments.view_followup"):
        context["followup_counts"] = FollowUp.objects.worklist_counts()
    if user.has_perm("treatments.review_sideeffectreport"):
        context["review_queue_size"] = SideEffectReport.objects.needing_review().count()
    if user.has_perm("treatments.view_sideeffectreport"):
        start, end = default_period()
        treatments = treatments_in_period(start=start, end=end)
        context["side_effect_share"] = patient_share(
            treatments=treatments, reports=reports_for(treatments=treatments)
        )
    return context
