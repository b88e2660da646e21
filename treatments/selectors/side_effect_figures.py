"""Side-effect figures over a period, for the figures page and the dashboard.

One function per figure (querysets in, data out), with a shared "not enough data" state.

Definitions (the same on the dashboard and the figures page):

- **Treatments in the period**: signed treatments (not drafts, not voided, not originals superseded
  by an amendment) whose date, in the clinic's time zone, lies between start and end inclusive.
- **Treated patients**: distinct patients with at least one such treatment.
- **Reports counted**: side-effect reports that are not voided and are linked to one of those
  treatments, whatever their onset date (a report of a treatment before the period is not
  counted, even if its onset falls in the period: its patient was treated outside the period).
- **Share**: treated patients with at least one counted report / treated patients, next to the
  share the clinic's FAQ states.
- **By route and by lot**: through the linked treatment's (active) administrations. A treatment
  given by two routes counts once under each route, and so do its reports; a report therefore
  counts once per route (and once per lot), so these rows do not add up to the report total.

The pages read them through the cache (``figure_cache``): computed as above, then kept until a
treatment, administration, report, lot or product changes (or the period, or the day, moves).
"""

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from treatments.models import Administration, Grade, Route, SideEffectReport, Term, Treatment
from treatments.models.followup_worklist import local_midnight
from treatments.selectors.figure_cache import cached_figure, data_version

# The clinic FAQ ("What Can I Expect After the Procedure? Are There Any Side Effects?"): "Less than
# 10% of patients have reported developing a mild fever, headache, nausea or vomiting."
FAQ_STATED_SHARE = Decimal("0.10")
# Below this many treated patients a share says more about chance than about the treatment.
MIN_TREATED_PATIENTS = 5
# The period shown unless another is asked for: this month's work, on the dashboard and the figures
# page alike. A year would read every treatment of a young clinic and grow with the clinic; a
# longer period is one choice away on the figures page.
DEFAULT_PERIOD_DAYS = 30


def default_period(*, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The last 30 days up to today (inclusive)."""
    today = today or timezone.localdate()
    return today - dt.timedelta(days=DEFAULT_PERIOD_DAYS - 1), today


def treatments_in_period(*, start: dt.date, end: dt.date) -> QuerySet:
    return Treatment.objects.signed().filter(
        performed_at__gte=local_midnight(start), performed_at__lt=local_midnight(end + dt.timedelta(days=1))
    )


def reports_for(*, treatments: QuerySet) -> QuerySet:
    return SideEffectReport.objects.active().filter(treatment__in=treatments)


def percent(part: int, whole: int) -> Decimal | None:
    """part / whole as a percentage with one decimal, or None when there is nothing to divide by."""
    if not whole:
        return None
    return (Decimal(100) * part / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def patient_share(*, treatments: QuerySet, reports: QuerySet) -> dict:
    """Treated patients, those with any side effect, and the share next to the FAQ's (2 queries)."""
    treated = treatments.values("patient").distinct().count()
    affected = reports.values("patient").distinct().count()
    share = percent(affected, treated)
    stated = Decimal(100) * FAQ_STATED_SHARE
    return {
        "treated_patients": treated,
        "patients_with_report": affected,
        "share_percent": share,
        "stated_percent": stated.quantize(Decimal("0.1")),
        "above_stated": share is not None and share > stated,
        "enough_data": treated >= MIN_TREATED_PATIENTS,
        "min_patients": MIN_TREATED_PATIENTS,
    }


def _per_choice(reports: QuerySet, field: str, choices) -> list[dict]:
    """Reports and patients per value of ``field``, every choice listed, zeros included (one query)."""
    counts = {
        row[field]: row
        for row in reports.values(field).annotate(
            reports=Count("id"), patients=Count("patient", distinct=True)
        )
    }
    return [
        {
            field: choice.value,
            "label": choice.label,
            "reports": counts.get(choice.value, {}).get("reports", 0),
            "patients": counts.get(choice.value, {}).get("patients", 0),
        }
        for choice in choices
    ]


def by_term(*, reports: QuerySet) -> list[dict]:
    """Reports and patients per term (one query). "Other" keeps its texts."""
    return _per_choice(reports, "term", Term)


def by_grade(*, reports: QuerySet) -> list[dict]:
    """Reports and patients per CTCAE grade 1–5 (one query)."""
    return _per_choice(reports, "grade", Grade)


def _exposure_rows(treatments: QuerySet, group_by: list[str], identify) -> list[dict]:
    """Per group of administrations: treatments, treatments with a report, reports and the share
    (one query); ``identify(row)`` gives the group's own keys (its id and label)."""
    reported = Q(treatment__side_effects__id__isnull=False, treatment__side_effects__voided_at__isnull=True)
    rows = (
        Administration.objects.active()
        .filter(treatment__in=treatments)
        .values(*group_by)
        .annotate(
            treatments=Count("treatment", distinct=True),
            treatments_with_report=Count("treatment", distinct=True, filter=reported),
            reports=Count("treatment__side_effects", distinct=True, filter=reported),
        )
        .order_by(*group_by)
    )
    return [
        identify(row)
        | {
            "treatments": row["treatments"],
            "treatments_with_report": row["treatments_with_report"],
            "reports": row["reports"],
            "share_percent": percent(row["treatments_with_report"], row["treatments"]),
        }
        for row in rows
    ]


def by_route(*, treatments: QuerySet) -> list[dict]:
    """Per route used in the period (one query)."""
    labels = dict(Route.choices)
    return _exposure_rows(
        treatments,
        ["route"],
        lambda row: {"route": row["route"], "label": labels.get(row["route"], row["route"])},
    )


def by_lot(*, treatments: QuerySet) -> list[dict]:
    """Per lot used in the period: the same counts as by route (one query)."""
    return _exposure_rows(
        treatments,
        ["lot_id", "lot__product__name", "lot__lot_number"],
        lambda row: {
            "lot_id": row["lot_id"],
            "label": f"{row['lot__product__name']} lot {row['lot__lot_number']}",
        },
    )


def side_effect_figures(*, start: dt.date, end: dt.date) -> dict:
    """All figures for a period (six queries)."""
    treatments = treatments_in_period(start=start, end=end)
    reports = reports_for(treatments=treatments)
    share = patient_share(treatments=treatments, reports=reports)
    terms = by_term(reports=reports)
    return {
        "start": start,
        "end": end,
        "share": share,
        "enough_data": share["enough_data"],
        # Every report has exactly one term: the per-term counts add up to the reports counted.
        "report_count": sum(row["reports"] for row in terms),
        "by_term": terms,
        "by_grade": by_grade(reports=reports),
        "by_route": by_route(treatments=treatments),
        "by_lot": by_lot(treatments=treatments),
    }


# The tables the side-effect figures read (the lots and products for the lot rows' labels).
SIDE_EFFECT_TABLES = ("treatment", "administration", "report", "lot", "product")


def figures_page(*, start: dt.date, end: dt.date) -> dict:
    """The figures page's figures: side_effect_figures, from the cache while the data behind them is
    unchanged (one query for the data version, plus six when they are computed)."""
    return cached_figure(
        "side_effect_figures",
        version=data_version(),
        tables=SIDE_EFFECT_TABLES,
        args=(start, end),
        compute=lambda: side_effect_figures(start=start, end=end),
    )
