"""The shared record base: who made a record, its version, and voiding instead of deleting.

Every app's audited records build on this (clinical records in ``treatments``, FAQ entries in ``faq``).
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone


class BulkWriteForbidden(Exception):
    """Raised by bulk paths that would bypass validation and the audit history."""


class StaleRecord(Exception):
    """Someone else saved the record since this form was loaded."""

    def __init__(self, record):
        self.record = record
        super().__init__(
            f"This {record._meta.verbose_name} was changed by someone else while you were editing. "
            "Nothing was saved: reload the page to see their change, then apply yours again."
        )


class ClinicalQuerySet(models.QuerySet):
    def active(self):
        return self.filter(voided_at__isnull=True)

    def voided(self):
        return self.filter(voided_at__isnull=False)

    # simple-history does not see queryset-level writes, so they are closed on clinical records.
    def update(self, **kwargs):
        raise BulkWriteForbidden(
            f"Bulk update of {self.model._meta.verbose_name_plural} is forbidden: "
            "save each record so the change is validated and audited."
        )

    def delete(self):
        raise BulkWriteForbidden(
            f"{self.model._meta.verbose_name_plural} are never deleted: void them with a reason."
        )

    def bulk_update(self, *args, **kwargs):
        raise BulkWriteForbidden("Bulk update of clinical records is forbidden.")


class ClinicalRecord(models.Model):
    """Abstract base: attribution, optimistic-lock version, and void-with-reason."""

    created_at = models.DateTimeField("created", default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        editable=False,
        verbose_name="created by",
    )
    updated_at = models.DateTimeField("last changed", auto_now=True)
    # Incremented on each save; a form carries the version it was loaded with so that a save
    # from a stale form is refused instead of silently overwriting someone else's change.
    version = models.PositiveIntegerField(default=1, editable=False)
    voided_at = models.DateTimeField("voided", null=True, blank=True, editable=False)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
        verbose_name="voided by",
    )
    void_reason = models.TextField("reason for voiding", blank=True, editable=False)

    objects = ClinicalQuerySet.as_manager()

    class Meta:
        abstract = True
        constraints = [
            # A voided record always says why (and an active one carries no reason).
            models.CheckConstraint(
                condition=(
                    models.Q(voided_at__isnull=True, void_reason="")
                    | (models.Q(voided_at__isnull=False) & ~models.Q(void_reason=""))
                ),
                name="%(app_label)s_%(class)s_void_has_reason",
            ),
        ]

    def save(self, *args, **kwargs):
        if not self._state.adding:
            self.version += 1
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise BulkWriteForbidden(f"A {self._meta.verbose_name} is never deleted: void it with a reason.")

    @property
    def is_voided(self) -> bool:
        return self.voided_at is not None

    def check_version(self, expected_version) -> None:
        """Refuse a save from a stale form: the row must still be at the version the form loaded.

        Call inside ``transaction.atomic``; the row is locked until the transaction ends.
        """
        if expected_version is None:
            return
        current = (
            type(self)._base_manager.select_for_update().values_list("version", flat=True).get(pk=self.pk)
        )
        if int(expected_version) != current:
            raise StaleRecord(self)

    def mark_voided(self, *, user, reason: str):
        """Set the void fields; the caller saves (inside its transaction, with the audit reason)."""
        reason = (reason or "").strip()
        if not reason:
            raise ValidationError({"reason": "Say why this record is voided."})
        if self.is_voided:
            raise ValidationError(f"This {self._meta.verbose_name} is already voided.")
        self.voided_at = timezone.now()
        self.voided_by = user
        self.void_reason = reason
