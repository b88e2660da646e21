"""The home page's dashboard figures, by what the user may see (constant queries)."""

import datetime as dt

from treatments.models import FollowUp, Patient
from treatments.models.followups import section_conditions
from treatments.selectors.side_effect_figures import (
    default_period,
    patient_share,
    reports_for,
    treatments_in_period,
)
from treatments.selectors.side_effects import side_effect_review_queue

# The worklist sections the dashboard has a card for ("upcoming" has none: counting a month ahead
# would read a month of follow-ups for a figure nobody sees).
FOLLOWUP_CARDS = ("due_today", "due_this_week", "overdue")


def followup_cards(*, today: dt.date) -> dict[str, int]:
    """Open follow-ups due today, later this week and overdue, by the worklist's own section rules,
    in one query, each counted up to COUNT_CAP + 1 as the worklist's tabs are (the card then says
    "500+"): an index range of at most that many entries per card, whatever the clinic's size."""
    conditions = {
        key: condition for key, condition in section_conditions(today).items() if key in FOLLOWUP_CARDS
    }
    return FollowUp.objects.count_sections(conditions)


def dashboard_figures(*, user, today: dt.date) -> dict:
    """Each figure the user may see, keyed as the home page's includes name them: the patient
    count, the worklist's cards, the review queue's size and the share of treated patients with a
    side effect over the default period (the last 30 days)."""
    figures = {}
    if user.has_perm("treatments.view_patient"):
        figures["patient_count"] = Patient.objects.active().count()
    if user.has_perm("treatments.view_followup"):
        figures["followup_counts"] = followup_cards(today=today)
    if user.has_perm("treatments.review_sideeffectreport"):
        figures["review_queue_size"] = side_effect_review_queue(today=today).count()
    if user.has_perm("treatments.view_sideeffectreport"):
        start, end = default_period(today=today)
        treatments = treatments_in_period(start=start, end=end)
        figures["side_effect_share"] = patient_share(
            treatments=treatments, reports=reports_for(treatments=treatments)
        )
    return figures
