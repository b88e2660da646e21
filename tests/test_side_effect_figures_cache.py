"""The figures page's cache: the same figures on a second view with fewer queries, and new figures on
the first view after any change behind them (a report, a void, a treatment, a lot's label)."""

import datetime as dt
import pickle

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.helpers.records import administration
from treatments.selectors.figure_cache import DataVersion, cached_figure, data_version
from treatments.selectors.side_effect_figures import figures_page, side_effect_figures
from treatments.services.lots import lot_save
from treatments.services.patients import patient_save
from treatments.services.products import product_save
from treatments.services.side_effects import side_effect_report, side_effect_void
from treatments.services.signing import treatment_void

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.time_machine(dt.datetime(2026, 7, 15, 9, tzinfo=dt.UTC), tick=False),
]
URL = reverse("sideeffect_figures")
PERIOD = {"start": "2026-06-01", "end": "2026-06-30"}
START, END = dt.date(2026, 6, 1), dt.date(2026, 6, 30)


@pytest.fixture
def clinic(make_patient, make_signed_treatment, make_lot):
    """Six patients treated in June from lot C-300, none with a report yet."""
    lot = make_lot("C-300")
    return [
        make_signed_treatment(
            make_patient(), dt.date(2026, 6, number + 1), administrations=[administration(lot)]
        )
        for number in range(6)
    ]


