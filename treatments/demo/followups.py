"""Demo follow-up activity and side-effect reports on the signed demo treatments, so that the
worklist and the review queue look like a real week. Idempotent: a second run changes nothing.

Everything goes through the services (validation, attribution, history), dated in the past.
"""

import datetime as dt
import random

from django.utils import timezone

from clinic.roles import PHYSICIAN, STAFF, roles_of
from treatments.models import (
    Decision,
    FollowUp,
    SideEffectReport,
    StepKind,
    Treatment,
    TreatmentStatus,
)
from treatments.services.followup_actions import (
    followup_cancel,
    followup_complete,
    followup_record_attempt,
    followup_reschedule,
)
from treatments.services.side_effects import side_effect_report, side_effect_review

# Typical course after a treatment (pain change from baseline, energy change, PGIC) per step.
TRAJECTORY = {
    StepKind.CHECK_IN: (-1, 0, 4),
    StepKind.EARLY_CHECK: (-2, 1, 3),
    StepKind.THREE_MONTH: (-3, 3, 2),
    StepKind.SIX_MONTH: (-4, 3, 2),
    StepKind.TWELVE_MONTH: (-4, 4, 2),
}
DECISIONS = [
    (Decision.BOOSTER, 30),
    (Decision.NONE, 30),
    (Decision.HOME_CARE, 20),
    (Decision.SECOND_ROUND, 15),
    (Decision.ESCALATION, 5),
]
HOME_CARE = [
    "Daily mobility exercises, 20 minutes; no anti-inflammatory medication for another 4 weeks.",
    "Anti-inflammatory diet, light cardio three times a week, report any flare-up by phone.",
    "Physiotherapy twice a week for 6 weeks; sleep and stress diary.",
]
CANCEL_REASONS = ["Patient moved abroad", "Patient declined further reviews", "Seen by own GP instead"]
RESCHEDULE_REASONS = [
    "Patient on holiday that week",
    "Asked for a later appointment",
    "Clinic closed that day",
]


def _at(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 15)))


def _users(users: dict) -> tuple[list, list]:
    people = list(users.values()) if isinstance(users, dict) else list(users)
    physicians = [u for u in people if PHYSICIAN in roles_of(u)]
    staff = [u for u in people if STAFF in roles_of(u)] or physicians
    return physicians, staff


def _measures(rng: random.Random, followup: FollowUp) -> dict:
    pain_change, energy_change, pgic = TRAJECTORY.get(followup.kind, (-2, 1, 3))
    baseline_pain = followup.treatment.baseline_pain if followup.treatment.baseline_pain is not None else 7
    baseline_energy = (
        followup.treatment.baseline_energy if followup.treatment.baseline_energy is not None else 4
    )
    flare_up = followup.kind == StepKind.EARLY_CHECK and rng.random() < 0.25
    return {
        "pain": max(
            0, min(10, baseline_pain + pain_change + rng.choice([-1, 0, 0, 1]) + (2 if flare_up else 0))
        ),
        "energy": max(
            0, min(10, baseline_energy + energy_change + rng.choice([-1, 0, 1]) - (1 if flare_up else 0))
        ),
        "global_impression": max(1, min(7, pgic + rng.choice([-1, 0, 0, 1]) + (1 if flare_up else 0))),
        "flare_up": flare_up,
        "new_side_effects": False,
    }


def _complete(rng, followup: FollowUp, user, today: dt.date) -> None:
    latest = min(followup.window_end, today - dt.timedelta(days=1))
    day = min(followup.due_on + dt.timedelta(days=rng.randint(-1, 2)), latest)
    day = max(day, followup.window_start)
    data = {"contact": rng.choice(["call", "call", "visit"]), **_measures(rng, followup)}
    if followup.is_assessment:
        data["contact"] = "visit"
        data["decision"] = rng.choices([d for d, _ in DECISIONS], weights=[w for _, w in DECISIONS])[0]
        if data["decision"] == Decision.HOME_CARE:
            data["home_care_protocol"] = rng.choice(HOME_CARE)
        data["notes"] = "Progress reviewed with the patient; plan explained."
    followup_complete(followup=followup, user=user, data=data, completed_at=_at(day, rng.randint(9, 17)))


