"""The report pages and downloads: who may see them, their query counts, what they show and that a
download holds exactly the page's table (treatments.views.reports)."""

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.cache import cache
from django.urls import reverse

from tests.helpers.pages import assert_no_inline_code
from tests.helpers.records import administration, clinic_time
from treatments.filters.reports import ReportFilter
from treatments.selectors.reports.pages import (
    followups_figures,
    outcomes_figures,
    side_effects_figures,
    treatments_figures,
)
from treatments.services.followup_actions import followup_complete

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.time_machine(dt.datetime(2026, 7, 15, 9, tzinfo=dt.UTC), tick=False),
]
PAGES = ["report_index", "report_treatments", "report_followups", "report_outcomes", "report_side_effects"]
EXPORTS = {
    "report_treatments_export": treatments_figures,
    "report_followups_export": followups_figures,
    "report_outcomes_export": outcomes_figures,
    "report_side_effects_export": side_effects_figures,
}
PERIOD = "start=2026-01-01&end=2026-06-30"
CANARY = "Zebedee-Canary"


@pytest.fixture
def treated(make_patient, make_signed_treatment, make_lot, make_report, physician):
    """Patients treated in the first half of 2026, some with a report and a completed check-in; the
    first is the canary, whose name must never reach a report."""
    lots = [make_lot("A-1", quantity_received_ml=1000), make_lot("B-2", quantity_received_ml=1000)]

    def add(count: int, start: int = 0):
        for number in range(start, start + count):
            patient = make_patient(family_name=CANARY if number == 0 else f"Patient{number}")
            day = dt.date(2026, 1, 5) + dt.timedelta(days=number * 3)
            route = ("iv_drip", "local_injection", "intranasal")[number % 3]
            treatment = make_signed_treatment(
                patient,
                day,
                baseline_pain=number % 11,
                baseline_energy=(number * 3) % 11,
                administrations=[administration(lots[number % 2], route, dose=str(1 + number % 9))],
            )
            if number % 2 == 0:
                make_report(treatment, term=("fever", "headache", "nausea")[number % 3], grade=1 + number % 3)
            check_in = treatment.followups.get(kind="check_in")
            followup_complete(
                followup=check_in,
                user=physician,
                data={
                    "contact": "call",
                    "pain": number % 10,
                    "energy": 5,
                    "global_impression": 1 + number % 7,
                },
                completed_at=clinic_time(day + dt.timedelta(days=2)),
            )

    add(5)
    return add


@pytest.mark.parametrize("name", PAGES)
def test_physicians_and_clinic_admins_see_the_reports_staff_do_not(role_clients, name):
    url = reverse(name)
    assert role_clients["physician"].get(url).status_code == 200
    assert role_clients["clinic_admin"].get(url).status_code == 200
    assert role_clients["staff"].get(url).status_code == 403
    assert role_clients["no_role"].get(url).status_code == 403
    response = role_clients["anonymous"].get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", EXPORTS)
def test_downloads_have_the_pages_permission(role_clients, name):
    url = reverse(name)
    assert role_clients["physician"].get(url).status_code == 200
    assert role_clients["clinic_admin"].get(url).status_code == 200
    assert role_clients["staff"].get(url).status_code == 403
    assert role_clients["anonymous"].get(url).status_code == 302


def test_the_navigation_links_the_reports_for_the_roles_that_may_see_them(role_clients):
    link = f'href="{reverse("report_index")}"'
    assert link in role_clients["physician"].get(reverse("home")).content.decode()
    assert link in role_clients["clinic_admin"].get(reverse("home")).content.decode()
    assert link not in role_clients["staff"].get(reverse("home")).content.decode()


def test_every_page_runs_the_same_queries_for_5_and_50_patients(
    treated, physician_client, django_assert_max_num_queries
):
    """Each page at most 12 queries when it computes its figures (the cache emptied first), and as
    many with 50 patients as with 5. The pages share one build of the 50 patients (the build costs far
    more than the pages)."""
    urls = {name: f"{reverse(name)}?{PERIOD}&route=iv_drip" for name in PAGES}
    physician_client.get(urls[PAGES[0]])  # warm: the session's first request

    def counts():
        found = {}
        for name, url in urls.items():
            cache.clear()
            with django_assert_max_num_queries(12) as captured:
                assert physician_client.get(url).status_code == 200, name
            found[name] = len(captured.captured_queries)
        return found

    few = counts()
    treated(45, start=5)
    assert counts() == few


