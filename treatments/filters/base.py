"""The base of the list pages' FilterSets: filter by every field of the request, or by none."""

import django_filters


class ListFilterSet(django_filters.FilterSet):
    """A request with one bad value filters nothing: the page shows the error next to the whole
    list rather than a list narrowed by half the request (django-filter would apply the rest)."""

    def filter_queryset(self, queryset):
        if not self.is_valid():  # unbound as well: nothing asked, nothing filtered
            return queryset
        return super().filter_queryset(queryset)

    @property
    def asked(self) -> bool:
        """Whether the request names any filter, with a good value or a bad one."""
        return any(self.data.get(name) for name in self.filters)
