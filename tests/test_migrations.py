"""The squashed treatments migration builds the schema that the chain it replaces builds.

A new database applies ``0001_squashed_0017_review_queue_indexes``; a database that applied any of
0001-0017 goes on with them. Both must end at the same models: same fields, options, indexes and
constraints (``makemigrations --check`` compares the models with the squashed path only)."""

from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

SQUASHED = ("treatments", "0001_squashed_0017_review_queue_indexes")


def treatments_models(state) -> dict:
    """Each treatments model's state, comparable whatever the order its parts were added in."""
    models = {}
    for (app, name), model in state.models.items():
        if app != "treatments":
            continue
        options = dict(model.options)
        for key in ("indexes", "constraints"):
            options[key] = sorted((item.name, item.deconstruct()) for item in options.get(key, []))
        fields = {field_name: field.deconstruct()[1:] for field_name, field in model.fields.items()}
        models[name] = (fields, options, model.bases, [manager for manager, _ in model.managers])
    return models


def test_the_squashed_migration_ends_where_the_chain_ends():
    chain = MigrationLoader(None, replace_migrations=False)
    squashed = MigrationLoader(None)
    assert SQUASHED in squashed.graph.nodes
    assert ("treatments", "0017_review_queue_indexes") not in squashed.graph.nodes
    assert ("treatments", "0017_review_queue_indexes") in chain.graph.nodes
    from_chain = treatments_models(chain.project_state())
    from_squash = treatments_models(squashed.project_state())
    assert len(from_chain) == 26
    assert from_squash.keys() == from_chain.keys()
    differing = [name for name in from_chain if from_chain[name] != from_squash[name]]
    assert differing == []


def test_a_new_database_applies_the_squash_and_records_the_chain(db):
    """The test database is new: it ran the squash, and is recorded as having run 0001-0017 too, so
    a later migration that depends on 0017 applies to it as to an upgraded one."""
    applied = set(MigrationRecorder(connection).applied_migrations())
    replaced = MigrationLoader(None).disk_migrations[SQUASHED].replaces
    assert len(replaced) == 17
    assert set(replaced) <= applied
