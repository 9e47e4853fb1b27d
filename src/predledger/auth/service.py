"""Writes of accounts and credentials. Each takes a session, may flush, never commits."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from predledger.auth import queries
from predledger.auth.credentials import (
    hash_password,
    hash_token,
    new_api_key,
    new_session_token,
    password_problem,
    verify_password,
)
from predledger.auth.models import ApiKey, LoginSession, User
from predledger.auth.roles import Role, grants
from predledger.auth.schemas import ApiKeyCreated, ApiKeyPublic, Principal, UserPublic
from predledger.errors import ConflictError, InvalidRecordError, NotFoundError

_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")
BOOTSTRAP_KEY_NAME = "bootstrap-admin"
SESSION_TTL = timedelta(hours=12)


def create_user(
    session: Session, *, username: str, password: str, role: Role, created_by: str | None = None
) -> UserPublic:
    """Add a user who signs in with ``password``.

    Raises:
        InvalidRecordError: the username or password is not acceptable; the message says why.
        ConflictError: the username is taken.
    """
    if not _USERNAME.match(username):
        raise InvalidRecordError(
            "username", "use 1 to 100 letters, digits, '.', '_', '@' or '-', starting with "
            "a letter or digit",
        )  # fmt: skip
    problem = password_problem(password)
    if problem is not None:
        raise InvalidRecordError("password", problem)
    if queries.find_user(session, username) is not None:
        raise ConflictError(f"a user called {username!r} exists: pick another name")
    user = User(
        username=username, password_hash=hash_password(password), role=role.value,
        created_at=datetime.now(UTC), created_by=created_by,
    )  # fmt: skip
    session.add(user)
    session.flush()
    return queries.user_public(user)


def disable_user(session: Session, username: str) -> UserPublic:
    """Stop a user signing in; their sign-ins end and the keys they own stop working.

    Raises:
        NotFoundError: no user has that name.
    """
    user = queries.get_user(session, username)
    now = datetime.now(UTC)
    if user.disabled_at is None:
        user.disabled_at = now
    session.execute(
        update(LoginSession)
        .where(LoginSession.user_id == user.id, LoginSession.ended_at.is_(None))
        .values(ended_at=now)
    )
    session.flush()
    return queries.user_public(user)


def create_api_key(
    session: Session,
    *,
    name: str,
    role: Role,
    username: str | None = None,
    created_by: str | None = None,
    expires_at: datetime | None = None,
) -> ApiKeyCreated:
    """Make a new key; the answer's ``key`` is the only time it is ever seen.

    Raises:
        InvalidRecordError: the name is empty, or the key would do more than its user may.
        NotFoundError: ``username`` names no user.
    """
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidRecordError("name", "give the key a name of 1 to 200 characters")
    user = queries.get_user(session, username) if username is not None else None
    if user is not None and not grants(Role(user.role), role):
        raise InvalidRecordError(
            "role", f"{username} is a {user.role}: their keys cannot have the {role} role"
        )
    key, prefix = new_api_key()
    row = ApiKey(
        prefix=prefix, key_hash=hash_token(key), name=name, role=role.value,
        user_id=user.id if user is not None else None, created_at=datetime.now(UTC),
        created_by=created_by, expires_at=expires_at,
    )  # fmt: skip
    session.add(row)
    session.flush()
    return ApiKeyCreated(key=key, info=queries.key_public(row, username))


def revoke_api_key(session: Session, ref: str) -> ApiKeyPublic:
    """Revoke a key, named by its prefix (``pl_Ab3dEf7h``), its id or the whole key.

    Raises:
        NotFoundError: no key matches.
        ConflictError: the key was already revoked.
    """
    key = _find_key(session, ref)
    if key.revoked_at is not None:
        raise ConflictError(f"the key {key.prefix} was revoked at {key.revoked_at:%Y-%m-%d %H:%M}")
    key.revoked_at = datetime.now(UTC)
    session.flush()
    owner = session.get(User, key.user_id) if key.user_id is not None else None
    return queries.key_public(key, owner.username if owner is not None else None)


def _find_key(session: Session, ref: str) -> ApiKey:
    ref = ref.strip()
    condition = ApiKey.prefix == ref
    if ref.isdigit():
        condition = ApiKey.id == int(ref)
    elif ref.count("_") >= 2:
        condition = ApiKey.key_hash == hash_token(ref)
    key = session.execute(select(ApiKey).where(condition)).scalar_one_or_none()
    if key is None:
        raise NotFoundError(f"no API key matches {ref!r}: see `predledger keys list`")
    return key


def bootstrap_admin_key(session: Session) -> ApiKeyCreated | None:
    """The first admin key, made only when no user and no key exist yet (else ``None``)."""
    if queries.count_credentials(session) > 0:
        return None
    return create_api_key(
        session, name=BOOTSTRAP_KEY_NAME, role=Role.admin, created_by="predledger serve"
    )


def check_password(session: Session, username: str, password: str) -> Principal | None:
    """Who signs in with these credentials (reads only).

    ``None`` for an unknown user, a wrong password or a disabled account, all alike and in
    the same time.
    """
    user = queries.find_user(session, username)
    if not verify_password(user.password_hash if user else None, password) or user is None:
        return None
    if user.disabled_at is not None:
        return None
    return Principal(name=user.username, role=Role(user.role), kind="session", user_id=user.id)


def start_sign_in(session: Session, principal: Principal) -> Principal:
    """Record a dashboard sign-in; the principal carries the cookie's new token. Writes only.

    The password is checked first, in a read-only transaction of its own
    (``check_password``): a write transaction that may be retried never holds argon2's work.
    """
    assert principal.user_id is not None
    token = new_session_token()
    now = datetime.now(UTC)
    session.add(
        LoginSession(
            token_hash=hash_token(token),
            user_id=principal.user_id,
            created_at=now,
            expires_at=now + SESSION_TTL,
        )
    )
    session.execute(update(User).where(User.id == principal.user_id).values(last_login_at=now))
    session.flush()
    return replace(principal, session_token=token)


def sign_out(session: Session, token: str) -> None:
    """End a dashboard sign-in (nothing happens for an unknown token)."""
    session.execute(
        update(LoginSession)
        .where(LoginSession.token_hash == hash_token(token), LoginSession.ended_at.is_(None))
        .values(ended_at=datetime.now(UTC))
    )


def touch_api_key(session: Session, key_id: int) -> None:
    """Record that a key was used just now."""
    session.execute(
        update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=datetime.now(UTC))
    )
