"""gunicorn with the repo's gunicorn.conf.py, seen from outside: no "Server: gunicorn" banner, the
security headers on pages, error pages and WhiteNoise's static files, an access log without query
strings or health checks, and no forwarded header believed by gunicorn itself."""

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = free_port()
    log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "EXOLOG_"))}
    env |= {
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "SQLITE_PATH": str(log.with_name("unused.sqlite3")),  # the requests below read no table
        "EXOLOG_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_THREADS": "1",
    }
    with log.open("w") as output:
        process = subprocess.Popen(  # noqa: S603 (the venv's gunicorn, the repo's config)
            [str(GUNICORN), "-c", "gunicorn.conf.py"],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log.read_text()
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.2)
        yield port, log
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def fetch(port: int, path: str, **headers) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path, headers={"Host": "127.0.0.1", **headers})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


@pytest.mark.security("headers")
@pytest.mark.parametrize(
    ("path", "status"),
    [("/login/", 200), ("/no-such-page/", 404), ("/static/css/exolog.css", 200), ("/healthz", 200)],
)
def test_no_gunicorn_banner_and_the_policies_on_every_kind_of_response(server, path, status):
    port, _ = server
    response = fetch(port, path)
    assert response.status == status
    assert "gunicorn" not in (response.getheader("Server") or "").lower()
    assert all("gunicorn" not in value.lower() for _, value in response.getheaders())
    assert "camera=()" in response.getheader("Permissions-Policy")
    assert response.getheader("Cross-Origin-Resource-Policy") == "same-origin"


def test_gunicorn_believes_no_forwarded_proto(server):
    # Secure cookies are on (no DEBUG): over plain HTTP a forged header must not make the login
    # page think it is on HTTPS; HSTS is only sent on a secure request.
    port, _ = server
    response = fetch(port, "/login/", **{"X-Forwarded-Proto": "https", "X-Forwarded-Ssl": "on"})
    assert response.status == 200
    assert response.getheader("Strict-Transport-Security") is None


def test_the_access_log_has_paths_without_query_strings_and_no_health_checks(server):
    port, log = server
    fetch(port, "/no-such-page/?q=Miller+Anna", Referer="http://x.example/?q=Miller")
    fetch(port, "/calendar/s3cr3t-token-value.ics")
    fetch(port, "/healthz")
    fetch(port, "/readyz")
    time.sleep(0.5)
    text = log.read_text()
    assert '"GET /no-such-page/ HTTP/1.1" 404' in text
    assert "Miller" not in text and "q=" not in text
    assert "s3cr3t-token-value" not in text and "/calendar/[redacted].ics" in text
    assert "/healthz" not in text and "/readyz" not in text
