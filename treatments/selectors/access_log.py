"""Access-log reads: the events an admin lists and exports, filtered."""

# What an admin sees of the patient is deliberately thin: the internal id and the record number,
# which answer "who opened record X?" (HIPAA accounting of access), and no name, birth date or
# clinical field.

import datetime as dt
from collections.abc import Iterator

from django.db.models import QuerySet

from clinic.writers import csv_lines
from treatments.filters.access_log import AccessLogFilter
from treatments.models import AccessEvent

EXPORT_COLUMNS = ["time (UTC)", "user", "user id", "action", "patient id", "record number"]


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


def access_log_csv(*, filters: AccessLogFilter) -> Iterator[str]:
    """The filtered events as CSV lines (times in UTC), read in chunks as the lines are consumed."""
    rows = (
        access_log_events(filters=filters)
        .values_list("at", "user__username", "user_id", "action", "patient_id", "patient__mrn")
        .iterator(chunk_size=1000)
    )
    return csv_lines(EXPORT_COLUMNS, ((at.astimezone(dt.UTC).isoformat(), *rest) for at, *rest in rows))
