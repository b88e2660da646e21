"""The lot list's filter: one lot status, from the query string."""

import django_filters

from treatments.models import Lot, LotStatus


class LotFilter(django_filters.FilterSet):
    # An unknown status is a form error, so the selector leaves it out and lists every lot.
    status = django_filters.ChoiceFilter(choices=LotStatus.choices)

    class Meta:
        model = Lot
        fields = []

    @property
    def chosen_status(self) -> str:
        """The status the list is narrowed to, or "" for all lots."""
        if not self.is_bound or not self.form.is_valid():
            return ""
        return self.form.cleaned_data.get("status") or ""
