"""Alembic environment: runs migrations on the engine the caller configured."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine, create_engine

from predledger.ops.partitions import is_partition_name
from predledger.store.schema import metadata

config = context.config


def _engine() -> Engine:
    engine = config.attributes.get("engine")
    if isinstance(engine, Engine):
        return engine
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("set sqlalchemy.url or pass an engine in config.attributes")
    return create_engine(url)


def include_name(name: str | None, type_: str, _parents: object) -> bool:
    """Leave PostgreSQL's daily partitions out of autogenerate: they are not schema tables."""
    return not (type_ == "table" and name is not None and is_partition_name(name))


def run_migrations() -> None:
    """Run the migrations online, one transaction for all of them."""
    engine = _engine()
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            include_name=include_name,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations()
