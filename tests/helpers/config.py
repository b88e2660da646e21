"""Loading the settings module in a fresh interpreter with a given environment."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def load_settings(**env):
    """Import clinic.settings in a new Python with ``env`` (and no DJANGO_*/DATABASE_URL from ours);
    it prints DEBUG, the key's first 8 characters and the database engine."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    clean.update(env)
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import clinic.settings as s; print(s.DEBUG, s.SECRET_KEY[:8], s.DATABASES['default']['ENGINE'])",
        ],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        check=False,
    )