def seed_followup_activity(*, users, today: dt.date | None = None) -> dict[str, int]:
    """Work the follow-ups of signed treatments as a clinic would have: past ones mostly completed
    (pain falling, energy and impression improving, some flare-ups at weeks 6-8, decisions at the
    3-month assessment), some missed after attempts, a few cancelled, some left overdue; current
    ones with attempts under way and a couple rescheduled. Returns counts by what was done."""
    today = today or timezone.localdate()
    physicians, staff = _users(users)
    done = {"completed": 0, "missed": 0, "cancelled": 0, "rescheduled": 0, "attempts": 0}
    if not staff:
        return done
    followups = list(
        FollowUp.objects.open()
        .filter(treatment__status=TreatmentStatus.SIGNED, window_start__lt=today)
        .select_related("patient", "treatment", "step")
        .order_by("due_on", "id")
    )
    for followup in followups:
        # Seeded by what the follow-up is (not its id): a re-run, or another database, takes the
        # same decision, so a second run adds nothing.
        seed = f"{followup.patient.mrn}/{followup.treatment.performed_at:%Y%m%d%H%M}/{followup.kind}"
        rng = random.Random(seed)  # noqa: S311 (demo data)
        worker = rng.choice(physicians if followup.is_assessment and physicians else staff)
        roll = rng.random()
        if followup.window_end >= today:
            # In its window now: some are being chased, one in five is moved within the window.
            if roll < 0.3:
                if not followup.attempts.exists():
                    followup_record_attempt(
                        followup=followup,
                        user=worker,
                        contact="call",
                        outcome=rng.choice(["no_answer", "left_message"]),
                        at=min(_at(today, 8), timezone.now()),
                    )
                    done["attempts"] += 1
            elif roll < 0.5 and not followup.status_reason:
                new_due = max(today, followup.due_on + dt.timedelta(days=1))
                if new_due <= followup.window_end:
                    followup_reschedule(
                        followup=followup, user=worker, new_due=new_due, reason=rng.choice(RESCHEDULE_REASONS)
                    )
                    done["rescheduled"] += 1
            continue
        if followup.step.optional and roll < 0.15:
            followup_cancel(followup=followup, user=worker, reason=rng.choice(CANCEL_REASONS))
            done["cancelled"] += 1
        elif roll < 0.76:
            _complete(rng, followup, worker, today)
            done["completed"] += 1
        elif roll < 0.88:
            tries = rng.randint(1, 3)
            for number in range(tries):
                day = min(followup.window_start + dt.timedelta(days=number), today - dt.timedelta(days=1))
                followup_record_attempt(
                    followup=followup,
                    user=worker,
                    contact="visit" if followup.kind == StepKind.EARLY_CHECK else "call",
                    outcome="no_show" if followup.kind == StepKind.EARLY_CHECK else "no_answer",
                    at=_at(day, 9 + number),
                    mark_missed=number == tries - 1,
                )
            done["attempts"] += tries
            done["missed"] += 1
        # The rest stay open: overdue on the worklist, as in any real clinic.
    return done


# (key, [(term, other text, grade, onset rule, days from onset to resolution or None while ongoing,
# extra fields)]). With three days expected, 2 days to resolution is not flagged, 3 or more is.
# Onset rule: ("after", n) n days after the treatment, or ("ago", n) n days before today. Reports
# in one group happen to the same patient after the same treatment.
REPORT_GROUPS = [
    ("post-infusion", [("fever", "", 1, ("after", 0), 1, {}), ("headache", "", 1, ("after", 0), 1, {})]),
    ("gastro", [("nausea", "", 1, ("after", 0), 4, {}), ("vomiting", "", 2, ("after", 1), 1, {})]),
    (
        "reprogramming",
        [
            ("flu_like", "", 2, ("ago", 9), 2, {}),
            ("fatigue", "", 2, ("ago", 6), None, {"outcome": "not_resolved"}),
        ],
    ),
    (
        "flare",
        [
            ("flare_up", "", 2, ("after", 45), 7, {"review": True}),
            ("injection_site", "", 1, ("after", 0), 2, {}),
        ],
    ),
    (
        "recent",
        [
            ("other", "Dizziness", 1, ("after", 0), 1, {}),
            ("headache", "", 1, ("ago", 1), None, {"outcome": "recovering"}),
        ],
    ),
    ("hospital", [("fever", "", 3, ("after", 1), 4, {"serious_hospitalization": True, "review": True})]),
    (
        "anaphylaxis",
        [
            (
                "other",
                "Allergic reaction (anaphylaxis)",
                4,
                ("after", 0),
                2,
                {
                    "serious_life_threatening": True,
                    "serious_hospitalization": True,
                    "action_taken": "Epinephrine IM; observed in the emergency department overnight.",
                },
            )
        ],
    ),
    (
        "fatal",
        [
            (
                "other",
                "Sudden cardiac death",
                5,
                ("after", 9),
                0,
                {
                    "outcome": "fatal",
                    "serious_death": True,
                    "causality": "unlikely",
                    "review": True,
                    "action_taken": "Reported to the manufacturer and the competent authority.",
                    "narrative": (
                        "Patient with known coronary artery disease collapsed at home nine days after an "
                        "IV infusion; resuscitation unsuccessful. No symptoms reported at the day-2 call. "
                        "Autopsy report requested; causality assessed as unlikely pending the report."
                    ),
                },
            )
        ],
    ),
]
MILD_EXTRAS = [("fever", 1, 1), ("headache", 1, 1), ("nausea", 1, 1), ("fatigue", 1, 2), ("headache", 2, 1)]
# The clinic tells patients "less than 10%"; the demo stays near that once there are enough patients.
DEMO_SHARE = 0.07


