"""Patients and the indications the clinic treats."""

import datetime as dt
import re
import sys

from django.core.exceptions import ValidationError
from django.db import connections, models
from django.db.models.functions import Lower
from django.db.models.lookups import Exact, GreaterThanOrEqual, LessThan
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import get_format
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


# A phone number is searched by its significant digits: no punctuation, no leading zeros (the
# trunk prefix "0" or the international "00"). A term of fewer digits is not taken as a phone number.
PHONE_MIN_DIGITS = 7
# A number with a country code is found from the national form and back: the code is 1 to 3 digits.
COUNTRY_CODE_MAX_DIGITS = 3
_PHONE_TERM_RE = re.compile(r"^\+?[\d\s().\-/]*\d[\d\s().\-/]*$")
_DATE_LIKE_RE = re.compile(
    r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}$|^\d{1,2} [A-Za-z]+\.?,? \d{4}$|^[A-Za-z]+\.? \d{1,2},? \d{4}$"
)
_DAY_MONTH_YEAR_RE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")


def phone_key(phone: str) -> str:
    """The phone number's significant digits, reversed: "+44 20 7946 0000" and "020 7946 0000" end
    in the same digits, and a match on the end of a number is a match on the start of this key,
    which an index serves (patient_phone_key_idx)."""
    return "".join(ch for ch in phone or "" if ch.isascii() and ch.isdigit()).lstrip("0")[::-1]


def record_number(mrn: str) -> str:
    """The number a record number ends with, without leading zeros ("DEMO-000004" -> "4"), so that
    "000004" or "4" finds it without its prefix; "" when it ends with no digit."""
    match = re.search(r"(\d+)$", mrn or "")
    return match.group(1).lstrip("0") or "0" if match else ""


def _digit_range(prefix: str) -> tuple[str, str]:
    """The keys that start with ``prefix`` (digits) as a range [low, high) along the index: the
    prefix, up to the prefix with its last digit below 9 raised by one and the rest dropped."""
    stem = prefix.rstrip("9")
    if not stem:
        return prefix, ":"  # all nines: every longer key of digits sorts below ":"
    return prefix, stem[:-1] + str(int(stem[-1]) + 1)


def search_dates(term: str) -> list:
    """The dates of birth a term may mean: ISO, the clinic's date input formats (settings, through
    the active locale), and a day/month/year typed with slashes, dots or dashes read both ways
    (a search shows each patient's date of birth, so an ambiguous "03/04/1990" lists both days).
    Raises ValidationError for a term that looks like a date but is none ("1993-02-30")."""
    term = term.strip()
    if not _DATE_LIKE_RE.match(term):
        return []
    found = []
    for fmt in ["%Y-%m-%d", *get_format("DATE_INPUT_FORMATS")]:
        try:
            day = dt.datetime.strptime(term, fmt).date()  # noqa: DTZ007 (a calendar date, no time)
        except ValueError:
            continue
        if day not in found:
            found.append(day)
    parts = _DAY_MONTH_YEAR_RE.match(term)
    if parts:
        first, second, year = (int(part) for part in parts.groups())
        for day, month in ((first, second), (second, first)):
            try:
                date = dt.date(year, month, day)
            except ValueError:
                continue
            if date not in found:
                found.append(date)
    if not found:
        raise ValidationError(
            f"“{term}” is not a date. Search a date of birth as the list shows it (21 Nov 1993), as "
            "year-month-day (1993-11-21) or day/month/year (21/11/1993)."
        )
    return found


