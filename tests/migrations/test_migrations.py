"""The shipped migrations build the schema the models describe, both ways, on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from predledger.ops.partitions import is_partition_name
from predledger.store import migrate
from predledger.store.engine import Store
from predledger.store.schema import metadata


def _tables(store: Store) -> set[str]:
    names = set(inspect(store.engine).get_table_names()) - {"alembic_version"}
    return {name for name in names if not is_partition_name(name)}


def test_upgrade_downgrade_upgrade_round_trip(database_url: str) -> None:
    store = Store(database_url)
    migrate.upgrade(store)
    assert migrate.current_revision(store) == migrate.head_revision()
    assert _tables(store) == set(metadata.tables)

    migrate.downgrade(store, "base")
    assert migrate.current_revision(store) is None
    assert _tables(store) == set()

    migrate.upgrade(store)
    assert _tables(store) == set(metadata.tables)
    store.dispose()


def test_models_and_migrations_agree(database_url: str) -> None:
    store = Store(database_url)
    migrate.upgrade(store)
    with store.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "include_name": lambda name, type_, _parents: (
                    not (type_ == "table" and is_partition_name(name))
                ),
            },
        )
        differences = compare_metadata(context, metadata)
    store.dispose()
    assert differences == []


def test_every_revision_downgrades_one_step_at_a_time(database_url: str) -> None:
    store = Store(database_url)
    migrate.upgrade(store)
    revisions = [info.revision for info in migrate.history()]
    for expected_after in [*revisions[1:], None]:
        migrate.downgrade(store, "-1")
        assert migrate.current_revision(store) == expected_after
    store.dispose()
