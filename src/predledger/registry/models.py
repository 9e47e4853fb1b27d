"""Tables of the model registry: models, their versions and every stage change.

At most one version per model is active: a unique index on ``model_versions.name``
restricted to ``is_active`` rows (a partial index on both SQLite and PostgreSQL) makes a
second active version impossible whatever the code above it does.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from predledger.store.base import Base, JSONText, UTCDateTime


class RegisteredModel(Base):
    """A model name. Its row is what concurrent promotions of the model lock."""

    __tablename__ = "registered_models"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class ModelVersion(Base):
    """One registered version of a model, with what it was trained on and its stage."""

    __tablename__ = "model_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(
        String(200), ForeignKey("registered_models.name", ondelete="CASCADE"), nullable=False
    )
    version: Mapped[str] = mapped_column(String(100), nullable=False)
    algorithm: Mapped[str | None] = mapped_column(String(200))
    task: Mapped[str | None] = mapped_column(String(20))
    classes: Mapped[Any | None] = mapped_column(JSONText)
    metrics: Mapped[Any | None] = mapped_column(JSONText)
    hyperparameters: Mapped[Any | None] = mapped_column(JSONText)
    feature_names: Mapped[Any | None] = mapped_column(JSONText)
    model_path: Mapped[str | None] = mapped_column(String(1000))
    metadata_path: Mapped[str | None] = mapped_column(String(1000))
    training_samples: Mapped[int | None] = mapped_column(Integer)
    dataset_version: Mapped[str | None] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    stage: Mapped[str] = mapped_column(String(20), nullable=False)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    reference_profile: Mapped[Any | None] = mapped_column(JSONText)
    estimator: Mapped[Any | None] = mapped_column(JSONText)
    created_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    __table_args__ = (
        UniqueConstraint("name", "version", name="uq_model_versions_name_version"),
        Index(
            "uq_model_versions_active_name",
            "name",
            unique=True,
            sqlite_where=text("is_active"),
            postgresql_where=text("is_active"),
        ),
    )


class ModelStageChange(Base):
    """One change of a version's stage or of the model's active version: who, when, from, to."""

    __tablename__ = "model_stage_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    model_version_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("model_versions.id", ondelete="CASCADE"), nullable=False
    )
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    version: Mapped[str] = mapped_column(String(100), nullable=False)
    action: Mapped[str] = mapped_column(String(20), nullable=False)
    from_stage: Mapped[str | None] = mapped_column(String(20))
    to_stage: Mapped[str] = mapped_column(String(20), nullable=False)
    previous_active_version: Mapped[str | None] = mapped_column(String(100))
    actor: Mapped[str] = mapped_column(String(200), nullable=False)
    reason: Mapped[str | None] = mapped_column(Text)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    __table_args__ = (Index("ix_model_stage_changes_name_time", "name", "changed_at"),)
