"""The treatment page: who sees it, what it offers, and a constant number of queries."""

from decimal import Decimal

import pytest
from django.urls import reverse

from treatments.models import AccessEvent

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("role", "expected"), [("physician", 200), ("staff", 200), ("clinic_admin", 403)])
def test_who_sees_a_treatment(role_clients, make_treatment, patient, role, expected):
    treatment = make_treatment(patient)
    assert role_clients[role].get(treatment.get_absolute_url()).status_code == expected


def test_the_page_offers_the_actions_of_its_state(physician_client, staff_client, make_treatment, patient):
    draft = make_treatment(patient)
    body = physician_client.get(draft.get_absolute_url()).content.decode()
    assert reverse("treatment_sign", args=[draft.pk]) in body
    assert reverse("treatment_update", args=[draft.pk]) in body
    assert reverse("treatment_aftercare", args=[draft.pk]) not in body
    staff_body = staff_client.get(draft.get_absolute_url()).content.decode()
    assert reverse("treatment_sign", args=[draft.pk]) not in staff_body
    signed = make_treatment(patient, sign=True)
    body = physician_client.get(signed.get_absolute_url()).content.decode()
    assert reverse("treatment_update", args=[signed.pk]) not in body
    assert reverse("treatment_amend", args=[signed.pk]) in body
    assert reverse("treatment_aftercare", args=[signed.pk]) in body
    assert AccessEvent.objects.filter(action="view", patient=patient).count() == 3


@pytest.mark.parametrize("count", [5, 50])
def test_the_treatment_page_runs_the_same_queries_whatever_the_rows(
    count, physician_client, make_treatment, make_lot, patient, django_assert_num_queries
):
    lots = [make_lot() for _ in range(3)]
    treatment = make_treatment(patient, doses=["0.25"] * count, sign=True, lot=lots[0])
    assert treatment.administrations.count() == count
    assert lots[0].current_stock_ml() == Decimal("100") - Decimal("0.25") * count
    physician_client.get(treatment.get_absolute_url())
    # session, user, the verified second-factor device (django-otp), roles and permissions,
    # treatment, access event, administrations, follow-ups, history (treatment, its administrations)
    with django_assert_num_queries(10):
        physician_client.get(treatment.get_absolute_url())
