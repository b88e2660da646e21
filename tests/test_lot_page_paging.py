"""The lot page lists its administrations (the recall list) a page at a time: counts kept on the
lot, a pager like the worklist's, odd page values fall back to a real page; the CSV keeps
every row."""

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from treatments.selectors.lots import RECALL_PAGE_ROWS, lot_recall_list, lots_for_page
from treatments.services.lots import lot_recall

pytestmark = pytest.mark.django_db

TOTAL = RECALL_PAGE_ROWS + 10  # five administrations a patient: a page and two patients more
PATIENTS = TOTAL // 5
R = RECALL_PAGE_ROWS


@pytest.fixture
def busy_lot(make_treatment, make_patient, lot):
    """PATIENTS patients, five administrations each, a day apart: record numbers P-01, P-02 …"""
    start = timezone.make_aware(dt.datetime(2026, 1, 5, 9, 0))
    for number in range(1, TOTAL // 5 + 1):
        patient = make_patient(mrn=f"P-{number:02d}", family_name=f"Family{number:02d}")
        make_treatment(patient, when=start + dt.timedelta(days=number), doses=["1", "1", "1", "1", "1"])
    return lots_for_page().get(pk=lot.pk)  # as the page reads it: with its kept counts


def record_numbers(response) -> list[str]:
    return [row["cells"][2] for row in response.context["recall_rows"]]


def test_the_first_page_shows_a_page_of_rows_and_the_full_counts(physician_client, busy_lot):
    response = physician_client.get(busy_lot.get_absolute_url())
    assert len(response.context["recall_rows"]) == RECALL_PAGE_ROWS
    assert record_numbers(response)[:6] == ["P-01"] * 5 + ["P-02"]
    body = response.content.decode()
    assert f"{TOTAL} administrations to {PATIENTS} patients" in body
    assert f"Rows 1–{R} of {TOTAL}." in body
    assert f'<a class="btn btn-sm btn-outline-primary" href="?page=2">More: rows {R + 1}–{TOTAL}</a>' in body
    assert f"Previous {R}" not in body
    assert '<nav class="border-top' in body and 'aria-label="Pages of the administrations list"' in body


def test_page_two_shows_the_next_rows(physician_client, busy_lot):
    response = physician_client.get(busy_lot.get_absolute_url(), {"page": "2"})
    assert record_numbers(response) == [f"P-{PATIENTS - 1:02d}"] * 5 + [f"P-{PATIENTS:02d}"] * 5
    body = response.content.decode()
    assert f"Rows {R + 1}–{TOTAL} of {TOTAL}." in body
    assert f'<a class="btn btn-sm btn-outline-secondary" href="?page=1">Previous {R}</a>' in body
    assert "More: rows" not in body
    first = physician_client.get(busy_lot.get_absolute_url()).context["recall_rows"]
    shown = [row["pk"] for row in first] + [row["pk"] for row in response.context["recall_rows"]]
    assert len(set(shown)) == TOTAL  # no row twice, none left out


@pytest.mark.parametrize(
    ("page", "shown_page", "first_row"),
    [("999", 2, R + 1), ("0", 1, 1), ("-3", 1, 1), ("two", 1, 1), ("", 1, 1), ("2.5", 1, 1)],
)
def test_odd_page_values_fall_back_to_a_real_page(physician_client, busy_lot, page, shown_page, first_row):
    response = physician_client.get(busy_lot.get_absolute_url(), {"page": page})
    assert response.status_code == 200
    assert response.context["recall_page"]["number"] == shown_page
    assert f"Rows {first_row}–" in response.content.decode()


def test_a_small_lot_has_no_pager(physician_client, make_treatment, patient, lot):
    make_treatment(patient, doses=["1", "2"])
    body = physician_client.get(lot.get_absolute_url(), {"page": "5"}).content.decode()
    assert "2 administrations to 1 patient" in body and "Rows " not in body and "?page=" not in body


def test_an_empty_lot_says_so(physician_client, lot):
    response = physician_client.get(lot.get_absolute_url(), {"page": "3"})
    assert response.context["recall_page"]["number"] == 1
    assert "Nobody has received this lot." in response.content.decode()


def test_a_recalled_lot_pages_its_recall_list_and_the_csv_keeps_every_row(
    physician_client, physician, busy_lot
):
    lot_recall(lot=busy_lot, user=physician, reason="Endotoxin above limit")
    body = physician_client.get(busy_lot.get_absolute_url(), {"page": "2"}).content.decode()
    assert f"Recall list: {TOTAL} administrations to {PATIENTS} patients" in body
    assert f"Rows {R + 1}–{TOTAL} of {TOTAL}; the CSV lists them all." in body
    response = physician_client.get(reverse("lot_recall_csv", args=[busy_lot.pk]))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 1 + TOTAL
    assert {row[2] for row in rows[1:]} == {f"P-{n:02d}" for n in range(1, PATIENTS + 1)}


def test_the_selector_reads_the_kept_counts_and_one_page(busy_lot, django_assert_num_queries):
    # the highest treatment id (how to read the page), then the page's rows; the counts are the lot's
    with django_assert_num_queries(2):
        page = lot_recall_list(lot=busy_lot, with_names=False, page=2)
    assert (page["administration_count"], page["patient_count"]) == (TOTAL, PATIENTS)
    last_two = [f"P-{PATIENTS - 1:02d}"] * 5 + [f"P-{PATIENTS:02d}"] * 5
    assert [row["cells"][0] for row in page["recall_rows"]] == last_two


def test_a_page_read_by_walking_treatments_matches_the_sorted_lot(busy_lot, monkeypatch):
    from treatments.selectors import lots as selector

    walked = [lot_recall_list(lot=busy_lot, with_names=False, page=n)["recall_rows"] for n in (1, 2, 3)]
    monkeypatch.setattr(selector, "_walks_treatments", lambda **_: False)
    sorted_ = [lot_recall_list(lot=busy_lot, with_names=False, page=n)["recall_rows"] for n in (1, 2, 3)]
    assert [[row["pk"] for row in page] for page in walked] == [
        [row["pk"] for row in page] for page in sorted_
    ]
