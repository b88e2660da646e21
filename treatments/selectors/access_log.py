"""Access-log reads: the events an admin lists and exports, filtered."""

# What an admin sees of the patient is deliberately thin: the internal id and the record number,
# which answer "who opened record X?" (HIPAA accounting of access), and no name, birth date or
# clinical field.

import dataclasses
import datetime as dt
from collections.abc import Iterator

from django.db.models import Q, QuerySet

from clinic.writers import csv_lines
from treatments.filters.access_log import AccessLogFilter, Position, position_of
from treatments.models import AccessEvent

EXPORT_COLUMNS = ["time (UTC)", "user", "user id", "action", "patient id", "record number"]
PAGE_SIZE = 50


def access_log_events(*, filters: AccessLogFilter) -> QuerySet[AccessEvent]:
    """The events matching the filter, newest first. A filter with any error is not applied at all
    (the page shows why); an empty one lists every event."""
    events = AccessEvent.objects.select_related("user", "patient").only(
        "at",
        "action",
        "user",
        "patient",
        "user__username",
        "user__first_name",
        "user__last_name",
        "patient__mrn",
    )
    return filters.filter_queryset(events)


@dataclasses.dataclass(frozen=True)
class AccessLogPage:
    """One page of the log, newest first, with the positions its "Newer" and "Older" links go to
    (None where there is nothing further that way)."""

    events: list[AccessEvent]
    newer: str | None
    older: str | None


def access_log_page(
    *,
    filters: AccessLogFilter,
    before: Position | None = None,
    after: Position | None = None,
    size: int = PAGE_SIZE,
) -> AccessLogPage:
    """The ``size`` filtered events just older than ``before``, just newer than ``after``, or the
    newest. One query: ``size`` + 1 rows read in the log's order (at, id) along the time index (or
    the user's or the patient's, which lead with the filter and then follow time), so the same cost
    on the first page as deep in a log of millions, and no count. Every event is on exactly one page
    of the Older chain from the newest, and events are never deleted: none is skipped or repeated."""
    events = access_log_events(filters=filters)
    if after is not None:
        # "at >= x" is the index range; the tie on the same instant is settled by the id.
        rows = list(
            events.filter(at__gte=after.at)
            .filter(Q(at__gt=after.at) | Q(pk__gt=after.pk))
            .order_by("at", "pk")[: size + 1]
        )
        shown = rows[:size][::-1]
        return AccessLogPage(
            events=shown,
            newer=position_of(shown[0]) if len(rows) > size else None,
            # Events are never deleted: the one the link came from, and all older, are still there.
            older=position_of(shown[-1]) if shown else None,
        )
    if before is not None:
        events = events.filter(at__lte=before.at).filter(Q(at__lt=before.at) | Q(pk__lt=before.pk))
    rows = list(events.order_by("-at", "-pk")[: size + 1])
    shown = rows[:size]
    return AccessLogPage(
        events=shown,
        newer=position_of(shown[0]) if before is not None and shown else None,
        older=position_of(shown[-1]) if len(rows) > size else None,
    )


def access_log_csv(*, filters: AccessLogFilter) -> Iterator[str]:
    """The filtered events as CSV lines (times in UTC), read in chunks as the lines are consumed."""
    rows = (
        access_log_events(filters=filters)
        .values_list("at", "user__username", "user_id", "action", "patient_id", "patient__mrn")
        .iterator(chunk_size=1000)
    )
    return csv_lines(EXPORT_COLUMNS, ((at.astimezone(dt.UTC).isoformat(), *rest) for at, *rest in rows))
