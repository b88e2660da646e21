"""One date format and one date-time format: "21 Nov 2026" and "21 Nov 2026, 14:05", set in settings
and the project's format module, on pages, in history and in admin lists. Typed dates are read as
ISO or in that format, never as an ambiguous 03/04/2026. Machine formats (CSV) stay ISO."""

import datetime as dt
import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django import forms
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone, translation

from clinic.formats import day, moment
from faq.models import Entry
from tests.helpers.records import sign_treatment
from treatments.models import AccessEvent
from treatments.services.lots import lot_recall
from treatments.services.signing import treatment_amend, treatment_void
from treatments.services.treatments import treatment_save

pytestmark = pytest.mark.django_db

ISO_DAY = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
# "Dec. 1, 2026", "Sept. 3", "2:05 p.m.", "12/01/2026": the formats Django's English locale and the
# browser would otherwise bring.
OTHER_STYLES = re.compile(
    r"\b(Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.\s*\d|\b[ap]\.m\.|\b\d{1,2}/\d{1,2}/\d{4}\b"
)


class _Text(HTMLParser):
    """The text a person reads: no attributes (links, data-*, input values), no scripts or styles."""

    def __init__(self):
        super().__init__()
        self.parts, self.skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def shown_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def date_problems(text: str) -> list[str]:
    problems = []
    for pattern in (ISO_DAY, OTHER_STYLES):
        for match in pattern.finditer(text):
            problems.append(text[max(0, match.start() - 40) : match.end() + 20])
    return problems


def test_the_formats_are_set_in_settings_and_win_over_the_locale(settings):
    assert settings.FORMAT_MODULE_PATH == ["clinic.formats"]
    assert (settings.DATE_FORMAT, settings.DATETIME_FORMAT) == ("j M Y", "j M Y, H:i")
    moment_at = timezone.make_aware(dt.datetime(2026, 11, 21, 14, 5))
    with translation.override("en-us"):
        rendered = Template("{{ d }} | {{ d|date }} | {{ t|date:'DATETIME_FORMAT' }} | {{ t }}").render(
            Context({"d": dt.date(2026, 12, 1), "t": moment_at})
        )
    assert rendered == "1 Dec 2026 | 1 Dec 2026 | 21 Nov 2026, 14:05 | 21 Nov 2026, 14:05"
    assert (day(dt.date(2026, 12, 1)), moment(moment_at)) == ("1 Dec 2026", "21 Nov 2026, 14:05")


@pytest.mark.parametrize(
    ("typed", "read"),
    [("2026-11-21", dt.date(2026, 11, 21)), ("21 Nov 2026", dt.date(2026, 11, 21))],
)
def test_typed_dates_are_read_in_iso_and_the_shown_format(typed, read):
    assert forms.DateField().clean(typed) == read
    assert forms.DateField().clean("21 November 2026") == dt.date(2026, 11, 21)


def test_an_ambiguous_slashed_date_is_refused():
    with pytest.raises(forms.ValidationError):
        forms.DateField().clean("03/04/2026")


@pytest.fixture
def records(patient, physician, make_treatment, make_lot, make_report, clinic_admin):
    """A patient with a signed treatment, its signed amendment, a voided draft and a side effect,
    and a recalled lot: every kind of date the pages show."""
    lot = make_lot("KL-DATES")
    original = make_treatment(
        patient, sign=True, lot=lot, when=timezone.make_aware(dt.datetime(2026, 3, 10, 9))
    )
    amendment = treatment_amend(treatment=original, user=physician, reason="Dose")
    copies = list(amendment.administrations.active())
    copies[0].dose_billion = Decimal("4")
    amendment = sign_treatment(
        treatment_save(
            treatment=amendment, user=physician, administrations=copies, expected_version=amendment.version
        )
    )
    draft = make_treatment(patient, lot=lot)
    treatment_void(treatment=draft, user=physician, reason="Duplicate")
    report = make_report(
        amendment, onset=dt.date(2026, 3, 11), resolved_on=dt.date(2026, 3, 12), outcome="resolved"
    )
    recalled = make_lot("KL-RECALLED")
    lot_recall(lot=recalled, user=clinic_admin, reason="Sterility test failed")
    AccessEvent.objects.create(user=physician, patient=patient)
    return {
        "patient": patient,
        "original": original,
        "amendment": amendment,
        "draft": draft,
        "report": report,
        "lot": lot,
        "recalled": recalled,
    }


