"""The report pages' figure cache (treatments.selectors.reports.pages): a second view shows the same
figures with fewer queries; the first view after any change behind them (a treatment signed or
voided, a side-effect report, a renamed indication, another day) shows new figures; each period and
filter is its own entry; a download holds the page's table whether the page was cached or not."""

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.helpers.records import administration
from treatments.filters.reports import ReportFilter
from treatments.models import Indication
from treatments.selectors.reports.pages import report_figures
from treatments.services.signing import treatment_void

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.time_machine(dt.datetime(2026, 7, 15, 9, tzinfo=dt.UTC), tick=False),
]
PERIOD = {"start": "2026-06-01", "end": "2026-06-30"}
PAGES = ["report_index", "report_treatments", "report_followups", "report_outcomes", "report_side_effects"]


@pytest.fixture
def clinic(make_patient, make_signed_treatment, make_lot):
    """Four patients treated in June (doses 2, 3, 4 and 5 billion) for the first indication."""
    lot = make_lot("C-300")
    indication = Indication.objects.order_by("order", "name").first()
    return [
        make_signed_treatment(
            make_patient(),
            dt.date(2026, 6, 2 + number),
            indication=indication,
            baseline_pain=4,
            administrations=[administration(lot, dose=str(2 + number))],
        )
        for number in range(4)
    ]


def view(client, name: str, query: dict = PERIOD) -> tuple[str, int]:
    """The page's main content (the CSRF token and the scripts' nonce change on every response) and
    its query count."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse(name), query)
    assert response.status_code == 200
    page = response.content.decode()
    return page[page.index("<h1") : page.index("</main>")], len(captured)


@pytest.mark.parametrize("name", PAGES)
def test_a_second_view_shows_the_same_figures_without_computing_them(clinic, physician_client, name):
    first, computed = view(physician_client, name)
    second, cached = view(physician_client, name)
    assert second == first
    # Only the data version is read on the second view, besides the page's own few queries.
    assert cached < computed
    assert cached <= 7


def test_the_index_counts_a_treatment_signed_after_the_first_view(
    clinic, physician_client, make_patient, make_signed_treatment
):
    assert "4 signed treatments of 4 patients in this period." in view(physician_client, "report_index")[0]
    make_signed_treatment(make_patient(), dt.date(2026, 6, 20))
    assert "5 signed treatments of 5 patients in this period." in view(physician_client, "report_index")[0]


def test_a_voided_treatment_leaves_the_dose_figures_on_the_next_view(clinic, physician_client, physician):
    page = view(physician_client, "report_treatments")[0]
    assert "4 treatments: mean 3.50, smallest 2.00, largest 5.00 billion exosomes." in page
    treatment_void(treatment=clinic[3], user=physician, reason="Entered for the wrong patient")
    page = view(physician_client, "report_treatments")[0]
    assert "3 treatments: mean 3.00, smallest 2.00, largest 4.00 billion exosomes." in page


def test_a_new_side_effect_report_shows_on_the_next_view(clinic, physician_client, make_report):
    before = view(physician_client, "report_side_effects")[0]
    make_report(clinic[0], term="headache", grade=2)
    after = view(physician_client, "report_side_effects")[0]
    row = '<th scope="row" class="fw-normal">Headache</th><td class="text-end text-nowrap">{}</td>'
    assert row.format(0) in before
    assert row.format(1) in after


def test_a_renamed_indication_shows_on_the_next_view(clinic, physician_client):
    indication = clinic[0].indication
    assert indication.name in view(physician_client, "report_outcomes")[0]
    indication.name = "Renamed indication"
    indication.save()
    assert "Renamed indication" in view(physician_client, "report_outcomes")[0]


def test_each_period_and_filter_has_its_own_figures(clinic, physician_client):
    june = view(physician_client, "report_index")[0]
    early = view(physician_client, "report_index", {"start": "2026-06-01", "end": "2026-06-03"})[0]
    by_route = view(physician_client, "report_index", PERIOD | {"route": "intranasal"})[0]
    assert "4 signed treatments of 4 patients" in june
    assert "2 signed treatments of 2 patients" in early
    assert "0 signed treatments of 0 patients" in by_route
    assert "4 signed treatments of 4 patients" in view(physician_client, "report_index")[0]


def test_a_new_day_recounts_the_overdue_follow_ups(clinic):
    """The follow-ups report counts a follow-up overdue once its window has closed: the clinic's
    date is part of the cached figures' key, so the next day's view does not show the day before's."""
    scope = ReportFilter(PERIOD).scope()

    def overdue_and_open() -> tuple[int, int]:
        table = report_figures("report_followups", scope=scope)["table"]
        overdue = table.header.index("Overdue (window closed, still open)")
        not_yet_due = table.header.index("Not yet due")
        return sum(row[overdue] for row in table.rows), sum(row[not_yet_due] for row in table.rows)

    with time_machine.travel(dt.datetime(2026, 6, 10, 9, tzinfo=dt.UTC), tick=False):
        early = overdue_and_open()
    with time_machine.travel(dt.datetime(2026, 9, 30, 9, tzinfo=dt.UTC), tick=False):
        late = overdue_and_open()
    assert late[0] > early[0]
    assert late[1] < early[1]


def test_a_download_holds_the_pages_table_from_the_cache(clinic, physician_client):
    url = reverse("report_treatments_export")
    query = PERIOD | {"table": "dose", "format": "csv"}

    def rows():
        response = physician_client.get(url, query)
        assert response.status_code == 200
        return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))

    first = rows()
    view(physician_client, "report_treatments")  # the page's figures, cached
    assert rows() == first
    assert first[0] == ["Total dose (billion exosomes)", "Treatments", "Share (%)"]
    assert [row[1] for row in first[1:]] == ["1", "1", "1", "1"]
