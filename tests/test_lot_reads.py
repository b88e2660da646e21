"""The lot read layer: LotFilter and the lot selectors, by the rows they return."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.utils import timezone

from treatments.filters.lots import LotFilter
from treatments.selectors.lots import (
    lot_list,
    lot_recall_csv,
    lot_recall_csv_filename,
    lot_recall_list,
    lot_recall_patient_ids,
    lots_for_page,
)
from treatments.services.signing import treatment_void

pytestmark = pytest.mark.django_db


@pytest.fixture
def stock(make_lot, clinic_admin):
    """Four lots: two released (one expiring first), one in quarantine, and a voided one."""
    soon = make_lot("SOON", expires_on=dt.date(2027, 1, 1))
    late = make_lot("LATE", expires_on=dt.date(2028, 1, 1))
    waiting = make_lot("WAIT", status="quarantine")
    voided = make_lot("VOID")
    voided.mark_voided(user=clinic_admin, reason="Entered twice")
    voided.save()
    return {"soon": soon, "late": late, "waiting": waiting, "voided": voided}


def listed(**data) -> list[str]:
    return [lot.lot_number for lot in lot_list(filters=LotFilter(data))]


def test_the_list_holds_active_lots_by_expiry_with_their_stock(stock, make_treatment, patient):
    make_treatment(patient, lot=stock["late"], doses=["7.5"])
    # make_treatment brings the default lot KL-2601, expiring with WAIT in 2030.
    assert listed() == ["SOON", "LATE", "KL-2601", "WAIT"]
    lots = {lot.lot_number: lot for lot in lot_list(filters=LotFilter({}))}
    assert lots["LATE"].stock_on_hand_ml == Decimal("92.5")
    assert lots["SOON"].stock_on_hand_ml == Decimal("100")


def test_the_list_filters_by_status_and_ignores_an_unknown_one(stock):
    assert listed(status="quarantine") == ["WAIT"]
    assert listed(status="recalled") == []
    assert listed(status="bogus") == ["SOON", "LATE", "WAIT"]
    assert LotFilter({"status": "bogus"}).chosen_status == ""
    assert LotFilter({"status": "released"}).chosen_status == "released"
    assert lot_list(filters=LotFilter()).count() == 3  # unbound: no filter


def test_lot_pages_reach_voided_lots_too(stock):
    assert set(lots_for_page()) == set(stock.values())
    assert lots_for_page().get(pk=stock["voided"].pk).stock_on_hand_ml == Decimal("100")


@pytest.fixture
def received(make_treatment, make_patient, lot, physician):
    """Two patients received the lot (the first twice in one treatment); a voided treatment and a
    treatment from another lot do not count."""
    day = timezone.make_aware(dt.datetime(2026, 2, 3, 10, 30))
    ada = make_patient(given_name="Ada", family_name="Byron", mrn="R-1", phone="=1+1")
    grace = make_patient(given_name="Grace", family_name="Hopper", mrn="R-2")
    alan = make_patient(given_name="Alan", family_name="Turing", mrn="R-3")
    make_treatment(ada, when=day, doses=["5", "2.5"], sign=True)
    make_treatment(grace, when=day + dt.timedelta(days=1), doses=["10"])
    voided = make_treatment(alan, when=day + dt.timedelta(days=2), doses=["3"])
    treatment_void(treatment=voided, user=physician, reason="Wrong patient")
    return {"ada": ada, "grace": grace, "alan": alan}


def test_the_recall_list_has_every_administration_oldest_first(lot, received, make_lot, make_treatment):
    make_treatment(received["alan"], lot=make_lot("OTHER"), doses=["1"])
    lot = lots_for_page().get(pk=lot.pk)  # as the page reads it: with its kept counts
    table = lot_recall_list(lot=lot, with_names=False)
    assert table["columns"] == ["Record no.", "Treatment date", "Dose (billion)", "Route"]
    assert [row["cells"] for row in table["recall_rows"]] == [
        ["R-1", "2026-02-03 10:30", "5", "IV drip"],
        ["R-1", "2026-02-03 10:30", "2.5", "IV drip"],
        ["R-2", "2026-02-04 10:30", "10", "IV drip"],
    ]
    assert (table["administration_count"], table["patient_count"]) == (3, 2)
    named = lot_recall_list(lot=lot, with_names=True)
    assert named["recall_rows"][0]["cells"][:4] == ["Byron", "Ada", "R-1", "=1+1"]
    assert lot_recall_patient_ids(lot=lot) == sorted([received["ada"].pk, received["grace"].pk])


def test_the_recall_csv_has_the_same_rows_with_formulas_made_text(lot, received):
    rows = list(csv.reader(io.StringIO("".join(lot_recall_csv(lot=lot, with_names=True)))))
    assert rows[0][:3] == ["Family name", "Given name", "Record no."]
    assert [row[2] for row in rows[1:]] == ["R-1", "R-1", "R-2"]
    assert rows[1][3] == "'=1+1"
    minimal = list(csv.reader(io.StringIO("".join(lot_recall_csv(lot=lot, with_names=False)))))
    assert minimal[1] == ["R-1", "2026-02-03 10:30", "5", "IV drip"]
    assert lot_recall_csv_filename(lot=lot) == "lot-KL-2601-recall.csv"
    lot.lot_number = "A/B C"
    assert lot_recall_csv_filename(lot=lot) == "lot-A_B_C-recall.csv"
