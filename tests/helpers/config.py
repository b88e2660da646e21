"""Loading the settings module in a fresh interpreter with a given environment."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def load_settings(**env):
    """Import clinic.settings in a new Python with ``env`` (and no DJANGO_*/DATABASE_* from ours);
    it prints DEBUG, the key's first 8 characters and the database engine."""
    return _run(
        "import clinic.settings as s; print(s.DEBUG, s.SECRET_KEY[:8], s.DATABASES['default']['ENGINE'])", env
    )


def load_connection_settings(**env):
    """As ``load_settings``, printing the default database's CONN_MAX_AGE and CONN_HEALTH_CHECKS."""
    return _run(
        "import clinic.settings as s; db = s.DATABASES['default']; "
        "print(db.get('CONN_MAX_AGE', 0), db.get('CONN_HEALTH_CHECKS', False))",
        env,
    )


def load_database_options(**env):
    """As ``load_settings``, printing the default database's connection ``options`` (PostgreSQL's)."""
    return _run(
        "import clinic.settings as s; print(s.DATABASES['default'].get('OPTIONS', {}).get('options', ''))",
        env,
    )


def _run(program: str, env: dict):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    clean.update(env)
    return subprocess.run(  # noqa: S603 (our own interpreter and a program written here)
        [sys.executable, "-c", program],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        check=False,
    )
