"""A patient's treatment summary for a referral letter (on screen and as a PDF): the patient, every
signed treatment with its administrations, lots and signer, follow-up scores, side effects and
their reviews; voided records left out; the patient page's permission; a print access event; the
same queries for 5 and 50 treatments; linked from the patient page with the FHIR bundle."""

import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from tests.helpers.records import administration
from treatments.models import AccessEvent, FollowUp
from treatments.services.followup_actions import followup_complete
from treatments.services.patients import patient_void
from treatments.services.side_effects import side_effect_review, side_effect_void
from treatments.services.signing import treatment_void

pytestmark = pytest.mark.django_db


@pytest.fixture
def story(patient, make_lot, make_signed_treatment, make_report, physician, staff, settings):
    """Two signed treatments (the first with a knee injection from lot SUM-0042), a completed
    check-in with scores, a reviewed serious fever, a voided report, and a voided treatment from
    lot VOID-0666."""
    settings.CLINIC_NAME = "Harbour Exosome Clinic"
    settings.CLINIC_PHONE = "+49 30 5550199"
    kept, voided_lot = make_lot(lot_number="SUM-0042"), make_lot(lot_number="VOID-0666")
    first_day = timezone.localdate() - dt.timedelta(days=40)
    first = make_signed_treatment(
        patient,
        first_day,
        administrations=[administration(kept, "local_injection", "3", site="right shoulder")],
        baseline_pain=8,
    )
    second = make_signed_treatment(patient, first_day + dt.timedelta(days=7), course_position="booster")
    check_in = FollowUp.objects.filter(treatment=first, kind="check_in").get()
    followup_complete(
        followup=check_in,
        user=staff,
        data={"contact": "call", "pain": 5, "energy": 6, "global_impression": 2},
        completed_at=timezone.make_aware(dt.datetime.combine(check_in.window_start, dt.time(11))),
    )
    fever = make_report(first, grade=3, serious_hospitalization=True, causality="probable")
    side_effect_review(report=fever, user=physician, assessment="Settled within two days", action="No change")
    gone_report = make_report(second, term="vomiting")
    side_effect_void(report=gone_report, user=physician, reason="Entered twice")
    gone = make_signed_treatment(
        patient,
        first_day + dt.timedelta(days=14),
        administrations=[administration(voided_lot, "iv_drip", "2")],
        course_position="booster",
    )
    treatment_void(treatment=gone, user=physician, reason="Wrong patient")
    return {"first": first, "second": second, "fever": fever}


def _pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def _check_contents(text: str, patient):
    for expected in (
        "Harbour Exosome Clinic",
        "+49 30 5550199",
        "Ada Lovelace",
        "MRN-ADA",
        "17 May 1970",
        "SUM-0042",
        "KL-2601",  # the second treatment's lot
        "right shoulder",
        "Local injection",
        "IV drip",
        "Helen Ross",  # the signer
        "Booster",
        "Fever",
        "Settled within two days",
        "hospitalization",
    ):
        assert expected in text, expected
    for left_out in ("VOID-0666", "Vomiting", "Wrong patient", "Entered twice"):
        assert left_out not in text, left_out


def test_the_pdf_holds_the_treatments_lots_signer_outcomes_and_side_effects(physician_client, patient, story):
    response = physician_client.get(reverse("patient_summary_pdf", args=[patient.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="patient-{patient.pk}-summary.pdf"'
    text = _pdf_text(response.content)
    _check_contents(text, patient)
    assert "Page 1 of" in text  # each page numbered, for a letter's attachment


def test_the_preview_shows_the_same_record(staff_client, patient, story):
    response = staff_client.get(reverse("patient_summary", args=[patient.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    _check_contents(html, patient)
    treatments = response.context["treatments"]
    assert [t.pk for t in treatments] == [story["first"].pk, story["second"].pk]
    assert response.context["total_dose"] == 4
    [check_in] = [f for f in response.context["followups"] if f.kind == "check_in" and f.pain is not None]
    assert (check_in.pain, check_in.energy, check_in.global_impression) == (5, 6, 2)
    assert [r.pk for r in response.context["reports"]] == [story["fever"].pk]
    assert reverse("patient_summary_pdf", args=[patient.pk]) in html


@pytest.mark.security("role_matrix")
def test_it_needs_the_patient_pages_permission(role_clients, patient, story):
    for name in ("patient_summary", "patient_summary_pdf"):
        url = reverse(name, args=[patient.pk])
        assert role_clients["physician"].get(url).status_code == 200
        assert role_clients["staff"].get(url).status_code == 200
        assert role_clients["clinic_admin"].get(url).status_code == 403
        assert role_clients["no_role"].get(url).status_code == 403


def test_a_voided_or_unknown_patient_has_no_summary(physician_client, patient, physician):
    patient_void(patient=patient, user=physician, reason="Duplicate record")
    assert physician_client.get(reverse("patient_summary", args=[patient.pk])).status_code == 404
    assert physician_client.get(reverse("patient_summary_pdf", args=[999_999])).status_code == 404


@pytest.mark.security("audit_trail")
def test_each_summary_writes_a_print_access_event(physician_client, physician, patient, story):
    for name in ("patient_summary", "patient_summary_pdf"):
        before = AccessEvent.objects.count()
        physician_client.get(reverse(name, args=[patient.pk]))
        assert AccessEvent.objects.count() == before + 1
        event = AccessEvent.objects.latest("at", "id")
        assert (event.user_id, event.patient_id, event.action) == (physician.pk, patient.pk, "print")


def _queries(client, patient) -> int:
    url = reverse("patient_summary", args=[patient.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_queries_do_not_grow_with_the_treatments(
    physician_client, make_patient, make_signed_treatment, make_report
):
    def history(count):
        patient = make_patient()
        start = timezone.localdate() - dt.timedelta(days=count + 10)
        for index in range(count):
            treatment = make_signed_treatment(
                patient, start + dt.timedelta(days=index), course_position="booster" if index else "initial"
            )
            make_report(treatment)
        return patient

    small, large = history(5), history(50)
    assert _queries(physician_client, small) == _queries(physician_client, large)


def test_the_patient_page_offers_the_downloads(physician_client, patient):
    html = physician_client.get(patient.get_absolute_url()).content.decode()
    assert 'aria-label="Download"' in html
    for name in ("patient_summary", "patient_summary_pdf", "fhir_patient_everything"):
        assert f'href="{reverse(name, args=[patient.pk])}"' in html
