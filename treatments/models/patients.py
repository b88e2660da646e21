"""Patients and the indications the clinic treats."""

import re

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from clinic.models import ClinicalQuerySet, ClinicalRecord

# Common anti-inflammatory drugs (NSAIDs and corticosteroids) that the clinic asks patients to
# pause around a treatment; matched as whole words in the free-text medication list.
ANTI_INFLAMMATORY_NAMES = (
    "aspirin",
    "acetylsalicylic",
    "ibuprofen",
    "naproxen",
    "diclofenac",
    "celecoxib",
    "meloxicam",
    "indomethacin",
    "ketoprofen",
    "etoricoxib",
    "piroxicam",
    "nabumetone",
    "ketorolac",
    "prednisone",
    "prednisolone",
    "methylprednisolone",
    "dexamethasone",
    "hydrocortisone",
    "cortisone",
    "nsaid",
    "advil",
    "motrin",
    "aleve",
    "voltaren",
    "celebrex",
)
_ANTI_INFLAMMATORY_RE = re.compile(r"\b(" + "|".join(ANTI_INFLAMMATORY_NAMES) + r")s?\b", re.IGNORECASE)


def find_anti_inflammatories(text: str) -> list[str]:
    """The anti-inflammatory drug names mentioned in a medication list, lower-cased, in order."""
    seen = []
    for match in _ANTI_INFLAMMATORY_RE.finditer(text or ""):
        name = match.group(1).lower()
        if name not in seen:
            seen.append(name)
    return seen


class Indication(models.Model):
    """A condition the clinic treats (seeded by migration; the list is the clinic's, from the FAQ)."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100, unique=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = "indication"
        verbose_name_plural = "indications"

    def __str__(self):
        return self.name


class Sex(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    OTHER = "other", "Other"
    UNKNOWN = "unknown", "Unknown"


class PatientQuerySet(ClinicalQuerySet):
    def search(self, term: str):
        """Match a record number or the start of a given or family name (case-insensitive)."""
        term = (term or "").strip()
        if not term:
            return self
        query = models.Q(mrn__iexact=term)
        words = term.split()
        if len(words) >= 2:
            # "Ada Lovelace" or "Lovelace Ada"
            first, last = words[0], " ".join(words[1:])
            query |= models.Q(given_name__istartswith=first, family_name__istartswith=last)
            query |= models.Q(family_name__istartswith=first, given_name__istartswith=last)
        query |= models.Q(family_name__istartswith=term) | models.Q(given_name__istartswith=term)
        query |= models.Q(mrn__istartswith=term)
        return self.filter(query)


class Patient(ClinicalRecord):
    mrn = models.CharField(
        "medical record number",
        max_length=32,
        unique=True,
        help_text="The clinic's record number; unique per patient.",
        error_messages={"unique": "Another patient already has this medical record number."},
    )
    given_name = models.CharField("given name", max_length=100)
    family_name = models.CharField("family name", max_length=100)
    date_of_birth = models.DateField("date of birth")
    sex = models.CharField(max_length=10, choices=Sex, default=Sex.UNKNOWN)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    address = models.TextField(blank=True)
    indications = models.ManyToManyField(Indication, blank=True, related_name="patients")
    consent_on_file = models.DateField(
        "consent signed on",
        null=True,
        blank=True,
        help_text="Date of the signed treatment consent; empty if none is on file.",
    )
    allergies = models.TextField(blank=True)
    current_medication = models.TextField("current medication", blank=True)
    takes_anti_inflammatories = models.BooleanField(
        "takes anti-inflammatory medication",
        default=False,
        help_text="Set automatically when the medication list names one; must be paused before treatment.",
    )
    notes = models.TextField(blank=True)

    history = HistoricalRecords(m2m_fields=[indications])
    objects = PatientQuerySet.as_manager()

    class Meta:
        ordering = ["family_name", "given_name", "id"]
        verbose_name = "patient"
        base_manager_name = "objects"  # Django internals use it too: keep bulk writes closed
        verbose_name_plural = "patients"
        permissions = [
            ("void_patient", "Can void a patient record"),
            ("view_history", "Can see the audit history of clinical records"),
        ]
        indexes = [
            # Name search matches the start of a family or given name, case-insensitively.
            models.Index(Lower("family_name"), Lower("given_name"), name="patient_family_lower_idx"),
            models.Index(Lower("given_name"), name="patient_given_lower_idx"),
            # The registry lists active patients sorted by name.
            models.Index(fields=["voided_at", "family_name", "given_name"], name="patient_active_name_idx"),
            # The admin's list in the model's ordering (name, then the pk): its first page without
            # a sort of every patient.
            models.Index(fields=["family_name", "given_name", "id"], name="patient_name_order_idx"),
        ]
        constraints = ClinicalRecord.Meta.constraints + [
            models.CheckConstraint(condition=~models.Q(mrn=""), name="patient_mrn_not_blank"),
        ]

    def __str__(self):
        return f"{self.family_name}, {self.given_name} ({self.mrn})"

    def get_absolute_url(self):
        return reverse("patient_detail", args=[self.pk])

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def age(self) -> int:
        today = timezone.localdate()
        dob = self.date_of_birth
        return today.year - dob.year - ((today.month, today.day) < (dob.month, dob.day))

    def anti_inflammatories_mentioned(self) -> list[str]:
        return find_anti_inflammatories(self.current_medication)

    def clean(self):
        errors = {}
        self.mrn = (self.mrn or "").strip()
        if self.date_of_birth and self.date_of_birth > timezone.localdate():
            errors["date_of_birth"] = "Date of birth cannot be in the future."
        if self.date_of_birth and self.date_of_birth.year < 1900:
            errors["date_of_birth"] = "Date of birth must be in 1900 or later."
        if self.consent_on_file and self.consent_on_file > timezone.localdate():
            errors["consent_on_file"] = "The consent date cannot be in the future."
        if errors:
            raise ValidationError(errors)
        if self.anti_inflammatories_mentioned():
            self.takes_anti_inflammatories = True
