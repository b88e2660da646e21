"""Audit-trail rows for a record's history tab: who changed what, from what to what, and why."""

from collections import defaultdict

from simple_history.models import HistoricalRecords
from simple_history.utils import get_m2m_reverse_field_name

from treatments.selectors.people import user_names_only

NOISE_FIELDS = {"updated_at", "version"}


def _m2m_values(entries, field) -> dict[int, set[str]]:
    """For each history entry, the names linked through one tracked many-to-many field (one
    query: the linked records come joined; one deleted since shows as its id)."""
    m2m_model = HistoricalRecords.m2m_models[field]
    target_name = get_m2m_reverse_field_name(field)
    rows = m2m_model.objects.filter(history__in=[e.pk for e in entries]).select_related(target_name)
    linked = defaultdict(set)
    for row in rows:
        target = getattr(row, target_name)
        linked[row.history_id].add(
            str(target) if target is not None else f"#{getattr(row, f'{target_name}_id')}"
        )
    return linked


def _shown(field, value):
    """A stored value as a person reads it: choice labels, not codes."""
    if value is None or value == "":
        return None
    if field.choices:
        return dict(field.flatchoices).get(value, value)
    return value


def record_history(*, record, limit: int = 100) -> list[dict]:
    """The record's history newest first, each row with its field changes against the one before.

    Runs a fixed number of queries whatever the number of rows.
    """
    history_model = record.history.model
    entries = list(
        record.history.select_related("history_user")
        .defer(*user_names_only("history_user"))
        .order_by("-history_date", "-history_id")[: limit + 1]
    )
    tracked = {f.name for f in history_model.tracked_fields}
    fields = [f for f in record._meta.concrete_fields if f.name in tracked and f.name not in NOISE_FIELDS]
    m2m = {field.verbose_name: _m2m_values(entries, field) for field in history_model._history_m2m_fields}
    rows = []
    for index, entry in enumerate(entries[:limit]):
        previous = entries[index + 1] if index + 1 < len(entries) else None
        changes = []
        if previous is not None and entry.history_type == "~":
            for field in fields:
                old, new = getattr(previous, field.attname), getattr(entry, field.attname)
                if old != new:
                    changes.append(
                        {"field": field.verbose_name, "old": _shown(field, old), "new": _shown(field, new)}
                    )
            for label, linked in m2m.items():
                old, new = linked.get(previous.pk, set()), linked.get(entry.pk, set())
                if old != new:
                    changes.append(
                        {
                            "field": label,
                            "old": ", ".join(sorted(old)) or None,
                            "new": ", ".join(sorted(new)) or None,
                        }
                    )
        rows.append({"entry": entry, "changes": changes})
    return rows
