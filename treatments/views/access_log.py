"""The access log for clinic admins: who opened which patient's record, filtered, paged and exported."""

# A clinic admin has no patient pages (domain: "sees no more clinical data than needed"), so
# nothing here links to one; what the log shows of a patient is decided in its selector.

import logging

from django.utils import timezone
from django.views.generic import ListView, View

from clinic.mixins import RolePermissionMixin
from clinic.writers import csv_response
from treatments.filters.access_log import AccessLogFilter
from treatments.selectors.access_log import access_log_csv, access_log_events

log = logging.getLogger(__name__)


class AccessLogView(RolePermissionMixin, ListView):
    permission_required = "treatments.view_accessevent"
    template_name = "treatments/access_log.html"
    context_object_name = "events"
    paginate_by = 50

    def get_queryset(self):
        # An empty query string leaves the filter unbound: no errors shown, every event listed.
        self.filters = AccessLogFilter(self.request.GET or None)
        return access_log_events(filters=self.filters)

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs) | {"filter_form": self.filters.form}


class AccessLogExportView(RolePermissionMixin, View):
    """CSV of the filtered log, streamed row by row: memory stays flat however long the log."""

    permission_required = "treatments.view_accessevent"
    http_method_names = ["get"]

    def get(self, request):
        lines = access_log_csv(filters=AccessLogFilter(request.GET or None))
        # Who exported is worth a log line; what was in the export is not (no filter values).
        log.info("Access log exported by user id %s.", request.user.pk)
        return csv_response(lines, filename=f"access-log-{timezone.localdate().isoformat()}.csv")
