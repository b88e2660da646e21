"""The access log's filter: who, which patient (by internal id) and a date range, from the query string."""

import dataclasses
import datetime as dt

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone

from clinic.form_parts import DateField, DateInput, check_period
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


class DayFilter(django_filters.DateFilter):
    field_class = DateField  # its refusal of a typed date says what is allowed


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
    date_from = DayFilter(label="From", widget=DateInput(), method="on_or_after")
    date_to = DayFilter(label="To", widget=DateInput(), method="on_or_before")

    class Meta:
        model = AccessEvent
        fields = []
        form = AccessLogFilterForm

    def on_or_after(self, queryset, name, value):
        return queryset.filter(at__gte=_start_of(value))

    def on_or_before(self, queryset, name, value):
        return queryset.filter(at__lt=_start_of(value + dt.timedelta(days=1)))


# The log is paged by position, not by page number: a page number needs the count of every
# matching event (millions in a large clinic) and an OFFSET that reads every row before it. A
# position is one event's (at, id), the log's order; a page is the events just older ("before") or
# just newer ("after") than it, read along an index whatever the log's length.

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
MICROSECOND = dt.timedelta(microseconds=1)


@dataclasses.dataclass(frozen=True)
class Position:
    at: dt.datetime
    pk: int


def position_of(event: AccessEvent) -> str:
    """The event's place in the log as a link parameter: microseconds since 1970 (UTC) and the id."""
    return f"{(event.at - EPOCH) // MICROSECOND}_{event.pk}"


def _parse_position(text: str) -> Position:
    micros, _, pk = text.partition("_")
    try:
        position = Position(at=EPOCH + int(micros) * MICROSECOND, pk=int(pk))
    except (ValueError, OverflowError):
        raise forms.ValidationError("This page link is not one the log made.", code="invalid") from None
    if not (1 <= position.pk <= 2**63 - 1 and position.at.year >= 1900):
        raise forms.ValidationError("This page link is not one the log made.", code="invalid")
    return position


class AccessLogPositionForm(forms.Form):
    """Which page of the log: the newest (no parameter), or the events before or after a position.
    A bad link is explained on the page, which then shows the newest events."""

    before = forms.CharField(required=False, max_length=60)
    after = forms.CharField(required=False, max_length=60)
    page = forms.CharField(required=False)  # the numbered pages' parameter, from an old link

    def clean_before(self):
        return _parse_position(self.cleaned_data["before"]) if self.cleaned_data["before"] else None

    def clean_after(self):
        return _parse_position(self.cleaned_data["after"]) if self.cleaned_data["after"] else None

    def clean_page(self):
        if self.cleaned_data["page"]:
            raise forms.ValidationError("The log has no numbered pages: use Older and Newer.", code="invalid")
        return None

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("before") and cleaned.get("after"):
            raise forms.ValidationError("A page link names either an older or a newer page, not both.")
        return cleaned

    @property
    def message(self) -> str:
        """What was wrong with the link, in one sentence for the page; empty when nothing was."""
        if self.is_valid():
            return ""
        return " ".join(error for errors in self.errors.values() for error in errors)
