"""Backup drill on PostgreSQL: pg_dump/pg_restore and the app's own backup, compared table by table.

    python -m bench.backup_drill [--patients 40]      (make bench-backup)

Starts a throwaway PostgreSQL 15 (bench/pg.py), migrates a fresh database and seeds a demo clinic in
it (the source), then restores it twice:

1. ``pg_dump -Fc`` of the source, ``pg_restore`` into an empty database (the operator's backup);
2. ``manage.py backup_db`` (gzipped JSON, portable between SQLite and PostgreSQL), then a freshly
   migrated database and ``manage.py restore_db`` (the app's backup).

For every table of the source it compares the row count and a checksum of the rows' full content
(the md5 of each row's text form, sorted) in both copies, checks that every id sequence is past its
table's highest id (so the next record saved after a restore does not collide), and that
``manage.py check_integrity`` passes on each copy. Prints one table and PASS or FAIL.

The app's backup leaves out, by design: content types and permissions (migrate recreates them; the
dump refers to them by natural key), sessions (a restore signs everyone out) and the migration log
(the target is migrated before the restore, so its rows carry other times). Those tables are listed
as "by design" rather than compared.
"""

import argparse
import os
import secrets
import subprocess
import sys
import time

import psycopg

from bench.datasets import DATA_DIR, ROOT
from bench.pg import Cluster
from bench.scaleout import manage

SOURCE, PG_COPY, APP_COPY = "drill_source", "drill_pg_restore", "drill_app_restore"
# Not in the app's backup, on purpose (clinic/backup.py EXCLUDED), or different by nature.
APP_BACKUP_LEAVES_OUT = {
    "django_content_type": "recreated by migrate, referred to by natural key",
    "auth_permission": "recreated by migrate, referred to by natural key",
    "django_session": "a restore signs everyone out",
    "django_migrations": "the target is migrated before the restore (other times)",
}


def app_env(url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "EXOLOG_", "DATABASE_URL"))}
    return env | {
        "DJANGO_SETTINGS_MODULE": "clinic.settings",
        "DJANGO_DEBUG": "true",  # seed_demo runs in DEBUG only; backup and restore do not care
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
        "DATABASE_URL": url,
        "LOG_LEVEL": "WARNING",
    }


# Tables whose rows a JSON dump carries by what they link, not by their own id: a many-to-many
# field is serialized as the list of related keys (permissions by natural key), and loaddata creates
# the link rows afresh with new ids. They are compared on what they link.
COMPARED_BY_CONTENT = {
    "auth_group_permissions": (
        "SELECT g.name, ct.app_label, ct.model, p.codename FROM auth_group_permissions gp "
        "JOIN auth_group g ON g.id = gp.group_id JOIN auth_permission p ON p.id = gp.permission_id "
        "JOIN django_content_type ct ON ct.id = p.content_type_id"
    ),
    "auth_user_groups": "SELECT user_id, group_id FROM auth_user_groups",
    "auth_user_user_permissions": (
        "SELECT up.user_id, ct.app_label, ct.model, p.codename FROM auth_user_user_permissions up "
        "JOIN auth_permission p ON p.id = up.permission_id "
        "JOIN django_content_type ct ON ct.id = p.content_type_id"
    ),
    "treatments_patient_indications": "SELECT patient_id, indication_id FROM treatments_patient_indications",
}


