"""FAQ reads: one function per page query."""

from faq.models import Entry


def faq_entries_for_page(*, user):
    """The entries whose own page the user may open (a queryset: the view picks one by its slug)."""
    return Entry.objects.visible_to(user).select_related("category", "last_edited_by")


def faq_listing(*, user) -> list[Entry]:
    """Every entry the user may see, in reading order (category by category)."""
    return list(Entry.objects.visible_to(user).select_related("category").in_reading_order())


def faq_search(*, user, term: str) -> list[Entry]:
    """The entries the user may see that match every word of ``term``, best first: those whose
    question holds every word, then those whose question and search keywords do, then the rest (by
    their answer); within a rank, in reading order."""
    entries = Entry.objects.visible_to(user).select_related("category").search(term)
    return list(entries.order_by("rank", "category__order", "category__name", "order", "id"))


def handout_entries() -> list[Entry]:
    """The entries a handout may print: published ones only, whoever asks (it leaves the clinic)."""
    return list(Entry.objects.published().select_related("category").in_reading_order())
