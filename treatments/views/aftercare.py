"""The aftercare sheet of a signed treatment, as a printable page and as a PDF download."""

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.views import View

from clinic.checks import clinic_phone_problem
from clinic.mixins import RolePermissionMixin
from treatments.models import AccessEvent, TreatmentStatus
from treatments.selectors.treatments import treatment_aftercare, treatments_for_aftercare
from treatments.services.access import access_record


class AftercareView(RolePermissionMixin, View):
    permission_required = "treatments.view_treatment"
    template_name = "treatments/aftercare.html"

    def get(self, request, pk):
        treatment = get_object_or_404(treatments_for_aftercare(), pk=pk)
        if treatment.status != TreatmentStatus.SIGNED:
            if treatment.status == TreatmentStatus.AMENDED:
                messages.info(
                    request, "This treatment was amended: the aftercare sheet follows the amendment."
                )
                return redirect("treatment_aftercare", treatment.amended_by.pk)
            messages.warning(request, "The aftercare sheet is available once the treatment is signed.")
            return redirect(treatment.get_absolute_url())
        phone_problem = clinic_phone_problem()
        if phone_problem and not settings.DEBUG:
            # A sheet that tells the patient to call the clinic needs the number to call: refused in
            # production (nothing printed, no print logged), as `check --deploy` warns beforehand.
            return render(
                request,
                "treatments/aftercare_unavailable.html",
                {"treatment": treatment, "problem": phone_problem},
                status=503,
            )
        access_record(user=request.user, patient_id=treatment.patient_id, action=AccessEvent.Action.PRINT)
        return self.respond(treatment, self.context(treatment) | {"phone_problem": phone_problem})

    def context(self, treatment) -> dict:
        return {
            "treatment": treatment,
            "patient": treatment.patient,
            **treatment_aftercare(treatment=treatment),
            "clinic_name": settings.CLINIC_NAME,
            "clinic_phone": settings.CLINIC_PHONE,
            "emergency_number": settings.EMERGENCY_NUMBER,
            "pdf": False,
        }

    def respond(self, treatment, context):
        return HttpResponse(render_to_string(self.template_name, context, request=self.request))


class AftercarePdfView(AftercareView):
    def respond(self, treatment, context):
        from treatments.pdf import render_pdf

        context["pdf"] = True
        html = render_to_string(self.template_name, context, request=self.request)
        pdf = render_pdf(html, base_url=self.request.build_absolute_uri("/"))
        response = HttpResponse(pdf, content_type="application/pdf")
        # The file name carries no patient data: it ends up in download folders and mail attachments.
        response["Content-Disposition"] = f'attachment; filename="aftercare-{treatment.pk}.pdf"'
        return response
