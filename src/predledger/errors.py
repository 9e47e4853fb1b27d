"""Errors raised by predledger.

Every error a user can meet is a ``PredledgerError``; its message names the problem and
the fix. Adapters (the CLI, the HTTP API) map these classes to one readable line or an
HTTP status, never a traceback.

    PredledgerError
    ├── ConfigurationError        a setting (URL, option) is malformed or unsupported
    ├── InvalidRecordError        a logged record breaks a rule; ``field`` names it
    ├── StoreError                the database could not do what was asked
    │   ├── StoreUnavailableError     unreachable, locked or refusing connections
    │   └── SchemaOutdatedError       the schema is behind the code: run ``predledger db upgrade``
    ├── NotFoundError             a requested row does not exist
    ├── ConflictError             the request contradicts the current state
    ├── BackupError               a backup file is damaged, incomplete or cannot be used here
    ├── LedgerClosedError         ``log()`` after ``close()``
    ├── AuthenticationError       no credential, or one that is unknown, revoked or expired
    ├── PermissionDeniedError     the credential's role does not allow this
    └── LimitExceededError        a request limit was reached
        ├── RequestTooLargeError      the body is larger than allowed
        └── RateLimitedError          too many requests; ``retry_after_ms`` says when to retry
"""

from __future__ import annotations


class PredledgerError(Exception):
    """Base class of every error predledger raises on purpose."""


class ConfigurationError(PredledgerError):
    """A setting is malformed or names something predledger does not support."""


class InvalidRecordError(PredledgerError, ValueError):
    """A record given to the ledger breaks a rule.

    Attributes:
        field: the name of the offending field.
    """

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")


class StoreError(PredledgerError):
    """The database could not do what was asked."""


class StoreUnavailableError(StoreError):
    """The database cannot be reached, or refuses the connection or the lock."""


class SchemaOutdatedError(StoreError):
    """The database schema is older (or newer) than this version of predledger."""


class NotFoundError(PredledgerError, LookupError):
    """A requested row does not exist."""


class ConflictError(PredledgerError):
    """The request contradicts the current state (a duplicate, a forbidden transition)."""


class BackupError(PredledgerError):
    """A backup file is damaged or incomplete, or cannot be restored into this database."""


class LedgerClosedError(PredledgerError):
    """The ledger was closed; records can no longer be logged through it."""


class AuthenticationError(PredledgerError):
    """The request carries no credential, or one that is unknown, revoked or expired."""


class PermissionDeniedError(PredledgerError):
    """The credential is valid but its role does not allow what was asked."""


class LimitExceededError(PredledgerError):
    """A request limit (body size, rate) was reached.

    Attributes:
        retry_after_ms: when trying again makes sense, in milliseconds; ``None`` if never.
    """

    def __init__(self, message: str, *, retry_after_ms: int | None = None) -> None:
        self.retry_after_ms = retry_after_ms
        super().__init__(message)


class RequestTooLargeError(LimitExceededError):
    """The request body is larger than the service accepts."""


class RateLimitedError(LimitExceededError):
    """The credential sent more requests than its rate allows."""
