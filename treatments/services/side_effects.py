"""Side-effect reports: report, amend (with a reason; history keeps every version), void, and the
physician's review.

An amendment that changes the clinical picture (term, dates, grade, seriousness, outcome) of a
report that was already reviewed reopens the review: the earlier review stays in the history, and
the report goes back to the queue if it still meets a review criterion.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from clinic.audit import attribute
from clinic.formats import moment
from treatments.models import SERIOUSNESS_FIELDS, SideEffectReport, TreatmentStatus

REPORT_FIELDS = (
    "term",
    "term_other",
    "onset",
    "resolved_on",
    "grade",
    *SERIOUSNESS_FIELDS,
    "outcome",
    "causality",
    "action_taken",
    "narrative",
)
# Changes to these after a review put the report back in front of a physician.
CLINICAL_FIELDS = ("term", "term_other", "onset", "resolved_on", "grade", *SERIOUSNESS_FIELDS, "outcome")
REVIEW_PERMISSION = "treatments.review_sideeffectreport"


def _apply(report: SideEffectReport, data: dict) -> None:
    unknown = set(data) - set(REPORT_FIELDS)
    if unknown:
        raise ValueError(f"Not side-effect report fields: {', '.join(sorted(unknown))}")
    for name, value in data.items():
        setattr(report, name, value)
    report.term_other = (report.term_other or "").strip()


def _check_treatment(patient, treatment) -> None:
    if treatment.patient_id != patient.pk:
        raise ValidationError({"treatment": "The treatment belongs to another patient."})
    if treatment.status != TreatmentStatus.SIGNED:
        raise ValidationError(
            {"treatment": "Link the report to a signed treatment (not a draft, voided or superseded one)."}
        )


def _validate_and_date(report: SideEffectReport) -> None:
    """Validate (model rules and constraints), then fix the expected resolution date."""
    report.full_clean(exclude=["expected_resolution_by"])
    report.expected_resolution_by = report.compute_expected_resolution_by()


@transaction.atomic
def side_effect_report(*, patient, treatment, user, data: dict) -> SideEffectReport:
    if patient.is_voided:
        raise ValidationError("This patient record is voided: report the side effect on the active record.")
    _check_treatment(patient, treatment)
    report = SideEffectReport(
        patient=patient, treatment=treatment, reported_by=user, reported_at=timezone.now(), created_by=user
    )
    _apply(report, data)
    _validate_and_date(report)
    attribute(report, user=user, reason="Reported")
    report.save()
    return report


@transaction.atomic
def side_effect_amend(
    *, report: SideEffectReport, user, data: dict, reason: str, expected_version=None, treatment=None
) -> SideEffectReport:
    """Edit a report; the reason is required and goes into the history with the old values."""
    report.check_version(expected_version)
    if report.is_voided:
        raise ValidationError("This report is voided and can no longer be amended.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the report is amended."})
    before = {name: getattr(report, name) for name in CLINICAL_FIELDS}
    relinked = treatment is not None and treatment.pk != report.treatment_id
    if relinked:
        _check_treatment(report.patient, treatment)
        report.treatment = treatment
    _apply(report, data)
    _validate_and_date(report)
    changed = relinked or any(getattr(report, name) != value for name, value in before.items())
    if report.reviewed_at is not None and changed:
        report.reviewed_at = None
        report.reviewed_by = None
        report.review_assessment = ""
        report.review_action = ""
    attribute(report, user=user, reason=f"Amended: {reason}")
    report.save()
    return report


@transaction.atomic
def side_effect_void(*, report: SideEffectReport, user, reason: str) -> SideEffectReport:
    """Void a report entered in error (e.g. on the wrong patient); it stays visible to auditors."""
    report.mark_voided(user=user, reason=reason)
    attribute(report, user=user, reason=f"Voided: {report.void_reason}")
    report.save()
    return report


@transaction.atomic
def side_effect_review(
    *, report: SideEffectReport, user, assessment: str, action: str, expected_version=None
) -> SideEffectReport:
    """A physician's review: who, when, the assessment and the action decided."""
    if not user.has_perm(REVIEW_PERMISSION):
        raise PermissionDenied("Only physicians review side-effect reports.")
    report.check_version(expected_version)
    if report.is_voided:
        raise ValidationError("This report is voided: there is nothing to review.")
    if report.reviewed_at is not None:
        when = timezone.localtime(report.reviewed_at)
        raise ValidationError(f"This report was already reviewed by {report.reviewed_by} on {moment(when)}.")
    assessment = (assessment or "").strip()
    if not assessment:
        raise ValidationError({"assessment": "Write your assessment of this side effect."})
    report.reviewed_at = timezone.now()
    report.reviewed_by = user
    report.review_assessment = assessment
    report.review_action = (action or "").strip()
    attribute(report, user=user, reason="Reviewed by physician")
    report.save()
    return report
