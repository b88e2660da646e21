"""The outcomes report: pain, energy and global impression of change at each time point, by
indication (treatments.selectors.outcomes has one patient's series)."""

from django.db.models import Avg, Count, F, Q

from treatments.filters.reports import Scope
from treatments.models import FollowUp, FollowUpStatus, Indication
from treatments.models.protocol import StepKind
from treatments.selectors.reports.base import Table, medians, rounded

# The time points, in order: the baseline recorded on the treatment, then the follow-up steps.
BASELINE = "baseline"
POINTS = [
    (BASELINE, "Baseline"),
    (StepKind.CHECK_IN.value, "Day 1–3"),
    (StepKind.EARLY_CHECK.value, "Week 6–8"),
    (StepKind.THREE_MONTH.value, "3 months"),
    (StepKind.SIX_MONTH.value, "6 months"),
    (StepKind.TWELVE_MONTH.value, "12 months"),
]
MEASURES = [
    ("pain", "Pain (0–10, lower is better)"),
    ("energy", "Energy (0–10, higher is better)"),
    ("global_impression", "Global impression of change (1–7, 1 very much improved, 4 no change)"),
]
KEYS = [key for key, _ in MEASURES]


def outcome_figures(*, scope: Scope) -> dict:
    """Mean, median and n of each measure per indication and time point, with the number of
    patients measured there (four queries: baselines and follow-ups, each its means and counts, then
    its medians, see ``base.medians``).

    Baseline: the pain and energy recorded on the period's treatments (there is no global impression
    of change before treatment). Time points after it: the completed (not voided) follow-ups of
    those treatments, by the step's kind. A patient treated twice in the period counts at each
    treatment's points (n counts measurements; patients, distinct patients).
    """
    baselines = scope.treatments.filter(Q(baseline_pain__isnull=False) | Q(baseline_energy__isnull=False))
    baselines = baselines.annotate(pain=F("baseline_pain"), energy=F("baseline_energy")).order_by()
    followups = (
        FollowUp.objects.active()
        .filter(treatment__in=scope.treatments, status=FollowUpStatus.COMPLETED)
        .filter(Q(pain__isnull=False) | Q(energy__isnull=False) | Q(global_impression__isnull=False))
        .exclude(kind=StepKind.OTHER)
        .annotate(indication_id=F("treatment__indication_id"))
        .order_by()
    )

    def aggregates(queryset, measures, point_of):
        rows = queryset.values(*point_of).annotate(
            patients=Count("patient", distinct=True),
            **{f"mean_{m}": Avg(m) for m in measures},
            **{f"n_{m}": Count(m) for m in measures},
        )
        return {tuple(row[name] for name in point_of): row for row in rows}

    found = {
        (indication, BASELINE): row
        for (indication,), row in aggregates(baselines, ["pain", "energy"], ["indication_id"]).items()
    }
    found |= aggregates(followups, KEYS, ["indication_id", "kind"])
    middle = {
        (indication, BASELINE): values
        for (indication,), values in medians(
            baselines, group_by=["indication_id"], measures=["pain", "energy"]
        ).items()
    }
    middle |= medians(followups, group_by=["indication_id", "kind"], measures=KEYS)

    names = dict(Indication.objects.filter(pk__in={key[0] for key in found}).values_list("pk", "name"))
    indications = sorted(names, key=lambda pk: names[pk])
    groups = []
    for indication in indications:
        points = []
        for point, label in POINTS:
            row = found.get((indication, point))
            if row is None:
                continue
            values = {
                m: {
                    "mean": rounded(row.get(f"mean_{m}")),
                    "median": middle.get((indication, point), {}).get(m),
                    "n": row.get(f"n_{m}", 0),
                }
                for m in KEYS
            }
            points.append({"point": point, "label": label, "patients": row["patients"], "values": values})
        groups.append({"indication": names[indication], "points": points})

    header = ["Indication", "Time point", "Patients"]
    for key, _ in MEASURES:
        short = {"pain": "Pain", "energy": "Energy", "global_impression": "Global impression"}[key]
        header += [f"{short} mean", f"{short} median", f"{short} n"]
    table = Table(
        key="outcomes",
        title="Outcomes by indication and time point",
        header=header,
        rows=[
            [
                group["indication"],
                point["label"],
                point["patients"],
                *[
                    v
                    for m in KEYS
                    for v in (
                        point["values"][m]["mean"],
                        point["values"][m]["median"],
                        point["values"][m]["n"],
                    )
                ],
            ]
            for group in groups
            for point in group["points"]
        ],
        note="n: measurements; patients: distinct patients measured at that point. No global impression "
        "at baseline.",
        numeric_from=2,
    )
    labels = [label for _, label in POINTS]
    charts = [
        {
            "key": key,
            "title": title,
            "chart": {
                "type": "line",
                "labels": labels,
                "datasets": [
                    {
                        "label": group["indication"],
                        "data": [_mean_at(group, point, key) for point, _ in POINTS],
                    }
                    for group in groups
                ],
                "y_title": "Mean",
                "min": 1 if key == "global_impression" else 0,
                "max": 7 if key == "global_impression" else 10,
            },
        }
        for key, title in MEASURES
    ]
    return {"table": table, "charts": charts, "groups": groups}


def _mean_at(group: dict, point: str, key: str):
    for entry in group["points"]:
        if entry["point"] == point:
            return entry["values"][key]["mean"]
    return None
