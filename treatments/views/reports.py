"""The reports (``/reports/``): physicians and clinic admins; aggregates only, no patient named.

Each report page reads its figures through treatments.selectors.reports.pages (one selector per
figure, kept in the figure cache while the records are unchanged) over the scope the filter gives;
its download (``…/export/?table=…&format=csv|xlsx`` with the page's filters) writes the same table
rows through clinic.writers.table_response.
"""

import logging

from django.http import HttpResponseBadRequest
from django.urls import reverse
from django.utils.http import urlencode
from django.views.generic import TemplateView, View

from clinic.mixins import RolePermissionMixin
from clinic.roles import CLINIC_ADMIN, PHYSICIAN, roles_of
from clinic.writers import FORMATS, table_response
from treatments.filters.reports import ReportFilter
from treatments.selectors.reports.pages import report_figures

log = logging.getLogger(__name__)

# The tabs, in order: (page URL name, label).
REPORTS = [
    ("report_treatments", "Treatments"),
    ("report_followups", "Follow-ups"),
    ("report_outcomes", "Outcomes"),
    ("report_side_effects", "Side effects"),
]
# Query parameters of a download that are not filters.
DOWNLOAD_PARAMETERS = ("format", "table")


class ReportAccessMixin(RolePermissionMixin):
    """Physicians and clinic admins (and superusers); staff and users without a role get 403."""

    def has_permission(self):
        user = self.request.user
        return user.is_superuser or bool(roles_of(user) & {PHYSICIAN, CLINIC_ADMIN})


def _filter_query(request) -> str:
    """The request's filters as a query string (without the download's own parameters)."""
    return urlencode(
        [(key, value) for key, value in request.GET.items() if key not in DOWNLOAD_PARAMETERS and value]
    )


def _with(url: str, query: str) -> str:
    return f"{url}?{query}" if query else url


def _tabs(query: str) -> list[tuple[str, str, str]]:
    return [(_with(reverse(name), query), label, name) for name, label in REPORTS]


def _download(export: str, key: str, fmt: str, query: str) -> str:
    own = urlencode({"table": key, "format": fmt})
    return f"{export}?{own}&{query}" if query else f"{export}?{own}"


class ReportIndexView(ReportAccessMixin, TemplateView):
    template_name = "treatments/reports/index.html"

    def get_context_data(self, **kwargs):
        filters = ReportFilter(self.request.GET)
        scope = filters.scope()
        totals = report_figures("report_index", scope=scope)
        query = _filter_query(self.request)
        return super().get_context_data(**kwargs) | {
            "filter_form": filters.form,
            "filter_message": filters.message,
            "scope": scope,
            "totals": totals,
            "tabs": _tabs(query),
            "query": query,
        }


class ReportPageView(ReportAccessMixin, TemplateView):
    """A report page: the filter form, the tabs, and the report's charts and tables."""

    # The page's URL name, which names its figures in selectors.reports.pages; its download's is
    # name + "_export".
    name = ""

    def get_context_data(self, **kwargs):
        filters = ReportFilter(self.request.GET)
        scope = filters.scope()
        figures = report_figures(self.name, scope=scope)
        query = _filter_query(self.request)
        export = reverse(f"{self.name}_export")
        tables = {
            table.key: {
                "table": table,
                "csv": _download(export, table.key, "csv", query),
                "xlsx": _download(export, table.key, "xlsx", query),
            }
            for table in figures["tables"]
        }
        return super().get_context_data(**kwargs) | {
            "filter_form": filters.form,
            "filter_message": filters.message,
            "scope": scope,
            "figures": figures,
            "tables": tables,
            "tabs": _tabs(query),
            "active": self.name,
            "index_url": _with(reverse("report_index"), query),
        }


class ReportExportView(ReportAccessMixin, View):
    """One table of a report as CSV or XLSX, with the page's filters; a bad filter, table or format
    is refused (400) with what is allowed, never a file of other figures than asked."""

    http_method_names = ["get"]
    name = ""  # the page's URL name

    def get(self, request):
        fmt = request.GET.get("format") or "csv"
        if fmt not in FORMATS:
            return _refusal(f"Unknown download format: choose one of {', '.join(FORMATS)}.")
        filters = ReportFilter(request.GET)
        if not filters.is_valid():
            return _refusal(f"The download's filters are not valid: {filters.message}")
        scope = filters.scope()
        tables = {table.key: table for table in report_figures(self.name, scope=scope)["tables"]}
        key = request.GET.get("table") or next(iter(tables))
        if key not in tables:
            return _refusal(f"Unknown table: choose one of {', '.join(tables)}.")
        table = tables[key]
        log.info("Report table %s exported by user id %s.", key, request.user.pk)
        return table_response(
            fmt,
            header=table.header,
            rows=table.rows,
            filename=f"report-{table.filename}-{scope.start.isoformat()}-to-{scope.end.isoformat()}",
            title=table.title,
        )


def _refusal(message: str):
    return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")


def _page(name: str, template: str):
    page = type(f"{name}_page", (ReportPageView,), {"name": name, "template_name": template})
    export = type(f"{name}_export", (ReportExportView,), {"name": name})
    return page, export


TreatmentsReportView, TreatmentsReportExport = _page(
    "report_treatments", "treatments/reports/treatments.html"
)
FollowUpsReportView, FollowUpsReportExport = _page("report_followups", "treatments/reports/followups.html")
OutcomesReportView, OutcomesReportExport = _page("report_outcomes", "treatments/reports/outcomes.html")
SideEffectsReportView, SideEffectsReportExport = _page(
    "report_side_effects", "treatments/reports/side_effects.html"
)
