"""Shapes of accounts and keys going out, and of who is asking (a :class:`Principal`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from predledger.auth.roles import INPUT_READERS, Role, grants

PrincipalKind = Literal["key", "session", "open", "anonymous"]


@dataclass(frozen=True)
class Principal:
    """Who a request comes from.

    Attributes:
        name: who acts, as audit trails record it: the username of a person (signed in,
            or through a key they own), ``key:<name>`` for a service key; ``None`` when
            authentication is off or nobody signed in.
        role: what they may do; ``None`` for an anonymous caller.
        kind: ``key``, ``session`` (the dashboard's cookie), ``open`` (authentication is
            off: a caller on this machine) or ``anonymous`` (a public route, no credential).
        key_id: the API key's id, for a key.
        user_id: the user's id, for a person.
        key_prefix: the API key's visible prefix, for a key.
        session_token: the dashboard cookie's token, for a session (its CSRF token
            derives from it).
    """

    name: str | None
    role: Role | None
    kind: PrincipalKind
    key_id: int | None = None
    user_id: int | None = None
    key_prefix: str | None = None
    session_token: str | None = None

    @property
    def can_see_inputs(self) -> bool:
        """Whether this caller may read prediction inputs (reviewer, admin, or auth off)."""
        return self.role is not None and grants(self.role, INPUT_READERS)

    @property
    def limit_key(self) -> str | None:
        """What a rate limit counts requests against: the key or the person."""
        if self.key_id is not None:
            return f"key:{self.key_id}"
        if self.user_id is not None:
            return f"user:{self.user_id}"
        return None


OPEN_PRINCIPAL = Principal(name=None, role=Role.admin, kind="open")
ANONYMOUS = Principal(name=None, role=None, kind="anonymous")


class UserPublic(BaseModel):
    """A user as listed: never the password hash."""

    id: int
    username: str
    role: Role
    created_at: datetime
    created_by: str | None
    disabled_at: datetime | None
    last_login_at: datetime | None


class ApiKeyPublic(BaseModel):
    """An API key as listed: its prefix, never the key or its hash."""

    id: int
    prefix: str
    name: str
    role: Role
    username: str | None = Field(description="The user the key belongs to, if any.")
    created_at: datetime
    created_by: str | None
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class ApiKeyCreated(BaseModel):
    """A new key: ``key`` is shown this once and never stored."""

    key: str
    info: ApiKeyPublic


class WhoAmI(BaseModel):
    """``GET /v1/auth/me``: who the credential belongs to and what it may do."""

    name: str | None
    role: Role | None
    kind: PrincipalKind
    key_prefix: str | None
    can_see_inputs: bool
    roles_granted: list[Role]
