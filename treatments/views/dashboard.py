"""The home page: the dashboard of what the user may see."""

from django.views.generic import TemplateView

from clinic.roles import roles_of
from treatments.dashboard import dashboard_context
from treatments.models import Patient


class HomeView(TemplateView):
    template_name = "home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["has_role"] = bool(roles_of(user)) or user.is_superuser
        if user.has_perm("treatments.view_patient"):
            context["patient_count"] = Patient.objects.active().count()
        context.update(dashboard_context(user))
        return context
