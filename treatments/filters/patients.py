"""The patient registry's filter: a search term kept in the session (never in a URL) and the sort."""

import django_filters
from django import forms

from treatments.models import Patient
from treatments.models.patients import search_dates

# A patient's name must never appear in a URL, a browser history or an access log: the term is
# posted, kept in the session under this key, and the filter is bound to it there.
SEARCH_SESSION_KEY = "patient_search"
SEARCH_MAX_LENGTH = 100
DEFAULT_SORT = "name"
SORTS = {
    "name": ("family_name", "given_name", "id"),
    "-name": ("-family_name", "-given_name", "-id"),
    "mrn": ("mrn",),
    "-mrn": ("-mrn",),
    "dob": ("date_of_birth", "id"),
    "-dob": ("-date_of_birth", "-id"),
    "registered": ("created_at", "id"),
    "-registered": ("-created_at", "-id"),
}


class SearchTermField(forms.CharField):
    def validate(self, value):
        super().validate(value)
        search_dates(value)  # a term that looks like a date but is none: say what is allowed


class SearchTermFilter(django_filters.CharFilter):
    field_class = SearchTermField


class PatientFilter(django_filters.FilterSet):
    # A name, a record number (whole, its start, or its number without the prefix), a phone number in
    # any format, a date of birth or an e-mail address: PatientQuerySet.search tells them apart.
    q = SearchTermFilter(method="search", max_length=SEARCH_MAX_LENGTH)
    # An unknown sort is a form error: the selector leaves it out and the list keeps the name order.
    sort = django_filters.ChoiceFilter(
        choices=[(key, key) for key in SORTS], method="sort_by", empty_label=None
    )

    class Meta:
        model = Patient
        fields = []

    @classmethod
    def from_session(cls, request) -> "PatientFilter":
        """Bound to the search term the session keeps and the sort from the query string."""
        return cls(
            {
                "q": request.session.get(SEARCH_SESSION_KEY, ""),
                "sort": request.GET.get("sort", DEFAULT_SORT),
            }
        )

    @staticmethod
    def keep_search(request) -> None:
        """Keep the posted term in the session for the next GET of the list, or forget it when the
        form was cleared or left empty."""
        term = request.POST.get("q", "").strip()[:SEARCH_MAX_LENGTH]
        if term and "clear" not in request.POST:
            request.session[SEARCH_SESSION_KEY] = term
        else:
            request.session.pop(SEARCH_SESSION_KEY, None)

    @property
    def search_term(self) -> str:
        return self.data.get("q", "")

    @property
    def search_error(self) -> str:
        """Why the term cannot be searched ("" when it can)."""
        self.form.is_valid()
        return " ".join(self.form.errors.get("q", []))

    @property
    def chosen_sort(self) -> str:
        self.form.is_valid()
        return self.form.cleaned_data.get("sort") or DEFAULT_SORT

    def search(self, queryset, name, value):
        return queryset.search(value)

    def sort_by(self, queryset, name, value):
        return queryset.order_by(*SORTS[value])

    def filter_queryset(self, queryset):
        # A term that cannot be searched (a NUL character, say) matches nobody; it never lists everyone.
        if "q" in self.form.errors:
            return queryset.none()
        return super().filter_queryset(queryset)
