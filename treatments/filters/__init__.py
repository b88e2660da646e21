"""django-filter FilterSets of the list pages, one module per aggregate. A FilterSet turns the request's
filter fields into a queryset; the page's selector applies it."""
