"""Reads of side-effect reports: the list page's rows and the physicians' review queue."""

import datetime as dt

from treatments.filters.side_effects import SideEffectFilter
from treatments.models import SideEffectReport


def side_effect_list(*, filters: SideEffectFilter):
    """The list page's reports, newest onset first, as the filters ask (the active ones unless
    "voided only" is ticked)."""
    reports = SideEffectReport.objects.with_page_relations().order_by("-onset", "-id")
    return filters.filter_queryset(reports)


def side_effect_review_queue(*, today: dt.date):
    """Reports waiting for a physician's review on ``today``, oldest onset first: the queue page,
    the dashboard's card and the digest."""
    return SideEffectReport.objects.with_page_relations().needing_review(today).order_by("onset", "id")
