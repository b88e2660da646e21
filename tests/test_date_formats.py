"""One date format and one date-time format: "21 Nov 2026" and "21 Nov 2026, 14:05", set in settings
and the project's format module, on pages, in history and in admin lists. Typed dates are read as
ISO or in that format, never as an ambiguous 03/04/2026. Machine formats (CSV) stay ISO."""

import datetime as dt
import re
import zoneinfo
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django import forms
from django.template import Context, Template
from django.urls import reverse
from django.utils import formats, timezone, translation

from clinic.form_parts import DATE_ALLOWED, MOMENT_ALLOWED
from clinic.formats import day, moment
from faq.models import Entry
from tests.helpers.records import sign_treatment
from treatments.admin.protocol import CopyForm
from treatments.filters.access_log import AccessLogFilter
from treatments.forms.followups import FollowUpCompleteForm, FollowUpRescheduleForm
from treatments.forms.lots import LotForm
from treatments.forms.patients import PatientForm
from treatments.forms.side_effects import PeriodForm, SideEffectReportForm
from treatments.forms.treatments import TreatmentForm
from treatments.models import AccessEvent, AttemptOutcome, Contact
from treatments.models.followup_worklist import short_date
from treatments.services.calendar import calendar_feed_create, calendar_feed_touch
from treatments.services.followup_actions import (
    followup_acknowledge_missed,
    followup_complete,
    followup_record_attempt,
    followup_reschedule,
)
from treatments.services.lots import lot_recall
from treatments.services.signing import treatment_amend, treatment_void
from treatments.services.treatments import treatment_save

pytestmark = pytest.mark.django_db

ISO_DAY = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
# "Dec. 1, 2026", "Sept. 3", "2:05 p.m.", "12/01/2026": the formats Django's English locale and the
# browser would otherwise bring.
OTHER_STYLES = re.compile(
    r"\b(Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.\s*\d|\b[ap]\.m\.|\b\d{1,2}/\d{1,2}/\d{4}\b"
    # "1 December 2026": the month's full name, the handouts' old style ("May" is both).
    r"|\b\d{1,2} (January|February|March|April|June|July|August|September|October|November|December)\b"
)


class _Text(HTMLParser):
    """The text a person reads: no attributes (links, data-*, input values), no scripts or styles,
    and not the examples of what may be typed (``data-typed-formats``: "1993-11-21 or 21/11/1993")."""

    def __init__(self):
        super().__init__()
        self.parts, self.skip, self.skipping = [], 0, []

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style") or "data-typed-formats" in dict(attrs):
            self.skip += 1
            self.skipping.append(tag)

    def handle_endtag(self, tag):
        if self.skipping and tag == self.skipping[-1]:
            self.skip -= 1
            self.skipping.pop()

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


@pytest.fixture
def followup_records(records, physician):
    """The amendment's follow-ups in every state a page dates: one completed after a failed attempt,
    one missed and seen by a physician, one rescheduled (its history says from and to), a calendar
    link made and fetched."""
    followups = {f.kind: f for f in records["amendment"].followups.all()}
    at = timezone.make_aware(dt.datetime(2026, 3, 11, 10, 15))
    call = followups["check_in"]
    followup_record_attempt(
        followup=call, user=physician, contact=Contact.CALL, outcome=AttemptOutcome.NO_ANSWER, at=at
    )
    followup_complete(
        followup=call, user=physician, data={"contact": Contact.CALL}, completed_at=at + dt.timedelta(hours=2)
    )
    missed = followups["early_check"]
    followup_record_attempt(
        followup=missed,
        user=physician,
        contact=Contact.CALL,
        outcome=AttemptOutcome.WRONG_NUMBER,
        at=at + dt.timedelta(days=40),
        mark_missed=True,
    )
    followup_acknowledge_missed(followup=missed, user=physician)
    moved = followups["six_month"]
    old_due, new_due = moved.due_on, timezone.localdate() + dt.timedelta(days=5)
    followup_reschedule(followup=moved, user=physician, new_due=new_due, reason="Abroad")
    feed, _token = calendar_feed_create(user=physician)
    calendar_feed_touch(feed)
    return {
        **records,
        "feed": feed,
        "completed": call,
        "missed": missed,
        "moved": moved,
        "moved_from": old_due,
    }


