"""The demo's story: the first ``STORY_PATIENTS`` demo patients' treatments over the last ~14 months,
recorded and signed through the treatment services, so every dose, lot, stock and signing rule is
exercised; plus a recall, a depleted lot, an amendment, a void and a couple of open drafts. The other
patients' treatments take the fast path (``treatments.demo.bulk_treatments``) with the same choices."""

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from treatments.demo.patients import demo_mrn
from treatments.models import (
    Administration,
    Indication,
    Lot,
    LotStatus,
    Patient,
    Protocol,
    Treatment,
    TreatmentStatus,
)
from treatments.services.lots import lot_recall, lot_save
from treatments.services.signing import treatment_amend, treatment_sign_reauthenticated, treatment_void
from treatments.services.treatments import treatment_save

ROUTES = [
    ("iv_drip", ""),
    ("iv_drip", ""),
    ("local_injection", "left knee"),
    ("local_injection", "right knee"),
    ("local_injection", "right shoulder"),
    ("iv_injection", ""),
    ("intranasal", ""),
    ("intradiscal", "L4-L5"),
    ("topical", "face"),
]


# The story's patients are DEMO-000001 .. DEMO-000016; every later one goes through the fast path.
STORY_PATIENTS = 16


def story_patients():
    return Patient.objects.filter(mrn__startswith="DEMO-", mrn__lte=demo_mrn(STORY_PATIENTS))


def demo_treatments_exist() -> bool:
    """Whether the story has been recorded (its treatments are made once, in one transaction)."""
    return Treatment.objects.filter(patient__in=story_patients()).exists()


def moment(rng: random.Random, day: dt.date, now: dt.datetime) -> dt.datetime:
    """A time in opening hours on ``day``, never later than an hour ago."""
    at = timezone.make_aware(
        dt.datetime.combine(day, dt.time(rng.randint(8, 17), rng.choice([0, 15, 30, 45])))
    )
    return min(at, now - dt.timedelta(hours=1))


def course_days(rng: random.Random, consent: dt.date, today: dt.date) -> list[tuple[dt.date, str]]:
    """(day, course position) of a patient's treatments: an initial one, and for some a booster or a
    second round 100-130 days later. Empty when the consent is too recent."""
    earliest = max(consent, today - dt.timedelta(days=420))
    span = (today - dt.timedelta(days=1) - earliest).days
    if span < 0:
        return []
    first = earliest + dt.timedelta(days=rng.randint(0, span))
    days = [(first, "initial")]
    later = first + dt.timedelta(days=rng.randint(100, 130))
    if later < today and rng.random() < 0.6:
        days.append((later, "second_round" if rng.random() < 0.3 else "booster"))
    return days


def total_doses(rng: random.Random, maximum: Decimal) -> list[Decimal]:
    """A treatment's doses: one, or two (the second 3 billion), together within ``maximum``."""
    totals = [Decimal(t) for t in ("5", "6", "8", "10", "10", "12", "15") if Decimal(t) <= maximum]
    total = rng.choice(totals or [maximum])
    return [total - Decimal("3"), Decimal("3")] if rng.random() < 0.2 and total > 3 else [total]


class DemoClinic:
    def __init__(self, *, lots: dict, physicians: list, staff, rng: random.Random):
        self.lots = lots
        self.physicians = physicians
        self.staff = staff
        self.rng = rng
        self.now = timezone.now()
        self.today = timezone.localdate()

    def moment(self, day: dt.date) -> dt.datetime:
        return moment(self.rng, day, self.now)

    def lot_for(self, day: dt.date) -> Lot:
        """The lot a clinic would have used that day: first expiry first, among lots it held then."""
        choices = [
            self.lots[role]
            for role in ("expired", "recent", "main")
            if self.lots[role].received_on <= day <= self.lots[role].expires_on
        ]
        recall, individualized = self.lots["to_recall"], self.lots["individualized"]
        roll = self.rng.random()
        if recall.received_on <= day <= self.today - dt.timedelta(days=60) and roll < 0.12:
            return recall
        if individualized.received_on <= day and roll > 0.92:
            return individualized
        return min(choices, key=lambda lot: lot.expires_on)

    def administrations(self, day: dt.date, *, lot=None, doses=None) -> list[Administration]:
        if doses is None:
            doses = total_doses(self.rng, Protocol.objects.in_force_on(day).max_dose_billion)
        result = []
        for dose in doses:
            route, site = self.rng.choice(ROUTES)
            result.append(
                Administration(route=route, site=site, lot=lot or self.lot_for(day), dose_billion=dose)
            )
        return result

    def record(self, patient, day, *, course, physician=None, lot=None, doses=None, **fields) -> Treatment:
        physician = physician or self.rng.choice(self.physicians)
        treatment = Treatment(
            patient=patient,
            performed_at=self.moment(day),
            physician=physician,
            indication=patient.first_indication,
            course_position=course,
            consent_confirmed=True,
            anti_inflammatories_paused=True,
            product_thawed_inspected=True,
            focused_ultrasound=self.rng.random() < 0.15,
            regional_hyperthermia=self.rng.random() < 0.1,
            baseline_pain=self.rng.randint(2, 8),
            baseline_energy=self.rng.randint(2, 7),
            **fields,
        )
        treatment = treatment_save(
            treatment=treatment,
            user=physician,
            administrations=self.administrations(day, lot=lot, doses=doses),
        )
        return treatment_sign_reauthenticated(treatment=treatment, user=physician)

    def course(self, patient) -> list[Treatment]:
        """An initial treatment, and for some patients a booster or a second round later on."""
        return [
            self.record(patient, day, course=course)
            for day, course in course_days(self.rng, patient.consent_on_file, self.today)
        ]


