"""Treatments (one visit each) and their administrations."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from clinic.formats import day as format_day
from clinic.models import ClinicalQuerySet, ClinicalRecord
from treatments.models.patients import Indication, Patient
from treatments.models.products import Lot


class CoursePosition(models.TextChoices):
    INITIAL = "initial", "Initial treatment"
    BOOSTER = "booster", "Booster"
    SECOND_ROUND = "second_round", "Second round"
    ESCALATION = "escalation", "Escalation step"


# Positions that open a new round; boosters and escalation steps belong to the current one.
ROUND_OPENERS = (CoursePosition.INITIAL, CoursePosition.SECOND_ROUND)


class TreatmentStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SIGNED = "signed", "Signed"
    AMENDED = "amended", "Amended (superseded)"
    VOIDED = "voided", "Voided"


# The treatments that count (for stock, rounds and the course): drafts and signed ones. Voided ones
# and originals superseded by a signed amendment do not. Read through ``Treatment.objects.current()``,
# ``Treatment.is_current`` and ``Administration.objects.counting_stock()``, never restated.
CURRENT_STATUSES = (TreatmentStatus.DRAFT, TreatmentStatus.SIGNED)


# Status changes a treatment may make; anything else (e.g. signed back to draft) is refused.
ALLOWED_TRANSITIONS = {
    TreatmentStatus.DRAFT: {TreatmentStatus.DRAFT, TreatmentStatus.SIGNED, TreatmentStatus.VOIDED},
    TreatmentStatus.SIGNED: {TreatmentStatus.SIGNED, TreatmentStatus.AMENDED, TreatmentStatus.VOIDED},
    TreatmentStatus.AMENDED: {TreatmentStatus.AMENDED},
    TreatmentStatus.VOIDED: {TreatmentStatus.VOIDED},
}
# Fields that may still change once a treatment is no longer a draft: its life-cycle (signing,
# superseding, voiding) and the round number, which is derived from the patient's whole history.
LIFECYCLE_FIELDS = {
    "status",
    "signed_at",
    "signed_by",
    "voided_at",
    "voided_by",
    "void_reason",
    "round_number",
    "version",
    "updated_at",
}


class ReadOnlyTreatment(ValidationError):
    """A signed, superseded or voided treatment was about to be changed in place."""


class TreatmentQuerySet(ClinicalQuerySet):
    def current(self):
        """Treatments that count: drafts and signed ones (not voided, not superseded)."""
        return self.filter(status__in=CURRENT_STATUSES)

    def signed(self):
        return self.filter(status=TreatmentStatus.SIGNED)


# A visit's own values: what the treatment form edits, an amendment copies and may change, and the
# printed record compares between versions (the patient and the administrations are handled apart).
VISIT_FIELDS = (
    "performed_at",
    "physician",
    "indication",
    "course_position",
    "focused_ultrasound",
    "regional_hyperthermia",
    "consent_confirmed",
    "anti_inflammatories_paused",
    "product_thawed_inspected",
    "baseline_pain",
    "baseline_energy",
    "notes",
)


class Treatment(ClinicalRecord):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="treatments")
    performed_at = models.DateTimeField("date and time")
    physician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="treatments_as_physician"
    )
    indication = models.ForeignKey(Indication, on_delete=models.PROTECT, related_name="+")
    course_position = models.CharField(
        "course position", max_length=20, choices=CoursePosition, default=CoursePosition.INITIAL
    )
    # Derived from the patient's history by the service (initial and second rounds open a round).
    round_number = models.PositiveSmallIntegerField("round", default=1, editable=False)
    focused_ultrasound = models.BooleanField("focused ultrasound", default=False)
    regional_hyperthermia = models.BooleanField("regional hyperthermia", default=False)
    consent_confirmed = models.BooleanField("consent on file", default=False)
    anti_inflammatories_paused = models.BooleanField("anti-inflammatory medication paused", default=False)
    product_thawed_inspected = models.BooleanField("product thawed and inspected", default=False)
    baseline_pain = models.PositiveSmallIntegerField(
        "baseline pain (0–10)", null=True, blank=True, validators=[MaxValueValidator(10)]
    )
    baseline_energy = models.PositiveSmallIntegerField(
        "baseline energy (0–10)", null=True, blank=True, validators=[MaxValueValidator(10)]
    )
    notes = models.TextField(blank=True)
    status = models.CharField(
        max_length=10, choices=TreatmentStatus, default=TreatmentStatus.DRAFT, editable=False
    )
    signed_at = models.DateTimeField(null=True, blank=True, editable=False)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    # An amendment is a new treatment that supersedes a signed one; the original stays as it was.
    amends = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, editable=False, related_name="amended_by"
    )
    amendment_reason = models.TextField("reason for amendment", blank=True, editable=False)

    history = HistoricalRecords()
    objects = TreatmentQuerySet.as_manager()

    class Meta:
        ordering = ["-performed_at", "-id"]
        verbose_name = "treatment"
        base_manager_name = "objects"  # Django internals use it too: keep bulk writes closed
        verbose_name_plural = "treatments"
        permissions = [
            ("sign_treatment", "Can sign a treatment"),
            ("void_treatment", "Can void a treatment"),
        ]
        constraints = ClinicalRecord.Meta.constraints + [
            # Signed (and superseded) treatments always say who signed and when.
            models.CheckConstraint(
                condition=Q(status__in=["draft", "voided"])
                | Q(signed_at__isnull=False, signed_by__isnull=False),
                name="treatment_signed_has_signer",
            ),
            models.CheckConstraint(
                condition=Q(status="voided", voided_at__isnull=False)
                | (~Q(status="voided") & Q(voided_at__isnull=True)),
                name="treatment_voided_status_matches",
            ),
            models.CheckConstraint(
                condition=Q(amends__isnull=True) | ~Q(amendment_reason=""),
                name="treatment_amendment_has_reason",
            ),
            models.CheckConstraint(condition=Q(baseline_pain__lte=10), name="treatment_baseline_pain_range"),
            models.CheckConstraint(
                condition=Q(baseline_energy__lte=10), name="treatment_baseline_energy_range"
            ),
        ]
        indexes = [
            # The patient page lists a patient's treatments newest first.
            models.Index(fields=["patient", "-performed_at"], name="treatment_patient_date_idx"),
            # The dashboard's and the side-effect figures' period queries: signed treatments
            # performed in a period (treatments_in_period: status IN signed, performed_at range).
            models.Index(fields=["status", "performed_at"], name="treatment_status_date_idx"),
            # The admin's list in the model's ordering (newest first, then the pk), read backwards,
            # and its performed-at date filter.
            models.Index(fields=["performed_at", "id"], name="treatment_performed_idx"),
            # A busy lot's recall page walks treatments in time order and stops after a page
            # (selectors.lots._recall_page_values); status rides along so the walk reads no row.
            models.Index(fields=["performed_at", "status"], name="treatment_time_idx"),
            # The period's treated patients (side_effect_figures.patient_share: distinct patients
            # of the signed treatments in a period), counted from the index alone.
            models.Index(fields=["status", "performed_at", "patient"], name="treatment_period_patient_idx"),
        ]

    def __str__(self):
        return f"{self.get_course_position_display()} on {format_day(self.performed_at)}"

    def get_absolute_url(self):
        return reverse("treatment_detail", args=[self.pk])

    @property
    def treatment_date(self):
        return timezone.localdate(self.performed_at)

    @property
    def is_current(self) -> bool:
        """This one treatment as ``Treatment.objects.current()`` judges it, for rows already loaded."""
        return self.status in CURRENT_STATUSES

    @property
    def is_editable(self) -> bool:
        return self.status == TreatmentStatus.DRAFT

    def missing_checklist_items(self) -> list[str]:
        labels = []
        for name in ("consent_confirmed", "anti_inflammatories_paused", "product_thawed_inspected"):
            if not getattr(self, name):
                labels.append(str(self._meta.get_field(name).verbose_name))
        return labels

    def clean(self):
        if self.performed_at and self.performed_at > timezone.now() + timezone.timedelta(minutes=5):
            raise ValidationError({"performed_at": "The treatment date and time cannot be in the future."})

    def save(self, *args, **kwargs):
        if not self._state.adding:
            self._refuse_change_of_a_closed_record()
        super().save(*args, **kwargs)

    def _refuse_change_of_a_closed_record(self):
        """The last line of defence behind the services: compare with the stored row, so that no
        code path (admin, shell, a future view) can edit a signed treatment in place."""
        fields = [f for f in self._meta.concrete_fields if not f.primary_key]
        stored = type(self)._base_manager.filter(pk=self.pk).values(*[f.attname for f in fields]).first()
        if stored is None:
            return
        old_status = stored["status"]
        if self.status not in ALLOWED_TRANSITIONS[old_status]:
            raise ReadOnlyTreatment(
                f"A {TreatmentStatus(old_status).label.lower()} treatment cannot become "
                f"{TreatmentStatus(self.status).label.lower()}."
            )
        if old_status == TreatmentStatus.DRAFT:
            return
        changed = [
            f.name
            for f in fields
            if f.name not in LIFECYCLE_FIELDS and getattr(self, f.attname) != stored[f.attname]
        ]
        if changed:
            raise ReadOnlyTreatment(
                f"This treatment is {TreatmentStatus(old_status).label.lower()} and read-only "
                f"({', '.join(changed)} would change). Changes need an amendment with a reason."
            )


class Route(models.TextChoices):
    TOPICAL = "topical", "Topical"
    LOCAL_INJECTION = "local_injection", "Local injection"
    IV_INJECTION = "iv_injection", "IV injection"
    IV_DRIP = "iv_drip", "IV drip"
    INTRANASAL = "intranasal", "Intranasal"
    INTRATHECAL = "intrathecal", "Intrathecal"
    INTRADISCAL = "intradiscal", "Intradiscal"


# Routes where the site must be named ("left knee", "L4-L5").
ROUTES_NEEDING_SITE = (Route.LOCAL_INJECTION, Route.INTRADISCAL)


class AdministrationQuerySet(ClinicalQuerySet):
    def counting_stock(self):
        """Administrations that count against their lot's stock: active, in a current treatment.
        The stock ledger, the stock check of a new dose and a recall list all read this set."""
        return self.active().filter(treatment__status__in=CURRENT_STATUSES)

    def from_lot(self, lot):
        """A recall's answer: who received this lot, when, and how much, oldest first."""
        return (
            self.counting_stock()
            .filter(lot=lot)
            .select_related("treatment__patient")
            .order_by("treatment__performed_at", "id")
        )


