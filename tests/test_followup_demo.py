"""Demo follow-up activity and side-effect reports on a small demo clinic."""

import datetime as dt
import statistics
from decimal import Decimal

import pytest
import time_machine
from django.db import transaction

from clinic.roles import CLINIC_ADMIN, PHYSICIAN, STAFF
from tests.helpers.auth import make_user
from tests.helpers.records import administration, clinic_time, draft_treatment, sign_treatment
from treatments.demo.followups import seed_followup_activity
from treatments.demo.side_effects import seed_side_effects
from treatments.models import FollowUp, FollowUpAttempt, Lot, Patient, Product, SideEffectReport, Term

DEMO_TIME = dt.datetime(2026, 6, 15, 12, tzinfo=dt.UTC)
pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(DEMO_TIME, tick=False)]
TODAY = dt.date(2026, 6, 15)


def build_demo() -> dict:
    """The demo clinic as the conftest fixtures would make it (the users, the patients, one lot, each
    treatment drafted and signed through the services): 40 patients treated from 3 days to about
    13 months ago. Returns the demo users by username."""
    physician = make_user("physician", PHYSICIAN, first_name="Helen", last_name="Ross")
    users = {}
    for username, role in (("dr.ross", PHYSICIAN), ("dr.weber", PHYSICIAN), ("nurse.kim", STAFF)):
        users[username] = make_user(username, role, first_name=username.split(".")[1].title())
    clinic_admin = make_user("clinicadmin", CLINIC_ADMIN, first_name="Alex", last_name="Morgan")
    product = Product.objects.create(
        name="Placental MSC exosomes", manufacturer="Kimera Laboratories", created_by=clinic_admin
    )
    lot = Lot.objects.create(
        product=product,
        lot_number="KL-2601",
        received_on=dt.date(2025, 1, 1),
        expires_on=dt.date(2030, 1, 1),
        concentration=Decimal("1"),
        quantity_received_ml=Decimal("100"),
        status="released",
        created_by=clinic_admin,
    )
    doctors = [users["dr.ross"], users["dr.weber"]]
    for number in range(40):
        patient = Patient.objects.create(
            mrn=f"DEMO-{number + 1:06d}",
            given_name="Ada",
            family_name=f"Lovelace{number + 1}",
            date_of_birth=dt.date(1970, 5, 17),
            sex="female",
            consent_on_file=dt.date(2025, 1, 1),
            created_by=physician,
        )
        day = TODAY - dt.timedelta(days=3 + number * 10)  # from 3 days to about 13 months ago
        draft = draft_treatment(
            patient,
            physician=doctors[number % 2],
            performed_at=clinic_time(day),
            administrations=[administration(lot)],
            baseline_pain=6 + number % 3,
            baseline_energy=3,
        )
        sign_treatment(draft)
    return users


@pytest.fixture(scope="module")
def clinic(django_db_setup, django_db_blocker):
    """The demo clinic with its follow-up activity seeded, built once for the module at the tests'
    frozen time in a transaction that the module's end rolls back. Each test runs in a savepoint
    inside it, so what a test seeds on top is gone after it. Returns the demo users and what
    ``seed_followup_activity`` reported."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            with time_machine.travel(DEMO_TIME, tick=False):
                users = build_demo()
                done = seed_followup_activity(users=users, today=TODAY)
            yield users, done
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def demo(clinic):
    """The demo users, their follow-up activity seeded (shared: read it, or change it in the test)."""
    return clinic[0]


def test_followups_end_up_in_every_state(clinic):
    done = clinic[1]
    assert done["completed"] > 50 and done["missed"] >= 3 and done["cancelled"] >= 1
    statuses = set(FollowUp.objects.values_list("status", flat=True))
    assert statuses == {"scheduled", "completed", "missed", "cancelled"}
    assert FollowUp.objects.overdue(TODAY).count() >= 3
    assert FollowUp.objects.due_today(TODAY).exists() or FollowUp.objects.due_this_week(TODAY).exists()
    assert FollowUp.objects.open().exclude(status_reason="").exists()  # rescheduled
    assert FollowUpAttempt.objects.filter(outcome="no_show").exists()
    assert FollowUpAttempt.objects.filter(followup__status="scheduled").exists()  # being chased
    decisions = set(
        FollowUp.objects.filter(is_assessment=True).exclude(decision="").values_list("decision", flat=True)
    )
    assert {"booster", "none", "home_care"} <= decisions and len(decisions) >= 4
    assert FollowUp.objects.filter(flare_up=True).exists()


def test_pain_falls_and_impression_improves_over_the_course(demo):
    done = FollowUp.objects.filter(status="completed")
    early = statistics.mean(done.filter(kind="check_in").values_list("pain", flat=True))
    late = statistics.mean(done.filter(kind="three_month").values_list("pain", flat=True))
    assert late < early
    pgic_early = statistics.mean(done.filter(kind="check_in").values_list("global_impression", flat=True))
    pgic_late = statistics.mean(done.filter(kind="six_month").values_list("global_impression", flat=True))
    assert pgic_late < pgic_early


def test_side_effects_of_every_grade_and_term(demo):
    counts = seed_side_effects(users=demo, today=TODAY)
    reports = SideEffectReport.objects.all()
    assert counts["reports"] == reports.count() >= 13
    assert set(reports.values_list("grade", flat=True)) == {1, 2, 3, 4, 5}
    assert set(reports.values_list("term", flat=True)) == set(Term.values)
    fatal = reports.get(grade=5)
    assert fatal.outcome == "fatal" and fatal.serious_death and len(fatal.narrative) > 100
    assert not FollowUp.objects.open().filter(patient=fatal.patient).exists()
    queue = SideEffectReport.objects.needing_review(TODAY)
    assert queue.filter(resolved_on__isnull=True, grade__lt=3).exists()  # ongoing past three days
    assert queue.filter(grade=4).exists()
    assert reports.filter(reviewed_at__isnull=False).count() == counts["reviewed"] >= 3
    assert reports.filter(serious_hospitalization=True).count() >= 2
    # Mostly mild, and the share of patients stays well under everyone: a real week, not a disaster.
    assert reports.filter(grade__lte=2).count() > reports.filter(grade__gte=3).count()
    assert counts["patients"] <= 10


def test_the_seeds_are_idempotent(demo):
    seed_side_effects(users=demo, today=TODAY)
    before = (
        list(FollowUp.objects.order_by("id").values_list("status", "due_on", "version")),
        FollowUpAttempt.objects.count(),
        SideEffectReport.objects.count(),
    )
    again = seed_followup_activity(users=demo, today=TODAY)
    assert seed_side_effects(users=demo, today=TODAY)["reports"] == 0
    assert again == {"completed": 0, "missed": 0, "cancelled": 0, "rescheduled": 0, "attempts": 0}
    after = (
        list(FollowUp.objects.order_by("id").values_list("status", "due_on", "version")),
        FollowUpAttempt.objects.count(),
        SideEffectReport.objects.count(),
    )
    assert after == before


def test_every_demo_change_is_attributed(demo):
    seed_side_effects(users=demo, today=TODAY)
    for followup in FollowUp.objects.exclude(status="scheduled")[:30]:
        assert followup.history.latest().history_user in demo.values()
    for report in SideEffectReport.objects.all():
        assert report.history.earliest().history_user in demo.values()
