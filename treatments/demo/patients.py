"""Demo patients with varied indications, bulk-created with their history rows."""

import random
from datetime import timedelta

from django.utils import timezone
from faker import Faker

from treatments.demo.bulk import BATCH, bulk_insert, indexes_set_aside
from treatments.models import Indication, Patient

MEDICATIONS = [
    "",
    "",
    "Metformin 500 mg twice daily",
    "Levothyroxine 50 µg",
    "Ibuprofen 400 mg as needed",
    "Atorvastatin 20 mg",
    "Naproxen 250 mg for knee pain",
    "Lisinopril 10 mg",
    "Vitamin D 1000 IU",
]
ALLERGIES = ["", "", "", "Penicillin", "Latex", "Shellfish", "Sulfonamides"]
POOL = 150


def demo_mrn(number: int) -> str:
    return f"DEMO-{number:06d}"


def seed_patients(count: int, *, user, progress=None) -> int:
    """Create demo patients DEMO-000001 .. up to ``count``; existing ones are kept. Returns how many
    were created. Each batch of numbers draws from its own seed, so a batch whose patients all exist
    is skipped without drawing (a rerun costs one query) and a larger count only adds new ones."""
    fake = Faker()
    indications = list(Indication.objects.all())
    existing = set(Patient.objects.filter(mrn__startswith="DEMO-").values_list("mrn", flat=True))
    today = timezone.localdate()
    created = 0
    with indexes_set_aside((Patient, Patient.history.model), rows=count - len(existing)):
        for start in range(1, count + 1, BATCH):
            numbers = range(start, min(start + BATCH, count + 1))
            if not all(demo_mrn(number) in existing for number in numbers):
                created += _create_batch(
                    start,
                    numbers,
                    fake=fake,
                    indications=indications,
                    existing=existing,
                    today=today,
                    user=user,
                )
            if progress:
                progress(len(numbers))
    return created


def _create_batch(start: int, numbers, *, fake, indications, existing, today, user) -> int:
    through = Patient.indications.through
    fake.seed_instance(2026 + start)
    rng = random.Random(f"patients/{start}")  # noqa: S311 (repeatable demo data, not security)
    # Name and address pools drawn once per batch and combined per patient: Faker costs about
    # 0.2 ms a call, four calls a patient were a third of a 100,000-patient seed.
    pools = {
        "female": [fake.first_name_female() for _ in range(POOL)],
        "male": [fake.first_name_male() for _ in range(POOL)],
        "family": [fake.last_name() for _ in range(POOL * 2)],
        "street": [fake.street_name() for _ in range(POOL)],
        "city": [fake.city() for _ in range(POOL // 2)],
    }
    batch, picks = [], []
    for number in numbers:
        sex = rng.choice(["female", "male"])
        given = rng.choice(pools[sex])
        family = rng.choice(pools["family"])
        mrn = demo_mrn(number)
        medication = rng.choice(MEDICATIONS)
        patient = Patient(
            mrn=mrn,
            given_name=given,
            family_name=family,
            date_of_birth=today - timedelta(days=rng.randint(25 * 365, 82 * 365)),
            sex=sex,
            phone=f"+1 555 {rng.randint(100, 999)} {rng.randint(1000, 9999)}",
            email=f"{given}.{family}@example.com".lower().replace(" ", ""),
            address=f"{rng.randint(1, 250)} {rng.choice(pools['street'])}\n{rng.choice(pools['city'])}",
            consent_on_file=today - timedelta(days=rng.randint(0, 400)) if rng.random() < 0.9 else None,
            allergies=rng.choice(ALLERGIES),
            current_medication=medication,
            created_by=user,
        )
        patient.takes_anti_inflammatories = bool(patient.anti_inflammatories_mentioned())
        patient.set_search_keys()
        chosen = rng.sample(indications, k=rng.choice([1, 1, 1, 2]))
        if mrn not in existing:
            batch.append(patient)
            picks.append(chosen)
    saved = bulk_insert(Patient, batch, user_of=lambda _patient: user)
    through.objects.bulk_create(
        [
            through(patient_id=patient.pk, indication_id=indication.pk)
            for patient, chosen in zip(saved, picks, strict=True)
            for indication in chosen
        ],
        batch_size=BATCH,
    )
    return len(batch)
