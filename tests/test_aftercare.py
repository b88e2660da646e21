"""The aftercare sheet: dates from the protocol in force, the printable page and the PDF."""

import datetime as dt
import io
from decimal import Decimal
from types import SimpleNamespace

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from treatments.aftercare import aftercare_dates
from treatments.models import AccessEvent, Protocol

pytestmark = pytest.mark.django_db

DEFAULTS = Protocol(
    effective_from=dt.date(2000, 1, 1),
    max_dose_billion=Decimal("15"),
    expected_side_effect_days=3,
    no_strenuous_activity_hours=48,
    cardio_after_weeks_min=3,
    cardio_after_weeks_max=4,
    weights_running_after_weeks=4,
    anti_inflammatory_pause_days_after=14,
)


def at(*args):
    return SimpleNamespace(performed_at=timezone.make_aware(dt.datetime(*args)))


@time_machine.travel(dt.datetime(2026, 6, 1, tzinfo=dt.UTC), tick=False)
def test_dates_across_a_month_end():
    dates = aftercare_dates(at(2026, 1, 31, 16, 45), DEFAULTS)
    assert dates["no_strenuous_until"] == timezone.make_aware(dt.datetime(2026, 2, 2, 16, 45))
    assert (dates["cardio_from"], dates["cardio_to"]) == (dt.date(2026, 2, 21), dt.date(2026, 2, 28))
    assert dates["weights_running_from"] == dt.date(2026, 2, 28)
    assert dates["anti_inflammatory_until"] == dt.date(2026, 2, 14)
    assert dates["side_effects_until"] == dt.date(2026, 2, 3)


@time_machine.travel(dt.datetime(2029, 1, 1, tzinfo=dt.UTC), tick=False)
def test_dates_across_a_leap_day_and_a_year_end():
    dates = aftercare_dates(at(2027, 12, 30, 23, 30), DEFAULTS)
    assert dates["no_strenuous_until"].date() == dt.date(2028, 1, 1)
    assert dates["cardio_to"] == dt.date(2028, 1, 27)
    leap = aftercare_dates(at(2028, 2, 1, 9, 0), DEFAULTS)
    assert (leap["cardio_to"], leap["weights_running_from"]) == (dt.date(2028, 2, 29), dt.date(2028, 2, 29))


def test_dates_follow_the_protocol_settings():
    custom = Protocol(
        no_strenuous_activity_hours=24,
        cardio_after_weeks_min=2,
        cardio_after_weeks_max=6,
        weights_running_after_weeks=8,
        anti_inflammatory_pause_days_after=0,
        expected_side_effect_days=5,
    )
    dates = aftercare_dates(at(2026, 4, 30, 8, 0), custom)
    assert dates["no_strenuous_until"].date() == dt.date(2026, 5, 1)
    assert (dates["cardio_from"], dates["cardio_to"]) == (dt.date(2026, 5, 14), dt.date(2026, 6, 11))
    assert dates["weights_running_from"] == dt.date(2026, 6, 25)
    assert dates["anti_inflammatory_until"] == dt.date(2026, 4, 30)


@pytest.fixture
def signed(make_treatment, patient):
    return make_treatment(patient, sign=True, when=timezone.make_aware(dt.datetime(2026, 1, 31, 10, 0)))


@pytest.mark.security("audit_trail")
def test_the_sheet_shows_the_dates_and_logs_a_print(staff_client, staff, signed):
    response = staff_client.get(reverse("treatment_aftercare", args=[signed.pk]))
    body = response.content.decode()
    assert "Ada Lovelace" in body
    assert "No strenuous activity until Monday, 2 Feb 2026, 10:00 (48 h)." in body
    # From a day on, not a date range that reads like a window that closes.
    assert "Cardio workouts again from Saturday, 21 Feb 2026 (3 to 4 weeks after treatment)." in body
    assert "to Saturday, 28 Feb 2026" not in body
    assert "Weightlifting and running again from Saturday, 28 Feb 2026 (4 weeks after treatment)" in body
    assert (
        "Do not take anti-inflammatory medication (e.g. ibuprofen, naproxen, aspirin) until Saturday, "
        in body
    )
    assert "should not last more than 3 days" in body and "a fever above 39 °C" in body
    assert (
        "Call the clinic on <strong>+49 30 1234567</strong>. In an emergency call <strong>112</strong>."
        in body
    )
    assert "3-month (100-day) assessment: Monday, 11 May 2026" in body
    assert "data-print" in body and "d-print-none" in body
    event = AccessEvent.objects.get()
    assert (event.user, event.patient, event.action) == (staff, signed.patient, "print")


