"""Each report page's figures (and its downloads' tables), from the figure cache while the records
behind them are unchanged.

A report aggregates every treatment of its period: at a chain's size (100k patients, a year of
treatments) that is hundreds of milliseconds of database work per figure. The page's figures are
therefore kept in the figure cache (``selectors.figure_cache``) under the report's name, the
clinic's date (overdue follow-ups and open windows depend on it), the scope's key (period, filters,
choice lists) and the data version of every clinical table: any create, change or void of a
patient, treatment, administration, follow-up, side-effect report, lot or product moves a version,
and the next view computes afresh. The cached values are the figures (counts, shares, means,
labels of indications and lots), never a patient's identifier.
"""

from django.db.models import Count
from django.utils import timezone

from treatments.filters.reports import Scope
from treatments.selectors.figure_cache import cached_figure, data_version
from treatments.selectors.reports.followups import followup_completion
from treatments.selectors.reports.outcomes import outcome_figures
from treatments.selectors.reports.side_effects import side_effect_report
from treatments.selectors.reports.treatments import (
    course_positions_by_month,
    dose_distribution,
    treatments_by_month_and_route,
)

# The reports read treatments and, through the filters and figures, every other clinical table.
REPORT_TABLES = ("patient", "treatment", "administration", "report", "lot", "product", "followup")


def treatments_figures(scope: Scope) -> dict:
    figures = {
        "by_month_route": treatments_by_month_and_route(scope=scope),
        "dose": dose_distribution(scope=scope),
        "course_positions": course_positions_by_month(scope=scope),
    }
    return figures | {"tables": [figure["table"] for figure in figures.values()]}


def followups_figures(scope: Scope) -> dict:
    figures = followup_completion(scope=scope)
    return figures | {"tables": [figures["table"]]}


def outcomes_figures(scope: Scope) -> dict:
    figures = outcome_figures(scope=scope)
    return figures | {"tables": [figures["table"]]}


def side_effects_figures(scope: Scope) -> dict:
    figures = side_effect_report(scope=scope)
    tables = [figures[key]["table"] for key in ("by_term", "by_grade", "by_route", "by_lot")]
    return figures | {"tables": tables}


def report_totals(scope: Scope) -> dict:
    """The report index's figures: the scope's treatments and treated patients (one query)."""
    return scope.treatments.order_by().aggregate(
        treatments=Count("id"), patients=Count("patient", distinct=True)
    )


FIGURES = {
    "report_index": report_totals,
    "report_treatments": treatments_figures,
    "report_followups": followups_figures,
    "report_outcomes": outcomes_figures,
    "report_side_effects": side_effects_figures,
}


def report_figures(name: str, *, scope: Scope) -> dict:
    """The figures of the report ``name`` (a key of ``FIGURES``) over ``scope``: one query for the
    data version, plus the report's own queries when they are computed."""
    compute = FIGURES[name]
    if not scope.key:  # a scope made by hand, not by the filter: nothing to key it by
        return compute(scope)
    return cached_figure(
        name,
        version=data_version(),
        tables=REPORT_TABLES,
        args=(timezone.localdate(), *scope.key),
        compute=lambda: compute(scope),
    )
