"""The access log for clinic admins: who opened which patient's record, filtered, paged and exported."""

# A clinic admin has no patient pages (domain: "sees no more clinical data than needed"), so
# nothing here links to one; what the log shows of a patient is decided in its selector.

import logging

from django.utils import timezone
from django.views.generic import TemplateView, View

from clinic.mixins import RolePermissionMixin
from clinic.writers import csv_response
from treatments.filters.access_log import AccessLogFilter, AccessLogPositionForm
from treatments.selectors.access_log import access_log_csv, access_log_page

log = logging.getLogger(__name__)


class AccessLogView(RolePermissionMixin, TemplateView):
    """Paged by Older and Newer from the newest event, never counted: see ``access_log_page``."""

    permission_required = "treatments.view_accessevent"
    template_name = "treatments/access_log.html"

    def get_context_data(self, **kwargs):
        # An empty query string leaves the filter unbound: no errors shown, every event listed.
        filters = AccessLogFilter(self.request.GET or None)
        position = AccessLogPositionForm(self.request.GET)
        where = position.cleaned_data if position.is_valid() else {}
        page = access_log_page(filters=filters, before=where.get("before"), after=where.get("after"))
        return super().get_context_data(**kwargs) | {
            "filter_form": filters.form,
            "page": page,
            "events": page.events,
            "paged": bool(where.get("before") or where.get("after")),
            "position_error": position.message,
        }


class AccessLogExportView(RolePermissionMixin, View):
    """CSV of the filtered log, streamed row by row: memory stays flat however long the log."""

    permission_required = "treatments.view_accessevent"
    http_method_names = ["get"]

    def get(self, request):
        lines = access_log_csv(filters=AccessLogFilter(request.GET or None))
        # Who exported is worth a log line; what was in the export is not (no filter values).
        log.info("Access log exported by user id %s.", request.user.pk)
        return csv_response(lines, filename=f"access-log-{timezone.localdate().isoformat()}.csv")
