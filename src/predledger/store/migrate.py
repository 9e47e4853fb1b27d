"""Schema migrations: Alembic, with its scripts shipped inside the package."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.exc import OperationalError

from predledger.errors import ConfigurationError, SchemaOutdatedError, StoreUnavailableError
from predledger.store.engine import Store

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def alembic_config(store: Store) -> Config:
    """An Alembic configuration bound to the store's engine (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = store.engine
    return config


def head_revision() -> str:
    """The newest revision this version of predledger ships."""
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    head = script.get_current_head()
    if head is None:
        raise ConfigurationError("predledger ships no migrations: the package is damaged")
    return head


def current_revision(store: Store) -> str | None:
    """The revision the database is at, or ``None`` for an empty database.

    Raises:
        StoreUnavailableError: the database cannot be reached.
    """
    try:
        with store.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    except OperationalError as exc:
        raise StoreUnavailableError(store.unavailable_message(exc)) from exc


def upgrade(store: Store, revision: str = "head") -> None:
    """Bring the schema up to ``revision``."""
    _run(store, "upgrade", revision)


def downgrade(store: Store, revision: str) -> None:
    """Take the schema down to ``revision`` (``base`` removes every table)."""
    _run(store, "downgrade", revision)


def _run(store: Store, verb: str, revision: str) -> None:
    config = alembic_config(store)
    try:
        getattr(command, verb)(config, revision)
    except OperationalError as exc:
        raise StoreUnavailableError(store.unavailable_message(exc)) from exc
    except Exception as exc:  # alembic raises CommandError and plain Exceptions for bad revisions
        if type(exc).__name__ in ("CommandError", "ResolutionError", "RangeNotAncestorError"):
            raise ConfigurationError(f"cannot {verb} to {revision!r}: {exc}") from exc
        raise


@dataclass(frozen=True)
class RevisionInfo:
    """One migration script."""

    revision: str
    down_revision: str | None
    message: str
    is_head: bool


def history() -> list[RevisionInfo]:
    """Every migration, newest first."""
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    heads = set(script.get_heads())
    return [
        RevisionInfo(
            revision=rev.revision,
            down_revision=rev.down_revision if isinstance(rev.down_revision, str) else None,
            message=rev.doc or "",
            is_head=rev.revision in heads,
        )
        for rev in script.walk_revisions()
    ]


def ensure_schema(store: Store, *, auto_upgrade: bool | None = None) -> str:
    """Check that the database's schema is current, creating an empty database's schema.

    Args:
        store: the database.
        auto_upgrade: upgrade an older schema instead of failing. An empty database is
            always initialised (that is what ``predledger init`` does too).

    Returns:
        The revision the database is at.

    Raises:
        SchemaOutdatedError: the schema is behind (or ahead of) this predledger.
        StoreUnavailableError: the database cannot be reached.
    """
    head = head_revision()
    current = current_revision(store)
    if current == head:
        return head
    if current is None or auto_upgrade:
        upgrade(store)
        return head
    known = {info.revision for info in history()}
    if current not in known:
        raise SchemaOutdatedError(
            f"the database {store.describe()} is at schema revision {current}, which this "
            f"predledger does not know (its newest is {head}): upgrade the predledger package"
        )
    raise SchemaOutdatedError(
        f"the database {store.describe()} is at schema revision {current} but predledger "
        f"needs {head}: run `predledger db upgrade --database-url ...` (back it up first)"
    )
