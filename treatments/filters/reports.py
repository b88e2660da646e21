"""The reports' filter: a period (default: the last 12 months) and, optionally, an indication, a
route, a lot and a physician, from the query string.

The three choice lists are read together (one query) and validated against those lists, so a
chosen value costs no further query; a bad value is a form error that says what is allowed, and
the page then shows the default period, unfiltered (see ``ReportFilter.scope``).
"""

import dataclasses
import datetime as dt
import hashlib

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import CharField, Exists, F, IntegerField, OuterRef, QuerySet, Value
from django.utils import timezone

from clinic.form_parts import DateField, DateInput, check_period
from clinic.formats import day as format_day
from clinic.roles import PHYSICIAN
from treatments.models import Administration, Indication, Lot, Route, Treatment
from treatments.models.followup_worklist import local_midnight


def default_period(*, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The last 12 months: from the first day of the month eleven months before ``today`` (the
    clinic's date) to ``today``, so that the month charts show twelve whole or current months."""
    today = today or timezone.localdate()
    months = today.year * 12 + today.month - 1 - 11
    return dt.date(months // 12, months % 12 + 1, 1), today


@dataclasses.dataclass(frozen=True)
class Scope:
    """What a report covers: signed treatments (not drafts, voided ones or amended originals) dated
    in the period in the clinic's time zone, narrowed by the filters; with a route or a lot chosen,
    the administration figures count only that route's or lot's administrations."""

    start: dt.date
    end: dt.date
    treatments: QuerySet
    route: str | None = None
    lot_id: int | None = None
    labels: dict = dataclasses.field(default_factory=dict)  # the chosen filters, by name, as shown
    # Everything the figures depend on besides the records: the period, the chosen filters and the
    # choice lists (their labels name the indications and lots in the tables); a cache key part.
    key: tuple = ()

    def administrations(self) -> QuerySet:
        given = Administration.objects.active().filter(treatment__in=self.treatments)
        if self.route:
            given = given.filter(route=self.route)
        if self.lot_id:
            given = given.filter(lot_id=self.lot_id)
        return given


# A longer period would make the month charts unreadable (and a typo like 1026 a slow page).
MAX_PERIOD_YEARS = 10


class ReportFilterForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.widget.attrs["class"] = "form-control" if name in ("start", "end") else "form-select"

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        today = timezone.localdate()
        # A missing end is today; a missing start, the first of the month eleven months before the end.
        end = cleaned.get("end") or today
        start = cleaned.get("start") or default_period(today=end)[0]
        cleaned["start"], cleaned["end"] = start, end
        check_period(
            self,
            start="start",
            end="end",
            order_message="The end of the period must be on or after its start.",
        )
        if not self.errors and end - start > dt.timedelta(days=366 * MAX_PERIOD_YEARS):
            self.add_error(
                "start",
                f"A report covers at most {MAX_PERIOD_YEARS} years: choose a start on or after "
                f"{format_day(end.replace(year=end.year - MAX_PERIOD_YEARS))}.",
            )
        return cleaned


def _choice_lists() -> dict[str, list[tuple[int, str]]]:
    """The indications, the active lots and the physicians, each as (pk, label) in its display
    order, in one query (a UNION ALL of the three; each part's columns: list, pk, three texts and a
    number to sort by)."""

    def text(value):
        return Value(value, output_field=CharField())

    def number(value):
        return Value(value, output_field=IntegerField())

    indications = Indication.objects.order_by().values_list(
        text("indication"), "pk", "name", text(""), text(""), "order"
    )
    lots = (
        Lot.objects.active()
        .order_by()
        .values_list(text("lot"), "pk", F("product__name"), "lot_number", text(""), number(0))
    )
    physicians = (
        get_user_model()
        .objects.filter(groups__name=PHYSICIAN)
        .order_by()
        .values_list(text("physician"), "pk", "last_name", "first_name", "username", number(0))
    )
    rows = {"indication": [], "lot": [], "physician": []}
    # In no order: each list is sorted below (the union would take Indication's default ordering).
    for kind, pk, *row in indications.union(lots, physicians, all=True).order_by():
        rows[kind].append((pk, *row))
    return {
        "indication": [(pk, name) for pk, name, *_ in sorted(rows["indication"], key=lambda r: (r[4], r[1]))],
        "lot": [
            (pk, f"{product} lot {number}")
            for pk, product, number, *_ in sorted(rows["lot"], key=lambda r: (r[1], r[2]))
        ],
        "physician": [
            (pk, f"{first} {last}".strip() or username)
            for pk, last, first, username, _ in sorted(rows["physician"], key=lambda r: (r[1], r[2], r[0]))
        ],
    }


class DayFilter(django_filters.DateFilter):
    field_class = DateField  # its refusal of a typed date says what is allowed


class ReportFilter(django_filters.FilterSet):
    start = DayFilter(label="From", widget=DateInput(), method="on_or_after")
    end = DayFilter(label="To", widget=DateInput(), method="on_or_before")
    indication = django_filters.ChoiceFilter(
        label="Indication", choices=(), empty_label="All indications", method="by_indication"
    )
    route = django_filters.ChoiceFilter(
        label="Route", choices=Route.choices, empty_label="All routes", method="by_route"
    )
    lot = django_filters.ChoiceFilter(label="Lot", choices=(), empty_label="All lots", method="by_lot")
    physician = django_filters.ChoiceFilter(
        label="Physician", choices=(), empty_label="All physicians", method="by_physician"
    )

    class Meta:
        model = Treatment
        fields = []
        form = ReportFilterForm

    def __init__(self, data=None, *args, **kwargs):
        # Always bound (an empty query string is the default period): the form fills in the period.
        data = dict(data.items()) if data else {}
        if not data.get("start") and not data.get("end"):
            # No period asked: the form's boxes show the default one.
            start, end = default_period()
            data |= {"start": start.isoformat(), "end": end.isoformat()}
        super().__init__(data, *args, queryset=Treatment.objects.signed(), **kwargs)
        # The lists read once, here (a callable would be read again by the validation and the select).
        self.choice_lists = _choice_lists()
        for name, choices in self.choice_lists.items():
            self.filters[name].extra["choices"] = choices

    def on_or_after(self, queryset, name, value):
        return queryset.filter(performed_at__gte=local_midnight(value))

    def on_or_before(self, queryset, name, value):
        return queryset.filter(performed_at__lt=local_midnight(value + dt.timedelta(days=1)))

    def by_indication(self, queryset, name, value):
        return queryset.filter(indication_id=value)

    def by_physician(self, queryset, name, value):
        return queryset.filter(physician_id=value)

    # A treatment is in when one of its (active) administrations is: EXISTS, so no treatment twice.
    def by_route(self, queryset, name, value):
        given = Administration.objects.active().filter(treatment=OuterRef("pk"), route=value)
        return queryset.filter(Exists(given))

    def by_lot(self, queryset, name, value):
        given = Administration.objects.active().filter(treatment=OuterRef("pk"), lot_id=value)
        return queryset.filter(Exists(given))

    @property
    def message(self) -> str:
        """Every refusal in one line, for the top of the page; empty when the request was good."""
        if self.is_valid():
            return ""
        return " ".join(str(error) for errors in self.form.errors.values() for error in errors)

    def scope(self) -> Scope:
        """What the figures cover: the request's period and filters, or, when the request has a bad
        value, the default period unfiltered (the page says so next to the error)."""
        if not self.is_valid():
            start, end = default_period()
            treatments = self.on_or_before(self.on_or_after(self.queryset, "start", start), "end", end)
            return Scope(start=start, end=end, treatments=treatments, key=(start, end, self._lists_key()))
        data = self.form.cleaned_data
        labels = {}
        for name in ("indication", "route", "lot", "physician"):
            if data.get(name) not in (None, ""):
                choices = {str(key): label for key, label in self.filters[name].field.choices}
                labels[name] = str(choices.get(str(data[name]), data[name]))
        return Scope(
            start=data["start"],
            end=data["end"],
            treatments=self.qs,
            route=data.get("route") or None,
            lot_id=int(data["lot"]) if data.get("lot") else None,
            labels=labels,
            key=(
                data["start"],
                data["end"],
                *(data.get(name) or "" for name in ("indication", "route", "lot", "physician")),
                self._lists_key(),
            ),
        )

    def _lists_key(self) -> str:
        """The choice lists as a short digest (they are staff-entered names, no patient's)."""
        return hashlib.sha256(repr(sorted(self.choice_lists.items())).encode()).hexdigest()[:16]
