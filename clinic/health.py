"""Health checks for a load balancer: ``/healthz`` (the process answers) and ``/readyz`` (the
database answers and every migration is applied). Answered by a middleware before the session,
the login, the host check and the HTTPS redirect, so a balancer probing an app server by its own
address over plain HTTP gets an answer; the answer carries no data (a word, a status) and is never
cached. gunicorn's access log leaves both out (clinic/gunicorn_logging.py)."""

import logging

from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpResponse

log = logging.getLogger(__name__)

HEALTH_PATHS = frozenset({"/healthz", "/readyz"})


def _plain(text: str, status: int) -> HttpResponse:
    response = HttpResponse(f"{text}\n", content_type="text/plain; charset=utf-8", status=status)
    response["Cache-Control"] = "no-store"
    return response


def unapplied_migrations() -> int:
    """How many migrations the code has that the database has not applied (reads the database)."""
    executor = MigrationExecutor(connection)
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def readiness() -> tuple[str, int]:
    try:
        connection.ensure_connection()
        pending = unapplied_migrations()
    except DatabaseError as error:
        # The error's class only: its text may name the database host or user.
        log.warning("Readiness check: the database did not answer (%s).", type(error).__name__)
        return "database unavailable", 503
    if pending:
        return f"{pending} unapplied migrations", 503
    return "ready", 200


class HealthCheckMiddleware:
    """Answers ``GET``/``HEAD`` on /healthz and /readyz; everything else passes on."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info not in HEALTH_PATHS:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            response = _plain("method not allowed", 405)
            response["Allow"] = "GET, HEAD"
            return response
        if request.path_info == "/healthz":
            return _plain("ok", 200)
        return _plain(*readiness())
