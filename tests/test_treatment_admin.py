"""The Django admin: every treatment model listed, searchable, and never a way around the rules."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from tests.helpers.auth import login_verified
from tests.helpers.forms import lot_admin_form
from treatments.models import Lot

pytestmark = pytest.mark.django_db


@pytest.fixture
def root_client(superuser):
    client = Client()
    login_verified(client, superuser)
    return client


@pytest.mark.parametrize("model", ["product", "lot", "protocol", "treatment"])
def test_changelists_open_for_a_superuser(root_client, make_treatment, patient, model):
    make_treatment(patient, sign=True)
    url = reverse(f"admin:treatments_{model}_changelist")
    assert root_client.get(url).status_code == 200
    assert root_client.get(url + "?q=KL").status_code == 200


def test_the_lot_changelist_shows_stock_and_filters(root_client, make_treatment, patient, lot):
    make_treatment(patient, doses=["12.5"])
    response = root_client.get(reverse("admin:treatments_lot_changelist") + "?status__exact=released")
    assert "87.5" in response.content.decode()


def test_an_invalid_lot_edit_in_the_admin_shows_the_error_and_saves_nothing(
    root_client, make_treatment, patient, lot
):
    make_treatment(patient, doses=["10"])
    url = reverse("admin:treatments_lot_change", args=[lot.pk])
    response = root_client.post(url, lot_admin_form(lot, quantity_received_ml="5", concentration="2"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "10 ml from this lot were already administered" in body
    assert "The concentration cannot change" in body
    lot.refresh_from_db()
    assert (lot.quantity_received_ml, lot.concentration) == (Decimal("100"), Decimal("1"))


def test_a_recall_in_the_admin_records_who_and_when(root_client, superuser, lot):
    url = reverse("admin:treatments_lot_change", args=[lot.pk])
    response = root_client.post(url, lot_admin_form(lot, status="recalled"))
    assert "Say why the lot is recalled." in response.content.decode()
    root_client.post(url, lot_admin_form(lot, status="recalled", recall_reason="Supplier notice 12"))
    lot.refresh_from_db()
    assert (lot.status, lot.recalled_by) == ("recalled", superuser)
    assert lot.recalled_at is not None


def test_treatments_are_read_only_in_the_admin(root_client, make_treatment, patient):
    treatment = make_treatment(patient, sign=True)
    assert root_client.get(reverse("admin:treatments_treatment_add")).status_code == 403
    page = root_client.get(reverse("admin:treatments_treatment_change", args=[treatment.pk]))
    assert page.status_code == 200  # view only
    response = root_client.post(
        reverse("admin:treatments_treatment_change", args=[treatment.pk]), {"notes": "edited"}
    )
    assert response.status_code == 403
    treatment.refresh_from_db()
    assert treatment.notes == ""
    changelist = root_client.get(reverse("admin:treatments_treatment_changelist")).content.decode()
    assert "Read-only: treatments are recorded" in changelist


@pytest.mark.security("no_delete")
def test_nothing_can_be_deleted_in_the_admin(root_client, lot):
    assert root_client.get(reverse("admin:treatments_lot_delete", args=[lot.pk])).status_code == 403
    assert Lot.objects.filter(pk=lot.pk).exists()


def test_a_clinic_admin_with_staff_status_manages_lots_but_sees_no_treatments(clinic_admin, lot):
    clinic_admin.is_staff = True
    clinic_admin.save()
    client = Client()
    login_verified(client, clinic_admin)
    assert client.get(reverse("admin:treatments_lot_changelist")).status_code == 200
    assert client.get(reverse("admin:treatments_protocol_changelist")).status_code == 200
    assert client.get(reverse("admin:treatments_treatment_changelist")).status_code == 403
