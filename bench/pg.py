"""A throwaway PostgreSQL cluster for the bench, as CI starts one: initdb on first use, fsync off,
loopback only. The cluster lives under bench/data/pg so that its datasets are reused between runs;
it is stopped again by whoever started it."""

import os
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from bench.datasets import DATA_DIR

DEFAULT_PORT = 54350
CLUSTER_DIR = DATA_DIR / "pg"


def pg_bin() -> Path:
    """The newest installed PostgreSQL's binaries (Debian's layout), else whatever is on PATH."""
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    if versions:
        return versions[-1]
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    raise SystemExit("PostgreSQL is not installed: apt-get install -y postgresql (the bench starts its own).")


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class Cluster:
    """Start with ``with Cluster() as pg:``; ``pg.url(dbname)`` is a DATABASE_URL."""

    def __init__(self, port: int | None = None, directory: Path = CLUSTER_DIR):
        self.port = port or int(os.environ.get("BENCH_PG_PORT", DEFAULT_PORT))
        self.directory = directory
        self.data = directory / "data"
        self.bin = pg_bin()
        self.started = False

    def _run(self, *args: str, timeout: int = 120, check: bool = True) -> subprocess.CompletedProcess:
        command = " ".join(shlex.quote(str(arg)) for arg in args)
        # PostgreSQL refuses to run as root: as root, run it as the postgres user (as CI does).
        if os.geteuid() == 0:
            argv = ["su", "postgres", "-s", "/bin/sh", "-c", command]
        else:
            argv = ["sh", "-c", command]
        # The arguments are our own paths and options, each quoted.
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=check)  # noqa: S603

    def running(self) -> bool:
        if not (self.data / "PG_VERSION").exists():
            return False
        return self._run(self.bin / "pg_ctl", "-D", self.data, "status", check=False).returncode == 0

    def start(self) -> "Cluster":
        if self.running():
            print(f"PostgreSQL: reusing the running bench cluster on port {self.port}")
            return self
        if _port_open(self.port):
            raise SystemExit(
                f"Port {self.port} is taken by another server; set BENCH_PG_PORT to a free port."
            )
        self.directory.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres", "postgres")
        if not (self.data / "PG_VERSION").exists():
            shutil.rmtree(self.data, ignore_errors=True)
            self._run(
                self.bin / "initdb",
                "-D",
                self.data,
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
            )
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {tempfile.gettempdir()} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        started = time.monotonic()
        self._run(
            self.bin / "pg_ctl",
            "-D",
            self.data,
            "-l",
            self.directory / "log",
            "-w",
            "-t",
            "60",
            "-o",
            options,
            "start",
        )
        self.started = True
        print(
            f"PostgreSQL: started {self.version()} on 127.0.0.1:{self.port} "
            f"({time.monotonic() - started:.1f} s; data in {self.data})"
        )
        return self

    def stop(self) -> None:
        if self.started:
            self._run(self.bin / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop", check=False)
            self.started = False
            print("PostgreSQL: stopped")

    def version(self) -> str:
        out = self._run(self.bin / "postgres", "--version", check=False).stdout.strip()
        return out.replace("postgres (PostgreSQL) ", "PostgreSQL ")

    def url(self, dbname: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{dbname}"

    def __enter__(self) -> "Cluster":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
