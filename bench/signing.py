"""Signing micro-bench: recording and signing a treatment (``treatment_save`` then
``treatment_sign_reauthenticated``, the services the sign page calls once the password is confirmed)
on a nearly unused lot and on the dataset's busiest lot, alternately, p50 of each and the ratio.

Everything runs in one transaction that is rolled back at the end, and each measured save + sign in a
savepoint rolled back after it: the dataset is left as it was, and both lots keep their counts. The
password check is left out on purpose: it costs the same hash on both lots and would hide the rest.
"""

import datetime as dt
import statistics
import time
from decimal import Decimal

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from treatments.models import Administration, Indication, Lot, LotStatus, Patient, Treatment
from treatments.services.lots import lot_save
from treatments.services.patients import patient_save
from treatments.services.signing import treatment_sign_reauthenticated
from treatments.services.treatments import treatment_save

QUIET_ADMINISTRATIONS = 10
RATIO_TARGET = 1.5


def busiest_usable_lot() -> tuple[Lot, dt.date]:
    """The lot with the most administrations among released ones, and a day it can be used."""
    counts = (
        Administration.objects.filter(lot__status=LotStatus.RELEASED)
        .values("lot")
        .annotate(n=Count("pk"))
        .order_by("-n")
    )
    today = timezone.localdate()
    for row in counts[:10]:
        lot = Lot.objects.get(pk=row["lot"])
        day = min(today, lot.expires_on - dt.timedelta(days=1))
        if day >= lot.received_on and not lot.unusable_reason(day):
            return lot, day
    raise SystemExit("No released lot with administrations in the dataset: was seed_demo run?")


class Clinic:
    def __init__(self, *, physician, clinic_admin, day: dt.date):
        self.physician = physician
        self.clinic_admin = clinic_admin
        self.day = day
        self.indication = Indication.objects.order_by("order", "pk").first()
        now = timezone.now()
        at = timezone.make_aware(dt.datetime.combine(day, dt.time(10, 0)))
        self.performed_at = min(at, now - dt.timedelta(minutes=5))

    def patient(self, mrn: str) -> Patient:
        patient = Patient(
            mrn=mrn,
            given_name="Bench",
            family_name="Signing",
            date_of_birth=dt.date(1970, 1, 1),
            consent_on_file=self.day - dt.timedelta(days=30),
        )
        patient.full_clean()
        return patient_save(patient=patient, user=self.physician, indications=[self.indication])

    def quiet_lot(self, like: Lot) -> Lot:
        lot = Lot(
            product=like.product,
            lot_number="BENCH-QUIET-01",
            manufacturer=like.manufacturer,
            received_on=self.day - dt.timedelta(days=30),
            expires_on=self.day + dt.timedelta(days=300),
            concentration=like.concentration,
            quantity_received_ml=Decimal("5000"),
            storage_location="Bench",
            storage_temperature_c=Decimal("-80"),
            status=LotStatus.RELEASED,
            certificate_of_analysis="CoA-BENCH",
        )
        return lot_save(lot=lot, user=self.clinic_admin, reason="Signing micro-bench (rolled back)")

    def record_and_sign(self, patient: Patient, lot: Lot) -> Treatment:
        treatment = Treatment(
            patient=patient,
            performed_at=self.performed_at,
            physician=self.physician,
            indication=self.indication,
            course_position="booster" if patient.treatments.exists() else "initial",
            consent_confirmed=True,
            anti_inflammatories_paused=True,
            product_thawed_inspected=True,
        )
        administration = Administration(route="iv_drip", lot=lot, dose_billion=Decimal("5"))
        treatment = treatment_save(treatment=treatment, user=self.physician, administrations=[administration])
        return treatment_sign_reauthenticated(treatment=treatment, user=self.physician)


def _p50_ms(seconds: list[float]) -> float:
    return statistics.median(seconds) * 1000


def signing_bench(*, physician, clinic_admin, reps: int = 15) -> dict:
    """Returns the figures and prints nothing; ``report()`` formats them."""
    busy, day = busiest_usable_lot()
    busy_count = Administration.objects.filter(lot=busy).count()
    times = {"quiet": [], "busy": []}
    with transaction.atomic():
        clinic = Clinic(physician=physician, clinic_admin=clinic_admin, day=day)
        quiet = clinic.quiet_lot(busy)
        filler = clinic.patient("BENCH-FILL-01")
        for _ in range(QUIET_ADMINISTRATIONS):
            clinic.record_and_sign(filler, quiet)
        subject = clinic.patient("BENCH-SIGN-01")
        quiet_count = Administration.objects.filter(lot=quiet).count()
        for _ in range(reps + 1):  # the first round warms up and is not counted
            for key, lot in (("quiet", quiet), ("busy", busy)):
                with transaction.atomic():
                    started = time.perf_counter()
                    clinic.record_and_sign(subject, lot)
                    times[key].append(time.perf_counter() - started)
                    transaction.set_rollback(True)
        transaction.set_rollback(True)
    quiet_ms, busy_ms = _p50_ms(times["quiet"][1:]), _p50_ms(times["busy"][1:])
    return {
        "quiet_lot_administrations": quiet_count,
        "busy_lot": busy.lot_number,
        "busy_lot_administrations": busy_count,
        "day": day,
        "reps": reps,
        "quiet_p50_ms": quiet_ms,
        "busy_p50_ms": busy_ms,
        "ratio": busy_ms / quiet_ms,
        "passed": busy_ms / quiet_ms <= RATIO_TARGET,
    }


def report(figures: dict, label: str) -> list[str]:
    verdict = "PASS" if figures["passed"] else "FAIL"
    return [
        f"Signing micro-bench ({label}; treatment_save + treatment_sign_reauthenticated, "
        f"{figures['reps']} each, alternating; rolled back):",
        "",
        "| lot | administrations | p50 ms |",
        "|---|---:|---:|",
        f"| nearly unused (BENCH-QUIET-01) | {figures['quiet_lot_administrations']:,} "
        f"| {figures['quiet_p50_ms']:.1f} |",
        f"| busiest ({figures['busy_lot']}) | {figures['busy_lot_administrations']:,} "
        f"| {figures['busy_p50_ms']:.1f} |",
        "",
        f"[{verdict}] save + sign on the busiest lot within {RATIO_TARGET}x of the nearly unused lot: "
        f"{figures['ratio']:.2f}x",
    ]
