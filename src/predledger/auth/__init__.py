"""Accounts, API keys, roles and request limits.

    with store.transaction() as session:
        created = create_api_key(session, name="churn-service", role=Role.ingest)
    print(created.key)          # shown once; only its hash is stored

Roles and what each grants are in ``predledger.auth.roles``; which role each route needs
in ``predledger.auth.policy``; the FastAPI side in ``predledger.auth.dependencies``
(imported only by the HTTP service, so the library runs without FastAPI).
"""

from predledger.auth.queries import list_api_keys, list_users
from predledger.auth.roles import Role, parse_role
from predledger.auth.schemas import ApiKeyCreated, ApiKeyPublic, Principal, UserPublic
from predledger.auth.service import (
    bootstrap_admin_key,
    create_api_key,
    create_user,
    disable_user,
    revoke_api_key,
)
from predledger.auth.settings import AuthSettings, Limits

__all__ = [
    "ApiKeyCreated",
    "ApiKeyPublic",
    "AuthSettings",
    "Limits",
    "Principal",
    "Role",
    "UserPublic",
    "bootstrap_admin_key",
    "create_api_key",
    "create_user",
    "disable_user",
    "list_api_keys",
    "list_users",
    "parse_role",
    "revoke_api_key",
]
