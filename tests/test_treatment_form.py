"""Recording a treatment: the form's defaults, its administrations and the rules it reports."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.helpers.forms import treatment_edit_data, treatment_form_data
from treatments.models import Administration, Indication, Treatment

pytestmark = pytest.mark.django_db


def test_the_form_starts_with_sensible_defaults(physician_client, make_patient, lot):
    patient = make_patient(indications=["joint-musculoskeletal", "autoimmune"])
    response = physician_client.get(reverse("treatment_create", args=[patient.pk]))
    form = response.context["form"]
    assert "physician" not in form.fields
    assert form.initial["indication"] == Indication.objects.get(code="joint-musculoskeletal")
    assert form.initial["course_position"] == "initial"
    body = response.content.decode()
    assert f'<option value="{lot.pk}" selected>KL-2601 · exp 1 Jan 2030</option>' in body
    assert 'id="lot-data"' in body and 'id="administration-template"' in body
    assert response.context["formset"].forms[0].initial["lot"] == lot.pk


def test_the_course_defaults_to_booster_after_a_treatment(physician_client, make_treatment, patient):
    make_treatment(patient, sign=True)
    response = physician_client.get(reverse("treatment_create", args=[patient.pk]))
    assert response.context["form"].initial["course_position"] == "booster"


def test_a_physician_records_a_draft_and_posted_control_fields_are_ignored(
    physician_client, physician, patient, lot, other_physician
):
    data = treatment_form_data(
        lot,
        physician=other_physician.pk,
        status="signed",
        signed_at="2026-01-01T10:00",
        created_by=other_physician.pk,
        **{"administrations-0-volume_ml": "99"},
    )
    response = physician_client.post(reverse("treatment_create", args=[patient.pk]), data)
    treatment = Treatment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("treatment_detail", args=[treatment.pk])
    assert (treatment.status, treatment.physician, treatment.created_by) == ("draft", physician, physician)
    assert treatment.signed_at is None
    administration = treatment.administrations.get()
    assert (administration.dose_billion, administration.volume_ml) == (Decimal("5"), Decimal("5.000"))
    assert lot.current_stock_ml() == Decimal("95")


def test_staff_must_choose_a_physician(staff_client, staff, patient, lot, physician):
    url = reverse("treatment_create", args=[patient.pk])
    response = staff_client.post(url, treatment_form_data(lot))
    assert "This field is required." in response.content.decode()
    assert not Treatment.objects.exists()
    staff_client.post(url, treatment_form_data(lot, physician=staff.pk))
    assert not Treatment.objects.exists()
    staff_client.post(url, treatment_form_data(lot, physician=physician.pk))
    treatment = Treatment.objects.get()
    assert (treatment.physician, treatment.created_by) == (physician, staff)


@pytest.mark.parametrize(
    ("doses", "message"),
    [
        (["0"], "The dose must be more than 0 billion."),
        (["15.01"], "15.01 billion is above the maximum of 15 billion per treatment."),
        (["8", "8"], "16 billion is above the maximum of 15 billion per treatment."),
    ],
)
def test_the_form_reports_dose_errors(physician_client, patient, lot, doses, message):
    rows = [{"route": "iv_drip", "lot": lot.pk, "dose_billion": dose} for dose in doses]
    response = physician_client.post(
        reverse("treatment_create", args=[patient.pk]), treatment_form_data(lot, administrations=rows)
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Treatment.objects.exists()


def test_the_form_explains_why_a_lot_cannot_be_used(physician_client, patient, make_lot):
    expired = make_lot(lot_number="OLD-1", expires_on=dt.date(2025, 12, 1))
    response = physician_client.post(
        reverse("treatment_create", args=[patient.pk]),
        treatment_form_data(
            expired, administrations=[{"route": "iv_drip", "lot": expired.pk, "dose_billion": "2"}]
        ),
    )
    assert "Lot OLD-1 expired on 1 Dec 2025. It cannot be administered." in response.content.decode()
    assert "OLD-1" not in response.context["formset"].forms[0]["lot"].as_widget().split("<option")[1]


def test_lot_options_lead_with_number_and_expiry_and_the_product_and_stock_stand_beside(
    physician_client, patient, make_lot, product
):
    from treatments.models import Product

    other = Product.objects.create(
        name="Individualized exosomes (patient markers)", created_by=product.created_by
    )
    soon = make_lot("KL-DEMO-0001", expires_on=dt.date(2029, 3, 1), quantity_received_ml=Decimal("40"))
    make_lot("KL-DEMO-0002", product=other, concentration=Decimal("2.5"))
    make_lot("EMPTY-1", quantity_received_ml=Decimal("5"), used_ml=Decimal("5"))
    make_lot("HELD-1", status="quarantine")
    response = physician_client.get(reverse("treatment_create", args=[patient.pk]))
    body = response.content.decode()
    options = response.context["formset"].forms[0]["lot"].as_widget().split("<option")[1:]
    labels = [option.split(">", 1)[1].split("<", 1)[0] for option in options]
    # Short (a phone shows it whole), earliest expiry first, only lots that can be given today.
    assert labels == ["Choose a lot", "KL-DEMO-0001 · exp 1 Mar 2029", "KL-DEMO-0002 · exp 1 Jan 2030"]
    assert all(len(label) <= 32 for label in labels)
    # Beside the select: the chosen lot's product and stock (kept current by the page's script) ...
    info = 'data-lot-info aria-live="polite">Placental MSC exosomes · 40 ml left · 1 bn/ml</div>'
    assert info in body
    # ... and, readable without JavaScript, every lot on offer with its product and stock.
    table = body[body.index("Lots to choose from (2)") :]
    assert "Individualized exosomes (patient markers)" in table and "2.5" in table
    assert "EMPTY-1" not in body and "HELD-1" not in body
    data = response.context["lot_data"]
    assert data[str(soon.pk)]["summary"] == "Placental MSC exosomes · 40 ml left · 1 bn/ml"


def test_a_draft_keeps_its_recalled_lot_marked_not_usable(
    physician_client, physician, make_treatment, patient, make_lot
):
    from treatments.services.lots import lot_recall

    recalled = make_lot("KL-BAD")
    draft = make_treatment(patient, lot=recalled)
    lot_recall(lot=recalled, user=physician, reason="Endotoxin above limit")
    response = physician_client.get(reverse("treatment_update", args=[draft.pk]))
    body = response.content.decode()
    assert f'<option value="{recalled.pk}" selected>KL-BAD · exp 1 Jan 2030 · not usable</option>' in body
    assert "Lot KL-BAD is recalled, not released." in body[body.index("Lots to choose from") :]


def test_a_local_injection_needs_a_site(physician_client, patient, lot):
    rows = [{"route": "local_injection", "lot": lot.pk, "dose_billion": "2"}]
    response = physician_client.post(
        reverse("treatment_create", args=[patient.pk]), treatment_form_data(lot, administrations=rows)
    )
    assert "Name the site for a local injection" in response.content.decode()
    rows[0]["site"] = "left knee"
    physician_client.post(
        reverse("treatment_create", args=[patient.pk]), treatment_form_data(lot, administrations=rows)
    )
    assert Administration.objects.get().site == "left knee"


def test_save_and_sign_goes_to_the_signature(physician_client, patient, lot):
    response = physician_client.post(
        reverse("treatment_create", args=[patient.pk]), treatment_form_data(lot, then_sign="1")
    )
    assert response["Location"] == reverse("treatment_sign", args=[Treatment.objects.get().pk])


def test_editing_a_draft_changes_and_removes_administrations(physician_client, make_treatment, patient, lot):
    treatment = make_treatment(patient, doses=["4", "6"])
    rows = [
        {"route": "iv_drip", "lot": lot.pk, "dose_billion": "5"},
        {"route": "iv_drip", "lot": lot.pk, "dose_billion": "6", "DELETE": "on"},
    ]
    response = physician_client.post(
        reverse("treatment_update", args=[treatment.pk]), treatment_edit_data(treatment, lot, rows)
    )
    assert response.status_code == 302
    active = list(treatment.administrations.active())
    assert [a.dose_billion for a in active] == [Decimal("5")]
    removed = treatment.administrations.voided().get()
    assert removed.void_reason == "Removed from draft"
    assert lot.current_stock_ml() == Decimal("95")


@pytest.mark.security("stale_forms")
def test_a_stale_draft_form_gets_a_conflict(physician_client, make_treatment, patient, lot):
    treatment = make_treatment(patient)
    stale = treatment_edit_data(treatment, lot, [{"route": "iv_drip", "lot": lot.pk, "dose_billion": "3"}])
    physician_client.post(
        reverse("treatment_update", args=[treatment.pk]),
        treatment_edit_data(treatment, lot, [{"route": "iv_drip", "lot": lot.pk, "dose_billion": "2"}]),
    )
    response = physician_client.post(reverse("treatment_update", args=[treatment.pk]), stale)
    assert "changed by someone else" in response.content.decode()
    assert treatment.administrations.active().get().dose_billion == Decimal("2")


def test_a_signed_treatment_cannot_be_edited(physician_client, make_treatment, patient, lot):
    treatment = make_treatment(patient, sign=True)
    url = reverse("treatment_update", args=[treatment.pk])
    response = physician_client.get(url)
    assert response["Location"] == treatment.get_absolute_url()
    response = physician_client.post(
        url,
        treatment_edit_data(treatment, lot, [{"route": "iv_drip", "lot": lot.pk, "dose_billion": "1"}]),
        follow=True,
    )
    assert "signed and read-only" in response.content.decode()
    assert treatment.administrations.get().dose_billion == Decimal("5")


def test_no_treatment_for_a_voided_patient(physician_client, make_patient, lot):
    patient = make_patient(voided_at=timezone.now(), void_reason="Duplicate")
    assert physician_client.get(reverse("treatment_create", args=[patient.pk])).status_code == 404


@pytest.mark.parametrize(("role", "expected"), [("physician", 200), ("staff", 200), ("clinic_admin", 403)])
@pytest.mark.security("role_matrix")
def test_who_may_record_treatments(role_clients, patient, lot, role, expected):
    assert role_clients[role].get(reverse("treatment_create", args=[patient.pk])).status_code == expected
