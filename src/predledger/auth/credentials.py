"""Making and checking secrets: API keys, sign-in tokens and password hashes.

An API key reads ``pl_<8 characters>_<43 characters>``: the first part (``pl_`` and 8
characters) is its visible prefix, listed by ``predledger keys list``; the whole key carries
256 random bits past the prefix, so storing its SHA-256 is as safe as storing nothing. A
password is a person's choice, so it gets argon2id, which is slow on purpose.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import cache
from typing import Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

KEY_MARK: Final = "pl_"
PREFIX_CHARS: Final = 8
MIN_PASSWORD_LENGTH: Final = 10
_ALPHABET: Final = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_api_key() -> tuple[str, str]:
    """A new API key and its visible prefix: ``("pl_Ab3dEf7h_...", "pl_Ab3dEf7h")``."""
    prefix = KEY_MARK + "".join(secrets.choice(_ALPHABET) for _ in range(PREFIX_CHARS))
    return f"{prefix}_{secrets.token_urlsafe(32)}", prefix


def key_prefix(key: str) -> str:
    """The visible prefix of a key (what ``keys list`` shows), or ``""`` if it has none."""
    if not key.startswith(KEY_MARK) or len(key) < len(KEY_MARK) + PREFIX_CHARS:
        return ""
    return key[: len(KEY_MARK) + PREFIX_CHARS]


def hash_token(token: str) -> str:
    """The SHA-256 of a high-entropy token (an API key or a sign-in token), in hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_session_token() -> str:
    """A new sign-in token for the dashboard's cookie."""
    return secrets.token_urlsafe(32)


def csrf_for(session_token: str) -> str:
    """The CSRF token of a sign-in: derived from its cookie, so only its holder can know it."""
    return hmac.new(session_token.encode(), b"predledger-csrf", hashlib.sha256).hexdigest()


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


@cache
def _dummy_hash() -> str:
    return _hasher().hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    """An argon2id hash of the password."""
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; a missing account costs the same time as a wrong one.

    Checking against a dummy hash when the user does not exist keeps the answer's timing
    from telling which usernames exist.
    """
    try:
        return _hasher().verify(password_hash or _dummy_hash(), password) and (
            password_hash is not None
        )
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def password_problem(password: str) -> str | None:
    """Why a new password is refused, or ``None`` when it is acceptable."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"must be at least {MIN_PASSWORD_LENGTH} characters long"
    if password.strip() != password:
        return "must not start or end with spaces"
    return None
