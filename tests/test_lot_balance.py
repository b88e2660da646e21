"""Each lot's stock is a running balance kept by the services: it always equals the ledger
(received minus what ``counting_stock()`` administrations use), the write path never reads all of a
lot's administrations, and the database refuses a balance that would run out."""

import importlib
import re
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.helpers.records import administration, sign_treatment
from treatments.models import Administration, Lot, LotStatus
from treatments.services.lots import lot_recall, lot_save
from treatments.services.signing import treatment_amend, treatment_sign_reauthenticated, treatment_void
from treatments.services.treatments import treatment_save

pytestmark = pytest.mark.django_db


def ledger(lot_id) -> Decimal:
    """What the lot's counting administrations use, summed from every row (the read the balance saves)."""
    used = Administration.objects.counting_stock().filter(lot_id=lot_id).aggregate(ml=Sum("volume_ml"))["ml"]
    return used or Decimal("0")


def amending_ledger(lot_id) -> Decimal:
    """The volume of signed originals whose amendment is still a draft (counted twice for now)."""
    used = (
        Administration.objects.active()
        .filter(lot_id=lot_id, treatment__status="signed", treatment__amended_by__status="draft")
        .aggregate(ml=Sum("volume_ml"))["ml"]
    )
    return used or Decimal("0")


def assert_balances_match_the_ledger():
    for lot in Lot.objects.with_stock():
        used = ledger(lot.pk)
        assert lot.used_ml == lot.administered_ml == used, lot.lot_number
        assert lot.stock_on_hand_ml == lot.quantity_received_ml - used == lot.current_stock_ml()
        assert lot.amending_ml == amending_ledger(lot.pk), lot.lot_number


def edit(treatment, *, administrations):
    treatment.refresh_from_db()
    return treatment_save(
        treatment=treatment,
        user=treatment.created_by,
        administrations=administrations,
        expected_version=treatment.version,
    )


def test_the_balance_equals_the_ledger_after_every_kind_of_write(
    make_treatment, make_lot, make_patient, physician, clinic_admin, lot
):
    other = make_lot(lot_number="OTHER-1", quantity_received_ml=Decimal("20"), concentration=Decimal("2"))
    patient = make_patient()
    steps = []

    def step(name):
        steps.append(name)
        assert_balances_match_the_ledger()

    step("nothing recorded")
    draft = make_treatment(patient, doses=["5", "3"])
    step("draft with two administrations")
    first, second = draft.administrations.active().order_by("order")
    first.dose_billion = Decimal("6")
    edit(draft, administrations=[first, second, administration(other, dose="4")])
    step("dose changed, administration from another lot added")
    second.lot = other
    edit(draft, administrations=[first, second])
    step("administration moved to another lot, one removed")
    edit(draft, administrations=[first])
    step("administration removed")
    draft = sign_treatment(draft)
    step("signed")

    amendment = treatment_amend(treatment=draft, user=physician, reason="Dose was 7")
    step("amendment started: the original counts twice")
    copy = amendment.administrations.get()
    copy.dose_billion = Decimal("7")
    edit(amendment, administrations=[copy, administration(other, dose="2")])
    step("amendment edited")
    treatment_sign_reauthenticated(treatment=amendment, user=physician)
    step("amendment signed: the original gives its volume back")

    again = treatment_amend(treatment=amendment, user=physician, reason="Wrong site")
    step("second amendment started")
    treatment_void(treatment=again, user=physician, reason="Not needed")
    step("draft amendment voided")

    to_void = make_treatment(patient, doses=["2"])
    step("another draft")
    treatment_void(treatment=to_void, user=physician, reason="Wrong patient")
    step("draft voided")
    signed = make_treatment(patient, doses=["1.5"], sign=True)
    step("another signed treatment")
    treatment_void(treatment=signed, user=physician, reason="Recorded twice")
    step("signed treatment voided")

    lot.refresh_from_db()
    lot.quantity_received_ml = Decimal("50")
    lot_save(lot=lot, user=clinic_admin, expected_version=lot.version)
    step("quantity received edited")
    stale = Lot.objects.get(pk=other.pk)
    make_treatment(make_patient(), doses=["2"], lot=other)
    stale.storage_location = "Freezer B"
    lot_save(lot=stale, user=clinic_admin)
    step("lot edited from a copy loaded before the last administration")
    lot_recall(lot=Lot.objects.get(pk=lot.pk), user=clinic_admin, reason="Endotoxin")
    step("lot recalled")
    assert Lot.objects.get(pk=lot.pk).used_ml == Decimal("7")
    # 2 billion at 2 billion per ml in the amendment, and 2 more in the last treatment: 1 ml each.
    assert Lot.objects.get(pk=other.pk).used_ml == Decimal("2")
    assert len(steps) == 18


