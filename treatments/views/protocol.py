"""The clinic's protocol: the version in force and every earlier one (editing is in the admin)."""

from django.utils import timezone
from django.views.generic import TemplateView

from clinic.mixins import RolePermissionMixin
from treatments.selectors.protocol import protocol_versions


class ProtocolDetailView(RolePermissionMixin, TemplateView):
    permission_required = "treatments.view_protocol"
    template_name = "treatments/protocol_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        context.update(
            protocol_versions(today=today),
            today=today,
            can_edit=self.request.user.has_perm("treatments.change_protocol") and self.request.user.is_staff,
        )
        return context
