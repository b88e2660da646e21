"""The patient's safety context at the point of care: allergies, anti-inflammatory medication,
recalled lots received and the pending treatment plan at the top of the treatment form (new and
edit) and the sign page; the course position taken from the pending plan; constant queries."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.helpers.records import administration
from treatments.models import Protocol
from treatments.selectors.safety import patient_safety, suggested_course_position
from treatments.services.followup_actions import followup_complete
from treatments.services.lots import lot_recall
from treatments.services.signing import treatment_void

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.time_machine(dt.datetime(2026, 9, 1, 9, tzinfo=dt.UTC), tick=False),
]


@pytest.fixture
def careful_patient(make_patient):
    return make_patient(
        allergies="Shellfish",
        current_medication="Ibuprofen 400 mg as needed",
        takes_anti_inflammatories=True,
    )


def decide(treatment, physician, decision: str, day: dt.date):
    """Complete the treatment's 3-month assessment with ``decision`` on ``day``."""
    assessment = treatment.followups.get(kind="three_month")
    followup_complete(
        followup=assessment,
        user=physician,
        data={"contact": "visit", "decision": decision},
        completed_at=timezone.make_aware(dt.datetime.combine(day, dt.time(11))),
    )
    return assessment


@pytest.fixture
def second_round_planned(careful_patient, make_signed_treatment, physician):
    """Round 1 on 2 March from lot KL-2601, later recalled; the 3-month assessment on 10 June decided
    on a second round."""
    first = make_signed_treatment(careful_patient, dt.date(2026, 3, 2))
    decide(first, physician, "second_round", dt.date(2026, 6, 10))
    lot = first.administrations.get().lot
    lot_recall(lot=lot, user=physician, reason="Endotoxin above limit")
    return first


def page_urls(patient, draft):
    return {
        "new": reverse("treatment_create", args=[patient.pk]),
        "edit": reverse("treatment_update", args=[draft.pk]),
        "sign": reverse("treatment_sign", args=[draft.pk]),
    }


def test_the_form_and_sign_pages_show_the_safety_context(
    physician_client, careful_patient, second_round_planned, make_draft_treatment, make_lot
):
    good_lot = make_lot("KL-2609")
    draft = make_draft_treatment(
        careful_patient,
        dt.date(2026, 8, 31),
        course_position="booster",
        administrations=[administration(good_lot)],
    )
    for name, url in page_urls(careful_patient, draft).items():
        body = physician_client.get(url).content.decode()
        panel = body[body.index("data-safety-panel") :]
        assert "Shellfish" in panel, name
        assert "Takes anti-inflammatory medication (ibuprofen)" in panel, name
        assert "paused 7 days before the treatment and 14 days after it" in panel, name
        assert "Recalled lot:" in panel and "KL-2601" in panel and "Endotoxin above limit" in panel, name
        assert "Pending treatment plan" in panel and "Second round" in panel, name
        # The panel stands above the form (and the sign page's summary), where the eye starts.
        assert body.index("data-safety-panel") < body.index('<form method="post"', body.index("<main")), name


def test_a_patient_without_risks_gets_a_quiet_panel(physician_client, patient, lot):
    body = physician_client.get(reverse("treatment_create", args=[patient.pk])).content.decode()
    assert 'data-safety="allergies">None recorded' in body
    assert (
        "None recorded. Aftercare: no anti-inflammatory medication for 14 days after the treatment." in body
    )
    assert "Recalled lot:" not in body and "Pending treatment plan" not in body


def test_the_nsaid_warning_follows_the_protocol_in_force(
    physician_client, careful_patient, lot, clinic_admin
):
    Protocol.objects.create(
        effective_from=dt.date(2026, 8, 1),
        anti_inflammatory_pause_days_before=3,
        anti_inflammatory_pause_days_after=21,
        created_by=clinic_admin,
    )
    body = physician_client.get(reverse("treatment_create", args=[careful_patient.pk])).content.decode()
    assert "paused 3 days before the treatment and 21 days after it" in body


def test_the_course_position_defaults_from_the_pending_plan(
    physician_client, careful_patient, second_round_planned, make_lot
):
    make_lot("KL-2609")
    response = physician_client.get(reverse("treatment_create", args=[careful_patient.pk]))
    form = response.context["form"]
    assert form.initial["course_position"] == "second_round"
    assert form.fields["course_position"].help_text == (
        "From the pending treatment plan: second round, decided on 10 Jun 2026."
    )
    assert "From the pending treatment plan: second round" in response.content.decode()


