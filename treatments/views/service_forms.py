"""Showing a service's rule errors on the form that asked for the change."""

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect

from clinic.mixins import ServiceFormMixin
from treatments.models import StaleRecord


def add_service_error(form, error: ValidationError) -> None:
    """Put each message on its field when the form has it, otherwise above the form."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            target = field if field in form.fields and field != NON_FIELD_ERRORS else None
            form.add_error(target, ValidationError(errors))
    else:
        form.add_error(None, error)


class ServiceErrorsFormMixin(ServiceFormMixin):
    """ServiceFormMixin that also turns a rule the service enforces into a form error."""

    def form_valid(self, form):
        try:
            with transaction.atomic():
                self.object = self.perform(form)
        except StaleRecord as conflict:
            form.add_error(None, str(conflict))
            return self.form_invalid(form)
        except ValidationError as error:
            add_service_error(form, error)
            return self.form_invalid(form)
        if self.success_message:
            messages.success(self.request, self.success_message)
        return HttpResponseRedirect(self.get_success_url())
