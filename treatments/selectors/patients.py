"""Patient reads: the registry list, a patient's page, its course and timeline, pending plans."""

import dataclasses
import datetime as dt
from decimal import Decimal

from django.db.models import F, Prefetch, QuerySet
from django.urls import reverse
from django.utils import timezone

from treatments.dosing import format_amount
from treatments.filters.patients import DEFAULT_SORT, SORTS, PatientFilter
from treatments.models import (
    PLANNED_TREATMENT_DECISIONS,
    Administration,
    FollowUp,
    FollowUpStatus,
    Indication,
    LotStatus,
    Patient,
    SideEffectReport,
    Treatment,
    TreatmentStatus,
)
from treatments.selectors.outcomes import outcome_series


def patient_list(*, filters: PatientFilter) -> QuerySet[Patient]:
    """Active patients matching the search term, in the chosen sort (by name unless one is chosen)."""
    patients = Patient.objects.active().prefetch_related("indications").order_by(*SORTS[DEFAULT_SORT])
    if not filters.is_bound:
        return patients
    filters.form.is_valid()  # the valid fields filter; an invalid sort is left out
    return filters.filter_queryset(patients)


def patient_for_page(*, pk: int) -> Patient | None:
    """A patient page's patient (voided ones too, for auditors) with the people it names and its
    indications in ``page_indications``, in one query: the indications come as one joined row each
    (a patient has a handful), not as a second query. None when there is no such patient."""
    rows = list(
        Patient.objects.filter(pk=pk)
        .select_related("created_by", "voided_by")
        .annotate(
            indication_pk=F("indications__pk"),
            indication_code=F("indications__code"),
            indication_name=F("indications__name"),
            indication_order=F("indications__order"),
        )
        .order_by("indications__order", "indications__name")
    )
    if not rows:
        return None
    patient = rows[0]
    patient.page_indications = [
        Indication(
            pk=row.indication_pk,
            code=row.indication_code,
            name=row.indication_name,
            order=row.indication_order,
        )
        for row in rows
        if row.indication_pk is not None
    ]
    return patient


@dataclasses.dataclass
class PatientRecords:
    """A patient's treatments (newest first, each with its active administrations in ``given``),
    follow-ups and side-effect reports, voided ones included: read once for the whole patient page
    (four queries whatever the history) and shared by its timeline, course and panels."""

    treatments: list[Treatment]
    followups: list[FollowUp]
    side_effects: list[SideEffectReport]


def patient_followups(*, patient: Patient, treatments: list[Treatment]) -> list[FollowUp]:
    """Every follow-up of the patient, voided ones too, with its treatment taken from
    ``treatments`` (the patient's own, from ``patient_treatments``) and who completed it: one query.
    Read in the order of followup_patient_done_idx (patient, status, completed_at), so the database
    reads this patient's rows from that index and nobody else's; each panel sorts its own part."""
    by_pk = {treatment.pk: treatment for treatment in treatments}
    followups = list(
        FollowUp.objects.filter(patient=patient)
        .select_related("completed_by")
        .order_by("status", "completed_at")
    )
    for followup in followups:
        followup.treatment = by_pk[followup.treatment_id]
    return followups


def patient_records(*, patient: Patient) -> PatientRecords:
    """Everything the patient page shows of the patient's history, in four queries."""
    treatments = patient_treatments(patient=patient)
    return PatientRecords(
        treatments=treatments,
        followups=patient_followups(patient=patient, treatments=treatments),
        side_effects=list(patient.side_effects.select_related("treatment")),
    )


def patient_treatments(*, patient: Patient) -> list[Treatment]:
    """Every treatment of the patient with its active administrations and their lots (2 queries)."""
    administrations = Administration.objects.active().select_related("lot__product").order_by("order", "id")
    return list(
        patient.treatments.select_related("physician")
        .prefetch_related(Prefetch("administrations", queryset=administrations, to_attr="given"))
        .order_by("-performed_at", "-id")
    )


def _treatment_entry(treatment) -> dict:
    parts = []
    for administration in treatment.given:
        site = f" ({administration.site})" if administration.site else ""
        parts.append(
            f"{administration.get_route_display()}{site} {format_amount(administration.dose_billion)} bn, "
            f"lot {administration.lot.lot_number}"
        )
    total = sum((a.dose_billion for a in treatment.given), Decimal("0"))
    physician = treatment.physician.get_full_name() or treatment.physician.get_username()
    detail = "; ".join(parts) or "no administration"
    return {
        "kind": "treatment",
        "date": treatment.treatment_date,
        "sort": (treatment.treatment_date, 0, timezone.localtime(treatment.performed_at).time()),
        "title": f"{treatment.get_course_position_display()}, round {treatment.round_number}: "
        f"{format_amount(total)} billion",
        "detail": f"{detail} · {physician}",
        "status": treatment.get_status_display(),
        "url": treatment.get_absolute_url(),
        "voided": treatment.status == TreatmentStatus.VOIDED,
        "superseded": treatment.status == TreatmentStatus.AMENDED,
    }