def _ascii_lower(text: str) -> str:
    # SQLite's lower() and LIKE fold ASCII letters only: fold the term the same way.
    return text.translate(str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz"))


class PatientQuerySet(ClinicalQuerySet):
    def search(self, term: str):
        """Match by the kind of term, each kind along its own index:

        - an e-mail address (has "@"): the whole address, ignoring case (patient_email_lower_idx);
        - a date of birth (search_dates; ValidationError when it is no date) (patient_dob_idx);
        - digits (and phone punctuation): the number a record number ends with, so "000004" or "4"
          finds DEMO-000004 (patient_mrn_number_idx), and with PHONE_MIN_DIGITS or more a phone
          number in any format: ending with the term's digits, or the term ending with the phone's
          after a country code (patient_phone_key_idx);
        - anything else: the start of a record number, a given or a family name, ignoring case.
        """
        term = (term or "").strip()
        if not term:
            return self
        if "@" in term:
            return self.filter(Exact(Lower("email"), term.lower()))
        dates = search_dates(term)
        if dates:
            return self.filter(date_of_birth__in=dates)
        if _PHONE_TERM_RE.match(term):
            digits = "".join(ch for ch in term if ch.isdigit())
            query = models.Q(mrn_number=digits.lstrip("0") or "0")
            key = phone_key(term)
            if len(key) >= PHONE_MIN_DIGITS:
                low, high = _digit_range(key)
                query |= models.Q(phone_key__gte=low, phone_key__lt=high)
                shorter = [key[:-cut] for cut in range(1, COUNTRY_CODE_MAX_DIGITS + 1)]
                query |= models.Q(phone_key__in=[part for part in shorter if len(part) >= PHONE_MIN_DIGITS])
            return self.filter(query)
        starts = self._starts_with
        query = starts("mrn", term) | starts("family_name", term) | starts("given_name", term)
        words = term.split()
        if len(words) >= 2:
            # "Ada Lovelace" or "Lovelace Ada"
            first, last = words[0], " ".join(words[1:])
            query |= starts("given_name", first) & starts("family_name", last)
            query |= starts("family_name", first) & starts("given_name", last)
        return self.filter(query)

    def _starts_with(self, field: str, text: str) -> models.Q:
        """``field`` starts with ``text``, ignoring case, as each database's index can serve it: on
        PostgreSQL ``UPPER(field) LIKE 'TEXT%'`` (the text_pattern_ops indexes of migration 0004);
        on SQLite, whose LIKE uses no index here, a range of ``lower(field)`` (the Lower() indexes)."""
        if connections[self.db].vendor != "sqlite" or ord(text[-1]) >= sys.maxunicode:
            return models.Q(**{f"{field}__istartswith": text})
        low = _ascii_lower(text)
        high = low[:-1] + chr(ord(low[-1]) + 1)
        return models.Q(GreaterThanOrEqual(Lower(field), low), LessThan(Lower(field), high))


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
    # Search keys kept by save() (set_search_keys) from the phone and the record number, so that a
    # phone in any format and a record number without its prefix are found along an index.
    phone_key = models.CharField(
        "phone search key", max_length=40, blank=True, editable=False, help_text="phone_key(phone)"
    )
    mrn_number = models.CharField(
        "record number's number", max_length=32, blank=True, editable=False, help_text="record_number(mrn)"
    )

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
            # Search by date of birth, and the list sorted by it.
            models.Index(fields=["date_of_birth", "id"], name="patient_dob_idx"),
            # Search by a whole e-mail address, ignoring case.
            models.Index(Lower("email"), name="patient_email_lower_idx"),
            # Search by a phone number in any format: a range of keys (see phone_key).
            models.Index(fields=["phone_key"], name="patient_phone_key_idx"),
            # SQLite's search by the start of a record number (PostgreSQL's: migration 0004).
            models.Index(Lower("mrn"), name="patient_mrn_lower_idx"),
            # Search by a record number without its prefix ("000004" for DEMO-000004).
            models.Index(fields=["mrn_number"], name="patient_mrn_number_idx"),
        ]
        constraints = ClinicalRecord.Meta.constraints + [
            models.CheckConstraint(condition=~models.Q(mrn=""), name="patient_mrn_not_blank"),
        ]

    def __str__(self):
        return f"{self.family_name}, {self.given_name} ({self.mrn})"

    def get_absolute_url(self):
        return reverse("patient_detail", args=[self.pk])

    def set_search_keys(self) -> None:
        """Derive the search keys from the phone and the record number (save() calls it; a bulk
        path that builds patients calls it itself)."""
        self.phone_key = phone_key(self.phone)
        self.mrn_number = record_number(self.mrn)

    def save(self, *args, **kwargs):
        self.set_search_keys()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"phone", "mrn"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "phone_key", "mrn_number"}
        super().save(*args, **kwargs)

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
