"""Fuzz cases: follow-ups and the worklist, side-effect reports and figures, and the FAQ entry."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils import timezone

from clinic.form_parts import VoidForm
from faq.admin import EntryAdminForm
from faq.models import Category
from tests.security_cases.fuzz import EXAMPLES, SERVICE_ERRORS, FormCase, fresh, now_field, prefixed
from treatments.filters.followups import WorklistFilter
from treatments.filters.reports import ReportFilter, ReportFilterForm
from treatments.filters.side_effects import SideEffectFilter
from treatments.filters.treatments import TreatmentFilter, TreatmentFilterForm
from treatments.forms.followups import (
    FollowUpAcknowledgeForm,
    FollowUpAttemptForm,
    FollowUpCancelForm,
    FollowUpCompleteForm,
    FollowUpRescheduleForm,
)
from treatments.forms.lookup import RecordNumberForm
from treatments.forms.research import ResearchPeriodForm
from treatments.forms.side_effects import PeriodForm, ReviewForm, SideEffectReportForm
from treatments.models import FollowUp, SideEffectReport
from treatments.research import research_zip
from treatments.selectors.exports import treatment_download
from treatments.selectors.followups import followup_worklist
from treatments.selectors.lookup import patient_with_record_number
from treatments.selectors.side_effect_figures import side_effect_figures
from treatments.selectors.side_effects import side_effect_list
from treatments.selectors.treatment_list import treatment_list
from treatments.services.followup_actions import (
    followup_acknowledge_missed,
    followup_cancel,
    followup_complete,
    followup_record_attempt,
    followup_reschedule,
)
from treatments.services.side_effects import (
    side_effect_amend,
    side_effect_report,
    side_effect_review,
    side_effect_void,
)


def _followup(ctx, kind: str) -> FollowUp:
    return ctx.followups[kind]


def _acknowledge(ctx, form, kind):
    """Give the follow-up up as missed (inside the example's rolled-back savepoint, through the
    attempt service), then acknowledge it with the form's version, moved on by that one change."""
    followup = fresh(_followup(ctx, kind))
    followup_record_attempt(
        followup=followup, user=ctx.staff, contact="call", outcome="no_answer", mark_missed=True
    )
    missed = fresh(followup)
    version = form.cleaned_data["version"]  # None: the page sent no version, nothing to compare
    if version is not None:
        version += missed.version - followup.version
    followup_acknowledge_missed(followup=missed, user=ctx.physician, expected_version=version)


def _complete_baseline(ctx, kind):
    data = {"contact": "call", "completed_at": now_field(), "pain": "3", "energy": "6"}
    data |= {"global_impression": "2", "flare_up": "false", "new_side_effects": "false", "notes": "Well"}
    if _followup(ctx, kind).is_assessment:
        data |= {"decision": "home_care", "home_care_protocol": "Walk daily"}
    return data | {"version": str(_followup(ctx, kind).version)}


def _complete(ctx, form, kind):
    followup_complete(
        followup=fresh(_followup(ctx, kind)),
        user=ctx.physician,
        data=form.service_data(),
        completed_at=form.cleaned_data["completed_at"],
        expected_version=form.cleaned_data["version"],
    )


def _followup_case(form_class, prefix, label, *, kind="check_in", baseline, save):
    return FormCase(
        form_class,
        label,
        build=lambda ctx, data: form_class(prefixed(prefix, data), followup=_followup(ctx, kind)),
        save=save,
        baseline=baseline,
        expected_errors=SERVICE_ERRORS,
    )


def _report_baseline(ctx, report=None):
    data = {
        "treatment": str(ctx.signed.pk),
        "term": "other",
        "term_other": "Dizziness",
        "onset": ctx.signed.treatment_date.isoformat(),
        "resolved_on": "",
        "grade": "2",
        "outcome": "recovering",
        "causality": "possible",
        "action_taken": "Rest",
        "narrative": "Felt dizzy",
    }
    if report is not None:
        data |= {"reason": "Grade checked", "version": str(report.version)}
    return data


