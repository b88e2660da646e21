"""The home page: the dashboard of what the user may see."""

from django.utils import timezone
from django.views.generic import TemplateView

from clinic.roles import roles_of
from treatments.selectors.dashboard import dashboard_figures


class HomeView(TemplateView):
    template_name = "home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["has_role"] = bool(roles_of(user)) or user.is_superuser
        context.update(dashboard_figures(user=user, today=timezone.localdate()))
        return context
