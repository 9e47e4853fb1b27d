"""Roles, what each one grants, and what a route may ask for.

The lattice (a role grants itself and everything listed under it)::

    admin ──► reviewer ──► viewer
      └─────► ingest

- ``viewer``: analytics, history without inputs, the dashboard, registry and monitoring reads.
- ``ingest``: write predictions and ground truth, nothing else. It is a write-only
  credential for model services and labelling pipelines: a leaked ingest key reads nothing.
- ``reviewer``: what a viewer may, plus approving and rejecting actions, acknowledging
  and resolving alerts, running drift reports, and seeing prediction inputs.
- ``admin``: everything: registry changes, alert rules, executing actions, datasets and
  jobs, backup, restore, cleanup, keys and users.

A route asks for one :data:`Access`: a role, ``"authenticated"`` (any valid credential) or
``"public"`` (no credential: health probes, the docs, the login page).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final, Literal


class Role(StrEnum):
    """A user's or API key's role."""

    viewer = "viewer"
    ingest = "ingest"
    reviewer = "reviewer"
    admin = "admin"


PUBLIC: Final = "public"
AUTHENTICATED: Final = "authenticated"
Access = Role | Literal["public", "authenticated"]

GRANTS: Final[dict[Role, frozenset[Role]]] = {
    Role.viewer: frozenset({Role.viewer}),
    Role.ingest: frozenset({Role.ingest}),
    Role.reviewer: frozenset({Role.reviewer, Role.viewer}),
    Role.admin: frozenset(Role),
}

# Who sees a prediction's inputs (they may be personal).
INPUT_READERS: Final = Role.reviewer


def parse_role(text: str) -> Role:
    """The role named ``text``.

    Raises:
        InvalidRecordError: no role has that name; the message lists them.
    """
    from predledger.errors import InvalidRecordError

    try:
        return Role(text.strip().lower())
    except ValueError:
        names = ", ".join(role.value for role in Role)
        raise InvalidRecordError("role", f"must be one of {names}; got {text!r}") from None


def grants(role: Role, access: Access) -> bool:
    """Whether a credential of ``role`` may use a route that asks for ``access``."""
    if access in (PUBLIC, AUTHENTICATED):
        return True
    return access in GRANTS[role]


def roles_granting(access: Access) -> list[Role]:
    """Every role that may use a route asking for ``access``, lowest first."""
    return [role for role in Role if grants(role, access)]
