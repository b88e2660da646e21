"""Audit-trail rows for a record's history tab: who changed what, from what to what, and why.

People are shown by name (full name, else username), related records by their label, choices by
their label. A treatment's history also carries the changes of its administrations (a dose edited
in a draft shows on the "Draft edited" row that made it). The number of queries is fixed whatever
the number of rows: one for the record's history, one per tracked many-to-many field, one for the
parts' history, and at most one per kind of related record named in a change (people already read
as the authors of the history rows are not read again).
"""

import datetime as dt
import functools
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import models
from simple_history.models import HistoricalRecords
from simple_history.utils import get_m2m_reverse_field_name

from clinic.formats import day as format_day
from clinic.formats import moment
from treatments.selectors.people import USER_NAME_FIELDS, user_names_only

# The patient's search keys are derived from its phone and record number, whose changes show.
NOISE_FIELDS = {"updated_at", "version", "phone_key", "mrn_number"}
# Fields of a part (an administration) that say nothing clinical: the link to its record, its
# place in the list and who made it (the history row names the author already).
PART_NOISE_FIELDS = NOISE_FIELDS | {"treatment", "order", "created_at", "created_by"}
# A part's change belongs to the record's row written by the same person in the same save (the
# service saves the record first, then its parts, in one transaction).
SAME_SAVE = dt.timedelta(seconds=30)
# Related records whose label reads a further row: read together.
LABEL_RELATIONS = {("treatments", "lot"): ["product"]}
PART_LIMIT = 500


def person_name(user) -> str:
    """A person as the history shows them: full name, else username."""
    return user.get_full_name() or user.get_username()


@dataclass
class _Change:
    field: models.Field
    old: object
    new: object
    prefix: str = ""
    added: bool = False  # a value of a new part: shown together on one line


@dataclass
class _Row:
    entry: object
    what: str
    changes: list = field(default_factory=list)


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


def _diff(fields, previous, entry, prefix="") -> list[_Change]:
    changes = []
    for f in fields:
        old = getattr(previous, f.attname) if previous is not None else None
        new = getattr(entry, f.attname)
        if previous is None and new in (None, "", False):
            continue  # a new part: only the values it was given
        if old != new:
            changes.append(_Change(f, old, new, prefix, added=previous is None))
    return changes


class _Labels:
    """Labels of the related records named in changes, read once per kind of record."""

    def __init__(self, known_users, known_records):
        self.user_model = get_user_model()
        self.labels = {(self.user_model, pk): name for pk, name in known_users.items()} | known_records

    def read(self, changes) -> None:
        wanted = defaultdict(set)
        for change in changes:
            if isinstance(change.field, models.ForeignKey):
                model = change.field.related_model
                for value in (change.old, change.new):
                    if value is not None and (model, value) not in self.labels:
                        wanted[model].add(value)
        for model, ids in wanted.items():
            if model is self.user_model:
                rows = model._base_manager.filter(pk__in=ids).only(*USER_NAME_FIELDS)
                self.labels.update({(model, u.pk): person_name(u) for u in rows})
            else:
                related = LABEL_RELATIONS.get((model._meta.app_label, model._meta.model_name), [])
                rows = model._base_manager.filter(pk__in=ids)
                if related:
                    rows = rows.select_related(*related)
                self.labels.update({(model, r.pk): str(r) for r in rows})

    def shown(self, f, value):
        """A stored value as a person reads it: names and labels, not ids and codes."""
        if value is None or value == "":
            return None
        if isinstance(f, models.ForeignKey):
            return self.labels.get((f.related_model, value), f"#{value}")
        if f.choices:
            return dict(f.flatchoices).get(value, value)
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, dt.datetime):
            return moment(value)
        if isinstance(value, dt.date):
            return format_day(value)
        if isinstance(value, Decimal):
            return f"{value.normalize():f}"
        return value


@functools.cache
def history_model(model):
    """The simple-history model of ``model``. Read once per model: simple-history builds a new
    manager class on every access of ``record.history`` (about 1.3 ms each, a page reads a few)."""
    return model.history.model


def _history(manager_or_qs, limit, joins=()):
    return list(
        manager_or_qs.select_related("history_user", *joins)
        .defer(*user_names_only("history_user"))
        .order_by("-history_date", "-history_id")[:limit]
    )


def _label_joins(fields) -> list[str]:
    """The related records (not people) a part names, joined to its history rows for their labels."""
    joins = []
    for f in fields:
        if isinstance(f, models.ForeignKey) and f.related_model is not get_user_model():
            meta = f.related_model._meta
            joins += [
                f.name,
                *(f"{f.name}__{r}" for r in LABEL_RELATIONS.get((meta.app_label, meta.model_name), [])),
            ]
    return joins