class Administration(ClinicalRecord):
    treatment = models.ForeignKey(Treatment, on_delete=models.PROTECT, related_name="administrations")
    route = models.CharField(max_length=20, choices=Route)
    site = models.CharField(max_length=120, blank=True, help_text='For example "left knee" or "L4-L5".')
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="administrations")
    dose_billion = models.DecimalField(
        "dose (billion exosomes)",
        max_digits=7,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    # dose / lot concentration, computed by the service; stored so the stock ledger can sum it.
    volume_ml = models.DecimalField("volume (ml)", max_digits=9, decimal_places=3, editable=False)
    whole_dose_given = models.BooleanField("whole dose given", default=True)
    not_given_reason = models.TextField("why not the whole dose", blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    history = HistoricalRecords()
    objects = AdministrationQuerySet.as_manager()

    class Meta:
        ordering = ["treatment", "order", "id"]
        verbose_name = "administration"
        base_manager_name = "objects"  # Django internals use it too: keep bulk writes closed
        verbose_name_plural = "administrations"
        constraints = ClinicalRecord.Meta.constraints + [
            models.CheckConstraint(condition=Q(dose_billion__gt=0), name="administration_dose_positive"),
            models.CheckConstraint(condition=Q(volume_ml__gt=0), name="administration_volume_positive"),
            models.CheckConstraint(
                condition=~Q(route__in=ROUTES_NEEDING_SITE) | ~Q(site=""),
                name="administration_site_when_needed",
            ),
            models.CheckConstraint(
                condition=Q(whole_dose_given=True) | ~Q(not_given_reason=""),
                name="administration_partial_has_reason",
            ),
        ]
        indexes = [
            # A recall lists every administration from one lot at once.
            models.Index(fields=["lot", "treatment"], name="administration_lot_idx"),
            # ...and that walk asks, per treatment, whether it used the lot (an index-only probe).
            models.Index(
                fields=["treatment", "lot"],
                condition=Q(voided_at__isnull=True),
                name="administration_used_lot_idx",
            ),
            # The side-effect figures by route and by lot (side_effect_figures._exposure_rows): a
            # period's treatments' active administrations, read from the index alone.
            models.Index(
                fields=["treatment", "voided_at", "route", "lot"], name="administration_figures_idx"
            ),
        ]

    def __str__(self):
        return f"{self.dose_billion} billion {self.get_route_display().lower()}"

    def clean(self):
        errors = {}
        if self.route in ROUTES_NEEDING_SITE and not (self.site or "").strip():
            errors["site"] = (
                f"Name the site for a {self.get_route_display().lower()} (e.g. “left knee”, “L4-L5”)."
            )
        if not self.whole_dose_given and not (self.not_given_reason or "").strip():
            errors["not_given_reason"] = "Say why the whole dose was not given."
        if self.dose_billion is not None and self.dose_billion <= 0:
            errors["dose_billion"] = "The dose must be more than 0 billion."
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        # Administrations belong to their treatment's draft: once it is signed (or superseded, or
        # voided) none is added, changed or removed. Checked against the stored treatment row.
        status = Treatment._base_manager.filter(pk=self.treatment_id).values_list("status", flat=True).first()
        if status is not None and status != TreatmentStatus.DRAFT:
            raise ReadOnlyTreatment(
                f"The treatment is {TreatmentStatus(status).label.lower()}: its administrations are "
                "read-only. Changes need an amendment with a reason."
            )
        super().save(*args, **kwargs)
