"""FAQ pages: the reference list with search, one entry's page, and a printable handout for a patient."""

from django.shortcuts import get_object_or_404
from django.views.generic import TemplateView

from clinic.mixins import RolePermissionMixin
from faq.models import EDIT_PERMISSION, Entry

SEARCH_MAX_LENGTH = 100
HANDOUT_MAX_ENTRIES = 50


class FaqPageMixin(RolePermissionMixin):
    permission_required = "faq.view_entry"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_edit"] = self.request.user.has_perm(EDIT_PERMISSION)
        return context

    def visible_entries(self):
        return Entry.objects.visible_to(self.request.user).select_related("category").in_reading_order()


class FaqIndexView(FaqPageMixin, TemplateView):
    """Every entry the user may see, grouped by category; ``?q=`` narrows to question/answer matches.

    FAQ search terms are questions about the therapy, not patient data, so they may sit in the URL.
    """

    template_name = "faq/index.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        term = self.request.GET.get("q", "").strip()[:SEARCH_MAX_LENGTH]
        context["search_term"] = term
        context["entries"] = list(self.visible_entries().search(term))
        return context


class FaqEntryView(FaqPageMixin, TemplateView):
    """One entry; an unpublished one is a 404 for anyone who cannot edit the FAQ."""

    template_name = "faq/entry.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        queryset = Entry.objects.visible_to(self.request.user).select_related("category", "last_edited_by")
        context["entry"] = get_object_or_404(queryset, slug=kwargs["slug"])
        return context


class FaqHandoutView(FaqPageMixin, TemplateView):
    """Pick entries (``?entry=ID&entry=ID``) and print them for a patient. Only published entries can be
    picked or printed, whoever asks: a handout leaves the clinic."""

    template_name = "faq/handout.html"

    def chosen_ids(self) -> set[int]:
        ids = set()
        for value in self.request.GET.getlist("entry")[:HANDOUT_MAX_ENTRIES]:
            if value.isdigit():
                ids.add(int(value))
        return ids

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        chosen = self.chosen_ids()
        entries = list(Entry.objects.published().select_related("category").in_reading_order())
        context["entries"] = entries
        context["chosen_ids"] = chosen
        context["chosen"] = [entry for entry in entries if entry.pk in chosen]
        return context
