"""Logging filters: no typed path (which may hold a patient's name) and no secret from a URL in a log line."""

import logging
import re

from django.urls import Resolver404, resolve

# /calendar/<token>.ics: the token is the only credential of a calendar feed.
SECRET_URL_RE = re.compile(r"(/calendar/)[^/\s\"'?]+(\.ics)")


def redact(text: str) -> str:
    return SECRET_URL_RE.sub(r"\1[redacted]\2", text)


class RedactSecretURLs(logging.Filter):
    """Rewrite a record whose message contains a calendar-feed URL; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        # Django attaches the request to request-log records; its path carries the token too.
        request = getattr(record, "request", None)
        if request is not None and SECRET_URL_RE.search(getattr(request, "path", "") or ""):
            record.request = None
        return True


UNMATCHED = "<no matching route>"


def route_of(request) -> str:
    """The URL pattern a request matched ("patients/<int:pk>/"), never the path that was typed."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return UNMATCHED
    return "/" + match.route


class RouteNotPathFilter(logging.Filter):
    """Django's request and security loggers put ``request.path`` into their message arguments
    ("Not Found: /anything/typed/"). This swaps it for the matched route before any handler sees
    the record; the record stays (status and route are what an operator needs)."""

    def filter(self, record):
        request = getattr(record, "request", None)
        path = getattr(request, "path", None)
        if path and isinstance(record.args, tuple):
            escaped = path.encode("unicode_escape").decode("ascii")
            route = route_of(request)
            record.args = tuple(
                route if isinstance(arg, str) and arg in (path, escaped) else arg for arg in record.args
            )
        return True
