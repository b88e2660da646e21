"""A lot recall answers at once: who received the lot, when and how much; the patients are flagged."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from treatments.models import AccessEvent, Lot, LotStatus
from treatments.services.signing import treatment_void

pytestmark = pytest.mark.django_db


@pytest.fixture
def received(make_treatment, make_patient, lot, physician):
    """Three patients received lot KL-2601 (one twice); a voided treatment does not count."""
    day = timezone.make_aware(dt.datetime(2026, 2, 3, 10, 30))
    ada = make_patient(given_name="Ada", family_name="Byron", mrn="R-1", phone="+1 555 0101")
    grace = make_patient(given_name="Grace", family_name="Hopper", mrn="R-2", phone="555 0102")
    alan = make_patient(given_name="Alan", family_name="Turing", mrn="R-3")
    make_treatment(ada, when=day, doses=["5", "2.5"], sign=True)
    make_treatment(grace, when=day + dt.timedelta(days=1), doses=["10"])
    voided = make_treatment(alan, when=day + dt.timedelta(days=2), doses=["3"], sign=True)
    treatment_void(treatment=voided, user=physician, reason="Wrong patient")
    return {"ada": ada, "grace": grace, "alan": alan}


def test_a_recall_needs_a_reason_and_only_post_changes_anything(admin_client_role, lot):
    url = reverse("lot_recall", args=[lot.pk])
    assert admin_client_role.get(url).status_code == 200
    assert admin_client_role.post(url, {"reason": "  "}).status_code == 200
    lot.refresh_from_db()
    assert lot.status == LotStatus.RELEASED


def test_recalling_lists_every_patient_and_administration(admin_client_role, clinic_admin, lot, received):
    response = admin_client_role.post(
        reverse("lot_recall", args=[lot.pk]), {"reason": "Sterility test failed", "version": lot.version}
    )
    assert response["Location"] == lot.get_absolute_url()
    lot.refresh_from_db()
    assert (lot.status, lot.recall_reason, lot.recalled_by) == (
        "recalled",
        "Sterility test failed",
        clinic_admin,
    )
    assert lot.history.latest().history_change_reason == "Recalled: Sterility test failed"

    page = admin_client_role.get(lot.get_absolute_url())
    rows = [row["cells"] for row in page.context["recall_rows"]]
    # The clinic admin sees record numbers, dates, doses and routes: no names, no phone numbers.
    assert rows == [
        ["R-1", "2026-02-03 10:30", "5", "IV drip"],
        ["R-1", "2026-02-03 10:30", "2.5", "IV drip"],
        ["R-2", "2026-02-04 10:30", "10", "IV drip"],
    ]
    body = page.content.decode()
    assert "Recall list: 3 administrations to 2 patients" in body
    assert "Byron" not in body and "555 0101" not in body


def test_the_care_team_sees_names_and_phones(physician_client, lot, received):
    page = physician_client.get(lot.get_absolute_url())
    first = page.context["recall_rows"][0]["cells"]
    assert first[:4] == ["Byron", "Ada", "R-1", "+1 555 0101"]
    assert reverse("patient_detail", args=[received["ada"].pk]) in page.content.decode()


def test_the_csv_streams_the_list_and_logs_an_export_per_patient(physician_client, physician, lot, received):
    response = physician_client.get(reverse("lot_recall_csv", args=[lot.pk]))
    assert response.streaming
    assert response["Content-Disposition"] == 'attachment; filename="lot-KL-2601-recall.csv"'
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:5] == ["Family name", "Given name", "Record no.", "Phone", "Treatment date"]
    assert [row[:3] + row[5:7] for row in rows[1:]] == [
        ["Byron", "Ada", "R-1", "5", "5"],
        ["Byron", "Ada", "R-1", "2.5", "2.5"],
        ["Hopper", "Grace", "R-2", "10", "10"],
    ]
    assert rows[1][3] == "'+1 555 0101"  # a leading + would run as a spreadsheet formula
    events = AccessEvent.objects.filter(action=AccessEvent.Action.EXPORT)
    assert sorted(events.values_list("patient__mrn", flat=True)) == ["R-1", "R-2"]
    assert {event.user for event in events} == {physician}


def test_the_clinic_admin_csv_has_no_names(admin_client_role, lot, received):
    response = admin_client_role.get(reverse("lot_recall_csv", args=[lot.pk]))
    text = b"".join(response.streaming_content).decode()
    assert text.splitlines()[0] == "Record no.,Treatment date,Dose (billion),Route"
    assert "Byron" not in text


def test_patients_who_received_a_recalled_lot_are_flagged(physician_client, physician, lot, received):
    from treatments.services.lots import lot_recall

    lot_recall(lot=lot, user=physician, reason="Endotoxin above limit")
    ada_page = physician_client.get(received["ada"].get_absolute_url()).content.decode()
    assert "Recalled lot:" in ada_page and "KL-2601" in ada_page and "Endotoxin above limit" in ada_page
    alan_page = physician_client.get(received["alan"].get_absolute_url()).content.decode()
    assert "Recalled lot:" not in alan_page  # his treatment was voided


def test_a_recalled_lot_cannot_be_released_again(admin_client_role, lot, physician):
    from treatments.services.lots import lot_recall

    lot_recall(lot=lot, user=physician, reason="Broken cold chain")
    lot.refresh_from_db()
    data = {
        "product": lot.product_id,
        "lot_number": lot.lot_number,
        "received_on": "2025-01-01",
        "expires_on": "2030-01-01",
        "concentration": "1",
        "quantity_received_ml": "100",
        "status": "released",
        "version": lot.version,
    }
    response = admin_client_role.post(reverse("lot_update", args=[lot.pk]), data)
    assert "A recalled lot stays recalled" in response.content.decode()
    assert Lot.objects.get(pk=lot.pk).status == LotStatus.RECALLED


@pytest.mark.parametrize("rows", [5, 60])
def test_the_lot_page_runs_the_same_queries_whatever_the_rows(
    rows, physician_client, make_patient, make_treatment, lot, django_assert_num_queries
):
    for _ in range(rows // 5):
        make_treatment(make_patient(), doses=["1"] * 5)
    assert Decimal(rows) == lot.quantity_received_ml - lot.current_stock_ml()
    physician_client.get(lot.get_absolute_url())
    # session, user, the verified second-factor device (django-otp, per request for physicians and
    # clinic admins), roles and permissions, lot with stock and its kept counts, the highest
    # treatment id, a page of administrations with their patients
    for params in ({}, {"page": "2"}):
        with django_assert_num_queries(7):
            response = physician_client.get(lot.get_absolute_url(), params)
        assert response.context["administration_count"] == rows
