"""Integrity checks: does what is stored obey the rules the services enforce? One function per rule,
each computed in the database (counts, sums and grouped rows, no row-by-row reads), each returning
how many records break it and the ids of the first few (ids only: never a name or other patient
data). ``manage.py check_integrity`` runs them all; the demo's fast path is proved by them.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.models import User
from django.db.models import (
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Abs, Coalesce, TruncDate
from django.utils import timezone

from clinic.audit import historical_models
from treatments.models import (
    Administration,
    Decision,
    FollowUp,
    FollowUpAttempt,
    FollowUpStatus,
    FollowUpStep,
    Lot,
    LotRecipient,
    LotStatus,
    Protocol,
    SideEffectReport,
    Treatment,
    TreatmentStatus,
)
from treatments.models.followup_worklist import local_midnight
from treatments.services.followup_actions import CLOCK_TOLERANCE
from treatments.services.followups import followup_dates

SAMPLE = 10
ZERO_ML = Value(Decimal("0"), output_field=DecimalField(max_digits=12, decimal_places=3))
# volume = dose / concentration rounded to 0.001 ml: |volume x concentration - dose| <= half a step.
HALF_VOLUME_STEP = Decimal("0.0005")


@dataclass
class Check:
    """One rule's result: how many records break it, and which (kind and id) for the first few."""

    name: str
    rule: str
    violations: int = 0
    examples: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.violations == 0

    def add(self, queryset, kind: str) -> None:
        """Count ``queryset``'s rows as violations, naming the first few by ``kind`` and id."""
        count = queryset.count()
        self.violations += count
        if count and len(self.examples) < SAMPLE:
            ids = queryset.order_by("pk").values_list("pk", flat=True)[: SAMPLE - len(self.examples)]
            self.examples += [f"{kind} {pk}" for pk in ids]


def _version_ranges():
    """(protocol, first instant, instant after) of each active protocol version, in the clinic's
    time zone: the treatments it governs, selected by an index range instead of a per-row date."""
    versions = list(Protocol.objects.active().order_by("effective_from"))
    for version, following in zip(versions, versions[1:] + [None], strict=True):
        start = local_midnight(version.effective_from)
        end = local_midnight(following.effective_from) if following else None
        yield version, start, end


def _performed_in(start, end) -> Q:
    condition = Q(performed_at__gte=start)
    return condition & Q(performed_at__lt=end) if end is not None else condition


def lot_stock_never_negative() -> Check:
    """No lot's balance runs out: what is used never exceeds what was received (an open
    amendment's original, counted twice, aside) and no balance column goes below zero."""
    check = Check("lot_stock_never_negative", "each lot's stock on hand is 0 or more")
    check.add(
        Lot.objects.filter(
            Q(used_ml__lt=0)
            | Q(amending_ml__lt=0)
            | Q(amending_ml__gt=F("used_ml"))
            | Q(used_ml__gt=F("quantity_received_ml") + F("amending_ml"))
        ),
        "lot",
    )
    return check


def lot_balances_match_administrations() -> Check:
    """Each lot's running balance equals its ledger: ``used_ml`` is what its counting
    administrations take, ``amending_ml`` what signed originals with a draft amendment take."""
    used = (
        Administration.objects.counting_stock()
        .filter(lot=OuterRef("pk"))
        .order_by()
        .values("lot")
        .annotate(ml=Sum("volume_ml"))
        .values("ml")
    )
    amending = (
        Administration.objects.active()
        .filter(lot=OuterRef("pk"), treatment__status=TreatmentStatus.SIGNED)
        .filter(treatment__amended_by__status=TreatmentStatus.DRAFT)
        .order_by()
        .values("lot")
        .annotate(ml=Sum("volume_ml"))
        .values("ml")
    )
    lots = Lot.objects.annotate(
        ledger=Coalesce(Subquery(used), ZERO_ML), amending_ledger=Coalesce(Subquery(amending), ZERO_ML)
    ).filter(~Q(used_ml=F("ledger")) | ~Q(amending_ml=F("amending_ledger")))
    check = Check("lot_balances_match_administrations", "each lot's used_ml equals its administrations")
    check.add(lots, "lot")
    return check


