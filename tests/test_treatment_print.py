"""The printable treatment record: its content, the draft and void marks, the amendments, who may
print it, the access event it writes, the PDF, and a constant number of queries."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from tests.helpers.records import administration, sign_treatment
from treatments.models import AccessEvent, Administration, Indication, Treatment
from treatments.services.signing import treatment_amend, treatment_void
from treatments.services.treatments import treatment_save

pytestmark = pytest.mark.django_db

WHEN = dt.datetime(2026, 3, 10, 9, 30)


def page(client, treatment) -> str:
    response = client.get(reverse("treatment_print", args=[treatment.pk]))
    assert response.status_code == 200
    return response.content.decode()


def pdf_text(content: bytes) -> tuple[str, list]:
    pages = PdfReader(io.BytesIO(content)).pages
    return " ".join(" ".join(p.extract_text() for p in pages).split()), pages


@pytest.fixture
def visit(make_lot, patient, physician):
    """A signed visit with two administrations from two lots."""
    knee_lot = make_lot("KL-KNEE", expires_on=dt.date(2027, 2, 28))
    drip_lot = make_lot("KL-DRIP", concentration=Decimal("2"))
    treatment = treatment_save(
        treatment=Treatment(
            patient=patient,
            physician=physician,
            performed_at=timezone.make_aware(WHEN),
            # the first seeded indication: after a browser test's flush, post_migrate seeds them anew
            indication=Indication.objects.order_by("pk").first(),
            consent_confirmed=True,
            anti_inflammatories_paused=True,
            product_thawed_inspected=True,
        ),
        user=physician,
        administrations=[
            administration(knee_lot, "local_injection", "3", site="left knee"),
            administration(drip_lot, "iv_drip", "4"),
        ],
    )
    return sign_treatment(treatment)


def amend(treatment, user, *, reason: str, dose: str) -> Treatment:
    """An amendment through the services that sets the first administration's dose, signed."""
    amendment = treatment_amend(treatment=treatment, user=user, reason=reason)
    copies = list(amendment.administrations.active().order_by("order"))
    copies[0].dose_billion = Decimal(dose)
    amendment = treatment_save(
        treatment=amendment, user=user, administrations=copies, expected_version=amendment.version
    )
    return sign_treatment(amendment)


def test_it_prints_the_clinic_the_patient_every_administration_and_the_signer(
    physician_client, physician, visit
):
    body = page(physician_client, visit)
    assert "Exosome clinic" in body and "+49 30 1234567" in body  # CLINIC_NAME and CLINIC_PHONE
    assert "Ada Lovelace" in body and "17 May 1970" in body and "MRN-ADA" in body
    assert "10 Mar 2026, 09:30" in body
    # Every administration: route, site, dose, volume, lot with product and expiry.
    assert "Local injection</td>" in body and "left knee" in body
    assert "KL-KNEE" in body and "28 Feb 2027" in body and "Placental MSC exosomes" in body
    assert "IV drip</td>" in body and "KL-DRIP" in body and "1 Jan 2030" in body
    assert '<td class="num">4</td>' in body and '<td class="num">2</td>' in body  # 4 billion = 2 ml
    assert '<td class="num">7</td>' in body  # the total dose
    signed_at = timezone.localtime(visit.signed_at)
    assert f"Signed by <strong>{physician.get_full_name()}</strong> on {signed_at:%-d %b %Y, %H:%M}" in body
    assert "DRAFT" not in body and "VOIDED" not in body
    # For paper: an A4 stylesheet, and the app's navigation and buttons stay off the page.
    assert "css/treatment-print.css" in body and 'class="d-print-none' in body
    detail = physician_client.get(visit.get_absolute_url()).content.decode()
    assert reverse("treatment_print", args=[visit.pk]) in detail


def test_the_stylesheet_sets_an_a4_page():
    from django.contrib.staticfiles import finders

    with open(finders.find("css/treatment-print.css")) as stylesheet:
        css = stylesheet.read()
    assert "@page { size: A4; margin:" in css


def test_a_draft_prints_marked_as_not_signed(staff_client, make_treatment, patient):
    draft = make_treatment(patient)
    body = page(staff_client, draft)
    assert "DRAFT — not signed" in body and "<strong>Not signed.</strong>" in body


def test_a_voided_treatment_prints_marked_with_the_reason(physician_client, physician, visit):
    treatment_void(treatment=visit, user=physician, reason="Recorded for the wrong patient")
    body = page(physician_client, visit)
    assert "VOIDED on" in body and "Reason: Recorded for the wrong patient" in body


