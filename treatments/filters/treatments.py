"""The treatments list's filters: a period (the last 30 days unless chosen), route, lot, physician,
indication and status (current ones, signed and drafts, unless one is chosen)."""

import datetime as dt

import django_filters
from django import forms
from django.db.models import Exists, OuterRef
from django.utils import timezone

from clinic.form_parts import DateField, DateInput, check_period
from treatments.filters.base import ListFilterSet
from treatments.filters.followups import PhysicianFilter, physicians
from treatments.models import Administration, Indication, Lot, Route, Treatment, TreatmentStatus
from treatments.models.treatments import CURRENT_STATUSES

SELECT = forms.Select(attrs={"class": "form-select"})
DATE = DateInput(attrs={"class": "form-control"})
# The period a list opens on: the last 30 days, today included.
DEFAULT_PERIOD_DAYS = 30


ONE_DAY = dt.timedelta(days=1)


def day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def default_period(today: dt.date) -> tuple[dt.date, dt.date]:
    return today - dt.timedelta(days=DEFAULT_PERIOD_DAYS - 1), today


class PeriodDateFilter(django_filters.DateFilter):
    field_class = DateField


def lots(request):
    return Lot.objects.select_related("product").order_by("-expires_on", "lot_number")


def indications(request):
    return Indication.objects.order_by("order", "name")


class TreatmentFilterForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        check_period(
            self,
            start="start",
            end="end",
            order_message="The end of the period must be on or after its start.",
        )
        return cleaned


class TreatmentFilter(ListFilterSet):
    """A bad value filters nothing but the default period and statuses (ListFilterSet), and the page
    shows what is allowed next to the field."""

    start = PeriodDateFilter(label="From", widget=DATE, method="filter_nothing")
    end = PeriodDateFilter(label="To", widget=DATE, method="filter_nothing")
    route = django_filters.ChoiceFilter(
        label="Route", choices=Route.choices, empty_label="All routes", widget=SELECT, method="filter_route"
    )
    lot = django_filters.ModelChoiceFilter(
        label="Lot", queryset=lots, empty_label="All lots", widget=SELECT, method="filter_lot"
    )
    physician = PhysicianFilter(
        label="Physician", queryset=physicians, empty_label="All physicians", widget=SELECT
    )
    indication = django_filters.ModelChoiceFilter(
        label="Indication", queryset=indications, empty_label="All indications", widget=SELECT
    )
    status = django_filters.ChoiceFilter(
        label="Status",
        choices=TreatmentStatus.choices,
        empty_label="Signed and drafts",
        widget=SELECT,
        method="filter_status",
    )

    class Meta:
        model = Treatment
        fields = []
        form = TreatmentFilterForm

    def __init__(self, data=None, *args, today: dt.date | None = None, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.today = today or timezone.localdate()
        self.form.fields["lot"].label_from_instance = lambda lot: f"{lot.lot_number} ({lot.product.name})"

    @property
    def period(self) -> tuple[dt.date, dt.date]:
        """The period listed: the one asked for (each end defaults to the last 30 days' end)."""
        first, last = default_period(self.today)
        if self.is_bound and self.is_valid():
            first = self.form.cleaned_data.get("start") or first
            last = self.form.cleaned_data.get("end") or last
            if first > last:  # only one end chosen, beyond the other's default
                first, last = (first, first) if self.form.cleaned_data.get("start") else (last, last)
        return first, last

    def filter_queryset(self, queryset):
        # The period and the current statuses hold also when the request is empty or bad.
        first, last = self.period
        # A range of moments (the clinic's days), so the database reads performed_at's index.
        queryset = queryset.filter(
            performed_at__gte=day_start(first), performed_at__lt=day_start(last + ONE_DAY)
        )
        if not self.is_bound or not self.is_valid() or not self.form.cleaned_data.get("status"):
            queryset = queryset.filter(status__in=CURRENT_STATUSES)
        return super().filter_queryset(queryset)

    def filter_nothing(self, queryset, name, value):
        return queryset  # the period is applied in filter_queryset, with its defaults

    def filter_status(self, queryset, name, value):
        return queryset.filter(status=value)

    def filter_route(self, queryset, name, value):
        # Exists, not a join: a treatment with two injections by this route is listed once.
        given = Administration.objects.active().filter(treatment=OuterRef("pk"), route=value)
        return queryset.filter(Exists(given))

    def filter_lot(self, queryset, name, lot):
        given = Administration.objects.active().filter(treatment=OuterRef("pk"), lot=lot)
        return queryset.filter(Exists(given))