def _part_rows(record, parts: str, label: str, known: dict) -> list[_Row]:
    """Each part's history entry with its changes against the part's previous entry, oldest first.
    The labels of the records its entries name go into ``known``."""
    relation = record._meta.get_field(parts)
    part_model = relation.related_model
    filters = {relation.field.attname: record.pk}
    part_history = history_model(part_model)
    tracked = {f.name for f in part_history.tracked_fields}
    fields = [
        f
        for f in part_model._meta.concrete_fields
        if f.name in tracked and f.name not in PART_NOISE_FIELDS and not f.primary_key
    ]
    joins = _label_joins(fields)
    entries = _history(part_history.objects.filter(**filters), PART_LIMIT, joins)
    for entry in entries:
        for name in joins:
            if "__" not in name and (target := getattr(entry, name)) is not None:
                known[(type(target), target.pk)] = str(target)
    entries.reverse()  # oldest first, to compare each with the one before
    last = {}
    rows = []
    for entry in entries:
        previous = last.get(entry.id)
        last[entry.id] = entry
        prefix = f"{label} {entry.order}" if getattr(entry, "order", None) else label
        if entry.history_type == "+":
            previous, what = None, f"{prefix} added"
        else:
            what = f"{prefix} changed"
        rows.append(_Row(entry=entry, what=what, changes=_diff(fields, previous, entry, prefix=prefix)))
    return rows


def _fold_parts(rows: list[_Row], part_rows: list[_Row]) -> list[_Row]:
    """Put each part's changes on the record's row of the same save; a part changed on its own
    gets a row of its own."""
    loose = []
    for part in part_rows:
        home = next(
            (
                row
                for row in rows  # newest first: the latest save of the record at or before the part's
                if row.entry.history_date <= part.entry.history_date
                and part.entry.history_date - row.entry.history_date <= SAME_SAVE
                and row.entry.history_user_id == part.entry.history_user_id
            ),
            None,
        )
        if home is not None:
            home.changes.extend(part.changes)
        elif part.changes:
            loose.append(part)
    merged = rows + loose
    merged.sort(key=lambda row: row.entry.history_date, reverse=True)
    return merged


def record_history(*, record, limit: int = 100, parts: str | None = None, part_label: str = "") -> list[dict]:
    """The record's history newest first, each row with its field changes against the one before.

    ``parts`` names a reverse relation (``"administrations"``) whose records' changes show on the
    record's history too, each labelled with ``part_label`` and the part's number.
    Runs a fixed number of queries whatever the number of rows.
    """
    record_history_model = history_model(type(record))
    # (what ``record.history`` reads: the record's own history rows)
    entries = _history(record_history_model.objects.filter(**{record._meta.pk.name: record.pk}), limit + 1)
    tracked = {f.name for f in record_history_model.tracked_fields}
    fields = [
        f
        for f in record._meta.concrete_fields
        if f.name in tracked and f.name not in NOISE_FIELDS and not f.primary_key
    ]
    m2m = {f.verbose_name: _m2m_values(entries, f) for f in record_history_model._history_m2m_fields}
    rows = []
    for index, entry in enumerate(entries[:limit]):
        previous = entries[index + 1] if index + 1 < len(entries) else None
        row = _Row(entry=entry, what=entry.get_history_type_display())
        if previous is not None and entry.history_type == "~":
            row.changes = _diff(fields, previous, entry)
            for label, linked in m2m.items():
                old, new = linked.get(previous.pk, set()), linked.get(entry.pk, set())
                if old != new:
                    row.changes.append(
                        _Change(
                            models.Field(verbose_name=label), ", ".join(sorted(old)), ", ".join(sorted(new))
                        )
                    )
        rows.append(row)
    known_records = {}
    part_rows = _part_rows(record, parts, part_label, known_records) if parts else []
    if part_rows:
        rows = _fold_parts(rows, part_rows)
    authors = {
        row.entry.history_user_id: person_name(row.entry.history_user)
        for row in [*rows, *part_rows]
        if row.entry.history_user_id is not None
    }
    labels = _Labels(authors, known_records)
    labels.read([change for row in rows for change in row.changes])
    return [
        {
            "entry": row.entry,
            "what": row.what,
            "who": authors.get(row.entry.history_user_id, "system"),
            "changes": _shown_changes(row.changes, labels),
        }
        for row in rows
    ]


def _shown_changes(changes: list[_Change], labels: _Labels) -> list[dict]:
    """Each change as the page prints it; a new part's values make one line ("Administration 2
    added: route IV drip · lot … · dose 5")."""
    shown = []
    for c in changes:
        new = labels.shown(c.field, c.new)
        if c.added:
            value = f"{c.field.verbose_name} {new}"
            if shown and shown[-1]["field"] == f"{c.prefix} added":
                shown[-1]["new"] += f" · {value}"
            else:
                shown.append({"field": f"{c.prefix} added", "old": None, "new": value})
            continue
        field = f"{c.prefix} · {c.field.verbose_name}" if c.prefix else str(c.field.verbose_name)
        shown.append({"field": field, "old": labels.shown(c.field, c.old), "new": new})
    return shown
