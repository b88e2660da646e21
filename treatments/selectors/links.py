"""Links for list rows: a detail page's URL reversed once per page, each row's by string join."""

from django.urls import reverse


def detail_url_prefix(name: str) -> str:
    """The URL of a ``<int:pk>/`` detail page without its pk (``"/patients/"`` for
    ``patient_detail``): a row's link is then ``f"{prefix}{pk}/"``, not a URL resolution."""
    return reverse(name, args=[0]).removesuffix("0/")
