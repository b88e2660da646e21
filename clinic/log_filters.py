"""Logging filters: keep secrets that travel in URLs out of every log line."""

import logging
import re

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