def _followup_entry(followup) -> dict:
    day = (
        timezone.localdate(followup.completed_at)
        if followup.status == FollowUpStatus.COMPLETED and followup.completed_at
        else followup.due_on
    )
    detail = followup.get_status_display()
    if followup.status == FollowUpStatus.SCHEDULED:
        window = f"{followup.window_start:%Y-%m-%d} to {followup.window_end:%Y-%m-%d}"
        detail = f"Due {followup.due_on:%Y-%m-%d} (window {window})"
    elif followup.status == FollowUpStatus.COMPLETED and followup.contact:
        detail = f"Completed by {followup.get_contact_display().lower()}"
        if followup.decision:
            detail += f"; decision: {followup.get_decision_display().lower()}"
    elif followup.status_reason:
        detail += f": {followup.status_reason}"
    return {
        "kind": "followup",
        "date": day,
        "sort": (day, 1, dt.time.min),
        "title": followup.step_name,
        "detail": detail,
        "status": followup.get_status_display(),
        "url": reverse("followup_detail", args=[followup.pk]),
        "voided": followup.is_voided,
        "superseded": False,
    }


def _side_effect_entry(report) -> dict:
    if report.resolved_on:
        detail = f"Resolved on {report.resolved_on:%Y-%m-%d} ({report.duration_days()} days)"
    else:
        detail = "Ongoing"
    return {
        "kind": "side_effect",
        "date": report.onset,
        "sort": (report.onset, 2, dt.time.min),
        "title": f"Side effect: {report.term_label} (grade {report.grade})",
        "detail": detail,
        "status": "Serious" if report.is_serious else "",
        "url": reverse("sideeffect_detail", args=[report.pk]),
        "voided": report.is_voided,
        "superseded": False,
    }


def patient_timeline(*, patient: Patient, records: PatientRecords | None = None) -> list[dict]:
    """Treatments (with their administrations), follow-ups and side-effect reports merged newest
    first. Four queries whatever the patient's history, none when ``records`` are given."""
    records = records or patient_records(patient=patient)
    entries = [_treatment_entry(t) for t in records.treatments]
    entries += [_followup_entry(f) for f in sorted(records.followups, key=lambda f: (f.due_on, f.pk))]
    entries += [_side_effect_entry(r) for r in records.side_effects]
    entries.sort(key=lambda entry: entry["sort"], reverse=True)
    return entries


def course_summary(*, treatments: list[Treatment]) -> dict:
    """Cumulative dose and rounds of the treatments that count, and recalled lots among them (no
    query: ``treatments`` come from ``patient_treatments``)."""
    current = [t for t in treatments if t.is_current]
    recalled = {}
    for treatment in current:
        for administration in treatment.given:
            if administration.lot.status == LotStatus.RECALLED:
                recalled.setdefault(administration.lot, []).append(treatment)
    return {
        "cumulative_dose": sum((a.dose_billion for t in current for a in t.given), Decimal("0")),
        "rounds": max((t.round_number for t in current), default=0),
        "treatment_count": len(current),
        "recalled_lots": [{"lot": lot, "treatments": found} for lot, found in recalled.items()],
    }


def patient_course(*, patient: Patient, records: PatientRecords | None = None) -> dict:
    """The patient page's timeline and course summary (four queries, none when ``records`` are
    given)."""
    records = records or patient_records(patient=patient)
    return {
        "timeline": patient_timeline(patient=patient, records=records),
        "course": course_summary(treatments=records.treatments),
    }


def patient_pending_plans(*, patient: Patient, records: PatientRecords | None = None) -> list[FollowUp]:
    """Completed 3-month assessments that decided on a booster, second round or escalation and
    are still waiting for it: pending until the patient has a current (draft or signed) treatment
    with that course position on or after the day of the decision. Oldest decision first. Four
    queries, none when ``records`` are given."""
    records = records or patient_records(patient=patient)
    assessments = sorted(
        (
            followup
            for followup in records.followups
            if not followup.is_voided
            and followup.status == FollowUpStatus.COMPLETED
            and followup.is_assessment
            and followup.decision in PLANNED_TREATMENT_DECISIONS
        ),
        key=lambda followup: (followup.completed_at, followup.pk),
    )
    given = [
        (treatment.course_position, treatment.treatment_date)
        for treatment in records.treatments
        if treatment.is_current and treatment.course_position in PLANNED_TREATMENT_DECISIONS
    ]
    pending = []
    for assessment in assessments:
        decided_on = timezone.localdate(assessment.completed_at)
        if not any(position == assessment.decision and day >= decided_on for position, day in given):
            pending.append(assessment)
    return pending


def patient_followup_panels(*, patient: Patient, records: PatientRecords | None = None) -> dict:
    """Everything the patient page's follow-up includes need (four queries whatever the counts,
    none when ``records`` are given): ``patient_outcomes.html``, ``patient_plans.html`` and
    ``patient_followups.html``."""
    records = records or patient_records(patient=patient)
    return {
        "outcome_series": outcome_series(
            patient=patient, treatments=records.treatments, followups=records.followups
        ),
        "pending_plans": patient_pending_plans(patient=patient, records=records),
        "patient_open_followups": sorted(
            (followup for followup in records.followups if followup.is_open),
            key=lambda followup: (followup.due_on, followup.pk),
        ),
        "patient_side_effects": sorted(
            (report for report in records.side_effects if not report.is_voided),
            key=lambda report: (report.onset, report.pk),
            reverse=True,
        ),
        "today": timezone.localdate(),
    }


def patient_page(*, patient: Patient) -> dict:
    """The patient page's timeline, course and follow-up panels from one read of the patient's
    records (four queries whatever the history)."""
    records = patient_records(patient=patient)
    return patient_course(patient=patient, records=records) | patient_followup_panels(
        patient=patient, records=records
    )
