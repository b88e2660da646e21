"""Products and their lots: what the clinic buys, its batches, and stock derived from a ledger."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

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


class LotQuerySet(ClinicalQuerySet):
    def with_stock(self):
        """Annotate ``administered_ml`` and ``stock_on_hand_ml`` (received minus what active treatments used).

        What counts is ``Administration.objects.counting_stock()``: administrations of drafts and
        signed treatments; voided treatments and originals superseded by a signed amendment give
        their volume back. One correlated subquery per lot, in the same single query.
        """
        # Looked up through the relation: importing the treatments module here would be a cycle.
        administrations = self.model._meta.get_field("administrations").related_model.objects
        used = (
            administrations.counting_stock()
            .filter(lot=models.OuterRef("pk"))
            .order_by()
            .values("lot")
            .annotate(ml=Sum("volume_ml"))
            .values("ml")
        )
        return self.annotate(administered_ml=Coalesce(models.Subquery(used), Decimal("0"))).annotate(
            stock_on_hand_ml=models.F("quantity_received_ml") - models.F("administered_ml")
        )

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

    history = HistoricalRecords()
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

    def is_expired_on(self, day) -> bool:
        return self.expires_on < day

    def unusable_reason(self, day) -> str:
        """Why this lot cannot be administered on ``day``, or "" if it can."""
        if self.is_voided:
            return f"Lot {self.lot_number} is voided."
        if self.status != LotStatus.RELEASED:
            return f"Lot {self.lot_number} is {self.get_status_display().lower()}, not released."
        if self.is_expired_on(day):
            return f"Lot {self.lot_number} expired on {self.expires_on:%Y-%m-%d}."
        return ""

    def current_stock_ml(self) -> Decimal:
        """Stock on hand from the ledger (one query; list pages annotate with ``with_stock()``)."""
        return Lot.objects.with_stock().values_list("stock_on_hand_ml", flat=True).get(pk=self.pk)