def test_the_amendments_say_what_when_who_and_why(physician_client, physician, visit):
    amendment = amend(visit, physician, reason="Knee dose was 2 billion, not 3", dose="2")
    body = page(physician_client, amendment)
    assert "<h2>Amendments</h2>" in body
    assert f"<strong>This record</strong> amends treatment #{visit.pk}" in body
    assert "Reason: Knee dose was 2 billion, not 3" in body
    assert (
        "Administration 1: Local injection, left knee: 3 billion (3 ml), lot KL-KNEE → "
        "Local injection, left knee: 2 billion (2 ml), lot KL-KNEE" in body
    )
    started = timezone.localtime(amendment.created_at)
    assert f"started {started:%-d %b %Y, %H:%M} by {physician.get_full_name()}" in body
    # The original prints as superseded, with the same amendment.
    original = page(physician_client, visit)
    assert "SUPERSEDED by the amendment" in original
    assert f"Treatment #{amendment.pk} amends this record" in original
    assert "Knee dose was 2 billion, not 3" in original


def test_removed_administrations_print_with_why(physician_client, make_treatment, patient, physician):
    draft = make_treatment(patient, doses=("2", "3"))
    kept = list(draft.administrations.active().order_by("order"))[:1]
    treatment_save(treatment=draft, user=physician, administrations=kept, expected_version=draft.version)
    body = page(physician_client, draft)
    assert "Removed from the draft before signing: IV drip, 3 billion" in body


@pytest.mark.parametrize("client_name", ["admin_client_role", "no_role_client"])
@pytest.mark.parametrize("name", ["treatment_print", "treatment_print_pdf"])
def test_roles_without_the_view_permission_are_refused(request, client_name, name, visit):
    client = request.getfixturevalue(client_name)
    assert client.get(reverse(name, args=[visit.pk])).status_code == 403
    assert not AccessEvent.objects.exists()


@pytest.mark.parametrize("name", ["treatment_print", "treatment_print_pdf"])
def test_printing_writes_an_access_event(staff_client, staff, visit, name):
    AccessEvent.objects.all().delete()
    assert staff_client.get(reverse(name, args=[visit.pk])).status_code == 200
    event = AccessEvent.objects.get()
    assert (event.user, event.patient_id, event.action) == (staff, visit.patient_id, "print")


def test_the_pdf_is_one_a4_page_with_the_record(physician_client, physician, visit):
    amendment = amend(visit, physician, reason="Knee dose was 2 billion, not 3", dose="2")
    response = physician_client.get(reverse("treatment_print_pdf", args=[amendment.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="treatment-{amendment.pk}.pdf"'
    assert response.content.startswith(b"%PDF")
    text, pages = pdf_text(response.content)
    assert "Lovelace" in text and "MRN-ADA" in text and "KL-KNEE" in text and "KL-DRIP" in text
    assert "Knee dose was 2 billion, not 3" in text and physician.get_full_name() in text
    assert len(pages) == 1  # a usual visit fits one page
    width, height = float(pages[0].mediabox.width), float(pages[0].mediabox.height)
    assert (round(width), round(height)) == (595, 842)  # A4 in points


def test_a_draft_pdf_is_marked(physician_client, make_treatment, patient):
    draft = make_treatment(patient)
    text, _ = pdf_text(physician_client.get(reverse("treatment_print_pdf", args=[draft.pk])).content)
    assert "DRAFT — not signed" in text


def queries_for(client, treatment) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("treatment_print", args=[treatment.pk])).status_code == 200
    return len(queries)


def test_the_queries_do_not_grow_with_administrations(physician_client, make_treatment, make_patient):
    one = make_treatment(make_patient(), doses=("1",), sign=True)
    five = make_treatment(make_patient(), doses=("1",) * 5, sign=True)
    assert Administration.objects.filter(treatment=five).count() == 5
    counts = queries_for(physician_client, one), queries_for(physician_client, five)
    assert counts[0] == counts[1] <= 12


def test_the_queries_do_not_grow_with_amendments(physician_client, physician, make_treatment, make_patient):
    def chain(length):
        record = make_treatment(make_patient(), doses=("5", "1"), sign=True)
        for number in range(length):
            record = amend(record, physician, reason=f"Correction {number + 1}", dose=str(4 - number * 0.5))
        return record

    one, five = chain(1), chain(5)
    body = page(physician_client, five)
    assert all(f"Reason: Correction {n}" in body for n in range(1, 6))
    counts = queries_for(physician_client, one), queries_for(physician_client, five)
    assert counts[0] == counts[1] <= 12
