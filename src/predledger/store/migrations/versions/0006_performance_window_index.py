"""performance_metrics: an index on (model, version, window start)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 14:55:00

Each pass of the performance job replaces one version's metrics for a window; without this
index that delete scans every metric stored for the model.
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("performance_metrics", schema=None) as batch_op:
        batch_op.create_index(
            "ix_performance_metrics_window",
            ["model_name", "model_version", "window_start"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("performance_metrics", schema=None) as batch_op:
        batch_op.drop_index("ix_performance_metrics_window")