def test_a_draft_has_no_sheet(physician_client, make_treatment, patient):
    draft = make_treatment(patient)
    response = physician_client.get(reverse("treatment_aftercare", args=[draft.pk]))
    assert response["Location"] == draft.get_absolute_url()
    assert physician_client.get(reverse("treatment_aftercare_pdf", args=[draft.pk])).status_code == 302
    assert not AccessEvent.objects.filter(action="print").exists()


def test_the_pdf_is_a_real_pdf_with_the_dates(physician_client, signed):
    response = physician_client.get(reverse("treatment_aftercare_pdf", args=[signed.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="aftercare-{signed.pk}.pdf"'
    assert response.content.startswith(b"%PDF")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    text = " ".join(text.split())
    assert "Cardio workouts again from Saturday, 21 Feb 2026 (3 to 4 weeks after treatment)." in text
    assert "Call the clinic on +49 30 1234567. In an emergency call 112." in text
    assert "Lovelace" in text
    assert AccessEvent.objects.filter(action="print").count() == 1


def test_the_pdf_renderer_fetches_only_local_static_files():
    from treatments.pdf import StaticFilesOnly

    fetcher = StaticFilesOnly("http://testserver/")
    css = fetcher.fetch("http://testserver/static/css/aftercare-print.css")
    assert b"@page" in css.read()
    for url in [
        "http://evil.example/static/css/aftercare-print.css",
        "file:///etc/passwd",
        "http://testserver/static/../../etc/passwd",
        "http://testserver/patients/1/",
        "data:text/css,body{}",
    ]:
        with pytest.raises(ValueError):
            fetcher.fetch(url)


def test_an_amended_treatment_sends_to_the_amendments_sheet(physician_client, physician, signed):
    from treatments.services.signing import treatment_amend, treatment_sign_reauthenticated

    amendment = treatment_amend(treatment=signed, user=physician, reason="Time corrected")
    treatment_sign_reauthenticated(treatment=amendment, user=physician)
    response = physician_client.get(reverse("treatment_aftercare", args=[signed.pk]))
    assert response["Location"] == reverse("treatment_aftercare", args=[amendment.pk])


def test_the_sheet_links_the_faq_entries_tagged_aftercare(staff_client, admin_client_role, signed):
    from faq.models import Entry

    url = reverse("treatment_aftercare", args=[signed.pk])
    body = staff_client.get(url).content.decode()
    # The clinic's side-effect and physical-activity entries carry the "aftercare" tag after install.
    assert "Patient questions on this" in body
    assert "When Can I Resume Physical Activity After the Procedure?" in body
    assert "What Can I Expect After the Procedure? Are There Any Side Effects?" in body
    assert "Can Exosomes Cause Cancer?" not in body

    # Which entries appear is the admins' tagging, not code: retag one and it follows.
    cancer = Entry.objects.get(question="Can Exosomes Cause Cancer?")
    cancer.tags = "aftercare"
    cancer.save()
    assert "Can Exosomes Cause Cancer?" in staff_client.get(url).content.decode()


def test_the_pdf_carries_no_faq_links(physician_client, signed):
    response = physician_client.get(reverse("treatment_aftercare_pdf", args=[signed.pk]))
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Patient questions on this" not in text


def test_one_interval_reads_as_one_number_of_weeks(staff_client, signed):
    weeks = Protocol.objects.create(
        effective_from=dt.date(2026, 1, 1), cardio_after_weeks_min=3, cardio_after_weeks_max=3
    )
    weeks.steps.create(name="Call", offset_days=2)
    body = staff_client.get(reverse("treatment_aftercare", args=[signed.pk])).content.decode()
    assert "Cardio workouts again from Saturday, 21 Feb 2026 (3 weeks after treatment)." in body


@pytest.mark.parametrize("phone", ["", "call us"])
@pytest.mark.parametrize("name", ["treatment_aftercare", "treatment_aftercare_pdf"])
def test_production_refuses_a_sheet_without_the_clinic_phone(staff_client, signed, settings, phone, name):
    settings.DEBUG = False
    settings.CLINIC_PHONE = phone
    response = staff_client.get(reverse(name, args=[signed.pk]))
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    body = response.content.decode()
    assert "The aftercare sheet cannot be printed" in body
    assert "CLINIC_PHONE" in body and "Aftercare after your exosome treatment" not in body
    assert signed.get_absolute_url() in body
    assert not AccessEvent.objects.filter(action="print").exists()  # nothing was printed


def test_development_prints_without_the_phone_and_says_so_on_screen(staff_client, signed, settings):
    settings.DEBUG = True
    settings.CLINIC_PHONE = ""
    body = staff_client.get(reverse("treatment_aftercare", args=[signed.pk])).content.decode()
    assert "Call the clinic. In an emergency call <strong>112</strong>." in body
    assert "Development only: CLINIC_PHONE is not set" in body
    assert 'alert alert-warning d-print-none"' in body  # never on the printed sheet