# Not scanned here yet: the patient page's follow-up panel (includes/patient_followups.html), the
# patient list, the follow-up worklist and pages, the home page and the calendar page, whose
# templates other branches change at the same time; they take the same formats after the merge.
def clinical_pages(r) -> list[str]:
    return [
        reverse("treatment_detail", args=[r["original"].pk]),
        reverse("treatment_detail", args=[r["amendment"].pk]),
        reverse("treatment_detail", args=[r["draft"].pk]),
        reverse("treatment_print", args=[r["amendment"].pk]),
        reverse("treatment_amend", args=[r["amendment"].pk]),
        reverse("lot_list"),
        reverse("lot_detail", args=[r["lot"].pk]),
        reverse("lot_detail", args=[r["recalled"].pk]),
        reverse("sideeffect_list"),
        reverse("sideeffect_detail", args=[r["report"].pk]),
        reverse("sideeffect_review_queue"),
        reverse("sideeffect_figures"),
        reverse("protocol_detail"),
        reverse("treatment_create", args=[r["patient"].pk]),
    ]


def test_the_main_pages_show_dates_in_the_clinic_format(physician_client, records):
    problems = {}
    for url in clinical_pages(records):
        response = physician_client.get(url)
        assert response.status_code == 200, url
        found = date_problems(shown_text(response.content.decode()))
        if found:
            problems[url] = found
    assert problems == {}
    page = physician_client.get(reverse("treatment_detail", args=[records["amendment"].pk])).content.decode()
    signed = timezone.localtime(records["amendment"].signed_at)
    assert f"Signed on {signed:%-d %b %Y, %H:%M} by" in page
    assert "Amends the treatment of 10 Mar 2026, 09:00" in page
    patient_page = physician_client.get(reverse("patient_detail", args=[records["patient"].pk]))
    body = patient_page.content.decode()
    assert "born 17 May 1970" in body and "10 Mar 2026 · Treatment" in body  # the course's timeline


def test_the_access_log_and_faq_show_dates_in_the_clinic_format(admin_client_role, records):
    entry = Entry.objects.filter(published=True).first()  # the seed of a new clinic's FAQ
    for url in (reverse("access_log"), reverse("faq:entry", args=[entry.slug])):
        response = admin_client_role.get(url)
        assert response.status_code == 200, url
        assert date_problems(shown_text(response.content.decode())) == [], url


def test_admin_lists_and_history_show_dates_in_the_clinic_format(superuser_client, records):
    pages = [
        reverse("admin:treatments_treatment_changelist"),
        reverse("admin:treatments_lot_changelist"),
        reverse("admin:treatments_sideeffectreport_changelist"),
        reverse("admin:treatments_treatment_history", args=[records["amendment"].pk]),
    ]
    for url in pages:
        response = superuser_client.get(url)
        assert response.status_code == 200, url
        text = shown_text(response.content.decode())
        assert date_problems(text) == [], url
    changelist = shown_text(superuser_client.get(pages[0]).content.decode())
    assert "10 Mar 2026" in changelist


def test_the_recall_csv_stays_iso(physician_client, records):
    response = physician_client.get(reverse("lot_recall_csv", args=[records["lot"].pk]))
    body = b"".join(response.streaming_content).decode()
    assert re.search(r"2026-03-10 \d{2}:\d{2}", body)
    page = physician_client.get(reverse("lot_detail", args=[records["lot"].pk])).content.decode()
    assert "10 Mar 2026, " in page


def test_the_outcome_chart_keeps_iso_data_and_shows_the_clinic_format(physician_client, records):
    response = physician_client.get(reverse("patient_detail", args=[records["patient"].pk]))
    series = response.context["outcome_series"]
    if series["points"]:
        point = series["points"][0]
        assert ISO_DAY.fullmatch(point["date"]) and point["day"] == day(dt.date.fromisoformat(point["date"]))
