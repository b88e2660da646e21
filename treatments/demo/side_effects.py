"""Demo side-effect reports: the story's groups of every grade and term through the side-effect
services (some reviewed, exactly one grade 5), and mild reports for about 7% of the other patients
through the demo's fast path. Idempotent: a second run adds nothing."""

import datetime as dt
import random
from collections import defaultdict

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from treatments.demo.bulk import Protocols, bulk_insert, keyset
from treatments.demo.followups import demo_workers
from treatments.models import FollowUp, Patient, SideEffectReport, Treatment
from treatments.services.followup_actions import followup_cancel
from treatments.services.side_effects import side_effect_report, side_effect_review

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


def _demo_signed_treatments():
    return Treatment.objects.signed().filter(
        patient__mrn__startswith="DEMO-", patient__voided_at__isnull=True
    )


def seed_side_effects(*, users, today: dt.date | None = None) -> dict[str, int]:
    """The story's reports, through the services: every grade (exactly one grade 5) and every term,
    some ongoing past the expected three days (so the review queue has them), some serious, some
    already reviewed. Does nothing when demo reports exist already. Returns counts."""
    today = today or timezone.localdate()
    physicians, staff = demo_workers(users)
    if not physicians or SideEffectReport.objects.filter(patient__mrn__startswith="DEMO-").exists():
        return {"reports": 0, "patients": 0, "reviewed": 0}
    rng = random.Random(2026)  # noqa: S311 (demo data)
    # (pk, patient pk, treatment date), latest first: read once, whatever the number of groups.
    treated = [
        (pk, patient_id, timezone.localdate(performed_at))
        for pk, patient_id, performed_at in _demo_signed_treatments()
        .order_by("-performed_at", "id")
        .values_list("id", "patient_id", "performed_at")
    ]
    used_patients: set[int] = set()
    created = reviewed = 0
    for key, group in REPORT_GROUPS:
        fitting = (row for row in treated if row[1] not in used_patients and _fits(group, row[2], today))
        if key in ("reprogramming", "recent"):
            # Ongoing and recent groups take the latest treatment that fits; the rest any of them.
            chosen = next(fitting, None)
        else:
            candidates = list(fitting)
            chosen = rng.choice(candidates) if candidates else None
        if chosen is None:
            continue
        treatment = Treatment.objects.select_related("patient").get(pk=chosen[0])
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
                # An ongoing report (no resolution date) is never "resolved": the database refuses it.
                "outcome": "resolved" if lasting is not None else "not_resolved",
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


def mild_candidates():
    """Active demo patients with a signed treatment and no side-effect report yet."""
    return (
        Patient.objects.active()
        .filter(mrn__startswith="DEMO-")
        .filter(Exists(Treatment.objects.signed().filter(patient=OuterRef("pk"))))
        .exclude(Exists(SideEffectReport.objects.filter(patient=OuterRef("pk"))))
    )


def seed_mild_side_effects(*, users, today: dt.date | None = None, progress=None) -> int:
    """A mild report (grade 1-2, resolved within two days, so none needs review) for about
    ``DEMO_SHARE`` of the demo patients, on one of their signed treatments, through the fast path:
    the values ``side_effect_report`` would store (reporter, expected resolution date by the protocol
    in force on the treatment date). Each patient's draw is seeded by the record number; patients
    who already have a report are skipped. Returns how many were recorded."""
    today = today or timezone.localdate()
    _physicians, staff = demo_workers(users)
    if not staff:
        return 0
    protocols = Protocols()
    created = 0
    for rows in keyset(mild_candidates().values("id", "mrn")):
        now = timezone.now()
        chosen = {}
        for row in rows:
            rng = random.Random(f"side-effects/{row['mrn']}")  # noqa: S311 (demo data)
            if rng.random() < DEMO_SHARE:
                chosen[row["id"]] = rng
        treated = defaultdict(list)
        signed = Treatment.objects.signed().filter(patient_id__in=chosen).order_by("performed_at", "id")
        for pk, patient_id, performed_at in signed.values_list("id", "patient_id", "performed_at"):
            treated[patient_id].append((pk, timezone.localdate(performed_at)))
        reports = []
        for patient_id, rng in chosen.items():
            term, grade, lasting = rng.choice(MILD_EXTRAS)
            group = [(term, "", grade, ("after", 0), lasting, {})]
            options = [row for row in treated[patient_id] if _fits(group, row[1], today)]
            if not options:
                continue
            treatment_id, treated_on = rng.choice(options)
            expected = protocols.in_force_on(treated_on).expected_side_effect_days
            reporter = rng.choice(staff)
            reports.append(
                SideEffectReport(
                    patient_id=patient_id,
                    treatment_id=treatment_id,
                    reported_by=reporter,
                    reported_at=now,
                    created_by=reporter,
                    term=term,
                    onset=treated_on,
                    resolved_on=treated_on + dt.timedelta(days=lasting),
                    expected_resolution_by=treated_on + dt.timedelta(days=expected - 1),
                    grade=grade,
                    outcome="resolved",
                    causality="possible",
                    narrative=f"Reported by the patient at the follow-up call ({term.replace('_', ' ')}).",
                )
            )
        with transaction.atomic():
            created += len(bulk_insert(SideEffectReport, reports, user_of=lambda r: r.reported_by, when=now))
        if progress:
            progress(len(rows))
    return created