def seed_treatments(*, users: dict, lots: dict, progress=None) -> int:
    """The story's treatments (most story patients get some), through the services; returns how many
    treatments the story patients have."""
    if demo_treatments_exist():
        return 0
    rng = random.Random(2026)  # noqa: S311 (repeatable demo data, not security)
    physicians = [users["dr.ross"], users["dr.weber"]]
    clinic = DemoClinic(lots=lots, physicians=physicians, staff=users["nurse.kim"], rng=rng)
    patients = list(
        story_patients()
        .active()
        .filter(consent_on_file__isnull=False)
        .prefetch_related("indications")
        .order_by("mrn")
    )
    fallback = Indication.objects.first()
    for patient in patients:
        patient.first_indication = next(iter(patient.indications.all()), fallback)
    recorded = []
    for patient in patients:
        if rng.random() < 0.9:
            recorded += clinic.course(patient)
        if progress:
            progress(1)
    signed = [t for t in recorded if t.status == TreatmentStatus.SIGNED]
    today = timezone.localdate()

    # Two boosters used up the small lot; the clinic marked it depleted.
    consented = [p for p in patients if p.consent_on_file <= today - dt.timedelta(days=30)]
    for patient in consented[:2]:
        clinic.record(
            patient,
            today - dt.timedelta(days=rng.randint(20, 30)),
            course="booster",
            lot=lots["to_deplete"],
            doses=[Decimal("10")],
            physician=physicians[0],
        )
    to_deplete = Lot.objects.get(pk=lots["to_deplete"].pk)
    if to_deplete.current_stock_ml() <= 0:
        to_deplete.status = LotStatus.DEPLETED
        lot_save(lot=to_deplete, user=users["admin.clinic"], reason="Demo data: used up")

    if len(signed) > 3:
        amended = signed[1]
        amendment = treatment_amend(
            treatment=amended, user=amended.physician, reason="Baseline pain was recorded on the wrong scale"
        )
        amendment.baseline_pain = 4
        treatment_save(
            treatment=amendment,
            user=amended.physician,
            administrations=list(amendment.administrations.active()),
            reason="Baseline pain corrected",
        )
        treatment_sign_reauthenticated(treatment=amendment, user=amended.physician)
        voided = signed[2]
        treatment_void(treatment=voided, user=voided.physician, reason="Recorded for the wrong patient")

    # Drafts waiting for their physician's signature, recorded by the nurse this morning.
    for patient in patients[-2:]:
        treatment = Treatment(
            patient=patient,
            performed_at=timezone.now() - dt.timedelta(hours=2),
            physician=physicians[1],
            indication=patient.first_indication,
            course_position="booster" if patient.treatments.current().exists() else "initial",
            consent_confirmed=True,
        )
        treatment_save(
            treatment=treatment,
            user=clinic.staff,
            administrations=clinic.administrations(today, lot=lots["main"]),
        )
    return Treatment.objects.filter(patient__in=story_patients()).count()


def seed_recall(*, users: dict, lots: dict) -> bool:
    """Recall the lot the story and the fast path used until two months ago (after both ran, so its
    recall list names patients from each). Returns whether it was recalled now."""
    recall = Lot.objects.get(pk=lots["to_recall"].pk)
    if recall.status != LotStatus.RELEASED:
        return False
    lot_recall(
        lot=recall,
        user=users["admin.clinic"],
        reason="Supplier notice: endotoxin result above the release limit for this batch",
    )
    return True
