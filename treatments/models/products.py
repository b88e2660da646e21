"""Products and their lots: what the clinic buys, its batches, and stock (and how many administrations
and patients each lot served) kept as running balances."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from clinic.formats import day as format_day
from clinic.models import ClinicalQuerySet, ClinicalRecord


class ProductSource(models.TextChoices):
    PLACENTAL_MSC = "placental_msc", "Placental mesenchymal stem cells"
    OTHER_MSC = "other_msc", "Other mesenchymal stem cells"
    OTHER = "other", "Other"


class ProductKind(models.TextChoices):
    STANDARD = "standard", "Standard"
    INDIVIDUALIZED = "individualized", "Individualized (with the patient's own markers)"


class StorageRequirement(models.TextChoices):
    FROZEN = "frozen", "Frozen"
    REFRIGERATED = "refrigerated", "Refrigerated (2–8 °C)"


class Product(ClinicalRecord):
    name = models.CharField(max_length=120, unique=True)
    manufacturer = models.CharField("lab / manufacturer", max_length=120)
    source = models.CharField(max_length=20, choices=ProductSource, default=ProductSource.PLACENTAL_MSC)
    kind = models.CharField(max_length=20, choices=ProductKind, default=ProductKind.STANDARD)
    storage_requirement = models.CharField(
        max_length=20, choices=StorageRequirement, default=StorageRequirement.FROZEN
    )
    notes = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = "product"
        base_manager_name = "objects"  # Django internals use it too: keep bulk writes closed
        verbose_name_plural = "products"
        constraints = ClinicalRecord.Meta.constraints

    def __str__(self):
        return self.name


class LotStatus(models.TextChoices):
    QUARANTINE = "quarantine", "Quarantine"
    RELEASED = "released", "Released"
    RECALLED = "recalled", "Recalled"
    DEPLETED = "depleted", "Depleted"
    DESTROYED = "destroyed", "Destroyed"


# Written only through ``LotQuerySet.adjust_balance``; ``Lot.save()`` leaves them as stored.
BALANCE_FIELDS = ["used_ml", "amending_ml", "administration_count", "patient_count"]


class LotQuerySet(ClinicalQuerySet):
    def with_stock(self):
        """Annotate ``administered_ml`` and ``stock_on_hand_ml`` (received minus what active treatments used).

        Read from the running balance the services keep on each lot (``Lot.used_ml``), which always
        equals what ``Administration.objects.counting_stock()`` uses from it: administrations of drafts
        and signed treatments; voided treatments and originals superseded by a signed amendment give
        their volume back. No subquery: a column of the lot row.
        """
        return self.annotate(administered_ml=models.F("used_ml")).annotate(
            stock_on_hand_ml=models.F("quantity_received_ml") - models.F("used_ml")
        )

    def adjust_balance(
        self, *, used_ml=Decimal("0"), amending_ml=Decimal("0"), administrations=0, patients=0
    ) -> None:
        """Add to the running balance of these lots, in the database (``F()``, one UPDATE).

        The one queryset write allowed on lots, and only for the balance columns: the treatment
        services call it for one lot at a time, holding its row lock, in the transaction that changes
        the administrations. ``administrations`` moves the count of counting administrations,
        ``patients`` the count of patients who hold at least one (``LotRecipient`` says when a
        patient's first one arrives or last one leaves). The balance is derived (its audit trail is
        the administrations' own history), so it neither bumps the lot's version nor writes a lot
        history row. The database's CheckConstraints refuse a balance that would run out or a count
        below zero.
        """
        values = {}
        if used_ml:
            values["used_ml"] = models.F("used_ml") + used_ml
        if amending_ml:
            values["amending_ml"] = models.F("amending_ml") + amending_ml
        if administrations:
            values["administration_count"] = models.F("administration_count") + administrations
        if patients:
            values["patient_count"] = models.F("patient_count") + patients
        if values:
            models.QuerySet.update(self, **values)

    def usable_on(self, day):
        """Lots that may be administered on ``day``: released, not expired."""
        return self.active().filter(status=LotStatus.RELEASED, expires_on__gte=day)


class Lot(ClinicalRecord):
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="lots")
    lot_number = models.CharField("lot number", max_length=60)
    manufacturer = models.CharField("lab / manufacturer", max_length=120, blank=True)
    received_on = models.DateField("received on")
    expires_on = models.DateField("expires on")
    concentration = models.DecimalField(
        "concentration (billion exosomes per ml)",
        max_digits=7,
        decimal_places=3,
        validators=[MinValueValidator(Decimal("0.001"))],
        help_text="The clinic's usual concentration is 1 billion per ml (protocol default).",
    )
    quantity_received_ml = models.DecimalField(
        "quantity received (ml)",
        max_digits=9,
        decimal_places=3,
        validators=[MinValueValidator(Decimal("0.001"))],
    )
    storage_location = models.CharField("storage location", max_length=120, blank=True)
    storage_temperature_c = models.DecimalField(
        "storage temperature (°C)", max_digits=5, decimal_places=1, null=True, blank=True
    )
    status = models.CharField(max_length=12, choices=LotStatus, default=LotStatus.QUARANTINE)
    certificate_of_analysis = models.CharField(
        "certificate of analysis reference", max_length=200, blank=True
    )
    recall_reason = models.TextField("reason for recall", blank=True)
    recalled_at = models.DateTimeField(null=True, blank=True, editable=False)
    recalled_by = models.ForeignKey(
        "auth.User", on_delete=models.PROTECT, null=True, blank=True, editable=False, related_name="+"
    )
    notes = models.TextField(blank=True)
    # The running balance, kept by the treatment services (``LotQuerySet.adjust_balance``) under the
    # lot's row lock; never written by a form or by ``Lot.save()``. ``used_ml`` is what
    # ``Administration.objects.counting_stock()`` uses from this lot. While a signed treatment's
    # amendment is still a draft both count (conservatively); ``amending_ml`` is the original's
    # volume counted twice that way, until the amendment is signed or voided.
    used_ml = models.DecimalField(
        "used (ml)", max_digits=9, decimal_places=3, default=Decimal("0"), editable=False
    )
    amending_ml = models.DecimalField(
        "counted twice while an amendment is open (ml)",
        max_digits=9,
        decimal_places=3,
        default=Decimal("0"),
        editable=False,
    )
    # Kept with the balance, for the lot's page and its recall form (which would otherwise count a
    # busy lot's tens of thousands of rows on every view): how many ``counting_stock()``
    # administrations came from this lot, and to how many distinct patients (the patients whose
    # ``LotRecipient`` row holds at least one).
    administration_count = models.PositiveIntegerField("administrations given", default=0, editable=False)
    patient_count = models.PositiveIntegerField("patients treated", default=0, editable=False)

    # The balance is derived from the administrations, whose history records each change.
    history = HistoricalRecords(excluded_fields=BALANCE_FIELDS)
    objects = LotQuerySet.as_manager()

    class Meta:
        ordering = ["expires_on", "lot_number"]
        verbose_name = "lot"
        base_manager_name = "objects"  # Django internals use it too: keep bulk writes closed
        verbose_name_plural = "lots"
        permissions = [("recall_lot", "Can recall a lot")]
        constraints = ClinicalRecord.Meta.constraints + [
            models.UniqueConstraint(
                fields=["product", "lot_number"],
                name="lot_number_unique_per_product",
                violation_error_message="This product already has a lot with this number.",
            ),
            models.CheckConstraint(condition=Q(concentration__gt=0), name="lot_concentration_positive"),
            models.CheckConstraint(condition=Q(quantity_received_ml__gt=0), name="lot_quantity_positive"),
            models.CheckConstraint(
                condition=Q(expires_on__gt=models.F("received_on")), name="lot_expires_after_receipt"
            ),
            # A recalled lot always carries its reason and when it was recalled.
            models.CheckConstraint(
                condition=~Q(status="recalled") | (~Q(recall_reason="") & Q(recalled_at__isnull=False)),
                name="lot_recall_has_reason",
            ),
            # The balance never runs out: what was used never exceeds what was received (apart from
            # an open amendment's original, counted twice until the amendment is signed or voided).
            # The service's stock check says so first, in words ("Only 2 ml … left in lot …").
            models.CheckConstraint(
                condition=Q(used_ml__gte=0, amending_ml__gte=0, amending_ml__lte=models.F("used_ml")),
                name="lot_balance_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(used_ml__lte=models.F("quantity_received_ml") + models.F("amending_ml")),
                name="lot_used_within_received",
                violation_error_message="More was administered from this lot than it received.",
            ),
            # The counts never go below zero, and each patient counted holds an administration.
            models.CheckConstraint(
                condition=Q(
                    administration_count__gte=0,
                    patient_count__gte=0,
                    patient_count__lte=models.F("administration_count"),
                ),
                name="lot_counts_not_negative",
            ),
        ]
        indexes = [
            # The lot list and the administration form filter by status and expiry.
            models.Index(fields=["status", "expires_on"], name="lot_status_expiry_idx"),
        ]

    def __str__(self):
        return f"{self.product} lot {self.lot_number}"

    def get_absolute_url(self):
        return reverse("lot_detail", args=[self.pk])

    def clean(self):
        errors = {}
        if self.received_on and self.expires_on and self.expires_on <= self.received_on:
            errors["expires_on"] = "The expiry date must be after the date the lot was received."
        if self.received_on and self.received_on > timezone.localdate():
            errors["received_on"] = "The received date cannot be in the future."
        if self.status == LotStatus.RECALLED and not (self.recall_reason or "").strip():
            errors["recall_reason"] = "Say why the lot is recalled."
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        # An edit never writes the balance: the form's copy of the row may be older than the last
        # administration. Only ``LotQuerySet.adjust_balance`` changes it.
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name not in BALANCE_FIELDS
            ]
        super().save(*args, **kwargs)

    def is_expired_on(self, day) -> bool:
        return self.expires_on < day

    def unusable_reason(self, day) -> str:
        """Why this lot cannot be administered on ``day``, or "" if it can."""
        if self.is_voided:
            return f"Lot {self.lot_number} is voided."
        if self.status != LotStatus.RELEASED:
            return f"Lot {self.lot_number} is {self.get_status_display().lower()}, not released."
        if self.is_expired_on(day):
            return f"Lot {self.lot_number} expired on {format_day(self.expires_on)}."
        return ""

    def current_stock_ml(self) -> Decimal:
        """Stock on hand from the stored balance, as it is now (one query of this lot's row; list
        pages annotate with ``with_stock()``)."""
        return Lot.objects.with_stock().values_list("stock_on_hand_ml", flat=True).get(pk=self.pk)
