"""Production settings for the gunicorn bench, with one change: collectstatic writes to (and
WhiteNoise serves from) bench/data/static, so the bench never touches the checkout's staticfiles/."""

import os

from clinic.settings import *  # noqa: F403

STATIC_ROOT = os.environ["BENCH_STATIC_ROOT"]
