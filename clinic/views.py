"""The error pages: 403, 404 and 500 in the app's layout, with the clinic's contact.

They say what happened and where to go, never the exception's text. The 500 page renders without
the request, its context processors and the database (they may be what failed): it reads settings
only.
"""

from django.conf import settings
from django.http import HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token


def contact() -> dict:
    return {"clinic_name": settings.CLINIC_NAME, "clinic_phone": settings.CLINIC_PHONE}


@requires_csrf_token
def permission_denied(request, exception):
    return render(request, "403.html", contact(), status=403)


@requires_csrf_token
def page_not_found(request, exception):
    return render(request, "404.html", contact(), status=404)


def server_error(request):
    return HttpResponseServerError(loader.get_template("500.html").render(contact()))


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: the refusal's reason is logged by Django, not shown."""
    return render(request, "403_csrf.html", contact(), status=403)
