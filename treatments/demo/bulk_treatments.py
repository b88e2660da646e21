"""The fast path for the demo's treatments: every patient after the story gets the course the story's
rules would give (``course_days``, ``total_doses``), signed by their physician, with administrations
from lots that were usable that day and had the stock, written in bulk with their history rows.

Stock is tracked in Python while lots are chosen (a lot without enough left is never chosen) and
each lot's running balance moves once per batch (``LotQuerySet.adjust_balance``), in the batch's
transaction, so received minus administered stays the balance. The lot's counts move with it, and
the batch's patients get their lot ledger rows (``LotRecipient``): a fast-path patient had no
treatment before, so each (lot, patient) row is new.
"""

import datetime as dt
import random
from collections import Counter, defaultdict
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from treatments.demo.bulk import BATCH, Protocols, bulk_insert, indexes_set_aside, keyset, refresh_statistics
from treatments.demo.patients import demo_mrn
from treatments.demo.treatments import ROUTES, STORY_PATIENTS, course_days, moment, total_doses
from treatments.dosing import volume_for
from treatments.models import (
    ROUND_OPENERS,
    Administration,
    Indication,
    Lot,
    LotRecipient,
    Patient,
    Treatment,
    TreatmentStatus,
)

# The lots the fast path may use (the small "to_deplete" lot is the story's).
BULK_LOT_ROLES = ("main", "recent", "expired", "to_recall", "individualized")
# The tables the fast path loads, and the index its own query needs (``bulk_patients``' NOT EXISTS
# per batch) kept through a load that sets the others aside.
LOADED = (Treatment, Treatment.history.model, Administration, Administration.history.model)
KEPT_INDEXES = frozenset({(Treatment._meta.db_table, "patient_id")})


def bulk_patients():
    """Demo patients after the story's, with consent on file and no treatment yet."""
    return (
        Patient.objects.active()
        .filter(mrn__startswith="DEMO-", mrn__gt=demo_mrn(STORY_PATIENTS), consent_on_file__isnull=False)
        .exclude(Exists(Treatment.objects.filter(patient=OuterRef("pk"))))
    )


class LotStock:
    """The demo lots with what is left in each, read (and on PostgreSQL locked) once per batch."""

    def __init__(self, lots: dict[str, Lot], today: dt.date):
        ids = sorted(lots[role].pk for role in BULK_LOT_ROLES if role in lots)
        fresh = Lot.objects.select_for_update().filter(pk__in=ids).order_by("pk").in_bulk()
        self.by_role = {role: fresh[lots[role].pk] for role in BULK_LOT_ROLES if role in lots}
        self.left = {pk: lot.quantity_received_ml - lot.used_ml for pk, lot in fresh.items()}
        self.taken = defaultdict(Decimal)
        self.given = Counter()  # administrations by (lot pk, patient pk)
        self.today = today
        self.orders = {}  # (day, recall first, individualized first): the lots in order of preference

    @staticmethod
    def usable(lot: Lot, day: dt.date) -> bool:
        """``Lot.unusable_reason`` (not voided, released, not expired), and received by then."""
        return not lot.unusable_reason(day) and lot.received_on <= day

    def preferred(self, day: dt.date, roll: float) -> list[Lot]:
        """The lots a clinic would reach for that day, best first: the story's choice (some from the
        lot later recalled, some individualized, else first expiry first), then any other usable one.
        The order depends only on the day and which of the two first choices the roll picks, and the
        lots do not change within a batch: it is worked out once per (day, choice) and batch."""
        key = (day, roll < 0.12, roll > 0.92)
        if key not in self.orders:
            self.orders[key] = self._ordered(day, *key[1:])
        return self.orders[key]

    def _ordered(self, day: dt.date, recall_first: bool, individualized_first: bool) -> list[Lot]:
        roles = self.by_role
        first = []
        recall, individualized = roles.get("to_recall"), roles.get("individualized")
        if recall and recall.received_on <= day <= self.today - dt.timedelta(days=60) and recall_first:
            first.append(recall)
        if individualized and individualized.received_on <= day and individualized_first:
            first.append(individualized)
        standard = sorted(
            (roles[r] for r in ("expired", "recent", "main") if r in roles), key=lambda x: x.expires_on
        )
        rest = sorted(roles.values(), key=lambda lot: lot.expires_on)
        ordered = []
        for lot in first + standard + rest:
            if lot not in ordered and self.usable(lot, day):
                ordered.append(lot)
        return ordered

    def take(self, day: dt.date, doses: list[Decimal], rng: random.Random, *, patient_id) -> list | None:
        """(lot, volume) per dose, taken from the stock for ``patient_id``; None (and nothing taken)
        when some dose finds no usable lot with enough left."""
        taken = []
        for dose in doses:
            for lot in self.preferred(day, rng.random()):
                volume = volume_for(dose, lot.concentration)
                if volume <= self.left[lot.pk]:
                    self.left[lot.pk] -= volume
                    taken.append((lot, volume))
                    break
            else:
                for lot, volume in taken:
                    self.left[lot.pk] += volume
                return None
        for lot, volume in taken:
            self.taken[lot.pk] += volume
            self.given[lot.pk, patient_id] += 1
        return taken

    def write(self) -> None:
        """The batch's lot ledger rows, then one UPDATE per lot that moved, by pk order (the lock
        order): its balance and its counts of administrations and of patients."""
        LotRecipient.objects.bulk_create(
            [
                LotRecipient(lot_id=lot_id, patient_id=patient_id, administration_count=n)
                for (lot_id, patient_id), n in sorted(self.given.items())
            ],
            batch_size=500,
        )
        administrations, patients = Counter(), Counter()
        for (lot_id, _patient_id), n in self.given.items():
            administrations[lot_id] += n
            patients[lot_id] += 1
        for pk in sorted(self.taken):
            Lot.objects.filter(pk=pk).adjust_balance(
                used_ml=self.taken[pk], administrations=administrations[pk], patients=patients[pk]
            )
        self.taken.clear()
        self.given.clear()