def lot_counts_match_administrations() -> Check:
    """Each lot's kept counts equal its administrations: ``administration_count`` is how many counting
    administrations it gave and ``patient_count`` to how many distinct patients; each lot ledger row
    (``LotRecipient``) holds its patient's count of them, and every patient given one has a row."""
    given = (
        Administration.objects.counting_stock()
        .filter(lot=OuterRef("pk"))
        .order_by()
        .values("lot")
        .annotate(n=Count("pk"), patients=Count("treatment__patient", distinct=True))
    )
    lots = Lot.objects.annotate(
        recounted=Coalesce(Subquery(given.values("n")), 0),
        patients=Coalesce(Subquery(given.values("patients")), 0),
    ).filter(~Q(administration_count=F("recounted")) | ~Q(patient_count=F("patients")))
    held = (
        Administration.objects.counting_stock()
        .filter(lot=OuterRef("lot_id"), treatment__patient=OuterRef("patient_id"))
        .order_by()
        .values("lot")
        .annotate(n=Count("pk"))
        .values("n")
    )
    rows = LotRecipient.objects.annotate(recounted=Coalesce(Subquery(held), 0)).exclude(
        administration_count=F("recounted")
    )
    unrecorded = Administration.objects.counting_stock().exclude(
        Exists(
            LotRecipient.objects.filter(
                lot=OuterRef("lot_id"), patient=OuterRef("treatment__patient_id"), administration_count__gt=0
            )
        )
    )
    check = Check(
        "lot_counts_match_administrations", "each lot's administration and patient counts equal its ledger"
    )
    check.add(lots, "lot")
    check.add(rows, "lot recipient")
    check.add(unrecorded, "administration")
    return check


def treatment_doses_within_protocol() -> Check:
    """Every treatment that was signed holds administrations whose total dose is within the maximum
    of the protocol version in force on its date."""
    check = Check("treatment_doses_within_protocol", "signed totals within the protocol in force")
    for version, start, end in _version_ranges():
        treatments = (
            Treatment.objects.filter(signed_at__isnull=False)
            .filter(_performed_in(start, end))
            .annotate(
                total=Sum("administrations__dose_billion", filter=Q(administrations__voided_at__isnull=True)),
                given=Count("administrations", filter=Q(administrations__voided_at__isnull=True)),
            )
            .filter(Q(total__gt=version.max_dose_billion) | Q(given=0))
        )
        check.add(treatments, "treatment")
    return check


def administration_volumes_match_lots() -> Check:
    """Each administration's volume is its dose at its lot's concentration (to the 0.001 ml)."""
    drift = ExpressionWrapper(
        Abs(F("volume_ml") * F("lot__concentration") - F("dose_billion")),
        output_field=DecimalField(max_digits=20, decimal_places=6),
    )
    administrations = (
        Administration.objects.active()
        .annotate(drift=drift)
        .filter(
            Q(drift__gt=F("lot__concentration") * HALF_VOLUME_STEP + Decimal("0.000001"))
            | Q(dose_billion__lte=0)
        )
    )
    check = Check("administration_volumes_match_lots", "volume = dose / the lot's concentration")
    check.add(administrations, "administration")
    return check


