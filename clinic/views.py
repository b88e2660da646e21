"""The error pages: 403, 404, 500 and 503 in the app's layout, with the clinic's contact.

They say what happened and where to go, never the exception's text. The 500 page renders without
the request, its context processors and the database (they may be what failed): it reads settings
only. When what failed is the database itself (PostgreSQL restarting, a connection cut, SQLite
locked or its disk full), the page is a 503 "try again": the request is safe to repeat once the
database answers, and a load balancer or browser may retry after ``Retry-After`` seconds.
"""

import sys

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponseServerError
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


# Seconds a client is told to wait before trying again when the database is unavailable.
RETRY_AFTER_SECONDS = 10


def database_unavailable(error: BaseException | None) -> bool:
    """Whether the request failed because the database could not be used (not because of a bug).

    Django wraps the driver's errors: OperationalError covers a refused or cut connection, a
    server shutting down, a deadlock or a lock wait, and a full disk; InterfaceError a connection
    already closed.
    """
    return isinstance(error, OperationalError | InterfaceError)


def server_error(request):
    """handler500: Django calls it while handling the exception, so sys.exc_info() names it."""
    if database_unavailable(sys.exc_info()[1]):
        # A page that was being read can simply be asked for again (a form is re-sent by the user).
        again = request.path if request is not None and request.method in ("GET", "HEAD") else ""
        context = contact() | {"retry_after": RETRY_AFTER_SECONDS, "again": again}
        response = HttpResponse(loader.get_template("503.html").render(context), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return HttpResponseServerError(loader.get_template("500.html").render(contact()))


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: the refusal's reason is logged by Django, not shown."""
    return render(request, "403_csrf.html", contact(), status=403)
