"""Each lot keeps how many counting administrations it gave and to how many patients, moved by the
services with its stock balance; the lot ledger (one row per lot and patient) keeps the patient count
exact through edits, amendments and voids. The lot page and the recall form read the kept counts."""

import importlib
import re
from collections import Counter

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.helpers.records import administration, sign_treatment
from treatments.models import Administration, Lot, LotRecipient
from treatments.services.lots import lot_recall
from treatments.services.signing import treatment_amend, treatment_sign_reauthenticated, treatment_void
from treatments.services.treatments import treatment_save

pytestmark = pytest.mark.django_db


def recounted() -> tuple[dict, dict, dict]:
    """From every administration row: counting administrations by lot, distinct patients by lot, and
    administrations by (lot, patient)."""
    rows = (
        Administration.objects.counting_stock()
        .order_by()
        .values_list("lot_id", "treatment__patient_id")
        .annotate(n=Count("pk"))
    )
    given, patients, held = Counter(), Counter(), {}
    for lot_id, patient_id, n in rows:
        given[lot_id] += n
        patients[lot_id] += 1
        held[lot_id, patient_id] = n
    return given, patients, held


def assert_counts_match_the_administrations():
    given, patients, held = recounted()
    for lot in Lot.objects.all():
        assert (lot.administration_count, lot.patient_count) == (given[lot.pk], patients[lot.pk]), (
            lot.lot_number
        )
    ledger = {
        (lot_id, patient_id): n
        for lot_id, patient_id, n in LotRecipient.objects.holding().values_list(
            "lot_id", "patient_id", "administration_count"
        )
    }
    assert ledger == held
    assert not LotRecipient.objects.filter(administration_count__lt=0).exists()


def edit(treatment, *, administrations):
    treatment.refresh_from_db()
    return treatment_save(
        treatment=treatment,
        user=treatment.created_by,
        administrations=administrations,
        expected_version=treatment.version,
    )


def counts(lot) -> tuple[int, int]:
    lot.refresh_from_db()
    return lot.administration_count, lot.patient_count


def test_the_counts_equal_the_administrations_after_every_kind_of_write(
    make_treatment, make_lot, make_patient, physician, clinic_admin, lot
):
    other = make_lot(lot_number="OTHER-1")
    ada, bob = make_patient(), make_patient()
    steps = []

    def step(name, expected=None):
        steps.append(name)
        assert_counts_match_the_administrations()
        if expected is not None:
            assert (counts(lot), counts(other)) == expected, name

    step("nothing recorded", ((0, 0), (0, 0)))
    draft = make_treatment(ada, doses=["5", "3"])
    step("draft with two administrations", ((2, 1), (0, 0)))
    first, second = draft.administrations.active().order_by("order")
    first.dose_billion = 6
    edit(draft, administrations=[first, second, administration(other, dose="4")])
    step("dose changed, administration from another lot added", ((2, 1), (1, 1)))
    second.lot = other
    edit(draft, administrations=[first, second])
    step("administration moved to another lot, one removed", ((1, 1), (1, 1)))
    edit(draft, administrations=[second])
    step("the patient's last administration from the lot removed", ((0, 0), (1, 1)))
    edit(draft, administrations=[second, administration(lot, dose="2")])
    step("the patient given the lot again", ((1, 1), (1, 1)))
    draft = sign_treatment(draft)
    step("signed: nothing moves", ((1, 1), (1, 1)))
    make_treatment(bob, doses=["1"], sign=True)
    step("a second patient from the lot", ((2, 2), (1, 1)))

    amendment = treatment_amend(treatment=draft, user=physician, reason="Dose was 7")
    step("amendment started: both count, one patient each", ((3, 2), (2, 1)))
    copies = list(amendment.administrations.active().order_by("order"))
    copies[0].lot = lot
    edit(amendment, administrations=copies)
    step("amendment edited: its administrations moved to one lot", ((4, 2), (1, 1)))
    treatment_sign_reauthenticated(treatment=amendment, user=physician)
    step("amendment signed: the original's stop counting", ((3, 2), (0, 0)))

    again = treatment_amend(treatment=amendment, user=physician, reason="Wrong site")
    step("second amendment started", ((5, 2), (0, 0)))
    treatment_void(treatment=again, user=physician, reason="Not needed")
    step("draft amendment voided: the original still counts", ((3, 2), (0, 0)))

    to_void = make_treatment(bob, doses=["2"], lot=other)
    step("another draft", ((3, 2), (1, 1)))
    treatment_void(treatment=to_void, user=physician, reason="Wrong patient")
    step("draft voided", ((3, 2), (0, 0)))
    treatment_void(treatment=amendment, user=physician, reason="Recorded twice")
    step("signed treatment voided: the patient leaves the lot", ((1, 1), (0, 0)))

    lot_recall(lot=Lot.objects.get(pk=lot.pk), user=clinic_admin, reason="Endotoxin")
    step("lot recalled: nothing moves", ((1, 1), (0, 0)))
    assert len(steps) == 17


