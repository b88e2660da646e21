"""The follow-up report: how the follow-ups of the period's treatments ended, per step."""

from django.db.models import Count, F, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from treatments.filters.reports import Scope
from treatments.models import FollowUp, FollowUpStatus
from treatments.models.protocol import StepKind
from treatments.selectors.reports.base import Table, percent, proportion

OUTCOMES = [
    ("in_window", "Completed in window"),
    ("late", "Completed outside window"),
    ("missed", "Missed"),
    ("cancelled", "Cancelled"),
    ("overdue", "Overdue (window closed, still open)"),
]

# The chart's axis is narrow on a phone: short step names there (the table has the full ones).
SHORT_LABELS = {
    StepKind.CHECK_IN: "Day 1–3",
    StepKind.EARLY_CHECK: "Week 6–8",
    StepKind.THREE_MONTH: "3 months",
    StepKind.SIX_MONTH: "6 months",
    StepKind.TWELVE_MONTH: "12 months",
}


def followup_completion(*, scope: Scope) -> dict:
    """Per step (kind), the follow-ups of the period's treatments whose window has closed or that
    are closed already ("due"), by how they ended; those still open within or before their window
    are counted apart and not in the shares (one query).

    "Completed in window": completed on a day (clinic time) from the window's first to its last
    day. The 3-month assessment's completion rate, with its 95 % Wilson interval, comes first.
    Voided follow-ups are left out.
    """
    today = timezone.localdate()
    done_on = TruncDate("completed_at", tzinfo=timezone.get_current_timezone())
    completed = Q(status=FollowUpStatus.COMPLETED)
    in_window = completed & Q(done_on__gte=F("window_start"), done_on__lte=F("window_end"))
    scheduled = Q(status=FollowUpStatus.SCHEDULED)
    rows = (
        FollowUp.objects.active()
        .filter(treatment__in=scope.treatments)
        .annotate(done_on=done_on)
        .values("kind")
        .annotate(
            in_window=Count("id", filter=in_window),
            completed=Count("id", filter=completed),
            missed=Count("id", filter=Q(status=FollowUpStatus.MISSED)),
            cancelled=Count("id", filter=Q(status=FollowUpStatus.CANCELLED)),
            overdue=Count("id", filter=scheduled & Q(window_end__lt=today)),
            open=Count("id", filter=scheduled & Q(window_end__gte=today)),
        )
        .order_by()
    )
    found = {row["kind"]: row for row in rows}
    steps = []
    for kind in StepKind:
        row = found.get(kind.value)
        if row is None:
            continue
        counts = {
            "in_window": row["in_window"],
            "late": row["completed"] - row["in_window"],
            "missed": row["missed"],
            "cancelled": row["cancelled"],
            "overdue": row["overdue"],
        }
        due = sum(counts.values())
        steps.append(
            {
                "kind": kind.value,
                "label": kind.label,
                "due": due,
                "open": row["open"],
                "counts": counts,
                "shares": {key: percent(value, due) for key, value in counts.items()},
                "completion": proportion(counts["in_window"], due),
            }
        )
    three_month = next((step for step in steps if step["kind"] == StepKind.THREE_MONTH), None)
    header = ["Step", "Due"]
    for _, label in OUTCOMES:
        header += [label, f"{label} (%)"]
    header += ["Completed in window, 95 % CI low (%)", "95 % CI high (%)", "Not yet due"]
    table = Table(
        key="completion",
        title="Follow-up completion per step",
        header=header,
        rows=[
            [
                step["label"],
                step["due"],
                *[value for key, _ in OUTCOMES for value in (step["counts"][key], step["shares"][key])],
                step["completion"]["low"],
                step["completion"]["high"],
                step["open"],
            ]
            for step in steps
        ],
        note="Shares are of the follow-ups due: closed, or with their window closed. Not yet due: still "
        "open with their window open or ahead; not in the shares.",
    )
    chart = {
        "type": "bar",
        "stacked": True,
        "horizontal": True,
        "labels": [SHORT_LABELS.get(step["kind"], step["label"]) for step in steps],
        "datasets": [
            {"label": label, "data": [step["shares"][key] for step in steps]} for key, label in OUTCOMES
        ],
        "x_title": "Share of follow-ups due (%)",
        "max": 100,
    }
    return {"table": table, "chart": chart, "steps": steps, "three_month": three_month}