def test_once_the_plan_is_given_the_course_is_a_booster_again(
    physician_client, careful_patient, second_round_planned, make_signed_treatment, make_lot
):
    second = make_signed_treatment(
        careful_patient,
        dt.date(2026, 6, 20),
        course_position="second_round",
        administrations=[administration(make_lot("KL-2609"))],
    )
    assert second.round_number == 2
    response = physician_client.get(reverse("treatment_create", args=[careful_patient.pk]))
    assert response.context["form"].initial["course_position"] == "booster"
    assert "Pending treatment plan" not in response.content.decode()


def test_the_latest_pending_plan_decides_the_course(careful_patient, make_signed_treatment, physician):
    first = make_signed_treatment(careful_patient, dt.date(2026, 1, 5))
    decide(first, physician, "booster", dt.date(2026, 4, 10))
    second = make_signed_treatment(careful_patient, dt.date(2026, 4, 20), course_position="second_round")
    decide(second, physician, "escalation", dt.date(2026, 7, 25))
    protocol = Protocol.objects.in_force_on(dt.date(2026, 9, 1))
    safety = patient_safety(patient=careful_patient, protocol=protocol)
    assert [plan.decision for plan in safety["pending_plans"]] == ["booster", "escalation"]
    assert suggested_course_position(safety=safety) == "escalation"


def test_the_course_position_without_a_plan(patient, make_treatment, physician):
    protocol = Protocol.objects.in_force_on(dt.date(2026, 9, 1))
    assert suggested_course_position(safety=patient_safety(patient=patient, protocol=protocol)) == "initial"
    draft = make_treatment(patient)
    assert suggested_course_position(safety=patient_safety(patient=patient, protocol=protocol)) == "booster"
    treatment_void(treatment=draft, user=physician, reason="Duplicate")
    safety = patient_safety(patient=patient, protocol=protocol)
    assert (safety["has_current_treatment"], suggested_course_position(safety=safety)) == (False, "initial")


def test_the_safety_context_takes_three_queries(
    careful_patient, second_round_planned, django_assert_num_queries
):
    protocol = Protocol.objects.in_force_on(dt.date(2026, 9, 1))
    with django_assert_num_queries(3):
        safety = patient_safety(patient=careful_patient, protocol=protocol)
        assert [r["lot"].lot_number for r in safety["course"]["recalled_lots"]] == ["KL-2601"]
        assert safety["pending_plans"][0].treatment.round_number == 1
        assert safety["anti_inflammatories"] == ["ibuprofen"]


@pytest.mark.parametrize("rounds", [1, 4])
def test_the_pages_run_the_same_queries_whatever_the_history(
    rounds,
    physician_client,
    staff_client,
    careful_patient,
    make_signed_treatment,
    make_draft_treatment,
    make_lot,
    physician,
    django_assert_num_queries,
):
    lot = make_lot("KL-2609")
    for n in range(rounds):
        treatment = make_signed_treatment(
            careful_patient,
            dt.date(2026, 1, 5) + dt.timedelta(days=n),
            administrations=[administration(lot)],
            course_position="booster" if n else "initial",
        )
        decide(treatment, physician, "second_round", dt.date(2026, 4, 10) + dt.timedelta(days=n))
    recalled = make_lot("KL-2610")
    make_signed_treatment(
        careful_patient,
        dt.date(2026, 2, 1),
        administrations=[administration(recalled)],
        course_position="booster",
    )
    # The draft holds the lot recalled after it was drafted: the form still offers it, marked.
    draft = make_draft_treatment(
        careful_patient, dt.date(2026, 8, 31), administrations=[administration(lot), administration(recalled)]
    )
    lot_recall(lot=recalled, user=physician, reason="Endotoxin above limit")
    # Session, user, second-factor device, roles (staff have no device but choose the physician);
    # then the page's reads: the patient or draft, administrations, lots, protocol, the three
    # safety reads, indications; the sign page its own administrations instead of the form's.
    counts = {"new": 11, "edit": 12, "sign": 11}
    for name, url in page_urls(careful_patient, draft).items():
        physician_client.get(url)
        with django_assert_num_queries(counts[name]):
            body = physician_client.get(url).content.decode()
        assert "Recalled lot:" in body and "Pending treatment plan" in body
        if name == "edit":
            assert "KL-2610 · exp 1 Jan 2030 · not usable" in body
    for name in ("new", "edit"):
        with django_assert_num_queries(counts[name]):
            staff_client.get(page_urls(careful_patient, draft)[name])
