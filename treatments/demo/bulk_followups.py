"""The fast path for the demo's follow-ups: each signed demo treatment without follow-ups (the fast
path's own) gets the schedule signing would have made (``followups_plan``, the protocol in force on
its date), each follow-up already worked as ``plan_work`` decides (completed with its measures,
missed after its attempts, cancelled, rescheduled, being chased), written in bulk with history.
"""

import datetime as dt

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from treatments.demo.bulk import Protocols, bulk_insert, indexes_set_aside, keyset
from treatments.demo.followups import (
    ATTEMPT,
    CANCEL,
    COMPLETE,
    MISS,
    RESCHEDULE,
    demo_workers,
    plan_work,
)
from treatments.models import FollowUp, FollowUpAttempt, FollowUpStatus, Treatment
from treatments.services.followups import followups_plan

# Treatments per batch: about five follow-ups each.
TREATMENTS_PER_BATCH = 1000
# The tables the phase loads, and the index its own query needs (``unscheduled_treatments``' NOT
# EXISTS per batch) kept through a load that sets the others aside.
LOADED = (FollowUp, FollowUp.history.model, FollowUpAttempt, FollowUpAttempt.history.model)
KEPT_INDEXES = frozenset({(FollowUp._meta.db_table, "treatment_id")})


def unscheduled_treatments():
    """Signed demo treatments without follow-ups: the fast path's, not scheduled yet."""
    return (
        Treatment.objects.signed()
        .filter(patient__mrn__startswith="DEMO-")
        .exclude(Exists(FollowUp.objects.filter(treatment=OuterRef("pk"))))
    )


def apply_work(work, followup: FollowUp) -> list[FollowUpAttempt]:
    """Write ``work`` into a new follow-up's fields as the follow-up services would leave them;
    returns its contact attempts (saved once the follow-up has its pk)."""
    followup.demo_user = work.worker if work.action else followup.created_by
    attempts = [
        FollowUpAttempt(followup=followup, at=at, by=work.worker, contact=contact, outcome=outcome)
        for at, contact, outcome in work.attempts
    ]
    if work.action == COMPLETE:
        for name, value in work.data.items():
            setattr(followup, name, value)
        followup.status = FollowUpStatus.COMPLETED
        followup.completed_at = work.completed_at
        followup.completed_by = work.worker
    elif work.action == MISS:
        followup.status = FollowUpStatus.MISSED
    elif work.action == CANCEL:
        followup.status = FollowUpStatus.CANCELLED
        followup.status_reason = work.reason
    elif work.action == RESCHEDULE:
        followup.due_on = work.new_due
        followup.status_reason = work.reason
    elif work.action not in (ATTEMPT, ""):
        raise ValueError(f"Unknown follow-up work: {work.action}")
    return attempts


def seed_bulk_followups(*, users, today: dt.date | None = None, progress=None) -> dict[str, int]:
    """Schedule and work the follow-ups of the fast path's treatments; returns counts by outcome."""
    today = today or timezone.localdate()
    physicians, staff = demo_workers(users)
    protocols = Protocols()
    signers = User.objects.in_bulk(list(users_ids(users)))
    done = {"scheduled": 0, "completed": 0, "missed": 0, "cancelled": 0, "rescheduled": 0, "attempts": 0}
    rows_query = unscheduled_treatments().values(
        "id",
        "patient_id",
        "physician_id",
        "performed_at",
        "baseline_pain",
        "baseline_energy",
        "signed_by_id",
        "patient__mrn",
    )
    pending = unscheduled_treatments().count() * max((len(s) for s in protocols.steps.values()), default=0)
    with indexes_set_aside(LOADED, rows=pending, keep=KEPT_INDEXES):
        _load(
            rows_query,
            protocols=protocols,
            signers=signers,
            workers=(physicians, staff),
            today=today,
            done=done,
            progress=progress,
        )
    return done


def _load(rows_query, *, protocols, signers, workers, today, done, progress) -> None:
    physicians, staff = workers
    for rows in keyset(rows_query, size=TREATMENTS_PER_BATCH):
        now = timezone.now()
        followups, attempts = [], []
        for row in rows:
            treatment = Treatment(
                id=row["id"],
                patient_id=row["patient_id"],
                physician_id=row["physician_id"],
                performed_at=row["performed_at"],
                baseline_pain=row["baseline_pain"],
                baseline_energy=row["baseline_energy"],
            )
            signer = signers.get(row["signed_by_id"]) or User.objects.get(pk=row["signed_by_id"])
            signers[signer.pk] = signer
            steps = protocols.steps[protocols.in_force_on(treatment.treatment_date).pk]
            for followup in followups_plan(treatment=treatment, steps=steps, user=signer):
                followup.created_at = now
                work = plan_work(
                    followup,
                    treatment=treatment,
                    mrn=row["patient__mrn"],
                    physicians=physicians,
                    staff=staff,
                    today=today,
                    now=now,
                )
                attempts += apply_work(work, followup)
                followups.append(followup)
        with transaction.atomic():
            bulk_insert(FollowUp, followups, user_of=lambda f: f.demo_user, when=now)
            for attempt in attempts:
                attempt.followup_id = attempt.followup.pk
            bulk_insert(FollowUpAttempt, attempts, user_of=lambda a: a.by, when=now)
        done["scheduled"] += len(followups)
        done["attempts"] += len(attempts)
        for followup in followups:
            if followup.status != FollowUpStatus.SCHEDULED:
                done[followup.status] += 1
            elif followup.status_reason:
                done["rescheduled"] += 1
        if progress:
            progress(len(rows))


def users_ids(users) -> set[int]:
    people = users.values() if isinstance(users, dict) else users
    return {user.pk for user in people}
