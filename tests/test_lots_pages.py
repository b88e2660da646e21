"""Lots: stock from the ledger, expiry warnings, receiving and editing within the ledger's rules."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from treatments.models import Lot

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("role", "expected"), [("physician", 200), ("staff", 200), ("clinic_admin", 200), ("no_role", 403)]
)
@pytest.mark.security("role_matrix")
def test_who_sees_the_lots(role_clients, lot, role, expected):
    assert role_clients[role].get(reverse("lot_list")).status_code == expected
    assert role_clients[role].get(reverse("lot_detail", args=[lot.pk])).status_code == expected


@pytest.mark.parametrize(
    ("role", "expected"), [("physician", 403), ("staff", 403), ("clinic_admin", 200), ("no_role", 403)]
)
@pytest.mark.security("role_matrix")
def test_only_clinic_admins_receive_and_edit_lots(role_clients, lot, role, expected):
    assert role_clients[role].get(reverse("lot_create")).status_code == expected
    assert role_clients[role].get(reverse("lot_update", args=[lot.pk])).status_code == expected
    assert role_clients[role].get(reverse("lot_recall", args=[lot.pk])).status_code == expected


@time_machine.travel(dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC), tick=False)
def test_the_list_shows_stock_and_expiry_warnings(staff_client, make_lot, make_treatment, patient):
    fresh = make_lot(lot_number="FRESH", quantity_received_ml=Decimal("20"))
    make_lot(lot_number="SOON", expires_on=dt.date(2026, 3, 20))
    make_lot(lot_number="GONE", expires_on=dt.date(2026, 2, 1))
    make_treatment(patient, lot=fresh, doses=["7.5"])
    response = staff_client.get(reverse("lot_list"))
    rows = {lot.lot_number: lot for lot in response.context["lots"]}
    assert rows["FRESH"].stock_on_hand_ml == Decimal("12.5")
    body = response.content.decode()
    assert "12.5" in body
    assert "Expires in 2\xa0weeks, 5\xa0days" in body
    assert body.count(">Expired<") == 1
    filtered = staff_client.get(reverse("lot_list") + "?status=quarantine")
    assert list(filtered.context["lots"]) == []


def lot_data(product, **overrides):
    data = {
        "product": product.pk,
        "lot_number": "KL-2699",
        "manufacturer": "Kimera Laboratories",
        "received_on": "2026-01-05",
        "expires_on": "2027-01-05",
        "concentration": "1",
        "quantity_received_ml": "50",
        "storage_location": "Freezer 2",
        "storage_temperature_c": "-80",
        "status": "quarantine",
        "certificate_of_analysis": "CoA-2699",
        "notes": "",
    }
    data.update(overrides)
    return data


def test_a_clinic_admin_receives_a_lot(admin_client_role, clinic_admin, product):
    response = admin_client_role.post(reverse("lot_create"), lot_data(product))
    lot = Lot.objects.get(lot_number="KL-2699")
    assert response["Location"] == lot.get_absolute_url()
    assert (lot.status, lot.created_by) == ("quarantine", clinic_admin)
    assert lot.history.get().history_user == clinic_admin


def test_the_lot_form_refuses_bad_dates_and_recall_without_its_page(admin_client_role, product):
    response = admin_client_role.post(reverse("lot_create"), lot_data(product, expires_on="2025-12-31"))
    assert "The expiry date must be after the date the lot was received." in response.content.decode()
    response = admin_client_role.post(reverse("lot_create"), lot_data(product, status="recalled"))
    assert "Select a valid choice." in response.content.decode()
    assert not Lot.objects.filter(lot_number="KL-2699").exists()


def test_a_used_lot_keeps_its_concentration_and_enough_quantity(
    admin_client_role, make_treatment, patient, lot, product
):
    make_treatment(patient, doses=["10"])
    url = reverse("lot_update", args=[lot.pk])
    base = lot_data(product, lot_number=lot.lot_number, status="released", version=lot.version)
    response = admin_client_role.post(url, {**base, "concentration": "2"})
    assert "The concentration cannot change: 1 administrations were measured at 1 billion per ml." in (
        response.content.decode()
    )
    response = admin_client_role.post(url, {**base, "quantity_received_ml": "9"})
    assert "10 ml from this lot were already administered" in response.content.decode()
    lot.refresh_from_db()
    assert (lot.concentration, lot.quantity_received_ml) == (Decimal("1"), Decimal("100"))
    assert admin_client_role.post(url, {**base, "quantity_received_ml": "10"}).status_code == 302
    lot.refresh_from_db()
    assert lot.quantity_received_ml == Decimal("10")


@pytest.mark.parametrize("rows", [5, 50])
def test_the_lot_list_runs_the_same_queries_whatever_the_rows(
    rows, staff_client, make_lot, django_assert_num_queries
):
    for _ in range(rows):
        make_lot()
    staff_client.get(reverse("lot_list"))
    # session, user, roles and permissions, count, page of lots
    with django_assert_num_queries(5):
        staff_client.get(reverse("lot_list"))


def test_the_protocol_page_shows_the_version_in_force(staff_client, no_role_client):
    from treatments.models import Protocol

    Protocol.objects.create(effective_from=dt.date(2099, 1, 1), max_dose_billion=Decimal("12"))
    response = staff_client.get(reverse("protocol_detail"))
    assert response.context["in_force"].effective_from == dt.date(2000, 1, 1)
    body = response.content.decode()
    assert "15 billion exosomes" in body and "12 billion exosomes" in body and "Future" in body
    assert no_role_client.get(reverse("protocol_detail")).status_code == 403
