"""Small view mixins shared by every clinical page."""

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.db import transaction
from django.http import HttpResponseRedirect

from treatments.models import StaleRecord


class RolePermissionMixin(PermissionRequiredMixin):
    """A signed-in user without the permission gets 403 (anonymous users never get here:
    LoginRequiredMiddleware sends them to the login page first)."""

    raise_exception = True


class ServiceFormMixin:
    """Run the form's write through a service; turn a stale-form conflict into a form error.

    Subclasses implement ``perform(form)`` (call the service, return the saved object) and set
    ``success_message``.
    """

    success_message = ""

    def form_valid(self, form):
        try:
            with transaction.atomic():
                self.object = self.perform(form)
        except StaleRecord as conflict:
            form.add_error(None, str(conflict))
            return self.form_invalid(form)
        if self.success_message:
            messages.success(self.request, self.success_message)
        return HttpResponseRedirect(self.get_success_url())