@pytest.mark.parametrize("name", PAGES)
def test_pages_name_no_patient_and_carry_no_inline_code(treated, admin_client_role, name):
    response = admin_client_role.get(f"{reverse(name)}?{PERIOD}")
    html = response.content.decode()
    assert CANARY not in html
    assert "/patients/" not in html  # no drill-down to a patient's page
    assert_no_inline_code(html, name)
    if name != "report_index":
        assert 'type="application/json"' in html and "report-charts.js" in html


def test_the_side_effect_page_shows_the_share_against_the_stated_one(treated, physician_client):
    html = physician_client.get(f"{reverse('report_side_effects')}?{PERIOD}").content.decode()
    # 5 treated patients, 3 with a report (numbers 0, 2, 4): 60 %, Wilson 23.1 to 88.2.
    assert "60.0 %" in html and "23.1 to 88.2 %" in html
    assert "less than 10 %" in html
    assert "flagged well above the rest" in html  # the definition is on the page


def test_the_followup_page_shows_the_three_month_rate_first(treated, physician_client):
    html = physician_client.get(f"{reverse('report_followups')}?{PERIOD}").content.decode()
    assert html.index("3-month assessment completed in its window") < html.index("Every step")


def _csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def _as_text(value) -> str:
    return "" if value is None else str(value)


def _as_cell(value):
    """A value as a spreadsheet holds it: numbers as numbers (50.0 is 50), text as text."""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return float(value)
    return value


@pytest.mark.parametrize(("name", "compute"), EXPORTS.items())
def test_each_download_holds_the_pages_table_with_its_filters(treated, physician_client, name, compute):
    query = f"{PERIOD}&route=local_injection"
    filters = ReportFilter(dict(part.split("=") for part in query.split("&")))
    for table in compute(filters.scope())["tables"]:
        url = f"{reverse(name)}?table={table.key}&format=csv&{query}"
        response = physician_client.get(url)
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith(
            f'attachment; filename="report-{table.filename}-2026-01-01'
        )
        assert _csv_rows(response) == [
            table.header,
            *[[_as_text(cell) for cell in row] for row in table.rows],
        ]
        response = physician_client.get(url.replace("format=csv", "format=xlsx"))
        assert response.status_code == 200
        sheet = openpyxl.load_workbook(
            io.BytesIO(b"".join(response.streaming_content)), read_only=True
        ).active
        found = [list(row) for row in sheet.iter_rows(values_only=True)]
        assert found[0] == table.header
        assert [[_as_cell(cell) for cell in row] for row in found[1:]] == [
            [_as_cell(cell) for cell in row] for row in table.rows
        ]


def test_the_page_links_each_tables_downloads_with_its_filters(treated, physician_client):
    html = physician_client.get(f"{reverse('report_side_effects')}?{PERIOD}&route=iv_drip").content.decode()
    assert (
        "/reports/side-effects/export/?table=by_lot&amp;format=xlsx&amp;start=2026-01-01&amp;end=2026-06-30&amp;route=iv_drip"
        in html
    )


def test_the_route_filter_changes_the_download(treated, physician_client):
    url = f"{reverse('report_treatments_export')}?table=by_month_route&{PERIOD}"
    every = _csv_rows(physician_client.get(url))
    only = _csv_rows(physician_client.get(f"{url}&route=intranasal"))
    assert every[0] == ["Month", "Local injection", "IV drip", "Intranasal", "Treatments"]
    assert only[0] == ["Month", "Intranasal", "Treatments"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("format=pdf", "Unknown download format: choose one of csv, xlsx."),
        ("table=nope", "Unknown table: choose one of by_term, by_grade, by_route, by_lot."),
        ("start=2026-02-30", "The download's filters are not valid: Enter a date"),
        ("lot=abc", "Select a valid choice"),
    ],
)
def test_a_bad_download_request_is_refused_with_what_is_allowed(physician_client, query, message):
    response = physician_client.get(f"{reverse('report_side_effects_export')}?{query}")
    assert response.status_code == 400
    assert message in response.content.decode()


@pytest.mark.parametrize(
    "query", ["start=yesterday", "end=2026-01-01&start=2026-06-01", "route=oral", "lot=-1"]
)
def test_a_bad_filter_on_a_page_is_explained_not_a_500(physician_client, query):
    response = physician_client.get(f"{reverse('report_outcomes')}?{query}")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'role="alert"' in html and "The figures below are for the last 12 months, unfiltered." in html
