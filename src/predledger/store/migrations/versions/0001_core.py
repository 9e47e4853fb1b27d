"""core tables: predictions, rollups, feedback, requests, sessions, metrics

Revision ID: 0001
Revises:
Create Date: 2026-11-23 11:13:57.394872
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_requests",
        sa.Column(
            "id",
            sa.Uuid(as_uuid=False).with_variant(sa.String(length=36), "sqlite"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("endpoint", sa.String(length=300), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response_time_ms", sa.Float(), nullable=False),
        sa.Column("client_ip", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=500), nullable=True),
        sa.Column("request_size", sa.BigInteger(), nullable=True),
        sa.Column("response_size", sa.BigInteger(), nullable=True),
        sa.Column("cpu_percent", sa.Float(), nullable=True),
        sa.Column("memory_mb", sa.Float(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("session_id", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_requests")),
    )
    with op.batch_alter_table("api_requests", schema=None) as batch_op:
        batch_op.create_index("ix_api_requests_created_at", ["created_at"], unique=False)
        batch_op.create_index("ix_api_requests_endpoint", ["endpoint", "created_at"], unique=False)

    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column(
            "prediction_id",
            sa.Uuid(as_uuid=False).with_variant(sa.String(length=36), "sqlite"),
            nullable=False,
        ),
        sa.Column("request_id", sa.String(length=200), nullable=True),
        sa.Column("actual_label", sa.String(length=200), nullable=True),
        sa.Column("actual_value", sa.Float(), nullable=True),
        sa.Column("source", sa.String(length=100), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("replaced_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback")),
        sa.UniqueConstraint("prediction_id", name=op.f("uq_feedback_prediction_id")),
    )
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.create_index("ix_feedback_received_at", ["received_at"], unique=False)

    op.create_table(
        "performance_metrics",
        sa.Column(
            "id",
            sa.Uuid(as_uuid=False).with_variant(sa.String(length=36), "sqlite"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("model_name", sa.String(length=200), nullable=False),
        sa.Column("model_version", sa.String(length=100), nullable=False),
        sa.Column("metric_name", sa.String(length=200), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=True),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("window_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dataset_version", sa.String(length=100), nullable=True),
        sa.Column("labels", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_performance_metrics")),
    )
    with op.batch_alter_table("performance_metrics", schema=None) as batch_op:
        batch_op.create_index(
            "ix_performance_metrics_series",
            ["model_name", "metric_name", "created_at"],
            unique=False,
        )

    op.create_table(
        "prediction_latency_buckets",
        sa.Column("model_name", sa.String(length=200), nullable=False),
        sa.Column("model_version", sa.String(length=100), nullable=False),
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("bucket", sa.Integer(), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "model_name",
            "model_version",
            "hour",
            "bucket",
            name=op.f("pk_prediction_latency_buckets"),
        ),
    )
    op.create_table(
        "prediction_rollups",
        sa.Column("model_name", sa.String(length=200), nullable=False),
        sa.Column("model_version", sa.String(length=100), nullable=False),
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("cache_hits", sa.BigInteger(), nullable=False),
        sa.Column("score_count", sa.BigInteger(), nullable=False),
        sa.Column("score_sum", sa.Float(), nullable=False),
        sa.Column("value_count", sa.BigInteger(), nullable=False),
        sa.Column("value_sum", sa.Float(), nullable=False),
        sa.Column("latency_count", sa.BigInteger(), nullable=False),
        sa.Column("latency_sum", sa.Float(), nullable=False),
        sa.Column("latency_max", sa.Float(), nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "model_name",
            "model_version",
            "hour",
            "label",
            "status",
            name=op.f("pk_prediction_rollups"),
        ),
    )
    with op.batch_alter_table("prediction_rollups", schema=None) as batch_op:
        batch_op.create_index("ix_prediction_rollups_hour", ["hour"], unique=False)

    op.create_table(
        "predictions",
        sa.Column(
            "id",
            sa.Uuid(as_uuid=False).with_variant(sa.String(length=36), "sqlite"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("model_name", sa.String(length=200), nullable=False),
        sa.Column("model_version", sa.String(length=100), nullable=False),
        sa.Column("prediction_type", sa.String(length=20), nullable=False),
        sa.Column("request_id", sa.String(length=200), nullable=True),
        sa.Column("batch_id", sa.String(length=200), nullable=True),
        sa.Column("session_id", sa.String(length=200), nullable=True),
        sa.Column("dataset_id", sa.String(length=200), nullable=True),
        sa.Column("inputs", sa.JSON(), nullable=True),
        sa.Column("feature_names", sa.JSON(), nullable=True),
        sa.Column("input_hash", sa.String(length=64), nullable=True),
        sa.Column("label", sa.String(length=200), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("probabilities", sa.JSON(), nullable=True),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("interval_low", sa.Float(), nullable=True),
        sa.Column("interval_high", sa.Float(), nullable=True),
        sa.Column("confidence_level", sa.Float(), nullable=True),
        sa.Column("latency_ms", sa.Float(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("cache_hit", sa.Boolean(), nullable=False),
        sa.Column("client_ip", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_predictions")),
    )
    with op.batch_alter_table("predictions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_predictions_model_time", ["model_name", "model_version", "created_at"], unique=False
        )
        batch_op.create_index("ix_predictions_request_id", ["request_id"], unique=False)

    op.create_table(
        "system_metrics",
        sa.Column(
            "id",
            sa.Uuid(as_uuid=False).with_variant(sa.String(length=36), "sqlite"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_system_metrics")),
    )
    with op.batch_alter_table("system_metrics", schema=None) as batch_op:
        batch_op.create_index("ix_system_metrics_name_time", ["name", "created_at"], unique=False)

    op.create_table(
        "user_sessions",
        sa.Column("session_id", sa.String(length=200), nullable=False),
        sa.Column("client_ip", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=500), nullable=True),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_user_sessions")),
    )


def downgrade() -> None:
    op.drop_table("user_sessions")
    with op.batch_alter_table("system_metrics", schema=None) as batch_op:
        batch_op.drop_index("ix_system_metrics_name_time")

    op.drop_table("system_metrics")
    with op.batch_alter_table("predictions", schema=None) as batch_op:
        batch_op.drop_index("ix_predictions_request_id")
        batch_op.drop_index("ix_predictions_model_time")

    op.drop_table("predictions")
    with op.batch_alter_table("prediction_rollups", schema=None) as batch_op:
        batch_op.drop_index("ix_prediction_rollups_hour")

    op.drop_table("prediction_rollups")
    op.drop_table("prediction_latency_buckets")
    with op.batch_alter_table("performance_metrics", schema=None) as batch_op:
        batch_op.drop_index("ix_performance_metrics_series")

    op.drop_table("performance_metrics")
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_index("ix_feedback_received_at")

    op.drop_table("feedback")
    with op.batch_alter_table("api_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_api_requests_endpoint")
        batch_op.drop_index("ix_api_requests_created_at")

    op.drop_table("api_requests")
