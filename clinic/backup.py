"""Backup and restore of the whole database as gzip-compressed JSON (portable SQLite <-> PostgreSQL)."""

import datetime as dt
import gzip
import os
from pathlib import Path

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.management import create_permissions
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.management import CommandError, call_command
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.test.utils import override_settings

from clinic.models import ClinicalRecord

SUFFIX = ".json.gz"
# Recreated by migrate on any database (and referred to by natural keys in the dump), or, for
# sessions, deliberately dropped: a restore signs everyone out.
EXCLUDED = {"contenttypes", "auth.permission", "sessions"}


class ExactJSONEncoder(DjangoJSONEncoder):
    """Django's encoder cuts times to milliseconds; audit times keep their microseconds (and with
    them the order of changes made within one millisecond)."""

    def default(self, o):
        if isinstance(o, dt.datetime | dt.time):
            return o.isoformat()
        return super().default(o)


def dumped_models() -> list:
    """Every concrete model, in an order loaddata can follow (natural-key dependencies first)."""
    chosen = [
        model
        for model in apps.get_models()
        if not model._meta.proxy
        and model._meta.managed
        and model._meta.app_label not in EXCLUDED
        and model._meta.label_lower not in EXCLUDED
    ]
    return serializers.sort_dependencies([(None, chosen)], allow_cycles=True)


def dumped_objects():
    for model in dumped_models():
        yield from model._base_manager.order_by(model._meta.pk.name).iterator(chunk_size=2000)


def backup_path(file: str) -> Path:
    path = Path(file)
    if not path.name.endswith(SUFFIX):
        raise CommandError(
            f"The backup file name must end in {SUFFIX} (gzip-compressed JSON), not {path.name!r}."
        )
    return path


def model_counts() -> dict[str, int]:
    """Rows per table (every model, link and history tables included), for the summary and tests."""
    return {
        model._meta.label: model._base_manager.count()
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_label not in {"contenttypes", "sessions"}
        and model._meta.label != "auth.Permission"
    }


def dump(path: Path) -> dict[str, int]:
    """Write the database to ``path`` from one consistent snapshot; a failed dump leaves no file."""
    partial = path.with_name(path.name + ".partial")
    # The dump holds patient data, password hashes and second-factor secrets: owner-only.
    partial.touch(mode=0o600, exist_ok=False)
    # One snapshot for every table, so a record is never dumped without its audit row. SQLite gets
    # it from the transaction itself (BEGIN IMMEDIATE in these settings also holds off writers);
    # PostgreSQL needs REPEATABLE READ, which can only be asked for at the start of a transaction.
    snapshot = connection.vendor == "postgresql" and not connection.in_atomic_block
    try:
        with transaction.atomic():
            if snapshot:
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            counts = model_counts()
            with gzip.open(partial, "wt", encoding="utf-8") as stream:
                # Natural keys: users, groups and permissions are referred to by name, so the dump
                # loads into any migrated database whatever its numbering. Rows stream from the
                # database in chunks; memory stays flat.
                serializers.serialize(
                    "json",
                    dumped_objects(),
                    stream=stream,
                    use_natural_foreign_keys=True,
                    use_natural_primary_keys=True,
                    cls=ExactJSONEncoder,
                )
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return counts


def holds_data() -> bool:
    """A database holds data once it has a user account or a record someone made; what ``migrate``
    creates (groups, the clinic's starting protocol and FAQ, made by nobody) does not count, so a
    freshly migrated database restores without --force."""
    if get_user_model().objects.exists():
        return True
    return any(
        model._base_manager.filter(created_by__isnull=False).exists()
        for model in apps.get_models()
        if issubclass(model, ClinicalRecord)
    )


def wipe() -> None:
    """Empty every table, as ``flush`` does, inside the caller's transaction."""
    postgresql = connection.vendor == "postgresql"
    if postgresql:
        # TRUNCATE refuses a table whose foreign-key checks are still pending in this transaction
        # (Django's constraints are deferred): run the checks now, and defer them again after.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    # No post_migrate: it would seed the new clinic's defaults, which the backup brings itself.
    call_command("flush", interactive=False, verbosity=0, inhibit_post_migrate=True)
    if postgresql:
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    # The content types and permissions are not in the backup (its natural keys name them): make
    # them again, perhaps under new ids, and forget the cached ones.
    ContentType.objects.clear_cache()
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0)


def restore(path: Path, *, force: bool) -> dict[str, int]:
    """Load ``path`` in one transaction: any error leaves the database as it was."""
    if not path.is_file():
        raise CommandError(f"No backup file at {path}.")
    if holds_data() and not force:
        raise CommandError(
            "This database already holds data. Restore into an empty, migrated database, "
            "or pass --force to replace everything in it with the backup."
        )
    # simple-history writes a history row for every many-to-many set that loaddata performs (that
    # signal carries no "raw" flag); the backup already holds the history, so recording is off for
    # this process while it loads. restore_db runs in its own manage.py process.
    with override_settings(SIMPLE_HISTORY_ENABLED=False), transaction.atomic():
        # Forced or not, the backup replaces what is there (without --force, only what migrate made).
        wipe()
        call_command("loaddata", os.fspath(path.resolve()), verbosity=0)
        return model_counts()