def clinical_pages(r) -> list[str]:
    entry = Entry.objects.filter(published=True).first()  # the seed of a new clinic's FAQ
    worklist = reverse("followup_list")
    return [
        reverse("home"),
        reverse("patient_list"),
        reverse("patient_detail", args=[r["patient"].pk]),  # with its follow-ups and side-effect panel
        worklist,
        *(f"{worklist}?section={key}" for key in ("overdue", "missed", "upcoming", "recent")),
        reverse("followup_detail", args=[r["completed"].pk]),
        reverse("followup_detail", args=[r["missed"].pk]),
        reverse("followup_detail", args=[r["moved"].pk]) + "?action=reschedule",
        reverse("calendar_feed_manage"),
        f"{reverse('faq:handout')}?entry={entry.pk}",
        reverse("treatment_aftercare", args=[r["amendment"].pk]),
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


def test_the_main_pages_show_dates_in_the_clinic_format(physician_client, followup_records):
    records = followup_records
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


def test_the_follow_up_pages_worklist_and_calendar_page_say_dates_the_same_way(
    physician_client, followup_records
):
    r = followup_records
    moved = r["moved"]
    page = shown_text(physician_client.get(reverse("followup_detail", args=[moved.pk])).content.decode())
    assert f"Due {moved.due_on:%a} {day(moved.due_on)}" in page
    assert f"Rescheduled {day(r['moved_from'])} → {day(moved.due_on)} (window moved): Abroad" in page
    assert f"Window {day(moved.window_start)} to {day(moved.window_end)}" in page
    worklist = " ".join(
        shown_text(physician_client.get(reverse("followup_list"), {"section": key}).content.decode())
        for key in ("due_this_week", "upcoming")
    )
    assert f"{moved.due_on:%a} {day(moved.due_on)}" in worklist
    today = timezone.localdate()
    window = f"{short_date(moved.window_start, today)} – {short_date(moved.window_end, today)}"
    assert f"window {window}" in worklist
    completed = r["completed"]
    page = shown_text(physician_client.get(reverse("followup_detail", args=[completed.pk])).content.decode())
    assert f"Contact on {moment(completed.completed_at)}" in page and "11 Mar 2026, " in page
    calendar = shown_text(physician_client.get(reverse("calendar_feed_manage")).content.decode())
    feed = r["feed"]
    feed.refresh_from_db()
    assert f"active since {moment(feed.created_at)}; last fetched {moment(feed.last_used_at)}." in calendar
    assert str(r["completed"]) == f"Day 1–3 check-in call due {day(completed.due_on)}"


def test_the_handout_is_dated_in_the_clinic_format(physician_client, records):
    entry = Entry.objects.filter(published=True).first()
    page = shown_text(physician_client.get(reverse("faq:handout"), {"entry": entry.pk}).content.decode())
    assert f"Date: {day(timezone.localdate())}" in page


def _date_fields(patient, followup, clinic_admin):
    """Every form a person types a date into, with its date and date-time fields."""
    return [
        (PatientForm(), ["date_of_birth", "consent_on_file"], []),
        (LotForm(), ["received_on", "expires_on"], []),
        (SideEffectReportForm(patient=patient), ["onset", "resolved_on"], []),
        (TreatmentForm(physician_field=True), [], ["performed_at"]),
        (FollowUpCompleteForm(followup=followup), [], ["completed_at"]),
        (FollowUpRescheduleForm(followup=followup), ["new_due"], []),
        (PeriodForm(), ["start", "end"], []),
        (AccessLogFilter({}, queryset=AccessEvent.objects.none()).form, ["date_from", "date_to"], []),
        (CopyForm(today=dt.date(2026, 11, 21)), ["effective_from"], []),
    ]


def test_every_date_field_says_what_is_allowed_when_it_refuses_a_typed_date(records, physician, clinic_admin):
    followup = records["amendment"].followups.first()
    assert DATE_ALLOWED == "Enter a date like 21 Nov 2026 (or 2026-11-21)."
    assert MOMENT_ALLOWED == "Enter a date and time like 21 Nov 2026, 14:05 (or 2026-11-21 14:05)."
    for form, dates, moments in _date_fields(records["patient"], followup, clinic_admin):
        for name in dates:
            field = form.fields[name]
            assert field.error_messages["invalid"] == DATE_ALLOWED, (type(form), name)
            with pytest.raises(forms.ValidationError, match=r"like 21 Nov 2026 \(or 2026-11-21\)"):
                field.clean("11/21/2026")
            assert field.clean("2026-11-21") == field.clean("21 Nov 2026") == dt.date(2026, 11, 21)
        for name in moments:
            field = form.fields[name]
            assert field.error_messages["invalid"] == MOMENT_ALLOWED, (type(form), name)
            assert field.clean("2026-11-21T14:05") == field.clean("21 Nov 2026, 14:05")


def test_a_refused_date_on_a_page_and_in_the_admin_says_what_is_allowed(physician_client, superuser_client):
    response = physician_client.post(
        reverse("patient_create"), {"given_name": "Ann", "family_name": "Lee", "date_of_birth": "05/17/1970"}
    )
    assert response.status_code == 200
    assert "Enter a date like 21 Nov 2026 (or 2026-11-21)." in response.content.decode()
    response = superuser_client.post(reverse("admin:treatments_lot_add"), {"expires_on": "31/12/2027"})
    assert response.status_code == 200
    assert "Enter a date like 21 Nov 2026 (or 2026-11-21)." in response.content.decode()


def test_day_and_moment_print_what_djangos_formats_print():
    """day() and moment() print the clinic's formats without Django's format interpreter: the same
    text for every month, single- and double-digit days and hours, midnight and the year's ends."""
    tz = zoneinfo.ZoneInfo("Europe/Berlin")
    for month in range(1, 13):
        for number, (hour, minute) in ((1, (0, 0)), (9, (9, 5)), (28, (23, 59))):
            value = dt.date(2026, month, number)
            assert day(value) == formats.date_format(value, "DATE_FORMAT")
            at = dt.datetime(2026, month, number, hour, minute, tzinfo=tz)
            assert moment(at) == formats.date_format(timezone.localtime(at), "DATETIME_FORMAT")
    assert day(dt.date(2026, 11, 21)) == "21 Nov 2026"
    assert day(dt.datetime(2026, 11, 21, 23, 30, tzinfo=dt.UTC)) == formats.date_format(
        timezone.localdate(dt.datetime(2026, 11, 21, 23, 30, tzinfo=dt.UTC)), "DATE_FORMAT"
    )


def test_day_and_moment_follow_another_languages_formats():
    """Under a language whose formats are not the clinic's, Django's own formats print the value."""
    value = dt.datetime(2026, 3, 4, 7, 5, tzinfo=dt.UTC)
    with translation.override("de"):
        assert day(value.date()) == formats.date_format(value.date(), "DATE_FORMAT") != "4 Mar 2026"
        assert moment(value) == formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")
    assert day(value.date()) == "4 Mar 2026"


@pytest.mark.parametrize(
    "value",
    [
        dt.date(2026, 3, 4),
        dt.datetime(2026, 3, 4, 23, 30, tzinfo=dt.UTC),  # the next day in Berlin
        None,
        "",
    ],
)
def test_the_day_filter_prints_what_the_date_filter_prints(settings, value):
    settings.TIME_ZONE = "Europe/Berlin"
    with timezone.override(zoneinfo.ZoneInfo("Europe/Berlin")):
        context = Context({"value": value})
        plain = Template("{{ value|date }}").render(context)
        fast = Template("{% load exolog %}{{ value|day }}").render(context)
    assert fast == plain
