"""Logging filter that keeps typed URLs (which may carry a patient's name) out of request logs."""

import logging

from django.urls import Resolver404, resolve

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
