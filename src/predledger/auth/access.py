"""The access control of one app: credentials checked (and remembered briefly), rate limits.

HTTP-free on purpose: ``predledger.auth.dependencies`` turns these answers into FastAPI
dependencies and HTTP errors.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy import select

from predledger.auth import queries, service
from predledger.auth.models import ApiKey
from predledger.auth.policy import access_for
from predledger.auth.ratelimit import RateLimiter
from predledger.auth.roles import Access
from predledger.auth.schemas import Principal
from predledger.auth.settings import AuthSettings
from predledger.errors import StoreError
from predledger.store.engine import Store

CredentialKind = Literal["key", "session"]
_MAX_REMEMBERED = 10_000
# ``last_used_at`` is written at most this often per key, never on every request.
TOUCH_EVERY = timedelta(minutes=10)


class AccessControl:
    """Checks credentials against the database and enforces the per-key rate limit.

    A credential found valid is trusted for ``settings.credential_cache_s`` seconds before
    it is looked up again, so a request costs a dictionary lookup, not a query.

    Args:
        store: the database holding users, keys and sign-ins (``None`` with
            authentication off).
        settings: whether authentication is on, and the limits.
    """

    def __init__(self, store: Store | None, settings: AuthSettings) -> None:
        self.store = store
        self.settings = settings
        limits = settings.limits
        self.limiter = (
            RateLimiter(limits.rate_per_s, limits.bucket_size)
            if limits.rate_per_s is not None
            else None
        )
        self._remembered: dict[tuple[CredentialKind, str], tuple[Principal, float]] = {}
        self._lock = threading.Lock()
        self._route_access: dict[tuple[frozenset[str], str], Access] = {}

    @property
    def enabled(self) -> bool:
        """Whether requests need a credential."""
        return self.settings.enabled

    def route_access(self, methods: set[str] | frozenset[str] | None, path: str) -> Access:
        """What the route needs (looked up in the policy table once per route)."""
        key = (frozenset(methods or ()), path)
        found = self._route_access.get(key)
        if found is None:
            found = self._route_access[key] = access_for(methods, path)
        return found

    def remembered(self, kind: CredentialKind, token: str) -> Principal | None:
        """A credential checked a moment ago (no database access), or ``None``."""
        entry = self._remembered.get((kind, token))
        if entry is None or entry[1] < time.monotonic():
            return None
        return entry[0]

    def look_up(self, kind: CredentialKind, token: str) -> Principal | None:
        """Check a credential in the database (blocking: call it off the event loop)."""
        if self.store is None:
            return None
        with self.store.transaction() as session:
            if kind == "key":
                principal = queries.principal_for_key(session, token)
            else:
                principal = queries.principal_for_session(session, token)
        if principal is None:
            self.forget(kind, token)
            return None
        if principal.key_id is not None:
            self._touch(principal.key_id)
        with self._lock:
            if len(self._remembered) >= _MAX_REMEMBERED:
                self._remembered.clear()
            expires = time.monotonic() + self.settings.credential_cache_s
            self._remembered[(kind, token)] = (principal, expires)
        return principal

    def forget(self, kind: CredentialKind, token: str) -> None:
        """Stop trusting a credential (signed out, revoked here)."""
        with self._lock:
            self._remembered.pop((kind, token), None)

    def forget_everything(self) -> None:
        """Look every credential up again (a key was revoked or a user disabled here)."""
        with self._lock:
            self._remembered.clear()

    def wait_before(self, principal: Principal) -> float:
        """0.0 when the caller is within its rate; else the seconds until its next request."""
        key = principal.limit_key
        if self.limiter is None or key is None:
            return 0.0
        return self.limiter.take(key)

    def _touch(self, key_id: int) -> None:
        """Record when a key was last used, at most every ``TOUCH_EVERY``; never fails."""
        if self.store is None:
            return
        try:
            with self.store.transaction() as session:
                last = session.execute(
                    select(ApiKey.last_used_at).where(ApiKey.id == key_id)
                ).scalar_one_or_none()
                if last is None or last < datetime.now(UTC) - TOUCH_EVERY:
                    service.touch_api_key(session, key_id)
        except StoreError:
            pass  # a busy database must not turn a valid key away
