"""The access log's filter."""

from django import forms
from django.contrib.auth import get_user_model

from clinic.form_parts import DateInput


class AccessLogFilterForm(forms.Form):
    user = forms.ModelChoiceField(
        queryset=get_user_model().objects.order_by("username"), required=False, empty_label="Anyone"
    )
    patient = forms.IntegerField(
        label="Patient id",
        min_value=1,
        max_value=2**63 - 1,  # the database's bigint: a larger number would be a database error
        required=False,
        help_text="The internal id, not the record number.",
    )
    date_from = forms.DateField(label="From", required=False, widget=DateInput())
    date_to = forms.DateField(label="To", required=False, widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.widget.attrs["class"] = "form-select" if name == "user" else "form-control"

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date must be on or after the start date.")
        return cleaned
