"""The access log's filter: who, which patient (by internal id) and a date range, from the query string."""

import datetime as dt

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone

from clinic.form_parts import DateInput, check_period
from treatments.filters.base import ListFilterSet
from treatments.models import AccessEvent


class AccessLogFilterForm(forms.Form):
    """The filter's form: Bootstrap classes on its fields, and a date range in bounds that runs forwards."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.widget.attrs["class"] = "form-select" if name == "user" else "form-control"

    def clean(self):
        cleaned = super().clean()
        check_period(
            self,
            start="date_from",
            end="date_to",
            order_message="The end date must be on or after the start date.",
        )
        return cleaned


class IntegerFilter(django_filters.Filter):
    # django-filter's NumberFilter takes decimals; an id is a whole number.
    field_class = forms.IntegerField


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, timezone.get_current_timezone())


class AccessLogFilter(ListFilterSet):
    user = django_filters.ModelChoiceFilter(
        label="User", queryset=get_user_model().objects.order_by("username"), empty_label="Anyone"
    )
    patient = IntegerFilter(
        field_name="patient_id",
        label="Patient id",
        min_value=1,
        max_value=2**63 - 1,  # the database's bigint: a larger number would be a database error
        help_text="The internal id, not the record number.",
    )
    date_from = django_filters.DateFilter(label="From", widget=DateInput(), method="on_or_after")
    date_to = django_filters.DateFilter(label="To", widget=DateInput(), method="on_or_before")

    class Meta:
        model = AccessEvent
        fields = []
        form = AccessLogFilterForm

    def on_or_after(self, queryset, name, value):
        return queryset.filter(at__gte=_start_of(value))

    def on_or_before(self, queryset, name, value):
        return queryset.filter(at__lt=_start_of(value + dt.timedelta(days=1)))