def lots_usable_on_treatment_day() -> Check:
    """Every administration of a signed treatment came from a lot that was released when it was
    signed (the lot's own history says its status then) and had not expired on the treatment day.
    An amendment restating its original's lot is exempt, as in the service."""
    status_then = (
        Lot.history.model.objects.filter(
            id=OuterRef("lot_id"), history_date__lte=OuterRef("treatment__signed_at")
        )
        .order_by("-history_date", "-history_id")
        .values("status")[:1]
    )
    restated = Administration.objects.active().filter(
        treatment_id=OuterRef("treatment__amends_id"), lot_id=OuterRef("lot_id")
    )
    administrations = (
        Administration.objects.active()
        .filter(treatment__signed_at__isnull=False)
        .annotate(
            day=TruncDate("treatment__performed_at"),
            status_then=Coalesce(Subquery(status_then), F("lot__status")),
        )
        .filter(Q(lot__expires_on__lt=F("day")) | ~Q(status_then=LotStatus.RELEASED))
        .exclude(Exists(restated))
    )
    check = Check("lots_usable_on_treatment_day", "lot released at signing, not expired that day")
    check.add(administrations, "administration")
    return check


def followups_match_schedule() -> Check:
    """Every signed treatment has exactly the follow-ups of the protocol in force on its date, one
    per step, and those never moved (no reschedule or cancel reason) have the step's due date and
    window counted from the treatment day."""
    check = Check("followups_match_schedule", "signed treatments have their schedule's follow-ups")
    active = Q(followups__voided_at__isnull=True)
    for version, start, end in _version_ranges():
        steps = version.steps.count()
        treatments = (
            Treatment.objects.signed()
            .filter(_performed_in(start, end))
            .annotate(
                held=Count("followups", filter=active),
                distinct_steps=Count(
                    "followups__step", filter=active & Q(followups__step__protocol=version), distinct=True
                ),
            )
            .filter(~Q(held=steps) | ~Q(distinct_steps=steps))
        )
        check.add(treatments, "treatment")
    # Dates: grouped by (treatment day, step, dates) in the database, compared with the plan here.
    steps = FollowUpStep.objects.in_bulk()
    unmoved = FollowUp.objects.active().filter(treatment__status=TreatmentStatus.SIGNED, status_reason="")
    groups = (
        unmoved.annotate(day=TruncDate("treatment__performed_at"))
        .order_by()
        .values("day", "step_id", "window_start", "due_on", "window_end")
        .annotate(n=Count("pk"))
    )
    wrong = [
        group
        for group in groups
        if followup_dates(group["day"], steps[group["step_id"]])
        != (group["window_start"], group["due_on"], group["window_end"])
    ]
    for group in wrong:
        check.add(
            unmoved.annotate(day=TruncDate("treatment__performed_at")).filter(
                day=group["day"],
                step_id=group["step_id"],
                window_start=group["window_start"],
                due_on=group["due_on"],
                window_end=group["window_end"],
            ),
            "follow-up",
        )
    return check


def followups_only_on_signed_treatments() -> Check:
    """Follow-ups belong to signed treatments: none on a draft or on a superseded original (signing
    an amendment moves them), and a voided treatment keeps only closed ones (voiding cancels)."""
    followups = FollowUp.objects.active().filter(
        Q(treatment__status__in=[TreatmentStatus.DRAFT, TreatmentStatus.AMENDED])
        | Q(treatment__status=TreatmentStatus.VOIDED, status=FollowUpStatus.SCHEDULED)
    )
    check = Check("followups_only_on_signed_treatments", "no open follow-ups on drafts, voided, superseded")
    check.add(followups, "follow-up")
    return check


def completed_followups_complete() -> Check:
    """A completed follow-up says who completed it, how and when (on or after the treatment day, not
    in the future); an assessment holds its decision, made by a user who may decide (a physician),
    and a home-care decision its protocol."""
    may_decide = User.objects.with_perm(
        "treatments.complete_assessment", backend="django.contrib.auth.backends.ModelBackend"
    )
    latest = timezone.now() + CLOCK_TOLERANCE
    followups = (
        FollowUp.objects.active()
        .filter(status=FollowUpStatus.COMPLETED)
        .annotate(done_on=TruncDate("completed_at"), treated_on=TruncDate("treatment__performed_at"))
        .filter(
            Q(completed_at__isnull=True)
            | Q(completed_by__isnull=True)
            | Q(contact="")
            | Q(completed_at__gt=latest)
            | Q(done_on__lt=F("treated_on"))
            | Q(is_assessment=True, decision="")
            | (Q(is_assessment=True) & ~Q(completed_by__in=may_decide))
            | Q(decision=Decision.HOME_CARE, home_care_protocol="")
        )
    )
    check = Check("completed_followups_complete", "completed follow-ups hold what their step requires")
    check.add(followups, "follow-up")
    return check


