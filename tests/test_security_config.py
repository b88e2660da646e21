"""Configuration: every environment variable the settings read is documented in .env.example."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
READERS = re.compile(
    r"""(?:envbool|envint|envlist|os\.environ\.get|os\.environ\[)\(?\s*["']([A-Z][A-Z0-9_]+)["']"""
)


def test_env_example_documents_every_variable_the_settings_read():
    read = set(READERS.findall((ROOT / "clinic" / "settings.py").read_text(encoding="utf-8")))
    documented = {
        line.split("=", 1)[0]
        for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    }
    assert {"EXOLOG_DEMO_SKIP_SECOND_FACTOR", "EXOLOG_SESSION_IDLE_MINUTES", "EXOLOG_TRUSTED_PROXIES"} <= read
    assert sorted(read - documented) == []


def test_env_example_keeps_the_demo_switch_off():
    assert "EXOLOG_DEMO_SKIP_SECOND_FACTOR=false" in (ROOT / ".env.example").read_text(encoding="utf-8")