def test_the_database_refuses_a_count_below_zero(make_treatment, make_patient, lot):
    make_treatment(make_patient(), doses=["1", "1"])
    lot.refresh_from_db()
    assert (lot.administration_count, lot.patient_count) == (2, 1)
    refused = [
        {"administrations": -3},
        {"patients": -2},
        {"patients": 2},  # more patients than administrations
    ]
    for change in refused:
        with pytest.raises(IntegrityError), transaction.atomic():
            Lot.objects.filter(pk=lot.pk).adjust_balance(**change)
    row = LotRecipient.objects.get(lot=lot)
    with pytest.raises(IntegrityError), transaction.atomic():
        LotRecipient.objects.filter(pk=row.pk).update(administration_count=-1)
    with pytest.raises(IntegrityError), transaction.atomic():
        LotRecipient.objects.create(lot=lot, patient=row.patient)
    assert counts(lot) == (2, 1)


def test_an_edit_of_the_lot_never_writes_the_counts(make_treatment, make_patient, lot, clinic_admin):
    stale = Lot.objects.get(pk=lot.pk)
    make_treatment(make_patient(), doses=["1"])
    stale.storage_location = "Freezer B"
    stale.save()
    assert counts(lot) == (1, 1)
    assert not hasattr(stale.history.latest(), "administration_count")


def administration_counts(queries) -> list[str]:
    """Statements that count administrations (what the kept counts replace)."""
    counting = re.compile(r'COUNT\((DISTINCT )?"treatments_(administration|treatment)"')
    return [q["sql"] for q in queries if counting.search(q["sql"])]


def test_the_lot_page_and_the_recall_form_read_the_kept_counts(
    physician_client, admin_client_role, make_treatment, make_patient, lot
):
    for _ in range(3):
        make_treatment(make_patient(), doses=["1", "2"])
    with CaptureQueriesContext(connection) as page:
        body = physician_client.get(lot.get_absolute_url()).content.decode()
    assert "6 administrations to 3 patients" in body
    with CaptureQueriesContext(connection) as form:
        body = admin_client_role.get(reverse("lot_recall", args=[lot.pk])).content.decode()
    assert "(3 patients so far)" in body
    assert administration_counts(page.captured_queries) == []
    assert administration_counts(form.captured_queries) == []


def test_the_count_check_above_would_see_the_old_reads(lot):
    with CaptureQueriesContext(connection) as captured:
        Administration.objects.from_lot(lot).aggregate(
            n=Count("pk"), patients=Count("treatment__patient", distinct=True)
        )
    assert administration_counts(captured.captured_queries)


def test_the_migration_fills_the_counts_from_the_administrations(
    make_treatment, make_lot, make_patient, physician
):
    """Existing lots get their counts and ledger from the administrations already recorded (the
    migration's own historical models and statement, as when it runs on a clinic's database)."""
    from django.db.migrations.loader import MigrationLoader

    migration = importlib.import_module("treatments.migrations.0009_lot_counts")
    other = make_lot(lot_number="OTHER-2")
    ada, bob = make_patient(), make_patient()
    make_treatment(ada, doses=["3", "1"], sign=True)
    original = make_treatment(bob, doses=["2"], sign=True, lot=other)
    treatment_amend(treatment=original, user=physician, reason="Add the site")
    voided = make_treatment(bob, doses=["4"])
    treatment_void(treatment=voided, user=physician, reason="Wrong patient")
    expected = recounted()
    # As before the migration: no ledger, no counts.
    LotRecipient.objects.all().delete()
    for lot in Lot.objects.all():
        Lot.objects.filter(pk=lot.pk).adjust_balance(
            administrations=-lot.administration_count, patients=-lot.patient_count
        )
    assert set(Lot.objects.values_list("administration_count", "patient_count")) == {(0, 0)}

    # The chain as written, not the squashed migration that a new database applies instead.
    loader = MigrationLoader(connection, replace_migrations=False)
    state = loader.project_state(("treatments", "0009_lot_counts"))
    migration.fill_counts(state.apps, None)
    assert recounted() == expected
    assert_counts_match_the_administrations()
    assert counts(other) == (2, 1)  # the original and its draft amendment, one patient
