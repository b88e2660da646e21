"""The de-identified research export (physicians and clinic admins; staff are refused): a page that
says what is and is not in it, with a period, and the zip itself, streamed. Each patient exported
gets an export access event under the user's name, page by page as their rows are written."""

import logging

from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.generic import View

from clinic.checks import research_key_problem
from clinic.mixins import RolePermissionMixin
from clinic.roles import CLINIC_ADMIN, PHYSICIAN, roles_of
from treatments.forms.research import ResearchPeriodForm
from treatments.models import AccessEvent
from treatments.research import TABLES, research_zip
from treatments.services.access import access_record_many

log = logging.getLogger(__name__)

RESEARCH_ROLES = {PHYSICIAN, CLINIC_ADMIN}
TEMPLATE = "treatments/research_export.html"


class ResearchRoleMixin(RolePermissionMixin):
    """Physicians and clinic admins (and superusers); staff and users without a role get 403."""

    http_method_names = ["get"]

    def has_permission(self):
        user = self.request.user
        return user.is_superuser or bool(RESEARCH_ROLES & roles_of(user))


def _page(request, form, *, status=200):
    context = {"form": form, "tables": TABLES, "key_problem": research_key_problem()}
    return render(request, TEMPLATE, context, status=status)


class ResearchExportPageView(ResearchRoleMixin, View):
    def get(self, request):
        return _page(request, ResearchPeriodForm())


class ResearchExportDownloadView(ResearchRoleMixin, View):
    def get(self, request):
        form = ResearchPeriodForm(request.GET)
        if not form.is_valid() or research_key_problem():
            # The page again, saying what to change (or that the key is missing): no zip.
            return _page(request, form, status=400)
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        user = request.user

        def record(patient_ids):
            access_record_many(user=user, patient_ids=patient_ids, action=AccessEvent.Action.EXPORT)

        log.info("Research export started by user id %s.", user.pk)
        response = StreamingHttpResponse(
            research_zip(start=start, end=end, on_patients=record), content_type="application/zip"
        )
        filename = f"exolog-research-{timezone.localdate().isoformat()}.zip"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
