"""The treatments of a period: a filtered, paged list for the care team, and its download."""

from django.views.generic import ListView

from clinic.mixins import RolePermissionMixin
from treatments.filters.treatments import TreatmentFilter
from treatments.models import AccessEvent
from treatments.selectors.treatment_list import treatment_list, treatment_summary
from treatments.services.access import access_record_many


class TreatmentListView(RolePermissionMixin, ListView):
    permission_required = "treatments.view_treatment"
    template_name = "treatments/treatment_list.html"
    context_object_name = "treatments"
    paginate_by = 25

    def get_queryset(self):
        # An empty query string leaves the filter unbound: the last 30 days, no errors shown.
        self.filters = TreatmentFilter(self.request.GET or None)
        return treatment_list(filters=self.filters)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        for treatment in context["treatments"]:
            treatment.summary = treatment_summary(treatment)
        # The rows name their patients: one access event per patient listed, in one INSERT.
        access_record_many(
            user=self.request.user,
            patient_ids=list(dict.fromkeys(t.patient_id for t in context["treatments"])),
            action=AccessEvent.Action.LIST,
        )
        query = self.request.GET.copy()
        query.pop("page", None)
        first, last = self.filters.period
        context.update(
            filter_form=self.filters.form,
            filter_errors=self.filters.is_bound and not self.filters.is_valid(),
            period_start=first,
            period_end=last,
            query=query.urlencode(),
        )
        return context
