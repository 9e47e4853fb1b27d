"""Reads of accounts and credentials: who a key or a sign-in belongs to, and the lists."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from predledger.auth.credentials import hash_token
from predledger.auth.models import ApiKey, LoginSession, User
from predledger.auth.roles import Role
from predledger.auth.schemas import ApiKeyPublic, Principal, UserPublic
from predledger.errors import NotFoundError


def principal_for_key(session: Session, key: str) -> Principal | None:
    """Who this API key belongs to, or ``None`` if it is unknown, revoked, expired or disabled."""
    now = datetime.now(UTC)
    row = session.execute(
        select(ApiKey, User)
        .outerjoin(User, User.id == ApiKey.user_id)
        .where(
            ApiKey.key_hash == hash_token(key),
            ApiKey.revoked_at.is_(None),
            or_(ApiKey.expires_at.is_(None), ApiKey.expires_at > now),
        )
    ).first()
    if row is None:
        return None
    api_key, user = row
    if user is not None and user.disabled_at is not None:
        return None
    return Principal(
        name=user.username if user is not None else f"key:{api_key.name}",
        role=Role(api_key.role),
        kind="key",
        key_id=api_key.id,
        user_id=user.id if user is not None else None,
        key_prefix=api_key.prefix,
    )


def principal_for_session(session: Session, token: str) -> Principal | None:
    """Who this dashboard sign-in belongs to, or ``None`` if it ended, expired or is unknown."""
    row = session.execute(
        select(User)
        .join(LoginSession, LoginSession.user_id == User.id)
        .where(
            LoginSession.token_hash == hash_token(token),
            LoginSession.ended_at.is_(None),
            LoginSession.expires_at > datetime.now(UTC),
            User.disabled_at.is_(None),
        )
    ).scalar_one_or_none()
    if row is None:
        return None
    return Principal(
        name=row.username, role=Role(row.role), kind="session", user_id=row.id,
        session_token=token,
    )  # fmt: skip


def find_user(session: Session, username: str) -> User | None:
    """The user row of ``username`` (service code only: rows never leave the domain)."""
    return session.execute(select(User).where(User.username == username)).scalar_one_or_none()


def get_user(session: Session, username: str) -> User:
    """The user row of ``username``.

    Raises:
        NotFoundError: no user has that name.
    """
    user = find_user(session, username)
    if user is None:
        raise NotFoundError(f"no user is called {username!r}: see `predledger users list`")
    return user


def user_public(user: User) -> UserPublic:
    """The listable view of a user row."""
    return UserPublic(
        id=user.id, username=user.username, role=Role(user.role), created_at=user.created_at,
        created_by=user.created_by, disabled_at=user.disabled_at,
        last_login_at=user.last_login_at,
    )  # fmt: skip


def key_public(key: ApiKey, username: str | None) -> ApiKeyPublic:
    """The listable view of a key row."""
    return ApiKeyPublic(
        id=key.id, prefix=key.prefix, name=key.name, role=Role(key.role), username=username,
        created_at=key.created_at, created_by=key.created_by, expires_at=key.expires_at,
        revoked_at=key.revoked_at, last_used_at=key.last_used_at,
    )  # fmt: skip


def list_users(session: Session) -> list[UserPublic]:
    """Every user, by name."""
    users = session.execute(select(User).order_by(User.username)).scalars()
    return [user_public(user) for user in users]


def list_api_keys(session: Session, *, include_revoked: bool = False) -> list[ApiKeyPublic]:
    """API keys, oldest first; revoked ones only when asked."""
    query = select(ApiKey, User.username).outerjoin(User, User.id == ApiKey.user_id)
    if not include_revoked:
        query = query.where(ApiKey.revoked_at.is_(None))
    rows = session.execute(query.order_by(ApiKey.id)).all()
    return [key_public(key, username) for key, username in rows]


def count_credentials(session: Session) -> int:
    """How many users and API keys exist (revoked and disabled ones included)."""
    users = session.execute(select(func.count()).select_from(User)).scalar_one()
    keys = session.execute(select(func.count()).select_from(ApiKey)).scalar_one()
    return int(users) + int(keys)
