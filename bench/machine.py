"""The machine a result was measured on: CPU model, cores, RAM, OS, Python and database versions."""

import os
import platform
import sqlite3
import subprocess
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "?"


def _os() -> str:
    name = platform.system()
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                name = line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return f"{name} (kernel {platform.release()})"


def _git_commit() -> str:
    try:
        out = subprocess.run(  # noqa: S603
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607 (git from PATH, read-only)
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        )
        dirty = subprocess.run(  # noqa: S603
            ["git", "status", "--porcelain", "--untracked-files=no"],  # noqa: S607
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        )
        return out.stdout.strip() + (" (with uncommitted changes)" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return "?"


def machine(postgresql: str | None = None) -> dict[str, str]:
    info = {
        "date": datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "commit": _git_commit(),
        "CPU": _cpu_model(),
        "cores": str(os.cpu_count()),
        "RAM": _ram(),
        "OS": _os(),
        "Python": platform.python_version(),
        "SQLite": sqlite3.sqlite_version,
        # The machine may be shared: a high load here means noisy timings.
        "load average (1/5/15 min) at the end": " / ".join(f"{x:.1f}" for x in os.getloadavg()),
    }
    if postgresql:
        info["PostgreSQL"] = postgresql
    return info


def header(postgresql: str | None = None) -> str:
    """A markdown list, for the top of a results file."""
    return "\n".join(f"- {key}: {value}" for key, value in machine(postgresql).items())
