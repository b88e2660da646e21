"""View mixins shared by every page, and the one place that turns a service's errors into form errors."""

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect

from clinic.models import StaleRecord


class RolePermissionMixin(PermissionRequiredMixin):
    """A signed-in user without the permission gets 403 (anonymous users never get here:
    LoginRequiredMiddleware sends them to the login page first)."""

    raise_exception = True


def add_service_error(form, error: ValidationError) -> None:
    """Put each message on its field when the form has that field, the rest above the form."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            target = field if field in form.fields and field != NON_FIELD_ERRORS else None
            form.add_error(target, ValidationError(errors))
    else:
        form.add_error(None, error)


def apply_service(form, write) -> bool:
    """Run ``write()`` (a call to a service) in one transaction and say whether it saved.

    When it did not, the form carries why: a rule the service enforces on its field (or above the
    form), or a stale-form conflict above the form. Nothing is half-saved either way.
    """
    try:
        with transaction.atomic():
            write()
    except StaleRecord as conflict:
        form.add_error(None, str(conflict))
        return False
    except ValidationError as error:
        add_service_error(form, error)
        return False
    return True


class ServiceFormMixin:
    """Save a valid form through a service; the service's errors come back on the form.

    Subclasses implement ``perform(form)`` (call the service, return the saved object) and may set
    ``success_message``.
    """

    success_message = ""

    def form_valid(self, form):
        def write():
            self.object = self.perform(form)

        if not apply_service(form, write):
            return self.form_invalid(form)
        if self.success_message:
            messages.success(self.request, self.success_message)
        return HttpResponseRedirect(self.get_success_url())