def tables(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
        return [name for (name,) in rows]


def fingerprint(url: str, names: list[str]) -> dict[str, tuple[int, str]]:
    """Per table: the row count and an md5 over the sorted md5s of its rows' text (for a link table,
    of what each row links)."""
    found = {}
    with psycopg.connect(url) as conn:
        for name in names:
            rows = f"({COMPARED_BY_CONTENT[name]})" if name in COMPARED_BY_CONTENT else f'"{name}"'
            # Table names come from pg_tables and the link queries are our own.
            select = "SELECT count(*), md5(coalesce(string_agg(md5(t::text), '' ORDER BY md5(t::text)), ''))"
            query = f"{select} FROM {rows} t"  # noqa: S608
            found[name] = conn.execute(query).fetchone()
    return found


def sequences_behind(url: str) -> list[str]:
    """Id sequences whose next value would collide with a row already in their table."""
    behind = []
    with psycopg.connect(url) as conn:
        owned = conn.execute(
            "SELECT s.relname, t.relname, a.attname FROM pg_class s "
            "JOIN pg_depend d ON d.objid = s.oid AND d.deptype IN ('a', 'i') "
            "JOIN pg_class t ON t.oid = d.refobjid "
            "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid "
            "WHERE s.relkind = 'S'"
        ).fetchall()
        for sequence, table, column in owned:
            highest = conn.execute(f'SELECT max("{column}") FROM "{table}"').fetchone()[0]  # noqa: S608
            last, called = conn.execute(f'SELECT last_value, is_called FROM "{sequence}"').fetchone()  # noqa: S608
            next_value = last + 1 if called else last
            if highest is not None and next_value <= highest:
                behind.append(f"{table}.{column}: next {next_value}, highest {highest}")
    return behind


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=40, help="demo patients in the source (default 40)")
    args = parser.parse_args(argv)
    work = DATA_DIR / "backup-drill"
    work.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        os.chown(work, *_postgres_ids())
    cluster = Cluster(port=int(os.environ.get("BENCH_DRILL_PG_PORT", 54362)), directory=DATA_DIR / "pg-drill")
    started = time.monotonic()
    timings = {}
    with cluster:
        client = ("-h", "127.0.0.1", "-p", str(cluster.port), "-U", "postgres")
        for name in (SOURCE, PG_COPY, APP_COPY):
            cluster._run(cluster.bin / "dropdb", *client, "--if-exists", name)
            cluster._run(cluster.bin / "createdb", *client, name)
        source = app_env(cluster.url(SOURCE))
        step = time.monotonic()
        manage(source, "migrate", "--noinput")
        manage(source, "seed_demo", "--patients", str(args.patients), timeout=900)
        timings["seed"] = time.monotonic() - step

        dump = work / "source.dump"
        step = time.monotonic()
        cluster._run(cluster.bin / "pg_dump", *client, "-Fc", "-f", dump, SOURCE, timeout=600)
        cluster._run(cluster.bin / "pg_restore", *client, "-d", PG_COPY, "--no-owner", dump, timeout=600)
        timings["pg_dump + pg_restore"] = time.monotonic() - step

        backup = work / "source.json.gz"
        backup.unlink(missing_ok=True)
        step = time.monotonic()
        manage(source, "backup_db", str(backup))
        copy = app_env(cluster.url(APP_COPY))
        manage(copy, "migrate", "--noinput")
        manage(copy, "restore_db", str(backup))
        timings["backup_db + migrate + restore_db"] = time.monotonic() - step

        names = tables(cluster.url(SOURCE))
        expected = fingerprint(cluster.url(SOURCE), names)
        by_pg = fingerprint(cluster.url(PG_COPY), names)
        by_app = fingerprint(cluster.url(APP_COPY), names)
        failures = []
        lines = ["| table | rows | pg_restore | app restore |", "|---|---|---|---|"]
        for name in names:
            pg_verdict = "same" if by_pg[name] == expected[name] else f"DIFFERS ({by_pg[name][0]} rows)"
            if name in APP_BACKUP_LEAVES_OUT:
                app_verdict = f"by design: {APP_BACKUP_LEAVES_OUT[name]}"
            elif by_app[name] == expected[name]:
                app_verdict = "same links (new link ids)" if name in COMPARED_BY_CONTENT else "same"
            else:
                app_verdict = f"DIFFERS ({by_app[name][0]} rows)"
            if "DIFFERS" in pg_verdict + app_verdict:
                failures.append(name)
            lines.append(f"| {name} | {expected[name][0]} | {pg_verdict} | {app_verdict} |")
        for label, url, env in (
            ("pg_restore", cluster.url(PG_COPY), app_env(cluster.url(PG_COPY))),
            ("app restore", cluster.url(APP_COPY), copy),
        ):
            behind = sequences_behind(url)
            lines.append(f"- {label}: id sequences behind their tables: {', '.join(behind) or 'none'}")
            failures += behind
            integrity = subprocess.run(  # noqa: S603
                [sys.executable, "manage.py", "check_integrity"], cwd=ROOT, env=env,
                capture_output=True, text=True, timeout=600, check=False,
            )  # fmt: skip
            verdict = "passes" if integrity.returncode == 0 else "FAILS"
            lines.append(f"- {label}: `manage.py check_integrity` {verdict}")
            if integrity.returncode:
                failures.append(
                    f"check_integrity on {label}: {integrity.stdout[-500:]}{integrity.stderr[-500:]}"
                )
        kib = {path: path.stat().st_size / 1024 for path in (dump, backup)}
        sizes = f"pg_dump -Fc {kib[dump]:.0f} KiB, backup_db {kib[backup]:.0f} KiB"
    print(f"Backup drill on {cluster.version()}: {args.patients} demo patients, {len(names)} tables")
    print("\n".join(lines))
    print(f"- sizes: {sizes}")
    print("- times: " + ", ".join(f"{label} {seconds:.1f} s" for label, seconds in timings.items()))
    total = time.monotonic() - started
    if failures:
        print(f"[FAIL] {len(failures)} difference(s): {failures} ({total:.0f} s)")
        return 1
    print(f"[PASS] both restores hold every table's rows exactly ({total:.0f} s)")
    return 0


def _postgres_ids() -> tuple[int, int]:
    import pwd

    entry = pwd.getpwnam("postgres")
    return entry.pw_uid, entry.pw_gid


if __name__ == "__main__":
    raise SystemExit(main())
