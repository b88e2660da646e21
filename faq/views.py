"""FAQ pages: the reference list with search, one entry's page, and a printable handout for a patient."""

from django.conf import settings
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views.generic import TemplateView

from clinic.mixins import RolePermissionMixin
from faq.models import EDIT_PERMISSION
from faq.selectors import faq_entries_for_page, faq_listing, faq_search, handout_entries

SEARCH_MAX_LENGTH = 100
HANDOUT_MAX_ENTRIES = 50
PATIENT_NAME_MAX_LENGTH = 120


class FaqPageMixin(RolePermissionMixin):
    permission_required = "faq.view_entry"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_edit"] = self.request.user.has_perm(EDIT_PERMISSION)
        return context


class FaqIndexView(FaqPageMixin, TemplateView):
    """Every entry the user may see, grouped by category; ``?q=`` lists the matches, best first.

    FAQ search terms are questions about the therapy, not patient data, so they may sit in the URL.
    """

    template_name = "faq/index.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        term = self.request.GET.get("q", "").strip()[:SEARCH_MAX_LENGTH]
        context["search_term"] = term
        user = self.request.user
        context["entries"] = faq_search(user=user, term=term) if term else faq_listing(user=user)
        return context


class FaqEntryView(FaqPageMixin, TemplateView):
    """One entry; an unpublished one is a 404 for anyone who cannot edit the FAQ."""

    template_name = "faq/entry.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["entry"] = get_object_or_404(
            faq_entries_for_page(user=self.request.user), slug=kwargs["slug"]
        )
        return context


class FaqHandoutView(FaqPageMixin, TemplateView):
    """Pick entries and print them for a patient, under a header with the clinic's name and phone,
    the date and (if given) the patient's name.

    Picking is a GET (``?entry=ID&entry=ID``, so a set of answers can be linked to); the patient's
    name is only ever sent by POST, printed on the sheet and stored nowhere, so it never reaches a URL,
    a log line or the database. Only published entries can be picked or printed, whoever asks: a
    handout leaves the clinic."""

    template_name = "faq/handout.html"

    def post(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(**kwargs))

    def params(self):
        return self.request.POST if self.request.method == "POST" else self.request.GET

    def chosen_ids(self) -> set[int]:
        ids = set()
        for value in self.params().getlist("entry")[:HANDOUT_MAX_ENTRIES]:
            if value.isdigit():
                ids.add(int(value))
        return ids

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        chosen = self.chosen_ids()
        entries = handout_entries()
        patient_name = " ".join(self.params().get("patient_name", "").split())
        name_error = ""
        if len(patient_name) > PATIENT_NAME_MAX_LENGTH:
            # Never cut a name short on a sheet a patient takes home: say so and print nothing.
            name_error = (
                f"The patient's name can be at most {PATIENT_NAME_MAX_LENGTH} characters "
                f"(this one has {len(patient_name)})."
            )
        context.update(
            entries=entries,
            chosen_ids=chosen,
            chosen=[] if name_error else [entry for entry in entries if entry.pk in chosen],
            patient_name=patient_name,
            patient_name_error=name_error,
            patient_name_max_length=PATIENT_NAME_MAX_LENGTH,
            clinic_name=settings.CLINIC_NAME,
            clinic_phone=settings.CLINIC_PHONE,
            printed_on=timezone.localdate(),
        )
        return context
