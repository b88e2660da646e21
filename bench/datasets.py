"""Bench datasets: one demo clinic per database vendor and size, built with ``manage.py migrate`` and
``manage.py seed_demo --patients N`` and reused while complete.

A dataset is built under a temporary name and renamed only when seeding finished, and a marker file
(bench/data/<vendor>-<size>.json) records how it was built. It is reused when the marker, the database
and the number of demo patients agree; when the project's migrations changed since, it is migrated
forward instead of rebuilt. ``--rebuild`` (or BENCH_REBUILD=1) forces a fresh one.
"""

import hashlib
import json
import os
import re
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "bench" / "data"
VENDORS = ("sqlite", "postgresql")
DEFAULT_SIZES = (1000, 100_000)
PROGRESS = re.compile(r"^(Patients|Treatments) \[?.*?(\d+)/(\d+)")


def parse_sizes(text: str | None, default=DEFAULT_SIZES) -> list[int]:
    """'1000,100000' (or BENCH_SIZES) as a sorted list of distinct positive sizes."""
    text = text or os.environ.get("BENCH_SIZES", "")
    if not text.strip():
        return list(default)
    try:
        sizes = sorted({int(part.strip().replace("_", "")) for part in text.split(",") if part.strip()})
    except ValueError:
        raise SystemExit(f"Sizes must be whole numbers separated by commas, not {text!r}.") from None
    if not sizes or sizes[0] < 1:
        raise SystemExit(f"Sizes must be at least 1, not {text!r}.")
    return sizes


def migrations_fingerprint() -> str:
    """Changes when a migration or a pinned requirement changes: the dataset must then be migrated."""
    digest = hashlib.sha256()
    for path in sorted(ROOT.glob("*/migrations/*.py")):
        digest.update(str(path.relative_to(ROOT)).encode())
    digest.update((ROOT / "requirements.txt").read_bytes())
    return digest.hexdigest()[:16]


