"""The research export's period: treatments dated from ``start`` to ``end``; either end may be left
empty (from the first record, up to today)."""

from django import forms

from clinic.form_parts import DateField, DateInput, check_period


class ResearchPeriodForm(forms.Form):
    start = DateField(
        label="Treatments from", required=False, widget=DateInput(attrs={"class": "form-control"})
    )
    end = DateField(label="to", required=False, widget=DateInput(attrs={"class": "form-control"}))

    def clean(self):
        cleaned = super().clean()
        check_period(
            self,
            start="start",
            end="end",
            order_message="The end of the period must be on or after its start.",
        )
        return cleaned
