"""The treatments report: treatments per month by route, total dose per treatment, and boosters and
second rounds per month (course positions). Each function is one figure, computed in the database."""

import math
from decimal import Decimal

from django.db.models import Avg, Count, Max, Min, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from treatments.filters.reports import Scope
from treatments.models import Administration, CoursePosition, Route
from treatments.selectors.reports.base import Table, month_key, month_label, months, percent, rounded


def _month():
    return TruncMonth("performed_at", tzinfo=timezone.get_current_timezone())


def treatments_by_month_and_route(*, scope: Scope) -> dict:
    """Treatments per month (clinic time) and route (two queries).

    A treatment counts once per route it was given by (with a route or lot chosen, only those
    administrations), so a month's routes may add up to more than its treatments; the last column is
    the month's treatments, each once.
    """
    per_route = (
        scope.administrations()
        .annotate(month=TruncMonth("treatment__performed_at", tzinfo=timezone.get_current_timezone()))
        .values("month", "route")
        .annotate(treatments=Count("treatment", distinct=True))
        .order_by()
    )
    counts = {(month_key(row["month"]), row["route"]): row["treatments"] for row in per_route}
    totals = {
        month_key(row["month"]): row["treatments"]
        for row in scope.treatments.annotate(month=_month())
        .values("month")
        .annotate(treatments=Count("id"))
        .order_by()
    }
    used = {route for _, route in counts}
    routes = [route for route in Route if route.value in used]
    series = months(scope.start, scope.end)
    table = Table(
        key="by_month_route",
        title="Treatments per month by route",
        header=["Month", *[route.label for route in routes], "Treatments"],
        rows=[
            [
                month_label(month),
                *[counts.get((month, route.value), 0) for route in routes],
                totals.get(month, 0),
            ]
            for month in series
        ],
        note="A treatment given by two routes counts under each; the last column counts it once.",
    )
    chart = {
        "type": "bar",
        "stacked": True,
        "labels": [month_label(month) for month in series],
        "datasets": [
            {"label": route.label, "data": [counts.get((month, route.value), 0) for month in series]}
            for route in routes
        ],
        "y_title": "Treatments",
    }
    return {"table": table, "chart": chart, "total": sum(totals.values())}


# The dose is counted in whole units of the clinic's dose unit (billion exosomes): bucket k holds
# totals from k to under k + 1 billion.
DOSE_UNIT = "billion exosomes"


def dose_distribution(*, scope: Scope) -> dict:
    """Total dose per treatment (all its active administrations) in one-billion buckets, with the
    count, mean, smallest and largest total (two queries).

    Both queries aggregate the treatments' totals (one GROUP BY over the administrations, as a
    subquery): the first gives the count, mean and extremes, which set the buckets; the second counts
    each bucket. A treatment with no active administration has no total and is not counted.
    """
    per_treatment = (
        Administration.objects.active()
        .filter(treatment__in=scope.treatments)
        .values("treatment")
        .annotate(total=Sum("dose_billion"))
        .order_by()
    )
    summary = per_treatment.aggregate(
        n=Count("treatment"), mean=Avg("total"), smallest=Min("total"), largest=Max("total")
    )
    edges = []
    buckets = {}
    if summary["n"]:
        edges = list(range(math.floor(summary["smallest"]), math.floor(summary["largest"]) + 1))
        counts = per_treatment.aggregate(
            **{f"bucket_{k}": Count("treatment", filter=Q(total__gte=k, total__lt=k + 1)) for k in edges}
        )
        buckets = {k: counts[f"bucket_{k}"] for k in edges}
    n = summary["n"]
    labels = [f"{k}–{k + 1}" for k in edges]
    table = Table(
        key="dose",
        title="Total dose per treatment",
        header=[f"Total dose ({DOSE_UNIT})", "Treatments", "Share (%)"],
        rows=[[f"{k} to under {k + 1}", buckets.get(k, 0), percent(buckets.get(k, 0), n)] for k in edges],
        note="Each treatment's dose is the sum of its administrations (all routes and lots).",
    )
    chart = {
        "type": "bar",
        "labels": labels,
        "datasets": [{"label": "Treatments", "data": [buckets.get(k, 0) for k in edges]}],
        "x_title": f"Total dose ({DOSE_UNIT})",
        "y_title": "Treatments",
    }
    return {
        "table": table,
        "chart": chart,
        "n": n,
        "mean": rounded(summary["mean"], Decimal("0.01")),
        "smallest": rounded(summary["smallest"], Decimal("0.01")),
        "largest": rounded(summary["largest"], Decimal("0.01")),
    }


def course_positions_by_month(*, scope: Scope) -> dict:
    """Initial treatments, boosters, second rounds and escalation steps per month (one query)."""
    counts = {
        (month_key(row["month"]), row["course_position"]): row["treatments"]
        for row in scope.treatments.annotate(month=_month())
        .values("month", "course_position")
        .annotate(treatments=Count("id"))
        .order_by()
    }
    series = months(scope.start, scope.end)
    positions = list(CoursePosition)
    totals = {position: sum(n for (_, p), n in counts.items() if p == position) for position in positions}
    rows = [[month_label(month), *[counts.get((month, p.value), 0) for p in positions]] for month in series]
    rows.append(["Whole period", *[totals[p] for p in positions]])
    table = Table(
        key="course_positions",
        title="Boosters and second rounds per month",
        header=["Month", *[p.label for p in positions]],
        rows=rows,
    )
    chart = {
        "type": "bar",
        "stacked": True,
        "labels": [month_label(month) for month in series],
        "datasets": [
            {"label": p.label, "data": [counts.get((month, p.value), 0) for month in series]}
            for p in positions
        ],
        "y_title": "Treatments",
    }
    return {"table": table, "chart": chart, "totals": {p.value: totals[p] for p in positions}}
