"""The side-effect report: incidence per 100 treatments and share of treated patients, by term,
grade, route and lot, each with a 95 % Wilson interval, against the share the clinic states.

Definitions:

- **Treatments, treated patients**: the scope's signed treatments and their distinct patients.
- **Reports**: side-effect reports, not voided, linked to one of those treatments.
- **Incidence per 100 treatments** (of a term or grade): treatments followed by at least one such
  report, per 100 treatments: a proportion, so it has a Wilson interval. The raw count of reports
  is shown beside it.
- **Share of treated patients**: patients with at least one such report / treated patients.
- **By route, by lot**: among the treatments given by that route (from that lot) and their patients,
  those followed by any report. A treatment given by two routes counts under each.
- **A flagged lot**: its treatments' share with a report is *well above the rest*: the lower bound of
  its 95 % Wilson interval is above the upper bound of the interval of every other treatment of the
  scope pooled (those not given from that lot). Two intervals that do not overlap are a
  conservative sign, not a test: a flag asks for a look at the lot, it proves nothing.
"""

from django.db.models import Count, Q

from treatments.filters.reports import Scope
from treatments.models import Grade, SideEffectReport, Term
from treatments.selectors.reports.base import Table, proportion
from treatments.selectors.side_effect_figures import FAQ_STATED_SHARE

STATED_PERCENT = 100 * FAQ_STATED_SHARE


def side_effect_overall(*, scope: Scope) -> dict:
    """Treatments, treated patients, and those with any report; the same among the treatments with
    an administration in scope (the lots' pooled rest); against the stated share (one query).

    "Has a report" and "has an administration in scope" are ``IN`` lists of treatment ids, which the
    database builds once (a hash) and probes per treatment, not a correlated ``EXISTS`` run again
    for every treatment and every count (four index probes a treatment at a chain's size).
    """
    reported = Q(id__in=SideEffectReport.objects.active().values("treatment_id"))
    given = Q(id__in=scope.administrations().values("treatment_id"))
    totals = scope.treatments.order_by().aggregate(
        treatments=Count("id"),
        patients=Count("patient", distinct=True),
        treatments_with_report=Count("id", filter=reported),
        patients_with_report=Count("patient", distinct=True, filter=reported),
        given=Count("id", filter=given),
        given_with_report=Count("id", filter=given & reported),
    )
    share = proportion(totals["patients_with_report"], totals["patients"])
    if share["low"] is None:
        verdict = "none"
    elif share["low"] > STATED_PERCENT:
        verdict = "above"
    elif share["high"] < STATED_PERCENT:
        verdict = "below"
    else:
        verdict = "consistent"
    return totals | {
        "share": share,
        "incidence": proportion(totals["treatments_with_report"], totals["treatments"]),
        "stated_percent": STATED_PERCENT.quantize(1),
        "verdict": verdict,
    }


def _rows_per(scope: Scope, overall: dict, field: str, choices) -> list[dict]:
    counts = {
        row[field]: row
        for row in SideEffectReport.objects.active()
        .filter(treatment__in=scope.treatments)
        .values(field)
        .annotate(
            reports=Count("id"),
            treatments=Count("treatment", distinct=True),
            patients=Count("patient", distinct=True),
        )
        .order_by()
    }
    rows = []
    for choice in choices:
        row = counts.get(choice.value, {})
        rows.append(
            {
                "label": choice.label,
                "reports": row.get("reports", 0),
                "incidence": proportion(row.get("treatments", 0), overall["treatments"]),
                "share": proportion(row.get("patients", 0), overall["patients"]),
            }
        )
    return rows


INCIDENCE_HEADER = [
    "Reports",
    "Treatments with it",
    "Per 100 treatments",
    "95 % CI low",
    "95 % CI high",
    "Patients with it",
    "Share of treated patients (%)",
    "95 % CI low (%)",
    "95 % CI high (%)",
]


def _incidence_cells(row: dict) -> list:
    i, s = row["incidence"], row["share"]
    return [
        row["reports"],
        i["part"],
        i["percent"],
        i["low"],
        i["high"],
        s["part"],
        s["percent"],
        s["low"],
        s["high"],
    ]


def _incidence_table(key: str, title: str, first: str, rows: list[dict]) -> Table:
    return Table(
        key=key,
        title=title,
        header=[first, *INCIDENCE_HEADER],
        rows=[[r["label"], *_incidence_cells(r)] for r in rows],
    )


def side_effects_by_term(*, scope: Scope, overall: dict) -> dict:
    """Per term (every term listed, zeros included; "Other" is one term) (one query)."""
    rows = _rows_per(scope, overall, "term", Term)
    return {"rows": rows, "table": _incidence_table("by_term", "Side effects by term", "Term", rows)}


def side_effects_by_grade(*, scope: Scope, overall: dict) -> dict:
    """Per CTCAE grade 1–5 (one query)."""
    rows = _rows_per(scope, overall, "grade", Grade)
    return {"rows": rows, "table": _incidence_table("by_grade", "Side effects by CTCAE grade", "Grade", rows)}


