"""Side-effect reports: date and grade rules (service, form and database), amendments with history,
voiding, and the expected resolution date from the protocol in force on the treatment date."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from clinic.models import StaleRecord
from treatments.models import Protocol, SideEffectReport
from treatments.services.side_effects import side_effect_amend, side_effect_report, side_effect_void

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.time_machine(dt.datetime(2026, 4, 20, 9, tzinfo=dt.UTC), tick=False),
]


def data(**overrides) -> dict:
    values = {
        "term": "fever",
        "term_other": "",
        "onset": dt.date(2026, 4, 11),
        "resolved_on": dt.date(2026, 4, 12),
        "grade": 1,
        "outcome": "resolved",
        "causality": "possible",
        "action_taken": "Paracetamol",
        "narrative": "38.2 °C the evening after treatment.",
    }
    values.update(overrides)
    if values["resolved_on"] in (None, "") and "outcome" not in overrides:
        values["outcome"] = "not_resolved"  # an ongoing report is not "resolved"
    return values


@pytest.fixture
def treatment(patient, make_signed_treatment):
    return make_signed_treatment(patient, dt.date(2026, 4, 10))


def test_it_reports_with_attribution_and_the_expected_resolution_date(patient, treatment, staff):
    report = side_effect_report(patient=patient, treatment=treatment, user=staff, data=data())
    assert report.reported_by == staff and report.created_by == staff
    # Onset is day 1 of the 3 expected days: 11, 12, 13 April.
    assert report.expected_resolution_by == dt.date(2026, 4, 13)
    first = report.history.get()
    assert (first.history_type, first.history_user, first.history_change_reason) == ("+", staff, "Reported")


def test_the_expected_duration_comes_from_the_protocol_in_force_on_the_treatment_date(
    patient, make_signed_treatment, staff
):
    stricter = Protocol.objects.create(effective_from=dt.date(2026, 4, 1), expected_side_effect_days=2)
    stricter.steps.create(name="Call", offset_days=2)
    before = make_signed_treatment(patient, dt.date(2026, 3, 31))
    after = make_signed_treatment(patient, dt.date(2026, 4, 1))
    onset = dt.date(2026, 4, 5)
    old = side_effect_report(
        patient=patient, treatment=before, user=staff, data=data(onset=onset, resolved_on=None)
    )
    new = side_effect_report(
        patient=patient, treatment=after, user=staff, data=data(onset=onset, resolved_on=None)
    )
    assert old.expected_resolution_by == dt.date(2026, 4, 7)
    assert new.expected_resolution_by == dt.date(2026, 4, 6)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"onset": dt.date(2026, 4, 9)}, "onset", "on or after the treatment date (10 Apr 2026)"),
        ({"onset": dt.date(2026, 4, 21), "resolved_on": None}, "onset", "cannot be in the future"),
        ({"resolved_on": dt.date(2026, 4, 21)}, "resolved_on", "cannot be in the future"),
        ({"resolved_on": dt.date(2026, 4, 10)}, "resolved_on", "on or after the onset"),
        ({"grade": 5, "outcome": "recovering"}, "grade", "Grade 5 means death"),
        ({"term": "other", "term_other": " "}, "term_other", "Describe the side effect"),
    ],
)
def test_the_service_refuses_broken_rules(patient, treatment, staff, overrides, field, message):
    with pytest.raises(ValidationError) as refused:
        side_effect_report(patient=patient, treatment=treatment, user=staff, data=data(**overrides))
    assert message in " ".join(refused.value.message_dict[field])
    assert not SideEffectReport.objects.exists()


def test_a_report_needs_a_signed_treatment_of_the_same_patient(
    patient, make_patient, make_signed_treatment, make_draft_treatment, staff
):
    other = make_signed_treatment(make_patient(), dt.date(2026, 4, 10))
    with pytest.raises(ValidationError, match="belongs to another patient"):
        side_effect_report(patient=patient, treatment=other, user=staff, data=data())
    draft = make_draft_treatment(patient, dt.date(2026, 4, 10))
    with pytest.raises(ValidationError, match="signed treatment"):
        side_effect_report(patient=patient, treatment=draft, user=staff, data=data())


def test_grade_5_is_fatal_and_serious_in_the_database_too(treatment, make_report):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_report(treatment, grade=5, outcome="resolved", serious_death=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_report(treatment, grade=5, outcome="fatal", serious_death=False)
    report = make_report(
        treatment, grade=5, outcome="fatal", serious_death=True, resolved_on=dt.date(2026, 4, 12)
    )
    assert report.is_serious


def test_resolution_before_onset_is_refused_by_the_database(treatment, make_report):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_report(treatment, onset=dt.date(2026, 4, 12), resolved_on=dt.date(2026, 4, 11))


def test_other_needs_its_text_in_the_database(treatment, make_report):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_report(treatment, term="other", term_other="")


def test_the_form_shows_each_rule_on_its_field(staff_client, patient, treatment):
    url = reverse("sideeffect_create", args=[patient.pk])
    form = staff_client.get(url).content.decode()
    assert f'<option value="{treatment.pk}" selected>' in form  # the latest treatment by default
    posted = {**data(grade=5, outcome="resolved", onset="2026-04-09", resolved_on="2026-04-08")}
    posted["treatment"] = treatment.pk
    page = staff_client.post(url, posted).content.decode()
    assert "The onset must be on or after the treatment date (10 Apr 2026)." in page
    assert "Grade 5 means death: set the outcome to fatal" in page
    assert "The resolution date must be on or after the onset." in page
    assert not SideEffectReport.objects.exists()


def test_the_form_offers_only_the_patients_signed_treatments(
    staff_client, patient, make_patient, make_signed_treatment, make_draft_treatment
):
    older = make_signed_treatment(patient, dt.date(2026, 1, 5))
    latest = make_signed_treatment(patient, dt.date(2026, 4, 1))
    draft = make_draft_treatment(patient, dt.date(2026, 4, 15))
    stranger = make_signed_treatment(make_patient(), dt.date(2026, 4, 2))
    page = staff_client.get(reverse("sideeffect_create", args=[patient.pk])).content.decode()
    select = page[page.index('<select name="treatment"') :]
    select = select[: select.index("</select>")]
    assert f'<option value="{latest.pk}" selected>' in select
    assert f'<option value="{older.pk}">' in select
    assert f'value="{draft.pk}"' not in select and f'value="{stranger.pk}"' not in select
    posted = {**data(onset="2026-04-16", resolved_on=""), "treatment": stranger.pk}
    page = staff_client.post(reverse("sideeffect_create", args=[patient.pk]), posted).content.decode()
    assert "Select a valid choice" in page


def test_reporting_through_the_page(staff_client, patient, treatment, staff):
    posted = {
        **data(onset="2026-04-11", resolved_on="", serious_hospitalization="on", grade=3),
        "treatment": treatment.pk,
    }
    response = staff_client.post(reverse("sideeffect_create", args=[patient.pk]), posted)
    report = SideEffectReport.objects.get()
    assert response["Location"] == reverse("sideeffect_detail", args=[report.pk])
    assert report.serious_hospitalization and report.grade == 3 and report.resolved_on is None
    assert report.reported_by == staff
    page = staff_client.get(response["Location"]).content.decode()
    assert "Needs a physician&#x27;s review." in page or "Needs a physician's review." in page


def test_an_amendment_needs_a_reason_and_keeps_every_version(patient, treatment, staff, physician):
    report = side_effect_report(patient=patient, treatment=treatment, user=staff, data=data(resolved_on=None))
    with pytest.raises(ValidationError, match="Say why the report is amended"):
        side_effect_amend(report=report, user=physician, data={"grade": 2}, reason=" ")
    side_effect_amend(
        report=report,
        user=physician,
        data={"grade": 2, "resolved_on": dt.date(2026, 4, 14)},
        reason="Temperature chart reviewed",
        expected_version=report.version,
    )
    report.refresh_from_db()
    assert (report.grade, report.resolved_on) == (2, dt.date(2026, 4, 14))
    versions = list(report.history.order_by("history_id"))
    assert [v.grade for v in versions] == [1, 2]
    assert versions[-1].history_change_reason == "Amended: Temperature chart reviewed"
    assert versions[-1].history_user == physician


@pytest.mark.security("stale_forms")
def test_an_amendment_from_a_stale_form_is_refused(patient, treatment, staff, physician):
    report = side_effect_report(patient=patient, treatment=treatment, user=staff, data=data())
    stale = report.version
    side_effect_amend(
        report=report, user=physician, data={"grade": 2}, reason="First", expected_version=stale
    )
    with pytest.raises(StaleRecord):
        side_effect_amend(
            report=SideEffectReport.objects.get(pk=report.pk),
            user=staff,
            data={"grade": 1},
            reason="Second",
            expected_version=stale,
        )
    assert SideEffectReport.objects.get(pk=report.pk).grade == 2


def test_amending_through_the_page(staff_client, patient, treatment, staff):
    report = side_effect_report(patient=patient, treatment=treatment, user=staff, data=data())
    url = reverse("sideeffect_update", args=[report.pk])
    assert 'name="version"' in staff_client.get(url).content.decode()
    posted = {
        **data(onset="2026-04-11", resolved_on="2026-04-12", narrative="Corrected"),
        "treatment": treatment.pk,
    }
    missing_reason = staff_client.post(url, {**posted, "version": report.version}).content.decode()
    assert "This field is required." in missing_reason
    response = staff_client.post(url, {**posted, "version": report.version, "reason": "Typo"})
    assert response.status_code == 302
    stale = staff_client.post(url, {**posted, "version": report.version, "reason": "Again"})
    assert "changed by someone else" in stale.content.decode()
    report.refresh_from_db()
    assert report.narrative == "Corrected"
    assert report.history.latest().history_change_reason == "Amended: Typo"


@pytest.mark.security("no_delete")
def test_reports_are_voided_with_a_reason_never_deleted(
    patient, treatment, staff, physician, physician_client
):
    report = side_effect_report(patient=patient, treatment=treatment, user=staff, data=data())
    with pytest.raises(Exception, match="never deleted"):
        report.delete()
    with pytest.raises(ValidationError):
        side_effect_void(report=report, user=physician, reason="")
    url = reverse("sideeffect_void", args=[report.pk])
    assert physician_client.get(url).status_code == 200  # a confirmation, nothing changes
    assert not SideEffectReport.objects.get(pk=report.pk).is_voided
    response = physician_client.post(url, {"reason": "Entered on the wrong patient"})
    assert response["Location"] == reverse("sideeffect_detail", args=[report.pk])
    report.refresh_from_db()
    assert report.is_voided and report.voided_by == physician
    assert report.history.latest().history_change_reason == "Voided: Entered on the wrong patient"
    with pytest.raises(ValidationError, match="voided"):
        side_effect_amend(report=report, user=staff, data={"grade": 2}, reason="x")


def test_staff_amend_but_do_not_void(staff_client, patient, treatment, staff):
    report = side_effect_report(patient=patient, treatment=treatment, user=staff, data=data())
    assert staff_client.get(reverse("sideeffect_update", args=[report.pk])).status_code == 200
    assert staff_client.post(reverse("sideeffect_void", args=[report.pk]), {"reason": "x"}).status_code == 403
