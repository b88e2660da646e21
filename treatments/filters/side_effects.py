"""The side-effect list's filters: grade, term, needing review, ongoing, and voided instead of active."""

import datetime as dt

import django_filters
from django import forms
from django.utils import timezone

from treatments.filters.base import ListFilterSet
from treatments.models import Grade, SideEffectReport, Term

CHECKBOX = forms.CheckboxInput(attrs={"class": "form-check-input"})
SELECT = forms.Select(attrs={"class": "form-select"})


class CheckboxFilter(django_filters.BooleanFilter):
    """A checkbox rather than django-filter's yes / no / unknown select; its method gets True or
    False and decides what an unticked box means."""

    field_class = forms.BooleanField


class SideEffectFilter(ListFilterSet):
    """Active reports unless "voided only" is ticked, also when the request is empty or bad."""

    needs_review = CheckboxFilter(label="Needs review", widget=CHECKBOX, method="filter_needs_review")
    ongoing = CheckboxFilter(label="Ongoing", widget=CHECKBOX, method="filter_ongoing")
    grade = django_filters.TypedChoiceFilter(
        label="Grade",
        choices=[("", "All grades"), *Grade.choices],
        coerce=int,
        empty_value=None,
        widget=SELECT,
    )
    term = django_filters.ChoiceFilter(
        label="Term", choices=Term.choices, empty_label="All terms", widget=SELECT
    )
    voided = CheckboxFilter(label="Voided only", widget=CHECKBOX, method="filter_voided")

    class Meta:
        model = SideEffectReport
        fields = []

    def __init__(self, data=None, *args, today: dt.date | None = None, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.today = today or timezone.localdate()  # "needs review" depends on the date

    def filter_queryset(self, queryset):
        if not self.is_valid():  # the filters below do not run: "voided only" is not ticked either
            return queryset.active()
        return super().filter_queryset(queryset)

    def filter_needs_review(self, queryset, name, ticked):
        return queryset.needing_review(self.today) if ticked else queryset

    def filter_ongoing(self, queryset, name, ticked):
        return queryset.ongoing() if ticked else queryset

    def filter_voided(self, queryset, name, ticked):
        return queryset.voided() if ticked else queryset.active()