def _exposure(scope: Scope, group_by: list[str]):
    reported = Q(treatment__side_effects__isnull=False, treatment__side_effects__voided_at__isnull=True)
    return (
        scope.administrations()
        .values(*group_by)
        .annotate(
            treatments=Count("treatment", distinct=True),
            treatments_with_report=Count("treatment", distinct=True, filter=reported),
            patients=Count("treatment__patient", distinct=True),
            patients_with_report=Count("treatment__patient", distinct=True, filter=reported),
            reports=Count("treatment__side_effects", distinct=True, filter=reported),
        )
        .order_by(*group_by)
    )


EXPOSURE_HEADER = [
    "Treatments",
    "With a report",
    "Per 100 treatments",
    "95 % CI low",
    "95 % CI high",
    "Patients",
    "With a report",
    "Share of patients (%)",
    "95 % CI low (%)",
    "95 % CI high (%)",
    "Reports",
]


def _exposure_row(label: str, row: dict) -> dict:
    return {
        "label": label,
        "reports": row["reports"],
        "incidence": proportion(row["treatments_with_report"], row["treatments"]),
        "share": proportion(row["patients_with_report"], row["patients"]),
    }


def _exposure_cells(row: dict) -> list:
    i, s = row["incidence"], row["share"]
    return [
        i["whole"],
        i["part"],
        i["percent"],
        i["low"],
        i["high"],
        s["whole"],
        s["part"],
        s["percent"],
        s["low"],
        s["high"],
        row["reports"],
    ]


def side_effects_by_route(*, scope: Scope) -> dict:
    """Per route given in scope: its treatments and patients, those with any report (one query)."""
    from treatments.models import Route

    labels = dict(Route.choices)
    rows = [_exposure_row(labels.get(row["route"], row["route"]), row) for row in _exposure(scope, ["route"])]
    table = Table(
        key="by_route",
        title="Side effects by route",
        header=["Route", *EXPOSURE_HEADER],
        rows=[[row["label"], *_exposure_cells(row)] for row in rows],
    )
    return {"rows": rows, "table": table}


def side_effects_by_lot(*, scope: Scope, overall: dict) -> dict:
    """Per lot given in scope, as by route, each with the rest pooled and its flag (one query)."""
    rows = []
    for row in _exposure(scope, ["lot_id", "lot__product__name", "lot__lot_number"]):
        entry = _exposure_row(f"{row['lot__product__name']} lot {row['lot__lot_number']}", row)
        rest = proportion(
            overall["given_with_report"] - row["treatments_with_report"], overall["given"] - row["treatments"]
        )
        low = entry["incidence"]["low"]
        entry["rest"] = rest
        entry["flagged"] = bool(rest["whole"]) and low is not None and low > rest["high"]
        rows.append(entry)
    table = Table(
        key="by_lot",
        title="Side effects by lot",
        header=[
            "Lot",
            "Treatments",
            "With a report",
            "Per 100 treatments",
            "95 % CI low",
            "95 % CI high",
            "Patients",
            "Reports",
            "Other lots: per 100 treatments",
            "95 % CI low",
            "95 % CI high",
            "Flagged",
        ],
        rows=[
            [
                row["label"],
                row["incidence"]["whole"],
                row["incidence"]["part"],
                row["incidence"]["percent"],
                row["incidence"]["low"],
                row["incidence"]["high"],
                row["share"]["whole"],
                row["reports"],
                row["rest"]["percent"],
                row["rest"]["low"],
                row["rest"]["high"],
                "well above the rest" if row["flagged"] else "no",
            ]
            for row in rows
        ],
    )
    return {"rows": rows, "table": table, "flagged": [row["label"] for row in rows if row["flagged"]]}


def side_effect_report(*, scope: Scope) -> dict:
    """The page's figures (five queries)."""
    overall = side_effect_overall(scope=scope)
    by_term = side_effects_by_term(scope=scope, overall=overall)
    chart = {
        "type": "bar",
        "horizontal": True,
        "labels": [row["label"] for row in by_term["rows"]],
        "datasets": [
            {"label": "Per 100 treatments", "data": [row["incidence"]["percent"] for row in by_term["rows"]]},
            {
                "label": "Share of treated patients (%)",
                "data": [row["share"]["percent"] for row in by_term["rows"]],
            },
        ],
        "x_title": "%",
        "reference": {
            "value": float(STATED_PERCENT),
            "label": f"Stated: under {STATED_PERCENT.quantize(1)} % of patients",
        },
    }
    return {
        "overall": overall,
        "by_term": by_term,
        "by_grade": side_effects_by_grade(scope=scope, overall=overall),
        "by_route": side_effects_by_route(scope=scope),
        "by_lot": side_effects_by_lot(scope=scope, overall=overall),
        "chart": chart,
    }