def _filter_followups(ctx, form):
    followup_worklist(filters=WorklistFilter(form.data), today=timezone.localdate())


def _run_reports(ctx, form):
    """Every report's figures for the scope the filters chose (as the four pages compute them)."""
    from treatments.selectors.reports.pages import (
        followups_figures,
        outcomes_figures,
        side_effects_figures,
        treatments_figures,
    )

    scope = ReportFilter(form.data).scope()
    for figures in (treatments_figures, followups_figures, outcomes_figures, side_effects_figures):
        figures(scope)


def _list_treatments(ctx, form):
    """The page's rows and its download's, for the filters given."""
    download = treatment_download(treatment_list(filters=TreatmentFilter(form.data)))
    list(download.rows)


def _filter_reports(ctx, form):
    list(side_effect_list(filters=SideEffectFilter(form.data))[:5])


def _entry_baseline(ctx):
    data = {"question": "Can I swim after a treatment?", "slug": "fuzz-swim", "order": "3"}
    data |= {"category": str(Category.objects.order_by("pk").first().pk), "published": "on"}
    return data | {"tags": "aftercare,fuzz", "answer": "Yes, **after 48 hours**."}


def _save_entry(ctx, form):
    form.instance.last_edited_by = ctx.clinic_admin
    form.save()