def test_an_amendment_of_a_treatment_that_took_the_last_vial_fits(
    make_treatment, make_lot, patient, physician
):
    small = make_lot(lot_number="SMALL-9", quantity_received_ml=Decimal("5"))
    original = make_treatment(patient, doses=["5"], sign=True, lot=small)
    amendment = treatment_amend(treatment=original, user=physician, reason="Add the site")
    small.refresh_from_db()
    assert (small.used_ml, small.amending_ml) == (Decimal("10"), Decimal("5"))
    assert small.current_stock_ml() == Decimal("-5")  # both count while the amendment is open
    treatment_sign_reauthenticated(treatment=amendment, user=physician)
    small.refresh_from_db()
    assert (small.used_ml, small.amending_ml) == (Decimal("5"), Decimal("0"))
    assert_balances_match_the_ledger()


def test_the_database_refuses_a_balance_that_runs_out(make_treatment, make_lot, patient):
    lot = make_lot(lot_number="TEN-1", quantity_received_ml=Decimal("10"))
    make_treatment(patient, doses=["4"], lot=lot)
    with pytest.raises(IntegrityError), transaction.atomic():
        Lot.objects.filter(pk=lot.pk).adjust_balance(used_ml=Decimal("6.001"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Lot.objects.filter(pk=lot.pk).adjust_balance(used_ml=Decimal("-4.001"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Lot.objects.filter(pk=lot.pk).adjust_balance(amending_ml=Decimal("4.001"))
    Lot.objects.filter(pk=lot.pk).adjust_balance(used_ml=Decimal("6"))  # exactly used up is fine
    assert lot.current_stock_ml() == Decimal("0")


def test_an_edit_never_writes_the_balance(make_treatment, lot, patient, clinic_admin):
    stale = Lot.objects.get(pk=lot.pk)
    make_treatment(patient, doses=["5"])
    stale.status = LotStatus.RECALLED
    stale.recall_reason, stale.recalled_at = "Sterility", timezone.now()
    stale.save()
    assert lot.current_stock_ml() == Decimal("95")
    assert stale.history.latest().status == LotStatus.RECALLED


def lot_reads(queries) -> list[str]:
    """Statements that read administrations by lot (a sum or a scan of a lot's rows)."""
    by_lot = re.compile(r'"treatments_administration"\."lot_id" (=|IN) ')
    return [q["sql"] for q in queries if by_lot.search(q["sql"])]


def record_sign_and_void(make_treatment, patient, physician) -> list[int]:
    """Draft, edit, sign and void one treatment; assert none of it reads a lot's administrations,
    and return the number of statements each step ran."""
    steps = []
    with CaptureQueriesContext(connection) as drafting:
        draft = make_treatment(patient, doses=["2", "1"])
    with CaptureQueriesContext(connection) as editing:
        edit(draft, administrations=list(draft.administrations.active())[:1])
    draft.refresh_from_db()
    with CaptureQueriesContext(connection) as signing:
        treatment_sign_reauthenticated(treatment=draft, user=physician, expected_version=draft.version)
    with CaptureQueriesContext(connection) as voiding:
        treatment_void(treatment=draft, user=physician, reason="Wrong patient")
    for step in (drafting, editing, signing, voiding):
        assert lot_reads(step.captured_queries) == []
        steps.append(len(step.captured_queries))
    return steps


def test_recording_and_signing_take_the_same_statements_however_much_the_lot_holds(
    make_treatment, make_patient, lot, physician
):
    record_sign_and_void(make_treatment, make_patient(), physician)  # warms the permission caches
    few = record_sign_and_void(make_treatment, make_patient(), physician)
    for _ in range(30):
        make_treatment(make_patient(), doses=["0.5"], sign=True)
    many = record_sign_and_void(make_treatment, make_patient(), physician)
    assert few == many
    assert_balances_match_the_ledger()


def test_the_old_ledger_read_would_be_caught(lot):
    """The check above recognises the aggregate the write path used to run over a lot's rows."""
    with CaptureQueriesContext(connection) as captured:
        ledger(lot.pk)
    assert lot_reads(captured.captured_queries)


def test_the_migration_fills_the_balance_from_the_ledger(make_treatment, make_lot, patient, physician):
    """Existing lots get their balance from the administrations already recorded (the migration's
    own historical models, as when it runs on a clinic's database)."""
    from django.db.migrations.loader import MigrationLoader

    migration = importlib.import_module("treatments.migrations.0002_lot_running_balance")
    other = make_lot(lot_number="OTHER-2")
    make_treatment(patient, doses=["3"], sign=True)
    original = make_treatment(patient, doses=["2"], sign=True, lot=other)
    treatment_amend(treatment=original, user=physician, reason="Add the site")
    voided = make_treatment(patient, doses=["4"])
    treatment_void(treatment=voided, user=physician, reason="Wrong patient")
    for lot in Lot.objects.all():  # as before the migration: no balance stored
        Lot.objects.filter(pk=lot.pk).adjust_balance(used_ml=-lot.used_ml, amending_ml=-lot.amending_ml)
    assert set(Lot.objects.values_list("used_ml", flat=True)) == {Decimal("0")}

    # The chain as written, not the squashed migration that a new database applies instead.
    loader = MigrationLoader(connection, replace_migrations=False)
    state = loader.project_state(("treatments", "0002_lot_running_balance"))
    migration.fill_balances(state.apps, None)
    assert_balances_match_the_ledger()
    assert Lot.objects.get(pk=other.pk).amending_ml == Decimal("2")
