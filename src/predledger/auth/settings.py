"""Access control and request limits, from arguments or the environment.

PREDLEDGER_AUTH              1 (default for ``predledger serve``) or 0 (loopback only)
PREDLEDGER_MAX_BODY_BYTES    largest JSON request body (default 64 MiB)
PREDLEDGER_MAX_UPLOAD_BYTES  largest multipart upload (default 1 GiB)
PREDLEDGER_MAX_QUERY_DAYS    longest since/until range a read may ask for (default 366)
PREDLEDGER_RATE_LIMIT        requests per second per API key or person (default: none)
PREDLEDGER_RATE_BURST        requests a key may send at once before the rate applies
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from predledger.errors import ConfigurationError

ENV_AUTH = "PREDLEDGER_AUTH"
ENV_MAX_BODY_BYTES = "PREDLEDGER_MAX_BODY_BYTES"
ENV_MAX_UPLOAD_BYTES = "PREDLEDGER_MAX_UPLOAD_BYTES"
ENV_MAX_QUERY_DAYS = "PREDLEDGER_MAX_QUERY_DAYS"
ENV_RATE_LIMIT = "PREDLEDGER_RATE_LIMIT"
ENV_RATE_BURST = "PREDLEDGER_RATE_BURST"
_OFF = ("0", "false", "no", "off")


@dataclass(frozen=True)
class Limits:
    """What one request may ask for; past a limit the answer is 413, 422 or 429, at once.

    Attributes:
        max_body_bytes: the largest request body (JSON and everything not multipart).
        max_upload_bytes: the largest multipart body (dataset uploads).
        max_query_days: the longest ``since``/``until`` range of a read.
        rate_per_s: requests per second per API key or signed-in person; ``None`` for no limit.
        burst: requests allowed at once before the rate applies (default: a second's worth).
    """

    max_body_bytes: int = 64 * 1024 * 1024
    max_upload_bytes: int = 1 << 30
    max_query_days: float = 366.0
    rate_per_s: float | None = None
    burst: int | None = None

    def __post_init__(self) -> None:
        for name in ("max_body_bytes", "max_upload_bytes", "max_query_days"):
            if getattr(self, name) <= 0:
                raise ConfigurationError(f"{name} must be positive, got {getattr(self, name)}")
        if self.rate_per_s is not None and self.rate_per_s <= 0:
            raise ConfigurationError(f"rate_per_s must be positive, got {self.rate_per_s}")
        if self.burst is not None and self.burst < 1:
            raise ConfigurationError(f"burst must be at least 1, got {self.burst}")

    @property
    def bucket_size(self) -> float:
        """How many requests the token bucket holds."""
        if self.burst is not None:
            return float(self.burst)
        return max(1.0, self.rate_per_s or 1.0)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Limits:
        """The limits the environment sets (the defaults for what it leaves out)."""
        env = os.environ if environ is None else environ
        defaults = cls()
        rate = _number(env, ENV_RATE_LIMIT, None)
        burst = _number(env, ENV_RATE_BURST, None)
        return cls(
            max_body_bytes=int(_number(env, ENV_MAX_BODY_BYTES, defaults.max_body_bytes) or 0),
            max_upload_bytes=int(
                _number(env, ENV_MAX_UPLOAD_BYTES, defaults.max_upload_bytes) or 0
            ),
            max_query_days=_number(env, ENV_MAX_QUERY_DAYS, defaults.max_query_days) or 0.0,
            rate_per_s=rate,
            burst=int(burst) if burst is not None else None,
        )


@dataclass(frozen=True)
class AuthSettings:
    """Whether requests need a credential, and the request limits.

    Attributes:
        enabled: every route but the public ones needs an API key or a dashboard sign-in.
            Off, the service answers callers on this machine (loopback) only.
        limits: request body, time range and rate limits.
        credential_cache_s: how long a checked key or sign-in is trusted before it is
            looked up again: a revoked key stops working within this time in every process
            (at once in the process that revoked it).
    """

    enabled: bool = True
    limits: Limits = field(default_factory=Limits)
    credential_cache_s: float = 5.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> AuthSettings:
        """The settings ``PREDLEDGER_AUTH`` and the limit variables describe."""
        env = os.environ if environ is None else environ
        enabled = env.get(ENV_AUTH, "1").strip().lower() not in _OFF
        return cls(enabled=enabled, limits=Limits.from_env(env))


def _number(env: Mapping[str, str], name: str, default: float | None) -> float | None:
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        return float(text)
    except ValueError:
        raise ConfigurationError(f"{name} must be a number, got {text!r}") from None