@dataclass
class Dataset:
    vendor: str
    size: int
    cluster: object = None  # bench.pg.Cluster for PostgreSQL

    @property
    def label(self) -> str:
        return f"{self.vendor} {self.size:,} patients"

    @property
    def name(self) -> str:
        """The SQLite file or the PostgreSQL database name (what settings' NAME holds)."""
        if self.vendor == "sqlite":
            return str(DATA_DIR / f"sqlite-{self.size}.sqlite3")
        return f"exolog_bench_{self.size}"

    @property
    def marker(self) -> Path:
        return DATA_DIR / f"{self.vendor}-{self.size}.json"

    def env(self, name: str | None = None) -> dict:
        """Environment that points manage.py (and the settings) at this dataset."""
        name = name or self.name
        if self.vendor == "sqlite":
            return {"SQLITE_PATH": name, "DATABASE_URL": ""}
        return {"DATABASE_URL": self.cluster.url(name)}

    # -- reading what is there ------------------------------------------------------------------

    def _query(self, sql: str, name: str | None = None):
        name = name or self.name
        if self.vendor == "sqlite":
            if not Path(name).exists():
                return None
            with sqlite3.connect(f"file:{name}?mode=ro", uri=True) as db:
                return db.execute(sql).fetchone()[0]
        import psycopg

        with psycopg.connect(self.cluster.url(name), connect_timeout=5) as db:
            return db.execute(sql).fetchone()[0]

    def demo_patients(self) -> int | None:
        try:
            return self._query("SELECT count(*) FROM treatments_patient WHERE mrn LIKE 'DEMO-%'")
        except Exception:  # noqa: BLE001 (missing file, database or table: not complete)
            return None

    def complete(self) -> bool:
        if not self.marker.exists():
            return False
        try:
            marker = json.loads(self.marker.read_text())
        except ValueError:
            return False
        return marker.get("size") == self.size and self.demo_patients() == self.size

    # -- building -------------------------------------------------------------------------------

    def ensure(self, *, rebuild: bool = False) -> "Dataset":
        rebuild = rebuild or os.environ.get("BENCH_REBUILD", "") in ("1", "true", "yes")
        if not rebuild and self.complete():
            marker = json.loads(self.marker.read_text())
            if marker.get("migrations") != migrations_fingerprint():
                print(f"Dataset {self.label}: migrations changed since it was built; migrating it")
                self._manage(["migrate", "--noinput"], self.name)
                self._analyze()
                marker["migrations"] = migrations_fingerprint()
                self.marker.write_text(json.dumps(marker, indent=2))
            print(f"Dataset {self.label}: reusing {self.name} (built {marker.get('built_at', '?')})")
            return self
        self.build()
        return self

    def build(self) -> None:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        self.marker.unlink(missing_ok=True)
        building = self._prepare_building()
        print(f"Dataset {self.label}: building (migrate + seed_demo --patients {self.size})")
        started = time.monotonic()
        self._manage(["migrate", "--noinput"], building)
        self._manage(["seed_demo", "--patients", str(self.size)], building, progress=True)
        self._finish_building(building)
        seconds = time.monotonic() - started
        self.marker.write_text(
            json.dumps(
                {
                    "vendor": self.vendor,
                    "size": self.size,
                    "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "build_seconds": round(seconds, 1),
                    "migrations": migrations_fingerprint(),
                },
                indent=2,
            )
        )
        print(f"Dataset {self.label}: built in {seconds:.0f} s")

    def _prepare_building(self) -> str:
        if self.vendor == "sqlite":
            building = str(DATA_DIR / f"sqlite-{self.size}.building.sqlite3")
            for suffix in ("", "-wal", "-shm"):
                Path(building + suffix).unlink(missing_ok=True)
            return building
        building = f"{self.name}_building"
        self._admin(f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)', f'CREATE DATABASE "{building}"')
        return building

    def _finish_building(self, building: str) -> None:
        if self.vendor == "sqlite":
            # Fold the write-ahead log into the file before renaming it (the app turns WAL on again).
            with sqlite3.connect(building) as db:
                db.execute("PRAGMA journal_mode=DELETE")
            for suffix in ("-wal", "-shm"):
                Path(self.name + suffix).unlink(missing_ok=True)
            os.replace(building, self.name)
            return
        self._admin(
            f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)',
            f'ALTER DATABASE "{building}" RENAME TO "{self.name}"',
        )

    def _analyze(self) -> None:
        """Fresh planner statistics after a migration: one that rebuilds a SQLite table (an added
        constraint does) drops that table's statistics, and a dataset must be measured as seeded. On
        PostgreSQL a VACUUM too: a migration that fills a new column rewrites every row, and until
        the dead ones are gone and the visibility map is set again no index can be read alone."""
        if self.vendor == "sqlite":
            with sqlite3.connect(self.name) as db:
                db.execute("ANALYZE")
            return
        import psycopg

        with psycopg.connect(self.cluster.url(self.name), autocommit=True, connect_timeout=5) as db:
            db.execute("VACUUM ANALYZE")

    def _admin(self, *statements: str) -> None:
        import psycopg

        with psycopg.connect(self.cluster.url("postgres"), autocommit=True, connect_timeout=5) as db:
            for statement in statements:
                db.execute(statement)

    def _manage(self, args: list[str], name: str, *, progress: bool = False) -> None:
        """Run manage.py against the dataset ``name`` with DEBUG on (seed_demo refuses otherwise);
        its output goes to bench/data/<vendor>-<size>.log, progress to the terminal every 10 %."""
        env = os.environ | self.env(name) | {"DJANGO_DEBUG": "true", "PYTHONUNBUFFERED": "1"}
        env.pop("DJANGO_SETTINGS_MODULE", None)
        env.pop("EXOLOG_DEMO_SKIP_SECOND_FACTOR", None)
        log = DATA_DIR / f"{self.vendor}-{self.size}.log"
        shown = {}
        with log.open("a") as out:
            out.write(f"\n$ manage.py {' '.join(args)}  ({datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC)\n")
            process = subprocess.Popen(  # noqa: S603 (this interpreter, our manage.py)
                [sys.executable, "manage.py", *args],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for line in process.stdout:
                out.write(line)
                match = PROGRESS.match(line.strip())
                if progress and match:
                    what, done, total = match[1], int(match[2]), int(match[3])
                    tenth = done * 10 // max(total, 1)
                    if shown.get(what) != tenth:
                        shown[what] = tenth
                        print(f"  {what} {done}/{total}", flush=True)
            if process.wait() != 0:
                raise SystemExit(f"manage.py {' '.join(args)} failed for {self.label}; see {log}")
