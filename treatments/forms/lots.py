"""Lot receiving and editing, for clinic admins (the Django admin uses the same rules)."""

from django import forms

from clinic.form_parts import DateField, DateInput, VersionedFormMixin
from treatments.models import Lot, LotStatus
from treatments.services.lots import lot_problems


class LotRulesFormMixin:
    """Show the ledger rules of ``lot_problems`` as form errors, on the field they concern."""

    def _post_clean(self):
        super()._post_clean()
        for field, message in lot_problems(self.instance).items():
            self.add_error(field if field in self.fields else None, message)


# A lot's own fields, as the lot pages edit them (the Django admin's form adds the recall reason).
LOT_FIELDS = [
    "product",
    "lot_number",
    "manufacturer",
    "received_on",
    "expires_on",
    "concentration",
    "quantity_received_ml",
    "storage_location",
    "storage_temperature_c",
    "status",
    "certificate_of_analysis",
    "notes",
]


class LotForm(LotRulesFormMixin, VersionedFormMixin, forms.ModelForm):
    class Meta:
        model = Lot
        fields = LOT_FIELDS
        field_classes = {"received_on": DateField, "expires_on": DateField}
        widgets = {
            "received_on": DateInput(),
            "expires_on": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {
            "status": "A new lot waits in quarantine until its certificate is checked; only released "
            "lots can be administered. Recalling has its own page, which asks for the reason.",
            "quantity_received_ml": "Stock on hand is this minus what was administered (never edited).",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_version_field()
        self.fields["product"].queryset = self.fields["product"].queryset.active()
        if self.instance.status != LotStatus.RECALLED:
            self.fields["status"].choices = [c for c in LotStatus.choices if c[0] != LotStatus.RECALLED]
