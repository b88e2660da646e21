"""Shared pieces of the report figures: Wilson intervals, percentages, month series, medians from
the database's value counts and the table every figure hands to its page and its download."""

import dataclasses
import datetime as dt
import math
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import CharField, Count, F, QuerySet, Value

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
    """The median of each measure per group, from the database's count of each value (one query).

    Neither SQLite nor PostgreSQL share a median aggregate (PostgreSQL's ``percentile_cont`` is an
    ordered-set aggregate SQLite lacks), so the database counts how often each value occurs in each
    group, one ``GROUP BY`` per measure joined by ``UNION ALL``: a hash aggregate, where ranking every
    row would sort them all (three sorts of 146,000 follow-ups for the outcomes at 100k patients).
    The measures the reports take medians of have few distinct values (0 to 10 and 1 to 7 scales,
    doses), so a few hundred rows at most reach Python whatever the number of measurements; the
    median is the middle value (odd count) or the mean of the two middle values (even count), read
    from the running counts.
    """
    parts = [
        queryset.filter(**{f"{measure}__isnull": False})
        .values(*group_by, measure=Value(measure, output_field=CharField()), value=F(measure))
        .annotate(count=Count("pk"))
        .order_by()
        for measure in measures
    ]
    # The union's own order cleared too: it would take the model's default ordering.
    rows = parts[0].union(*parts[1:], all=True).order_by() if len(parts) > 1 else parts[0]
    counts: dict[tuple, dict[str, dict]] = {}
    for row in rows:
        key = tuple(row[name] for name in group_by)
        per_value = counts.setdefault(key, {}).setdefault(row["measure"], {})
        per_value[row["value"]] = per_value.get(row["value"], 0) + row["count"]
    return {
        key: {measure: _median_of_counts(per_value) for measure, per_value in per_measure.items()}
        for key, per_measure in counts.items()
    }


def _median_of_counts(per_value: dict) -> Decimal:
    """The median of values given as {value: how many times}: the ((n + 1) // 2)-th and the
    (n // 2 + 1)-th value in order (the same one when n is odd), averaged."""
    total = sum(per_value.values())
    ranks = [(total + 1) // 2, total // 2 + 1]
    middle, seen = [], 0
    for value in sorted(per_value):
        seen += per_value[value]
        while ranks and ranks[0] <= seen:
            middle.append(Decimal(str(value)))
            ranks.pop(0)
    return rounded(sum(middle) / Decimal(len(middle)))


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
