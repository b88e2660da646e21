"""PostgreSQL indexes for the registry's patient search (PatientQuerySet.search), which matches the
start of a family name, a given name or a record number, or a whole record number, ignoring case.

Django writes those lookups on PostgreSQL as ``UPPER(column::text) LIKE UPPER('term%')`` and
``UPPER(column::text) = UPPER('term')``: a B-tree on the same UPPER(...) expression with
``text_pattern_ops`` serves both (a prefix LIKE becomes a range on the index whatever the
database's collation), and the three together let the search's OR be one BitmapOr of index scans
instead of a scan of every patient. A prefix match needs no trigram index (pg_trgm): the search
never matches the middle of a name.

SQLite writes these lookups as ``LIKE`` and has no operator classes: nothing to do there.
"""

from django.db import migrations

CREATE = [
    "CREATE INDEX IF NOT EXISTS patient_search_family_idx ON treatments_patient "
    "(UPPER(family_name) text_pattern_ops)",
    "CREATE INDEX IF NOT EXISTS patient_search_given_idx ON treatments_patient "
    "(UPPER(given_name) text_pattern_ops)",
    "CREATE INDEX IF NOT EXISTS patient_search_mrn_idx ON treatments_patient (UPPER(mrn) text_pattern_ops)",
]
DROP = [
    "DROP INDEX IF EXISTS patient_search_family_idx",
    "DROP INDEX IF EXISTS patient_search_given_idx",
    "DROP INDEX IF EXISTS patient_search_mrn_idx",
]


def on_postgresql(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("treatments", "0003_worklist_and_period_indexes"),
    ]

    operations = [
        migrations.RunPython(on_postgresql(CREATE), on_postgresql(DROP), elidable=False),
    ]
