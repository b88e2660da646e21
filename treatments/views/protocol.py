"""The clinic's protocol: the version in force and every earlier one (editing is in the admin)."""

from django.utils import timezone
from django.views.generic import TemplateView

from clinic.mixins import RolePermissionMixin
from treatments.models import Protocol


class ProtocolDetailView(RolePermissionMixin, TemplateView):
    permission_required = "treatments.view_protocol"
    template_name = "treatments/protocol_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        versions = list(Protocol.objects.active().prefetch_related("steps").order_by("-effective_from"))
        in_force = next((v for v in versions if v.effective_from <= today), None)
        context.update(
            today=today,
            in_force=in_force,
            versions=versions,
            can_edit=self.request.user.has_perm("treatments.change_protocol") and self.request.user.is_staff,
        )
        return context