def attempts_match_followups() -> Check:
    """Contact attempts fall between the treatment day and now; a missed follow-up had at least one."""
    latest = timezone.now() + CLOCK_TOLERANCE
    attempts = FollowUpAttempt.objects.annotate(
        on=TruncDate("at"), treated_on=TruncDate("followup__treatment__performed_at")
    ).filter(Q(on__lt=F("treated_on")) | Q(at__gt=latest))
    missed = (
        FollowUp.objects.active()
        .filter(status=FollowUpStatus.MISSED)
        .exclude(Exists(FollowUpAttempt.objects.filter(followup=OuterRef("pk"))))
    )
    check = Check("attempts_match_followups", "attempts dated in the treatment's course; missed ones tried")
    check.add(attempts, "attempt")
    check.add(missed, "follow-up")
    return check


def records_match_their_patient() -> Check:
    """A follow-up and a side-effect report belong to the patient of their treatment, and a follow-up
    names its treatment's physician (the copy a physician's worklist reads)."""
    check = Check(
        "records_match_their_patient",
        "follow-ups and reports name their treatment's patient (and follow-ups its physician)",
    )
    check.add(FollowUp.objects.exclude(patient_id=F("treatment__patient_id")), "follow-up")
    check.add(FollowUp.objects.exclude(physician_id=F("treatment__physician_id")), "follow-up physician")
    check.add(SideEffectReport.objects.exclude(patient_id=F("treatment__patient_id")), "side-effect report")
    return check


def side_effect_reports_dated_after_treatment() -> Check:
    """A report is linked to a treatment that was signed, starts on or after its day, and neither its
    onset nor its resolution lies in the future."""
    today = timezone.localdate()
    reports = (
        SideEffectReport.objects.active()
        .annotate(treated_on=TruncDate("treatment__performed_at"))
        .filter(
            Q(treatment__signed_at__isnull=True)
            | Q(onset__lt=F("treated_on"))
            | Q(onset__gt=today)
            | Q(resolved_on__gt=today)
        )
    )
    check = Check("side_effect_reports_dated_after_treatment", "reports on signed treatments, dated sensibly")
    check.add(reports, "side-effect report")
    return check


def history_rows_exist() -> Check:
    """Every record of every audited model has at least one history row (its creation)."""
    check = Check("history_rows_exist", "every audited record has its history")
    for history in sorted(historical_models(), key=lambda model: model._meta.label):
        model = history.instance_type
        missing = model._base_manager.exclude(Exists(history.objects.filter(id=OuterRef("pk"))))
        check.add(missing, model._meta.model_name)
    return check


INTEGRITY_CHECKS = (
    lot_stock_never_negative,
    lot_balances_match_administrations,
    lot_counts_match_administrations,
    treatment_doses_within_protocol,
    administration_volumes_match_lots,
    lots_usable_on_treatment_day,
    followups_match_schedule,
    followups_only_on_signed_treatments,
    completed_followups_complete,
    attempts_match_followups,
    records_match_their_patient,
    side_effect_reports_dated_after_treatment,
    history_rows_exist,
)


def integrity_checks(*, checks=INTEGRITY_CHECKS) -> list[Check]:
    """Every check's result, in order (call inside one transaction for one consistent snapshot)."""
    return [run() for run in checks]
