"""A service with authentication on, and a key for every role (plus a revoked one).

A module of its own (not conftest.py): several test folders have a conftest, so
``from conftest import ...`` would not always find this one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from predledger import Ledger
from predledger.api import create_app
from predledger.auth import AuthSettings, Role, create_api_key, create_user, revoke_api_key
from predledger.logfiles import LogFileSettings

from support.live_server import LiveServer

PASSWORD = "correct horse battery"


@dataclass
class SecuredService:
    """A running service with authentication on."""

    url: str
    ledger: Ledger
    keys: dict[str, str]
    log_dir: Path

    def client(self, who: str | None = None, **options: Any) -> httpx.Client:
        """A client sending ``who``'s key (``None``: no key)."""
        headers = {"Authorization": f"Bearer {self.keys[who]}"} if who else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30, **options)


def make_keys(ledger: Ledger) -> dict[str, str]:
    """A key per role, keys of two reviewers and an admin who are users, and a revoked key."""
    keys: dict[str, str] = {}
    with ledger.store.transaction() as session:
        for role in Role:
            keys[role.value] = create_api_key(session, name=f"{role.value}-svc", role=role).key
        for name, role in (("alice", Role.reviewer), ("bob", Role.reviewer), ("root", Role.admin)):
            create_user(session, username=name, password=PASSWORD, role=role)
            keys[name] = create_api_key(session, name=f"{name}-key", role=role, username=name).key
        revoked = create_api_key(session, name="old", role=Role.admin)
        revoke_api_key(session, revoked.info.prefix)
        keys["revoked"] = revoked.key
    return keys


@contextmanager
def secured_service(
    folder: Path, *, database_url: str | None = None, auth: AuthSettings | None = None,
    **ledger_options: Any,
) -> Iterator[SecuredService]:  # fmt: skip
    """predledger's own app with authentication on, served on a free port."""
    url = database_url or f"sqlite:///{folder / 'secured.db'}"
    ledger = Ledger(url, journal_dir=folder / "journal", flush_interval=0.02, **ledger_options)
    try:
        keys = make_keys(ledger)
        log_dir = folder / "logs"
        app = create_app(
            ledger, log_files=LogFileSettings(directory=log_dir),
            auth=auth or AuthSettings(enabled=True),
        )  # fmt: skip
        with LiveServer(app) as server:
            yield SecuredService(server.url, ledger, keys, log_dir)
    finally:
        ledger.close()
