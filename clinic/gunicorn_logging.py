"""gunicorn's access log for Exolog (gunicorn.conf.py names it as ``logger_class``).

The format in gunicorn.conf.py already leaves out the query string (``%(U)s``, never ``%(r)s``),
the referrer (a search page's address holds what was typed) and the user agent. This class also
masks the calendar feed's secret token in a path, and leaves the load balancer's health checks out
(one line per probe every few seconds would drown the log).
"""

from gunicorn.glogging import Logger

from clinic.health import HEALTH_PATHS
from clinic.log_filters import redact


class AccessLogger(Logger):
    def access(self, resp, req, environ, request_time):
        if environ.get("PATH_INFO") in HEALTH_PATHS:
            return
        super().access(resp, req, environ, request_time)

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        # Every atom that may carry the path: only %(U)s is in the format, but a changed format
        # must not leak a token either.
        for key in ("U", "r", "q", "f"):
            if isinstance(atoms.get(key), str):
                atoms[key] = redact(atoms[key])
        return atoms
