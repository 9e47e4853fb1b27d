"""operations: ops events, datasets, jobs; daily partitions of predictions and api_requests

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 14:02:11.518204

On PostgreSQL ``predictions`` and ``api_requests`` become range-partitioned by day on
``created_at``, with a DEFAULT partition as a safety net and daily partitions for every day
that holds rows plus the next week. Converting copies every row once, holding the tables
locked while it runs: back up first, and expect it to take as long as a full copy of the two
tables. On SQLite the two tables are rebuilt with the new primary key.

This migration keeps its own copy of the partition SQL so that later changes to
``predledger.ops.partitions`` never change what it does.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

PARTITIONED = {
    "predictions": (
        ("ix_predictions_model_time", ["model_name", "model_version", "created_at"]),
        ("ix_predictions_request_id", ["request_id"]),
    ),
    "api_requests": (
        ("ix_api_requests_created_at", ["created_at"]),
        ("ix_api_requests_endpoint", ["endpoint", "created_at"]),
    ),
}
DAYS_AHEAD = 7

IdColumn = sa.Uuid(as_uuid=False).with_variant(sa.String(length=36), "sqlite")


def upgrade() -> None:
    _create_operation_tables()
    for table, indexes in PARTITIONED.items():
        if op.get_bind().dialect.name == "postgresql":
            _partition(table, indexes)
        else:
            _rekey_sqlite(table, ["id", "created_at"])


def downgrade() -> None:
    for table, indexes in PARTITIONED.items():
        if op.get_bind().dialect.name == "postgresql":
            _unpartition(table, indexes)
        else:
            _rekey_sqlite(table, ["id"])
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_jobs_status_time")
    op.drop_table("jobs")
    with op.batch_alter_table("datasets", schema=None) as batch_op:
        batch_op.drop_index("ix_datasets_name_time")
    op.drop_table("datasets")
    with op.batch_alter_table("ops_events", schema=None) as batch_op:
        batch_op.drop_index("ix_ops_events_kind_time")
    op.drop_table("ops_events")


def _create_operation_tables() -> None:
    op.create_table(
        "ops_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ops_events")),
    )
    with op.batch_alter_table("ops_events", schema=None) as batch_op:
        batch_op.create_index("ix_ops_events_kind_time", ["kind", "finished_at"], unique=False)

    op.create_table(
        "datasets",
        sa.Column("id", IdColumn, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("file_format", sa.String(length=10), nullable=False),
        sa.Column("file_name", sa.String(length=300), nullable=False),
        sa.Column("original_name", sa.String(length=300), nullable=True),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("row_count", sa.BigInteger(), nullable=False),
        sa.Column("column_count", sa.Integer(), nullable=False),
        sa.Column("columns", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_datasets")),
    )
    with op.batch_alter_table("datasets", schema=None) as batch_op:
        batch_op.create_index("ix_datasets_name_time", ["name", "created_at"], unique=False)

    op.create_table(
        "jobs",
        sa.Column("id", IdColumn, nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("dataset_id", IdColumn, nullable=True),
        sa.Column("model_name", sa.String(length=200), nullable=True),
        sa.Column("model_version", sa.String(length=100), nullable=True),
        sa.Column("scorer", sa.String(length=300), nullable=True),
        sa.Column("batch_id", sa.String(length=200), nullable=True),
        sa.Column("total_rows", sa.BigInteger(), nullable=True),
        sa.Column("processed_rows", sa.BigInteger(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["datasets.id"],
            name=op.f("fk_jobs_dataset_id_datasets"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index("ix_jobs_status_time", ["status", "created_at"], unique=False)


def _rekey_sqlite(table: str, key: list[str]) -> None:
    with op.batch_alter_table(table, recreate="always") as batch_op:
        batch_op.drop_constraint(f"pk_{table}", type_="primary")
        batch_op.create_primary_key(f"pk_{table}", key)


def _partition(table: str, indexes: tuple[tuple[str, list[str]], ...]) -> None:
    old = f"{table}_unpartitioned"
    op.execute(f"ALTER TABLE {table} RENAME TO {old}")
    op.execute(f"ALTER TABLE {old} RENAME CONSTRAINT pk_{table} TO pk_{old}")
    for name, _columns in indexes:
        op.drop_index(name, table_name=old)
    op.execute(
        f"CREATE TABLE {table} (LIKE {old} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
        " PARTITION BY RANGE (created_at)"
    )
    op.execute(f"ALTER TABLE {table} ADD CONSTRAINT pk_{table} PRIMARY KEY (id, created_at)")
    for name, columns in indexes:
        op.create_index(name, table, columns, unique=False)
    op.execute(f"CREATE TABLE {table}_default PARTITION OF {table} DEFAULT")
    stored = op.get_bind().execute(
        sa.text(f"SELECT DISTINCT (created_at AT TIME ZONE 'UTC')::date FROM {old}")
    )
    today = datetime.now(UTC).date()
    days = {row[0] for row in stored} | {today + timedelta(days=n) for n in range(-1, DAYS_AHEAD)}
    for day in sorted(days):
        _create_day_partition(table, day)
    op.execute(f"INSERT INTO {table} SELECT * FROM {old}")
    op.drop_table(old)


def _create_day_partition(table: str, day: date) -> None:
    after = day + timedelta(days=1)
    op.execute(
        f"CREATE TABLE {table}_p{day:%Y%m%d} PARTITION OF {table} FOR VALUES"
        f" FROM ('{day.isoformat()} 00:00:00+00') TO ('{after.isoformat()} 00:00:00+00')"
    )


def _unpartition(table: str, indexes: tuple[tuple[str, list[str]], ...]) -> None:
    old = f"{table}_partitioned"
    op.execute(f"ALTER TABLE {table} RENAME TO {old}")
    op.execute(f"ALTER TABLE {old} RENAME CONSTRAINT pk_{table} TO pk_{old}")
    for name, _columns in indexes:
        op.drop_index(name, table_name=old)
    op.execute(f"CREATE TABLE {table} (LIKE {old} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
    op.execute(f"ALTER TABLE {table} ADD CONSTRAINT pk_{table} PRIMARY KEY (id)")
    op.execute(f"INSERT INTO {table} SELECT * FROM {old}")
    op.execute(f"DROP TABLE {old} CASCADE")
    for name, columns in indexes:
        op.create_index(name, table, columns, unique=False)