def _onset(rule, treated_on: dt.date, today: dt.date) -> dt.date:
    kind, days = rule
    return treated_on + dt.timedelta(days=days) if kind == "after" else today - dt.timedelta(days=days)


def _fits(group, treated_on: dt.date, today: dt.date) -> bool:
    for _term, _other, _grade, rule, lasting, _extra in group:
        onset = _onset(rule, treated_on, today)
        if onset < treated_on or onset + dt.timedelta(days=lasting or 0) > today:
            return False
    return True


def seed_side_effects(*, users, today: dt.date | None = None) -> dict[str, int]:
    """Side-effect reports of every grade (exactly one grade 5) and every term, some ongoing past
    the expected three days (so the review queue has them), some serious, some already reviewed.
    Does nothing when demo reports exist already. Returns counts."""
    today = today or timezone.localdate()
    physicians, staff = _users(users)
    if not physicians or SideEffectReport.objects.filter(patient__mrn__startswith="DEMO-").exists():
        return {"reports": 0, "patients": 0, "reviewed": 0}
    rng = random.Random(2026)  # noqa: S311 (demo data)
    treatments = list(
        Treatment.objects.signed()
        .filter(patient__mrn__startswith="DEMO-", patient__voided_at__isnull=True)
        .select_related("patient")
        .order_by("-performed_at", "id")
    )
    used_patients: set[int] = set()
    created = reviewed = 0
    groups = list(REPORT_GROUPS)
    extra = max(0, round(DEMO_SHARE * len({t.patient_id for t in treatments})) - len(groups))
    groups += [("mild", [(t, "", g, ("after", 0), d, {})]) for t, g, d in rng.choices(MILD_EXTRAS, k=extra)]
    for key, group in groups:
        candidates = [
            t
            for t in treatments
            if t.patient_id not in used_patients and _fits(group, t.treatment_date, today)
        ]
        if not candidates:
            continue
        # Ongoing and recent groups take the latest treatment that fits; the rest any of them.
        treatment = candidates[0] if key in ("reprogramming", "recent") else rng.choice(candidates)
        used_patients.add(treatment.patient_id)
        for term, other, grade, rule, lasting, extras in group:
            extras = dict(extras)
            needs_review = extras.pop("review", False)
            onset = _onset(rule, treatment.treatment_date, today)
            data = {
                "term": term,
                "term_other": other,
                "grade": grade,
                "onset": onset,
                "resolved_on": None if lasting is None else onset + dt.timedelta(days=lasting),
                "outcome": "resolved",
                "causality": "possible" if grade < 3 else "probable",
                "narrative": f"Reported by the patient at the follow-up call ({term.replace('_', ' ')}).",
                **extras,
            }
            report = side_effect_report(
                patient=treatment.patient, treatment=treatment, user=rng.choice(staff), data=data
            )
            created += 1
            if needs_review:
                side_effect_review(
                    report=report,
                    user=rng.choice(physicians),
                    assessment="Reviewed with the patient's history and the treating physician's notes.",
                    action="Documented; patient informed."
                    if grade < 5
                    else "Authority and manufacturer notified.",
                )
                reviewed += 1
            if grade == 5:
                for followup in FollowUp.objects.open().filter(patient=treatment.patient):
                    followup_cancel(followup=followup, user=rng.choice(physicians), reason="Patient deceased")
    return {"reports": created, "patients": len(used_patients), "reviewed": reviewed}