def _first_indications(patient_ids) -> dict[int, int]:
    """Each patient's first indication (in the indications' own order), as the story reads it."""
    rank = {pk: n for n, pk in enumerate(Indication.objects.values_list("pk", flat=True))}
    through = Patient.indications.through
    first = {}
    for patient_id, indication_id in through.objects.filter(patient_id__in=patient_ids).values_list(
        "patient_id", "indication_id"
    ):
        if patient_id not in first or rank[indication_id] < rank[first[patient_id]]:
            first[patient_id] = indication_id
    return first


def _batch(rows, *, stock, protocols, physicians, fallback, today) -> tuple[list, list]:
    now = timezone.now()
    indications = _first_indications([row["id"] for row in rows])
    treatments, administrations = [], []
    for row in rows:
        rng = random.Random(f"treatments/{row['mrn']}")  # noqa: S311 (demo data)
        if rng.random() >= 0.9:
            continue  # registered, not treated (yet)
        opened = 0  # rounds opened so far, counted as ``services.treatments.round_numbers`` does
        for day, course in course_days(rng, row["consent_on_file"], today):
            physician = rng.choice(physicians)
            performed_at = moment(rng, day, now)
            treated_on = timezone.localdate(performed_at)
            protocol = protocols.in_force_on(treated_on)
            doses = total_doses(rng, protocol.max_dose_billion)
            routes = [rng.choice(ROUTES) for _dose in doses]
            taken = stock.take(treated_on, doses, rng, patient_id=row["id"])
            if taken is None:
                continue  # no lot had enough left that day: the clinic would not have treated
            opened += 1 if course in ROUND_OPENERS else 0
            treatment = Treatment(
                patient_id=row["id"],
                performed_at=performed_at,
                physician=physician,
                indication_id=indications.get(row["id"], fallback),
                course_position=course,
                round_number=max(opened, 1),
                consent_confirmed=True,
                anti_inflammatories_paused=True,
                product_thawed_inspected=True,
                focused_ultrasound=rng.random() < 0.15,
                regional_hyperthermia=rng.random() < 0.1,
                baseline_pain=rng.randint(2, 8),
                baseline_energy=rng.randint(2, 7),
                status=TreatmentStatus.SIGNED,
                signed_at=now,
                signed_by=physician,
                created_by=physician,
                created_at=now,
            )
            treatments.append(treatment)
            for order, (dose, (route, site), (lot, volume)) in enumerate(
                zip(doses, routes, taken, strict=True), start=1
            ):
                administrations.append(
                    Administration(
                        treatment=treatment,
                        route=route,
                        site=site,
                        lot=lot,
                        dose_billion=dose,
                        volume_ml=volume,
                        order=order,
                        created_by=physician,
                        created_at=now,
                    )
                )
    return treatments, administrations


def seed_bulk_treatments(*, users: dict, lots: dict, progress=None) -> int:
    """Signed treatments for the demo patients after the story who have none yet (a rerun adds only
    the new patients'); returns how many were recorded.

    On PostgreSQL statistics are refreshed once after the first batch: it plans each foreign-key check
    once per session, and a plan made while the treatment table held the story's few rows scans
    the table for every administration's check (measured: 10 of 26 s at 10k patients, growing
    with the square of the table). The new statistics make it replan with the primary key."""
    today = timezone.localdate()
    physicians = [users["dr.ross"], users["dr.weber"]]
    protocols = Protocols()
    fallback = Indication.objects.values_list("pk", flat=True).first()
    recorded = 0
    with indexes_set_aside(LOADED, rows=bulk_patients().count(), keep=KEPT_INDEXES):
        for number, rows in enumerate(
            keyset(bulk_patients().values("id", "mrn", "consent_on_file"), size=BATCH)
        ):
            with transaction.atomic():
                stock = LotStock(lots, today)
                treatments, administrations = _batch(
                    rows,
                    stock=stock,
                    protocols=protocols,
                    physicians=physicians,
                    fallback=fallback,
                    today=today,
                )
                when = timezone.now()
                bulk_insert(Treatment, treatments, user_of=lambda t: t.physician, when=when)
                for administration in administrations:
                    administration.treatment_id = administration.treatment.pk
                bulk_insert(Administration, administrations, user_of=lambda a: a.created_by, when=when)
                stock.write()
            if number == 0 and connection.vendor == "postgresql":
                refresh_statistics()
            recorded += len(treatments)
            if progress:
                progress(len(rows))
    return recorded
