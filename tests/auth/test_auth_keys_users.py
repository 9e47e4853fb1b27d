"""Keys and users: stored as hashes, shown once, revoked and disabled, from the library and CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from predledger import ConflictError, InvalidRecordError, Ledger
from predledger.auth import (
    Role,
    bootstrap_admin_key,
    create_api_key,
    create_user,
    list_api_keys,
    revoke_api_key,
)
from predledger.auth.queries import principal_for_key
from predledger.auth.roles import GRANTS, grants
from predledger.store.engine import Store
from predledger.store.migrate import ensure_schema

from support.db_checks import query


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "predledger.cli", *args],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
    )  # fmt: skip


@pytest.fixture
def store(database_url: str) -> Store:
    store = Store(database_url)
    ensure_schema(store)
    return store


def test_a_key_is_stored_as_a_hash_with_a_visible_prefix(store: Store, database_url: str) -> None:
    with store.transaction() as session:
        created = create_api_key(session, name="churn", role=Role.ingest)
    key = created.key
    assert key.startswith(created.info.prefix + "_")
    assert len(key) > 50
    rows = query(database_url, "SELECT prefix, key_hash FROM api_keys")
    assert rows[0]["prefix"] == created.info.prefix
    assert key not in json.dumps(rows)
    with store.transaction() as session:
        found = principal_for_key(session, key)
        assert found is not None
        assert (found.role, found.name) == (Role.ingest, "key:churn")
        assert principal_for_key(session, key + "x") is None
        revoke_api_key(session, created.info.prefix)
        assert principal_for_key(session, key) is None
        with pytest.raises(ConflictError, match="was revoked"):
            revoke_api_key(session, created.info.prefix)
    store.dispose()


def test_passwords_are_argon2_hashes_and_a_weak_one_is_refused(store: Store) -> None:
    with store.transaction() as session:
        with pytest.raises(InvalidRecordError, match="at least 10"):
            create_user(session, username="ann", password="short", role=Role.viewer)
        create_user(session, username="ann", password="a long passphrase", role=Role.viewer)
        with pytest.raises(ConflictError, match="pick another name"):
            create_user(session, username="ann", password="a long passphrase", role=Role.admin)
    with store.engine.connect() as connection:
        stored = connection.exec_driver_sql("SELECT password_hash FROM users").scalar_one()
    assert stored.startswith("$argon2id$")
    assert "passphrase" not in stored
    store.dispose()


def test_a_key_cannot_do_more_than_its_user(store: Store) -> None:
    with store.transaction() as session:
        create_user(session, username="vic", password="a long passphrase", role=Role.viewer)
        with pytest.raises(InvalidRecordError, match="cannot have the admin role"):
            create_api_key(session, name="escalate", role=Role.admin, username="vic")
        owned = create_api_key(session, name="vic-laptop", role=Role.viewer, username="vic")
        assert owned.info.username == "vic"
        assert principal_for_key(session, owned.key).name == "vic"  # type: ignore[union-attr]
    store.dispose()


def test_the_first_admin_key_is_made_only_for_an_empty_table(store: Store) -> None:
    with store.transaction() as session:
        first = bootstrap_admin_key(session)
        assert first is not None
        assert first.info.role is Role.admin
        assert bootstrap_admin_key(session) is None
        assert [k.prefix for k in list_api_keys(session)] == [first.info.prefix]
    store.dispose()


def test_the_role_lattice() -> None:
    assert grants(Role.admin, Role.ingest)
    assert grants(Role.admin, Role.reviewer)
    assert grants(Role.reviewer, Role.viewer)
    assert not grants(Role.reviewer, Role.ingest)
    assert not grants(Role.ingest, Role.viewer)
    assert not grants(Role.viewer, Role.reviewer)
    assert GRANTS[Role.admin] == frozenset(Role)


def test_cli_users_and_keys(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    db = ("--database-url", url)
    made = cli("users", "create", "dana", "--role", "reviewer", *db,
               env={"PREDLEDGER_NEW_PASSWORD": "a long passphrase"})  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert "dana (reviewer) created" in made.stdout
    weak = cli("users", "create", "eve", "--role", "viewer", *db,
               env={"PREDLEDGER_NEW_PASSWORD": "short"})  # fmt: skip
    assert weak.returncode == 1
    assert "at least 10 characters" in weak.stderr
    assert "Traceback" not in weak.stderr

    key = cli("keys", "create", "--name", "dana-cli", "--role", "viewer", "--user", "dana", *db)
    assert key.returncode == 0, key.stderr
    secret = key.stdout.splitlines()[0].strip()
    assert secret.startswith("pl_")
    listed = cli("keys", "list", "--json", *db)
    assert listed.returncode == 0, listed.stderr
    keys = json.loads(listed.stdout)
    assert [(k["name"], k["username"], k["role"]) for k in keys] == [("dana-cli", "dana", "viewer")]
    assert secret not in listed.stdout
    assert secret[:11] == keys[0]["prefix"]

    bad_role = cli("keys", "create", "--name", "x", "--role", "superuser", *db)
    assert bad_role.returncode == 1
    assert "viewer, ingest, reviewer, admin" in bad_role.stderr

    assert cli("keys", "revoke", keys[0]["prefix"], *db).returncode == 0
    assert json.loads(cli("keys", "list", "--json", *db).stdout) == []
    assert cli("users", "disable", "dana", *db).returncode == 0
    users = json.loads(cli("users", "list", "--json", *db).stdout)
    assert users[0]["disabled_at"] is not None
    missing = cli("users", "disable", "nobody", *db)
    assert missing.returncode == 1
    assert "predledger users list" in missing.stderr


def test_ledger_stays_usable_beside_auth_tables(tmp_path: Path) -> None:
    # The migration adds tables only: a ledger opens and logs as before.
    with Ledger(f"sqlite:///{tmp_path / 'l.db'}", durability="sync") as ledger:
        ledger.log(model="m", version="1", label="a")
