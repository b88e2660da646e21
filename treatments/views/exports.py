"""Downloads of the list pages (CSV or XLSX): the rows the page's filters select, every one of them
(not only the pager's page), through the page's own selector, with the page's permission."""

import logging

from django.http import HttpResponseBadRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views import View

from clinic.mixins import RolePermissionMixin
from clinic.writers import FORMATS, table_response
from treatments.filters.lots import LotFilter
from treatments.filters.patients import PatientFilter
from treatments.filters.side_effects import SideEffectFilter
from treatments.filters.treatments import TreatmentFilter
from treatments.models import AccessEvent
from treatments.selectors import exports
from treatments.selectors.lots import lot_list
from treatments.selectors.patients import patient_list
from treatments.selectors.side_effects import side_effect_list, side_effect_review_queue
from treatments.selectors.treatment_list import treatment_list
from treatments.services.access import access_record_many
from treatments.services.side_effects import REVIEW_PERMISSION
from treatments.views.followups import worklist_filters

log = logging.getLogger(__name__)
FORMAT_PARAM = "format"
UNKNOWN_FORMAT = "Unknown download format {!r}: choose format=csv or format=xlsx."
# Filter values that would say who a patient is never reach the log: only that one was chosen.
PATIENT_FILTERS = {"patient", "q"}


class ListExportView(RolePermissionMixin, View):
    """A list page's download. Subclasses name the page, the file and how the rows are read; a bad
    filter value sends the user back to the page, which says what is allowed."""

    http_method_names = ["get"]
    page_url_name: str
    list_name: str  # the file's name and the sheet's title
    title: str

    def download(self, request) -> exports.ListDownload | None:
        """The page's rows, or None when the page's filters refuse the request."""
        raise NotImplementedError

    def filter_summary(self, request) -> str:
        kept = []
        for name, value in sorted(request.GET.items()):
            if name == FORMAT_PARAM or not value:
                continue
            kept.append(f"{name}=chosen" if name in PATIENT_FILTERS else f"{name}={value[:40]}")
        return ", ".join(kept) or "none"

    def get(self, request):
        fmt = request.GET.get(FORMAT_PARAM, "csv")
        if fmt not in FORMATS:
            return HttpResponseBadRequest(
                UNKNOWN_FORMAT.format(fmt[:20]), content_type="text/plain; charset=utf-8"
            )
        download = self.download(request)
        if download is None:
            query = request.GET.copy()
            query.pop(FORMAT_PARAM, None)
            url = reverse(self.page_url_name)
            return redirect(f"{url}?{query.urlencode()}" if query else url)
        # Every patient in the file gets an export access event (as the lot recall CSV), in one INSERT;
        # the list, its filters and the row count go to the log (ids and codes, never a name).
        access_record_many(
            user=request.user, patient_ids=download.patient_ids, action=AccessEvent.Action.EXPORT
        )
        log.info(
            "List exported: %s as %s by user id %s, filters %s, %s rows.",
            self.list_name,
            fmt,
            request.user.pk,
            self.filter_summary(request),
            download.row_count,
        )
        filename = f"{self.list_name}-{timezone.localdate().isoformat()}"
        return table_response(
            fmt, header=download.header, rows=download.rows, filename=filename, title=self.title
        )


class PatientListExportView(ListExportView):
    permission_required = "treatments.view_patient"
    page_url_name = "patient_list"
    list_name = "patients"
    title = "Patients"

    def download(self, request):
        filters = PatientFilter.from_session(request)
        if filters.search_error:
            return None
        return exports.patient_download(patient_list(filters=filters))

    def filter_summary(self, request):
        # The search term lives in the session, never in a URL or a log: only that there was one.
        filters = PatientFilter.from_session(request)
        return f"sort={filters.chosen_sort}, search={'yes' if filters.search_term else 'no'}"


class TreatmentListExportView(ListExportView):
    permission_required = "treatments.view_treatment"
    page_url_name = "treatment_list"
    list_name = "treatments"
    title = "Treatments"

    def download(self, request):
        filters = TreatmentFilter(request.GET or None)
        if filters.is_bound and not filters.is_valid():
            return None
        return exports.treatment_download(treatment_list(filters=filters))


class LotListExportView(ListExportView):
    permission_required = "treatments.view_lot"
    page_url_name = "lot_list"
    list_name = "lots"
    title = "Lots"

    def download(self, request):
        # An unknown status lists every lot, on the page as here (LotFilter).
        return exports.lot_download(lot_list(filters=LotFilter(request.GET)))


class FollowUpListExportView(ListExportView):
    permission_required = "treatments.view_followup"
    page_url_name = "followup_list"
    list_name = "followups"
    title = "Follow-ups"

    def download(self, request):
        filters, _ = worklist_filters(request)
        if filters.asked and not filters.is_valid():
            return None
        today = timezone.localdate()
        return exports.worklist_download(filters=filters, today=today, section=request.GET.get("section"))


class SideEffectListExportView(ListExportView):
    permission_required = "treatments.view_sideeffectreport"
    page_url_name = "sideeffect_list"
    list_name = "side-effects"
    title = "Side effects"

    def download(self, request):
        today = timezone.localdate()
        filters = SideEffectFilter(request.GET or None, today=today)
        if filters.is_bound and not filters.is_valid():
            return None
        return exports.side_effect_download(side_effect_list(filters=filters), today=today)


class ReviewQueueExportView(ListExportView):
    permission_required = REVIEW_PERMISSION
    page_url_name = "sideeffect_review_queue"
    list_name = "review-queue"
    title = "Review queue"

    def download(self, request):
        today = timezone.localdate()
        return exports.review_queue_download(side_effect_review_queue(today=today), today=today)
