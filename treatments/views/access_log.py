"""The access log for clinic admins: who opened which patient's record, filtered, paged and exported."""

# What an admin sees of the patient is deliberately thin: the internal id and the record number,
# which answer "who opened record X?" (HIPAA accounting of access), and no name, birth date or
# clinical field. A clinic admin has no patient pages (domain: "sees no more clinical data than
# needed"), so nothing here links to one.

import csv
import datetime as dt
import logging
from itertools import chain

from django.http import StreamingHttpResponse
from django.utils import timezone
from django.views.generic import ListView, View

from clinic.mixins import RolePermissionMixin
from treatments.forms.access_log import AccessLogFilterForm
from treatments.models import AccessEvent

log = logging.getLogger(__name__)

EXPORT_COLUMNS = ["time (UTC)", "user", "user id", "action", "patient id", "record number"]
# Cells starting with these are formulas to a spreadsheet (CSV injection): they get a quote first.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def filtered_events(params):
    """The events matching the filter form (invalid filters are ignored), with the form itself."""
    form = AccessLogFilterForm(params or None)
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
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        if data["user"]:
            events = events.filter(user=data["user"])
        if data["patient"]:
            events = events.filter(patient_id=data["patient"])
        zone = timezone.get_current_timezone()
        if data["date_from"]:
            events = events.filter(at__gte=dt.datetime.combine(data["date_from"], dt.time.min, zone))
        if data["date_to"]:
            end = data["date_to"] + dt.timedelta(days=1)
            events = events.filter(at__lt=dt.datetime.combine(end, dt.time.min, zone))
    return form, events


class AccessLogView(RolePermissionMixin, ListView):
    permission_required = "treatments.view_accessevent"
    template_name = "treatments/access_log.html"
    context_object_name = "events"
    paginate_by = 50

    def get_queryset(self):
        self.filter_form, events = filtered_events(self.request.GET)
        return events

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs) | {"filter_form": self.filter_form}


class _Echo:
    """csv.writer target that hands each line back instead of buffering it."""

    def write(self, value):
        return value


def _cell(value):
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


class AccessLogExportView(RolePermissionMixin, View):
    """CSV of the filtered log, streamed row by row: memory stays flat however long the log."""

    permission_required = "treatments.view_accessevent"
    http_method_names = ["get"]

    def get(self, request):
        _, events = filtered_events(request.GET)
        rows = events.values_list(
            "at", "user__username", "user_id", "action", "patient_id", "patient__mrn"
        ).iterator(chunk_size=1000)
        writer = csv.writer(_Echo())
        lines = (
            writer.writerow([_cell(value) for value in row])
            for row in chain(
                [EXPORT_COLUMNS],
                ((at.astimezone(dt.UTC).isoformat(), *rest) for at, *rest in rows),
            )
        )
        # Who exported is worth a log line; what was in the export is not (no filter values).
        log.info("Access log exported by user id %s.", request.user.pk)
        response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
        stamp = timezone.localdate().isoformat()
        response["Content-Disposition"] = f'attachment; filename="access-log-{stamp}.csv"'
        return response
