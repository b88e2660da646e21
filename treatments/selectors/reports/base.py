"""Shared pieces of the report figures: Wilson intervals, percentages, month series, the DB-side
median and the table every figure hands to its page and its download."""

import dataclasses
import datetime as dt
import math
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, F, Q, QuerySet, Window
from django.db.models.functions import RowNumber

# The normal quantile for a two-sided 95 % interval.
Z95 = 1.959963984540054
ONE_DECIMAL = Decimal("0.1")
TWO_DECIMALS = Decimal("0.01")


def rounded(value, places: Decimal = ONE_DECIMAL) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(places, rounding=ROUND_HALF_UP)


def percent(part: int, whole: int) -> Decimal | None:
    """part / whole as a percentage with one decimal, or None when there is nothing to divide by."""
    if not whole:
        return None
    return rounded(Decimal(100) * part / whole)


def wilson(part: int, whole: int, z: float = Z95) -> tuple[Decimal, Decimal] | tuple[None, None]:
    """The Wilson score interval of the proportion part / whole, in percent with one decimal.

    Unlike the normal approximation it stays within 0..100 % and is honest for small clinics and
    for 0 or all: 0 of 10 gives 0.0 to 27.8 %, not 0 to 0.
    """
    if not whole:
        return None, None
    p = part / whole
    z2 = z * z
    centre = (p + z2 / (2 * whole)) / (1 + z2 / whole)
    half = z / (1 + z2 / whole) * math.sqrt(p * (1 - p) / whole + z2 / (4 * whole * whole))
    low, high = max(0.0, centre - half), min(1.0, centre + half)
    return rounded(100 * low), rounded(100 * high)


def proportion(part: int, whole: int) -> dict:
    """A share with its 95 % Wilson interval: ``{"part", "whole", "percent", "low", "high"}``."""
    low, high = wilson(part, whole)
    return {"part": part, "whole": whole, "percent": percent(part, whole), "low": low, "high": high}


def months(start: dt.date, end: dt.date) -> list[dt.date]:
    """The first day of every month from start's to end's (inclusive)."""
    first, last = start.year * 12 + start.month - 1, end.year * 12 + end.month - 1
    return [dt.date(n // 12, n % 12 + 1, 1) for n in range(first, last + 1)]


def month_key(value) -> dt.date:
    """TruncMonth's value (a datetime in the clinic's zone, or a date) as the month's first day."""
    return value.date() if isinstance(value, dt.datetime) else value


def month_label(month: dt.date) -> str:
    return month.strftime("%b %Y")


def medians(queryset: QuerySet, *, group_by: list[str], measures: list[str]) -> dict[tuple, dict]:
    """The median of each measure per group, computed in the database (one query).

    Neither SQLite nor PostgreSQL share a median aggregate (PostgreSQL's ``percentile_cont`` is an
    ordered-set aggregate SQLite lacks), so this ranks each group's values with window functions that
    both have: ``ROW_NUMBER()`` ordered by the value (NULLs last) and ``COUNT(value)`` over the group.
    The database returns only the middle row (odd count) or the two middle rows (even count) of each
    group and measure, so at most two rows per group and measure reach Python, whatever the number
    of rows; the median is that value or the mean of those two.
    """
    partition = [F(name) for name in group_by]
    windows, middle = {}, Q()
    for measure in measures:
        rank, count = f"_rank_{measure}", f"_count_{measure}"
        windows[rank] = Window(RowNumber(), partition_by=partition, order_by=F(measure).asc(nulls_last=True))
        windows[count] = Window(Count(measure), partition_by=partition)
        # Integer division on both databases: the (n+1)/2-th and the (n/2+1)-th value; the same row
        # when n is odd.
        middle |= Q(**{rank: (F(count) + 1) / 2}) | Q(**{rank: F(count) / 2 + 1})
    rows = queryset.annotate(**windows).filter(middle).values(*group_by, *measures, *windows).order_by()
    found: dict[tuple, dict[str, list]] = {}
    for row in rows:
        key = tuple(row[name] for name in group_by)
        for measure in measures:
            rank, count = row[f"_rank_{measure}"], row[f"_count_{measure}"]
            if row[measure] is not None and count and rank in {(count + 1) // 2, count // 2 + 1}:
                found.setdefault(key, {}).setdefault(measure, []).append(row[measure])
    return {
        key: {measure: rounded(sum(values) / Decimal(len(values))) for measure, values in per_measure.items()}
        for key, per_measure in found.items()
    }


@dataclasses.dataclass
class Table:
    """A figure's table: what the page shows and what its CSV or XLSX download holds, row for row."""

    key: str  # the download's ?table= name
    title: str
    header: list[str]
    rows: list[list]
    note: str = ""
    numeric_from: int = 1  # columns from this one on are right-aligned

    @property
    def filename(self) -> str:
        return self.key.replace("_", "-")