def view(client) -> tuple[str, int]:
    """The page's content (its heading to the end of main: the navigation's CSRF token and the
    scripts' nonce change on every response) and its query count."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(URL, PERIOD)
    assert response.status_code == 200
    page = response.content.decode()
    return page[page.index("<h1") : page.index("</main>")], len(captured)


def report_on(treatment, user, **fields):
    data = {"term": "fever", "onset": treatment.treatment_date, "grade": 1, "outcome": "recovering"}
    return side_effect_report(patient=treatment.patient, treatment=treatment, user=user, data=data | fields)


def test_a_second_view_reads_the_cache_and_shows_the_same_figures(clinic, staff_client):
    first, computed = view(staff_client)
    second, cached = view(staff_client)
    assert second == first
    assert "of 6 treated patients (0 with a report)" in first
    # The six aggregates are not run again: only the data version is read.
    assert cached == computed - 6
    assert computed <= 12


def test_a_new_report_shows_on_the_next_view(clinic, staff_client, staff):
    assert "(0 with a report)" in view(staff_client)[0]
    report_on(clinic[0], staff, grade=3)
    page = view(staff_client)[0]
    assert "of 6 treated patients (1 with a report)" in page and "whatever their onset; 1 report." in page


def test_a_voided_report_leaves_the_figures_on_the_next_view(clinic, staff_client, staff):
    report = report_on(clinic[0], staff)
    assert "(1 with a report)" in view(staff_client)[0]
    side_effect_void(report=report, user=staff, reason="Wrong patient")
    assert "(0 with a report)" in view(staff_client)[0]


def test_a_voided_treatment_leaves_the_figures_on_the_next_view(clinic, staff_client, physician):
    assert "of 6 treated patients" in view(staff_client)[0]
    treatment_void(treatment=clinic[0], user=physician, reason="Entered twice")
    assert "of 5 treated patients" in view(staff_client)[0]


def test_a_new_treatment_shows_on_the_next_view(
    clinic, staff_client, make_patient, make_signed_treatment, lot
):
    assert "of 6 treated patients" in view(staff_client)[0]
    make_signed_treatment(make_patient(), dt.date(2026, 6, 20), administrations=[administration(lot)])
    assert "of 7 treated patients" in view(staff_client)[0]


def test_a_renamed_lot_or_product_shows_on_the_next_view(clinic, staff_client, clinic_admin):
    assert "lot C-300" in view(staff_client)[0]
    lot = clinic[0].administrations.get().lot
    lot.lot_number = "C-301"
    lot_save(lot=lot, user=clinic_admin, expected_version=lot.version, reason="Typo")
    assert "lot C-301" in view(staff_client)[0]
    product = lot.product
    product.name = "Umbilical MSC exosomes"
    product_save(product=product, user=clinic_admin, expected_version=product.version, reason="Renamed")
    assert "Umbilical MSC exosomes lot C-301" in view(staff_client)[0]


def test_each_period_is_its_own_figure(clinic):
    june = figures_page(start=START, end=END)
    early = figures_page(start=START, end=dt.date(2026, 6, 3))
    assert (june["share"]["treated_patients"], early["share"]["treated_patients"]) == (6, 3)


def test_the_clinic_time_zone_is_part_of_the_figure(settings, make_patient, make_signed_treatment):
    settings.TIME_ZONE = "America/Los_Angeles"
    # 20:00 on 30 June in Los Angeles is 03:00 on 1 July in UTC: June's in Los Angeles only.
    make_signed_treatment(make_patient(), dt.date(2026, 6, 30), at=dt.time(20, 0))
    assert figures_page(start=START, end=END)["share"]["treated_patients"] == 1
    settings.TIME_ZONE = "UTC"
    assert figures_page(start=START, end=END)["share"]["treated_patients"] == 0


def test_the_cached_figures_are_the_computed_ones(clinic, staff):
    report_on(clinic[1], staff, grade=2)
    assert figures_page(start=START, end=END) == side_effect_figures(start=START, end=END)
    assert figures_page(start=START, end=END) == side_effect_figures(start=START, end=END)


def test_the_cache_holds_no_patient_identifiers(clinic, staff_client, physician_client, staff):
    report_on(clinic[0], staff)
    view(staff_client)
    physician_client.get(reverse("home"))
    # LocMemCache's own store, pickled by this process.
    stored = [pickle.loads(value) for value in cache._cache.values()]  # noqa: S301
    assert len(stored) == 4  # the figures page, and the dashboard's patients, queue and share
    text = repr(stored)
    for treatment in clinic:
        patient = treatment.patient
        assert patient.mrn not in text and patient.family_name not in text


@pytest.mark.parametrize(
    ("table", "change"),
    [
        ("patient", "patient"),
        ("treatment", "treatment"),
        ("administration", "treatment"),
        ("report", "report"),
        ("lot", "lot"),
        ("product", "product"),
    ],
)
def test_each_write_through_a_service_moves_its_table_version(
    clinic, table, change, physician, staff, clinic_admin, make_signed_treatment, lot
):
    before = data_version()
    patient = clinic[0].patient
    if change == "patient":
        patient.phone = "+44 20 7946 0000"
        patient_save(patient=patient, user=physician, expected_version=patient.version)
    elif change == "treatment":
        make_signed_treatment(patient, dt.date(2026, 7, 1), administrations=[administration(lot)])
    elif change == "report":
        report_on(clinic[0], staff)
    elif change == "lot":
        lot.lot_number = "Z-1"
        lot_save(lot=lot, user=clinic_admin, expected_version=lot.version)
    else:
        product = lot.product
        product.name = "Renamed"
        product_save(product=product, user=clinic_admin, expected_version=product.version)
    assert getattr(data_version(), table) > getattr(before, table)


def test_a_value_read_while_a_write_was_open_is_not_stored():
    version = DataVersion(1, 1, 1, 1, 1, 1, 1, storable=False)
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    def read():
        return cached_figure("test", version=version, tables=("report",), args=(), compute=compute)

    assert (read(), read()) == (1, 2)
    stored = DataVersion(1, 1, 1, 1, 1, 1, 1, storable=True)
    first = cached_figure("test", version=stored, tables=("report",), args=(), compute=compute)
    again = cached_figure("test", version=stored, tables=("report",), args=(), compute=compute)
    assert (first, again) == (3, 3)


def test_a_quiet_database_lets_values_be_stored():
    assert data_version().storable is True


@pytest.mark.postgres
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite has one writer: its history ids commit in order, so every version is storable",
)
def test_on_postgresql_a_write_open_elsewhere_keeps_the_value_out_of_the_cache():
    import psycopg

    other = psycopg.connect(**connection.get_connection_params())
    try:
        other.execute("SELECT pg_current_xact_id()")  # a transaction holding a transaction id
        assert data_version().storable is False
    finally:
        other.rollback()
        other.close()
    with connection.cursor() as cursor:
        # pg_stat_activity is read once per transaction, and the test runs in one.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
    assert data_version().storable is True
