"""Patient reads: the registry list, a patient's page, its course and timeline, pending plans."""

import dataclasses
import datetime as dt
from decimal import Decimal

from django.db.models import F, Prefetch, QuerySet
from django.utils import timezone

from clinic.formats import day as format_day
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
from treatments.selectors.links import detail_url_prefix
from treatments.selectors.outcomes import outcome_series
from treatments.selectors.people import user_names_only
from treatments.selectors.side_effects import NO_SIGNED_TREATMENT, can_report_side_effect


def patient_list(*, filters: PatientFilter) -> QuerySet[Patient]:
    """Active patients matching the search term, in the chosen sort (by name unless one is chosen)."""
    patients = Patient.objects.active().prefetch_related("indications").order_by(*SORTS[DEFAULT_SORT])
    if not filters.is_bound:
        return patients
    filters.form.is_valid()  # the valid fields filter; an invalid sort is left out
    return filters.filter_queryset(patients)


def patient_for_page(*, pk: int) -> Patient | None:
    """A patient page's patient (voided ones too, for auditors) with who voided it and its
    indications in ``page_indications``, in one query: the indications come as one joined row each
    (a patient has a handful), not as a second query. None when there is no such patient."""
    rows = list(
        Patient.objects.filter(pk=pk)
        .select_related("voided_by")
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


# The columns of a patient's records that the patient page shows (its timeline, course, recall
# alerts, outcomes and plans). A field read on the page but missing here costs a query per row:
# tests/test_patient_course.py counts the page's queries with every kind of record on it.
TREATMENT_FIELDS = (
    "patient",
    "performed_at",
    "course_position",
    "round_number",
    "status",
    "baseline_pain",
    "baseline_energy",
    "voided_at",
    "physician__username",
    "physician__first_name",
    "physician__last_name",
)
ADMINISTRATION_FIELDS = (
    "treatment",
    "route",
    "site",
    "dose_billion",
    "order",
    "lot__lot_number",
    "lot__status",
    "lot__recalled_at",
    "lot__recall_reason",
    "lot__product__name",
)
SIDE_EFFECT_FIELDS = [
    *(field.name for field in SideEffectReport._meta.concrete_fields),
    "treatment__performed_at",
]


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
        .defer(*user_names_only("completed_by"))
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
        side_effects=list(patient.side_effects.select_related("treatment").only(*SIDE_EFFECT_FIELDS)),
    )


def patient_treatments(*, patient: Patient) -> list[Treatment]:
    """Every treatment of the patient with its active administrations and their lots (2 queries).
    Only the columns the patient page shows are read (TREATMENT_FIELDS, ADMINISTRATION_FIELDS):
    the treatment page reads the rest."""
    administrations = (
        Administration.objects.active()
        .select_related("lot__product")
        .only(*ADMINISTRATION_FIELDS)
        .order_by("order", "id")
    )
    return list(
        patient.treatments.select_related("physician")
        .only(*TREATMENT_FIELDS)
        .prefetch_related(Prefetch("administrations", queryset=administrations, to_attr="given"))
        .order_by("-performed_at", "-id")
    )


def _treatment_entry(treatment, *, url_prefix: str) -> dict:
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
    day = treatment.treatment_date
    return {
        "kind": "treatment",
        "label": "Treatment",
        "date": day,
        "day": format_day(day),
        "sort": (treatment.treatment_date, 0, timezone.localtime(treatment.performed_at).time()),
        "title": f"{treatment.get_course_position_display()}, round {treatment.round_number}: "
        f"{format_amount(total)} billion",
        "detail": f"{detail} · {physician}",
        "status": treatment.get_status_display(),
        "url": f"{url_prefix}{treatment.pk}/",
        "voided": treatment.status == TreatmentStatus.VOIDED,
        "superseded": treatment.status == TreatmentStatus.AMENDED,
    }


def _followup_entry(followup, *, url_prefix: str) -> dict:
    day = (
        timezone.localdate(followup.completed_at)
        if followup.status == FollowUpStatus.COMPLETED and followup.completed_at
        else followup.due_on
    )
    detail = followup.get_status_display()
    if followup.status == FollowUpStatus.SCHEDULED:
        window = f"{format_day(followup.window_start)} to {format_day(followup.window_end)}"
        detail = f"Due {format_day(followup.due_on)} (window {window})"
    elif followup.status == FollowUpStatus.COMPLETED and followup.contact:
        detail = f"Completed by {followup.get_contact_display().lower()}"
        if followup.decision:
            detail += f"; decision: {followup.get_decision_display().lower()}"
    elif followup.status_reason:
        detail += f": {followup.status_reason}"
    return {
        "kind": "followup",
        "label": "Follow-up",
        "date": day,
        "day": format_day(day),
        "sort": (day, 1, dt.time.min),
        "title": followup.step_name,
        "detail": detail,
        "status": followup.get_status_display(),
        "url": f"{url_prefix}{followup.pk}/",
        "voided": followup.is_voided,
        "superseded": False,
    }


def _side_effect_entry(report, *, url_prefix: str) -> dict:
    if report.resolved_on:
        detail = f"Resolved on {format_day(report.resolved_on)} ({report.duration_days()} days)"
    else:
        detail = "Ongoing"
    return {
        "kind": "side_effect",
        "label": "Side effect",
        "date": report.onset,
        "day": format_day(report.onset),
        "sort": (report.onset, 2, dt.time.min),
        "title": f"Side effect: {report.term_label} (grade {report.grade})",
        "detail": detail,
        "status": "Serious" if report.is_serious else "",
        "url": f"{url_prefix}{report.pk}/",
        "voided": report.is_voided,
        "superseded": False,
    }


def patient_timeline(*, patient: Patient, records: PatientRecords | None = None) -> list[dict]:
    """Treatments (with their administrations), follow-ups and side-effect reports merged newest
    first. Four queries whatever the patient's history, none when ``records`` are given.

    An entry carries what its row shows, ready to print: ``label`` (its kind), ``day``
    (YYYY-MM-DD), ``title``, ``detail``, ``status`` and ``url``."""
    records = records or patient_records(patient=patient)
    treatments = detail_url_prefix("treatment_detail")
    followups = detail_url_prefix("followup_detail")
    side_effects = detail_url_prefix("sideeffect_detail")
    entries = [_treatment_entry(t, url_prefix=treatments) for t in records.treatments]
    entries += [
        _followup_entry(f, url_prefix=followups)
        for f in sorted(records.followups, key=lambda f: (f.due_on, f.pk))
    ]
    entries += [_side_effect_entry(r, url_prefix=side_effects) for r in records.side_effects]
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
        "can_report_side_effect": can_report_side_effect(treatments=records.treatments),
        "no_side_effect_report_reason": NO_SIGNED_TREATMENT,
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
