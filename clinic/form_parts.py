"""Form pieces shared by the apps' forms: date inputs and fields, the version field, the void form."""

import datetime as dt

from django import forms
from django.db import connection
from django.utils.functional import lazy

from clinic.formats import day as format_day
from clinic.formats import moment


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


# A typed date is read in ISO (what the date pickers send) or in the format the pages show
# (DATE_INPUT_FORMATS); a refusal says so with an example in both, built from the formats.
# (A wall-clock example, as typed: no time zone.)
EXAMPLE_MOMENT = dt.datetime.combine(dt.date(2026, 11, 21), dt.time(14, 5))


def _date_allowed() -> str:
    example = EXAMPLE_MOMENT.date()
    return f"Enter a date like {format_day(example)} (or {example:%Y-%m-%d})."


def _moment_allowed() -> str:
    return f"Enter a date and time like {moment(EXAMPLE_MOMENT)} (or {EXAMPLE_MOMENT:%Y-%m-%d %H:%M})."


DATE_ALLOWED = lazy(_date_allowed, str)()
MOMENT_ALLOWED = lazy(_moment_allowed, str)()


class DateField(forms.DateField):
    """A date field whose refusal of a typed date says what is allowed (Django's: "Enter a valid
    date."). ModelForms take it through ``Meta.field_classes``."""

    widget = DateInput
    default_error_messages = {"invalid": DATE_ALLOWED}


class DateTimeField(forms.DateTimeField):
    widget = DateTimeInput
    default_error_messages = {"invalid": MOMENT_ALLOWED}


class ModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Django's field with one hole closed: it sends the submitted ids to the database in an
    ``__in`` lookup without the range check other integer lookups get, so a forged id beyond the
    column's range raised OverflowError (SQLite) or DataError (PostgreSQL), a 500 instead of a
    field error. Found by the form fuzzing in tests/test_security_fuzz.py."""

    def _check_values(self, value):
        meta = self.queryset.model._meta
        key_field = meta.get_field(self.to_field_name) if self.to_field_name else meta.pk
        field_range = connection.ops.integer_field_ranges.get(key_field.get_internal_type())
        if field_range:
            low, high = field_range
            for pk in value:
                try:
                    number = int(str(pk))
                except ValueError:
                    continue  # not a number at all: Django's own check reports it
                if not low <= number <= high:
                    raise forms.ValidationError(
                        self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": pk}
                    )
        return super()._check_values(value)


class VersionedFormMixin:
    """Carries the record's version through the form, for the stale-form check on save."""

    def add_version_field(self):
        self.fields["version"] = forms.IntegerField(widget=forms.HiddenInput, required=False)
        if self.instance.pk:
            self.initial["version"] = self.instance.version


class VoidForm(forms.Form):
    reason = forms.CharField(
        label="Reason for voiding",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text="Required. The record stays visible to auditors with this reason.",
    )

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Say why this record is voided.")
        return reason


# Wide enough for any period of a clinic's records; beyond it, the day arithmetic and the time-zone
# conversion of a period's ends overflow (500s found by the form fuzzing).
EARLIEST_DAY, LATEST_DAY = dt.date(1900, 1, 1), dt.date(2999, 12, 31)


def check_period(form, *, start: str, end: str, order_message: str) -> None:
    """In a form's clean(): both ends of the period within EARLIEST_DAY..LATEST_DAY, and in order."""
    allowed = f"Choose a date from {format_day(EARLIEST_DAY)} to {format_day(LATEST_DAY)}."
    for name in (start, end):
        day = form.cleaned_data.get(name)
        if day is not None and not EARLIEST_DAY <= day <= LATEST_DAY:
            form.add_error(name, allowed)
    first, last = form.cleaned_data.get(start), form.cleaned_data.get(end)
    if first and last and first > last:
        form.add_error(end, order_message)