FORM_CASES = [
    _followup_case(
        FollowUpCompleteForm,
        "complete",
        "complete check-in",
        baseline=lambda ctx: _complete_baseline(ctx, "check_in"),
        save=lambda ctx, form: _complete(ctx, form, "check_in"),
    ),
    _followup_case(
        FollowUpCompleteForm,
        "complete",
        "complete 3-month assessment",
        kind="three_month",
        baseline=lambda ctx: _complete_baseline(ctx, "three_month"),
        save=lambda ctx, form: _complete(ctx, form, "three_month"),
    ),
    _followup_case(
        FollowUpAttemptForm,
        "attempt",
        "contact attempt",
        baseline=lambda ctx: {
            "contact": "call",
            "outcome": "no_answer",
            "notes": "Voicemail",
            "version": "1",
        },
        save=lambda ctx, form: followup_record_attempt(
            followup=fresh(_followup(ctx, "check_in")),
            user=ctx.staff,
            contact=form.cleaned_data["contact"],
            outcome=form.cleaned_data["outcome"],
            notes=form.cleaned_data["notes"],
            mark_missed=form.cleaned_data["mark_missed"],
            expected_version=form.cleaned_data["version"],
        ),
    ),
    _followup_case(
        FollowUpCancelForm,
        "cancel",
        "cancel",
        baseline=lambda ctx: {"reason": "Moved away", "version": "1"},
        save=lambda ctx, form: followup_cancel(
            followup=fresh(_followup(ctx, "check_in")),
            user=ctx.staff,
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data["version"],
        ),
    ),
    _followup_case(
        FollowUpRescheduleForm,
        "reschedule",
        "reschedule",
        baseline=lambda ctx: {
            "new_due": (timezone.localdate() + dt.timedelta(days=10)).isoformat(),
            "reason": "Patient travels",
            "version": "1",
        },
        save=lambda ctx, form: followup_reschedule(
            followup=fresh(_followup(ctx, "check_in")),
            user=ctx.staff,
            new_due=form.cleaned_data["new_due"],
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data["version"],
        ),
    ),
    _followup_case(
        FollowUpAcknowledgeForm,
        "acknowledge",
        "acknowledge a missed follow-up",
        baseline=lambda ctx: {"version": "1"},
        save=lambda ctx, form: _acknowledge(ctx, form, "check_in"),
    ),
    FormCase(
        WorklistFilter,
        "worklist filter",
        build=lambda ctx, data: WorklistFilter(data).form,
        save=_filter_followups,
        saved=EXAMPLES,
    ),
    FormCase(
        RecordNumberForm,
        "find by record number",
        build=lambda ctx, data: RecordNumberForm(data),
        save=lambda ctx, form: patient_with_record_number(mrn=form.cleaned_data["mrn"]),
        saved=EXAMPLES,
    ),
    FormCase(
        SideEffectReportForm,
        "report",
        build=lambda ctx, data: SideEffectReportForm(
            data, instance=SideEffectReport(patient=ctx.patient, reported_by=ctx.staff), patient=ctx.patient
        ),
        save=lambda ctx, form: side_effect_report(
            patient=ctx.patient,
            treatment=form.cleaned_data["treatment"],
            user=ctx.staff,
            data=form.service_data(),
        ),
        baseline=_report_baseline,
        expected_errors=SERVICE_ERRORS,
    ),
    FormCase(
        SideEffectReportForm,
        "amend",
        build=lambda ctx, data: SideEffectReportForm(
            data, instance=fresh(ctx.report), patient=ctx.patient, amending=True
        ),
        save=lambda ctx, form: side_effect_amend(
            report=fresh(ctx.report),
            user=ctx.staff,
            data=form.service_data(),
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data.get("version"),
            treatment=form.cleaned_data["treatment"],
        ),
        baseline=lambda ctx: _report_baseline(ctx, ctx.report),
        expected_errors=SERVICE_ERRORS,
    ),
    FormCase(
        ReviewForm,
        "physician review",
        build=lambda ctx, data: ReviewForm(data),
        save=lambda ctx, form: side_effect_review(
            report=fresh(ctx.report),
            user=ctx.physician,
            assessment=form.cleaned_data["assessment"],
            action=form.cleaned_data["action"],
            expected_version=form.cleaned_data["version"],
        ),
        baseline=lambda ctx: {"assessment": "Expected", "action": "Call in a week", "version": "1"},
        expected_errors=SERVICE_ERRORS,
    ),
    FormCase(
        VoidForm,
        "void side-effect report",
        build=lambda ctx, data: VoidForm(data),
        save=lambda ctx, form: side_effect_void(
            report=fresh(ctx.report), user=ctx.physician, reason=form.cleaned_data["reason"]
        ),
        expected_errors=(ValidationError,),
    ),
    FormCase(
        SideEffectFilter,
        "side-effect list filter",
        build=lambda ctx, data: SideEffectFilter(data).form,
        save=_filter_reports,
        saved=EXAMPLES,
    ),
    FormCase(
        PeriodForm,
        "figures period",
        build=lambda ctx, data: PeriodForm(data),
        save=lambda ctx, form: side_effect_figures(
            start=form.cleaned_data["start"], end=form.cleaned_data["end"]
        ),
        saved=EXAMPLES,
        baseline=lambda ctx: {"start": "2026-01-01", "end": "2026-06-30"},
    ),
    FormCase(
        ResearchPeriodForm,
        "research export period",
        build=lambda ctx, data: ResearchPeriodForm(data),
        save=lambda ctx, form: b"".join(
            research_zip(start=form.cleaned_data["start"], end=form.cleaned_data["end"])
        ),
        saved=EXAMPLES,
        baseline=lambda ctx: {"start": "2026-01-01", "end": ""},
    ),
    FormCase(
        ReportFilterForm,
        "reports' period and filters",
        build=lambda ctx, data: ReportFilter(data).form,
        save=_run_reports,
        saved=EXAMPLES,
        baseline=lambda ctx: {"start": "2026-01-01", "end": "2026-06-30", "route": "topical"},
    ),
    FormCase(
        TreatmentFilterForm,
        "treatments of a period filter",
        build=lambda ctx, data: TreatmentFilter(data).form,
        save=_list_treatments,
        saved=EXAMPLES,
        baseline=lambda ctx: {"start": "2026-01-01", "end": "2026-06-30", "route": "topical"},
    ),
    FormCase(
        EntryAdminForm,
        "FAQ entry",
        build=lambda ctx, data: EntryAdminForm(data),
        save=_save_entry,
        baseline=_entry_baseline,
    ),
]
