"""The lot ledger: how many counting administrations each patient holds from each lot, so that a
lot's count of distinct patients stays exact through edits, amendments and voids."""

from django.db import models
from django.db.models import Q

from treatments.models.patients import Patient
from treatments.models.products import Lot


class LotRecipientQuerySet(models.QuerySet):
    def holding(self):
        """Rows of patients who still hold at least one counting administration from the lot."""
        return self.filter(administration_count__gt=0)


class LotRecipient(models.Model):
    """One patient's ``counting_stock()`` administrations from one lot.

    Derived, like the lot's running balance: written only by the treatment services
    (``services.lots.lot_recipients_move``) under the lot's row lock, in the transaction that
    changes the administrations, and checked by ``manage.py check_integrity``. A row whose count
    falls to 0 stays (the patient may be given the lot again); only rows above 0 count as patients.
    """

    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="recipients")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    administration_count = models.PositiveIntegerField("administrations held", default=0)

    objects = LotRecipientQuerySet.as_manager()

    class Meta:
        ordering = ["lot", "patient"]
        verbose_name = "lot recipient"
        verbose_name_plural = "lot recipients"
        constraints = [
            # One row per lot and patient; its index serves the services' lookup of a patient's
            # rows and a recall's list of a lot's patients (lot_recall_patient_ids).
            models.UniqueConstraint(fields=["lot", "patient"], name="lot_recipient_unique"),
            models.CheckConstraint(
                condition=Q(administration_count__gte=0), name="lot_recipient_count_not_negative"
            ),
        ]

    def __str__(self):
        return f"{self.administration_count} from lot {self.lot_id} to patient {self.patient_id}"
