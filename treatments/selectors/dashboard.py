"""The home page's dashboard figures, by what the user may see (constant queries).

The active patients, the review queue's size and the side-effect share read rows in proportion to
the clinic: they come from the cache (``figure_cache``) while the records behind them (and the day)
are unchanged. The follow-up cards are read each time: capped index ranges, constant at any size.
"""

import datetime as dt

from treatments.models import FollowUp, Patient
from treatments.models.followup_worklist import section_conditions
from treatments.selectors.admin_dashboard import admin_cards
from treatments.selectors.figure_cache import cached_figure, data_version
from treatments.selectors.side_effect_figures import (
    SIDE_EFFECT_TABLES,
    default_period,
    patient_share,
    reports_for,
    treatments_in_period,
)
from treatments.selectors.side_effects import side_effect_review_queue_size

# The worklist sections the dashboard has a card for ("upcoming" has none: counting a month ahead
# would read a month of follow-ups for a figure nobody sees). "missed" counts the missed ones no
# physician has seen yet (followup_missed_unseen_idx: a partial index of those rows only).
FOLLOWUP_CARDS = ("due_today", "due_this_week", "overdue", "missed")


def followup_cards(*, today: dt.date) -> dict[str, int]:
    """Open follow-ups due today, later this week and overdue, and the missed ones no physician has
    seen yet, by the worklist's own section rules, in one query, each counted up to COUNT_CAP + 1
    as the worklist's tabs are (the card then says "500+"): an index range of at most that many
    entries per card, whatever the clinic's size. Not cached: a card a call just changed must
    change with it."""
    conditions = {
        key: condition for key, condition in section_conditions(today).items() if key in FOLLOWUP_CARDS
    }
    return FollowUp.objects.count_sections(conditions)


def dashboard_figures(*, user, today: dt.date) -> dict:
    """Each figure the user may see, keyed as the home page's includes name them: the patient
    count, the worklist's cards, the review queue's size and the share of treated patients with a
    side effect over the default period (the last 30 days)."""
    figures = {}
    sees_patients = user.has_perm("treatments.view_patient")
    sees_queue = user.has_perm("treatments.review_sideeffectreport")
    sees_share = user.has_perm("treatments.view_sideeffectreport")
    version = data_version() if sees_patients or sees_queue or sees_share else None
    if sees_patients:
        figures["patient_count"] = cached_figure(
            "active_patients",
            version=version,
            tables=("patient",),
            args=(),
            compute=lambda: Patient.objects.active().count(),
        )
    if user.has_perm("treatments.view_followup"):
        figures["followup_counts"] = followup_cards(today=today)
    if sees_queue:
        figures["review_queue_size"] = cached_figure(
            "review_queue_size",
            version=version,
            tables=("report",),
            args=(today,),
            compute=lambda: side_effect_review_queue_size(today=today),
        )
    if sees_share:
        start, end = default_period(today=today)
        figures["side_effect_share"] = cached_figure(
            "side_effect_share",
            version=version,
            tables=SIDE_EFFECT_TABLES,
            args=(start, end),
            compute=lambda: share_over(start=start, end=end),
        )
    if cards := admin_cards(user=user, today=today):
        figures["admin_cards"] = cards
    return figures


def share_over(*, start: dt.date, end: dt.date) -> dict:
    """The share of treated patients with a side effect over a period (two queries)."""
    treatments = treatments_in_period(start=start, end=end)
    return patient_share(treatments=treatments, reports=reports_for(treatments=treatments))
