"""Demo follow-up activity: what the clinic did with each follow-up of a signed demo treatment, so
that the worklist looks like a real week. Idempotent: a second run changes nothing.

``plan_work`` decides, from what a follow-up is (not its id), what was done with it; the story's
follow-ups get that work through the services (``seed_followup_activity``), the bulk patients' get
the same decisions written straight into the new rows (``treatments.demo.bulk_followups``).
"""

import datetime as dt
import random
from dataclasses import dataclass, field

from django.utils import timezone

from clinic.roles import PHYSICIAN, STAFF, roles_of
from treatments.models import Decision, FollowUp, StepKind, TreatmentStatus
from treatments.services.followup_actions import (
    followup_cancel,
    followup_complete,
    followup_record_attempt,
    followup_reschedule,
)

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
COMPLETE, MISS, CANCEL, ATTEMPT, RESCHEDULE = "complete", "miss", "cancel", "attempt", "reschedule"


@dataclass
class Work:
    """What was done with one follow-up: ``action`` is one of the constants above, or "" (left
    open: not due yet, or overdue on the worklist as in any real clinic)."""

    action: str
    worker: object
    data: dict = field(default_factory=dict)
    completed_at: dt.datetime | None = None
    # (at, contact, outcome) of each contact attempt, in order; a missed follow-up's last one marks it.
    attempts: list = field(default_factory=list)
    new_due: dt.date | None = None
    reason: str = ""


def _at(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 15)))


def demo_workers(users) -> tuple[list, list]:
    """(physicians, staff) among the demo users; staff falls back to the physicians."""
    people = list(users.values()) if isinstance(users, dict) else list(users)
    physicians = [u for u in people if PHYSICIAN in roles_of(u)]
    staff = [u for u in people if STAFF in roles_of(u)] or physicians
    return physicians, staff


def _measures(rng, followup: FollowUp, treatment) -> dict:
    pain_change, energy_change, pgic = TRAJECTORY.get(followup.kind, (-2, 1, 3))
    baseline_pain = treatment.baseline_pain if treatment.baseline_pain is not None else 7
    baseline_energy = treatment.baseline_energy if treatment.baseline_energy is not None else 4
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


def _completion(rng, followup: FollowUp, treatment, today: dt.date) -> tuple[dict, dt.datetime]:
    latest = min(followup.window_end, today - dt.timedelta(days=1))
    day = min(followup.due_on + dt.timedelta(days=rng.randint(-1, 2)), latest)
    day = max(day, followup.window_start)
    data = {"contact": rng.choice(["call", "call", "visit"]), **_measures(rng, followup, treatment)}
    if followup.is_assessment:
        data["contact"] = "visit"
        data["decision"] = rng.choices([d for d, _ in DECISIONS], weights=[w for _, w in DECISIONS])[0]
        if data["decision"] == Decision.HOME_CARE:
            data["home_care_protocol"] = rng.choice(HOME_CARE)
        data["notes"] = "Progress reviewed with the patient; plan explained."
    return data, _at(day, rng.randint(9, 17))


def plan_work(
    followup: FollowUp, *, treatment, mrn: str, physicians, staff, today: dt.date, now: dt.datetime
) -> Work:
    """Past ones mostly completed (pain falling, energy and impression improving, some flare-ups at
    weeks 6-8, decisions at the 3-month assessment, by a physician), some missed after attempts, a
    few optional ones cancelled, some left overdue; ones in their window now being chased, or moved
    within it. Seeded by the patient's record number, the treatment's time and the step kind, so a
    rerun, or another database, decides the same."""
    seed = f"{mrn}/{treatment.performed_at.astimezone(dt.UTC):%Y%m%d%H%M}/{followup.kind}"
    rng = random.Random(seed)  # noqa: S311 (demo data)
    worker = rng.choice(physicians if followup.is_assessment and physicians else staff)
    roll = rng.random()
    if followup.window_start >= today:
        return Work("", worker)
    if followup.window_end >= today:
        if roll < 0.3:
            at = min(_at(today, 8), now)
            return Work(ATTEMPT, worker, attempts=[(at, "call", rng.choice(["no_answer", "left_message"]))])
        new_due = max(today, followup.due_on + dt.timedelta(days=1))
        if roll < 0.5 and new_due <= followup.window_end:
            return Work(RESCHEDULE, worker, new_due=new_due, reason=rng.choice(RESCHEDULE_REASONS))
        return Work("", worker)
    if followup.step.optional and roll < 0.15:
        return Work(CANCEL, worker, reason=rng.choice(CANCEL_REASONS))
    if roll < 0.76:
        data, completed_at = _completion(rng, followup, treatment, today)
        return Work(COMPLETE, worker, data=data, completed_at=completed_at)
    if roll < 0.88:
        early = followup.kind == StepKind.EARLY_CHECK
        attempts = []
        for number in range(rng.randint(1, 3)):
            day = min(followup.window_start + dt.timedelta(days=number), today - dt.timedelta(days=1))
            attempts.append(
                (_at(day, 9 + number), "visit" if early else "call", "no_show" if early else "no_answer")
            )
        return Work(MISS, worker, attempts=attempts)
    return Work("", worker)


def _through_services(work: Work, followup: FollowUp, done: dict) -> None:
    user = work.worker
    if work.action == ATTEMPT and not followup.attempts.exists():
        (at, contact, outcome) = work.attempts[0]
        followup_record_attempt(followup=followup, user=user, contact=contact, outcome=outcome, at=at)
        done["attempts"] += 1
    elif work.action == RESCHEDULE and not followup.status_reason:
        followup_reschedule(followup=followup, user=user, new_due=work.new_due, reason=work.reason)
        done["rescheduled"] += 1
    elif work.action == CANCEL:
        followup_cancel(followup=followup, user=user, reason=work.reason)
        done["cancelled"] += 1
    elif work.action == COMPLETE:
        followup_complete(followup=followup, user=user, data=work.data, completed_at=work.completed_at)
        done["completed"] += 1
    elif work.action == MISS:
        last = len(work.attempts) - 1
        for number, (at, contact, outcome) in enumerate(work.attempts):
            followup_record_attempt(
                followup=followup,
                user=user,
                contact=contact,
                outcome=outcome,
                at=at,
                mark_missed=number == last,
            )
        done["attempts"] += len(work.attempts)
        done["missed"] += 1


def seed_followup_activity(*, users, today: dt.date | None = None, patients=None, progress=None) -> dict:
    """Work the open follow-ups of signed treatments (of ``patients``, a queryset, or everyone's)
    through the follow-up services, as ``plan_work`` decides. Returns counts by what was done."""
    today = today or timezone.localdate()
    now = timezone.now()
    physicians, staff = demo_workers(users)
    done = {"completed": 0, "missed": 0, "cancelled": 0, "rescheduled": 0, "attempts": 0}
    if not staff:
        return done
    followups = (
        FollowUp.objects.open()
        .filter(treatment__status=TreatmentStatus.SIGNED, window_start__lt=today)
        .select_related("patient", "treatment", "step")
        .order_by("due_on", "id")
    )
    if patients is not None:
        followups = followups.filter(patient__in=patients)
    for followup in list(followups):
        work = plan_work(
            followup,
            treatment=followup.treatment,
            mrn=followup.patient.mrn,
            physicians=physicians,
            staff=staff,
            today=today,
            now=now,
        )
        _through_services(work, followup, done)
        if progress:
            progress(1)
    return done
