"""gunicorn's configuration for Exolog (docs/DEPLOYMENT.md): `gunicorn -c gunicorn.conf.py`.

Every value can be changed from the environment without editing this file:

- EXOLOG_BIND: where gunicorn listens; default 127.0.0.1:8000. Production binds to a Unix socket
  (unix:/run/exolog/gunicorn.sock) or 127.0.0.1 that only the reverse proxy reaches.
- GUNICORN_WORKERS: processes; default 2 per core plus 1, at most 12.
- GUNICORN_THREADS: threads per process; default 2 (each thread holds its own database connection).
- GUNICORN_TIMEOUT: seconds a request may take before its worker is restarted; default 30.
"""

import multiprocessing
import os

import gunicorn.http.wsgi

wsgi_app = "clinic.wsgi:application"


def setting(name: str, default: int) -> int:
    """A whole number from the environment; unset or empty means the default."""
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


bind = [os.environ.get("EXOLOG_BIND", "").strip() or "127.0.0.1:8000"]

cores = multiprocessing.cpu_count()
workers = setting("GUNICORN_WORKERS", min(2 * cores + 1, 12))
threads = setting("GUNICORN_THREADS", 2)
worker_class = "gthread"

# A request that takes longer than this is a stuck worker (the heaviest page takes well under a
# second); the worker is killed and replaced. On SIGTERM, requests in flight get this long to finish.
timeout = setting("GUNICORN_TIMEOUT", 30)
graceful_timeout = 30
# Keep-alive for the proxy's connections (behind nginx, which reuses upstream connections).
keepalive = 5
# Recycle workers now and then (a slow leak never grows without bound); jitter keeps them from all
# restarting at once.
max_requests = 2000
max_requests_jitter = 200

# Request size limits: a field line or a header longer than these is refused with 400.
limit_request_line = 8190
limit_request_fields = 100

# Logs go to stderr (the process manager collects them). The access log names the method, the path
# without its query string (%(U)s, never %(r)s: a search's query holds what was typed), the status,
# the size and the time taken; no referrer, no user agent. clinic.gunicorn_logging masks a calendar
# feed's token and leaves out the health checks.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
logger_class = "clinic.gunicorn_logging.AccessLogger"

# The client's address comes from the reverse proxy's X-Forwarded-For, read by the app itself
# (EXOLOG_TRUSTED_PROXIES); gunicorn trusts no forwarded header of its own.
forwarded_allow_ips = ""

# No "Server: gunicorn" banner: gunicorn has no setting for it and writes the header itself from
# the module-level name gunicorn.http.wsgi.SERVER (read for every response), so it is replaced here,
# before any worker starts. The proxy in front sends its own Server header anyway.
gunicorn.http.wsgi.SERVER = "exolog"

# No control socket (gunicorn 27 would create one under the home directory): the app servers write
# no local files, and several instances on one machine would share its path. Signals still work.
control_socket_disable = True

# Load the app in the master before forking: a broken setting stops the start at once, and the
# workers share the loaded code.
preload_app = True
