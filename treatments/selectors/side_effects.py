"""Reads of side-effect reports: the list page's rows, the treatments a report can follow, and the
physicians' review queue."""

import datetime as dt

from django.db.models import BooleanField, ExpressionWrapper, QuerySet

from treatments.filters.side_effects import SideEffectFilter
from treatments.models import (
    Administration,
    Patient,
    SideEffectReport,
    Treatment,
    TreatmentStatus,
)
from treatments.models.side_effects import any_seriousness

# Why a patient's page offers no "Report a side effect", and what the report form says instead.
NO_SIGNED_TREATMENT = "Side effects are reported against a signed treatment; this patient has none yet."


def side_effect_treatments(*, patient: Patient) -> QuerySet[Treatment]:
    """The treatments a report on ``patient`` can follow: signed ones (not drafts, voided or
    superseded treatments), latest first. The same rule as the service's check."""
    return patient.treatments.signed().order_by("-performed_at", "-id")


def can_report_side_effect(*, treatments: list[Treatment]) -> bool:
    """Whether a report can be made, from treatments already read (no query): one is signed."""
    return any(treatment.status == TreatmentStatus.SIGNED for treatment in treatments)


def side_effect_list(*, filters: SideEffectFilter):
    """The list page's reports, newest onset first, as the filters ask (the active ones unless
    "voided only" is ticked)."""
    reports = SideEffectReport.objects.with_page_relations().order_by("-onset", "-id")
    return filters.filter_queryset(reports)


def side_effect_review_queue(*, today: dt.date):
    """Reports waiting for a physician's review on ``today``, the most urgent first: serious ones
    first, then by grade (5 to 1), then the oldest onset: the queue page, its download and the
    digest.

    The queue's ids are read first, from its two partial indexes (``needing_review``), then its
    rows by primary key with their relations: asked in one query, the planner cannot tell that
    the union holds a handful of reports (it guesses a third of all of them) and joins every
    treatment of the clinic to find their rows."""
    serious = ExpressionWrapper(any_seriousness(), output_field=BooleanField())
    ids = list(SideEffectReport.objects.needing_review(today).values_list("pk", flat=True))
    return (
        SideEffectReport.objects.with_page_relations()
        .filter(pk__in=ids)
        .order_by(serious.desc(), "-grade", "onset", "id")
    )


def side_effect_review_queue_size(*, today: dt.date) -> int:
    """How many reports wait for a physician's review on ``today`` (the dashboard's card): one count
    over the queue's two partial indexes."""
    return SideEffectReport.objects.needing_review(today).count()


def side_effect_administrations(*, report: SideEffectReport) -> list[Administration]:
    """What the report's treatment gave (route, site, dose, lot and product), for the review page:
    one query whatever the number of administrations."""
    return list(
        Administration.objects.active()
        .filter(treatment_id=report.treatment_id)
        .select_related("lot__product")
        .order_by("order", "id")
    )
