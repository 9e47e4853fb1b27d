"""Webhook notifications, with a guard against requests to internal addresses.

A webhook URL is a request the server makes on a user's behalf, so a URL pointing inside the
network (the database, a metadata service at 169.254.169.254, the service itself) would let
whoever writes rules reach it. ``check_webhook_url`` resolves the host and refuses it when
any of its addresses is loopback, private, link-local, reserved, multicast or otherwise not
globally routable (IPv4-mapped IPv6 addresses are checked as the IPv4 they carry), unless
private webhooks are explicitly allowed (``allow_private_webhooks``, or the environment's
``PREDLEDGER_ALLOW_PRIVATE_WEBHOOKS=1``). Redirects are never followed.

Delivery failures are returned (and recorded by the caller), never raised.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from predledger.errors import InvalidRecordError

ENV_ALLOW_PRIVATE = "PREDLEDGER_ALLOW_PRIVATE_WEBHOOKS"
DEFAULT_TIMEOUT = 5.0
Resolver = Callable[[str, int], list[str]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
#: Cloud metadata services (AWS, GCP, Azure, OpenStack; AWS over IPv6; Alibaba).
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)


def allow_private_from_env(environ: Mapping[str, str] | None = None) -> bool:
    """Whether the environment allows webhooks to private addresses."""
    value = (environ if environ is not None else os.environ).get(ENV_ALLOW_PRIVATE, "")
    return value.strip().lower() in ("1", "true", "yes", "on")


def resolve_host(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (IP literals resolve to themselves)."""
    infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    return sorted({str(info[4][0]) for info in infos})


def _refusal(address: IPAddress) -> str | None:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address in METADATA_ADDRESSES:
        return "cloud metadata"
    for flag in ("unspecified", "loopback", "link_local", "private", "multicast", "reserved"):
        if getattr(address, f"is_{flag}"):
            return flag.replace("_", "-")
    if not address.is_global:
        return "not globally routable"
    return None


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def check_webhook_url(
    url: str, *, allow_private: bool = False, resolve: Resolver = resolve_host
) -> None:
    """Refuse a webhook URL that is malformed or reaches an internal address.

    Args:
        url: the URL.
        allow_private: accept loopback, private and link-local addresses.
        resolve: how host names are resolved (a seam for tests).

    Raises:
        InvalidRecordError: the URL is not http(s), has no host, cannot be resolved, or
            resolves to an internal address; the message says which and how to allow it.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidRecordError("webhook_url", f"must be an http:// or https:// URL, got {url!r}")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise InvalidRecordError("webhook_url", f"has an invalid port: {url!r}") from None
    if allow_private:
        return
    try:
        addresses = resolve(parts.hostname, port)
    except (OSError, UnicodeError) as exc:
        raise InvalidRecordError(
            "webhook_url", f"host {parts.hostname!r} cannot be resolved ({exc})"
        ) from None
    for text in addresses:
        reason = _refusal(ipaddress.ip_address(text.split("%")[0]))
        if reason is not None:
            raise InvalidRecordError(
                "webhook_url",
                f"{parts.hostname!r} resolves to {text}, {_article(reason)} {reason} address: "
                "webhooks to "
                f"internal addresses are refused; set {ENV_ALLOW_PRIVATE}=1 (or "
                "allow_private_webhooks) if this receiver is meant to be inside the network",
            )


@dataclass(frozen=True)
class WebhookResult:
    """What happened when a webhook was sent."""

    url: str
    ok: bool
    status_code: int | None
    error: str | None
    at: datetime

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form, as alerts keep it."""
        return {
            "url": self.url,
            "ok": self.ok,
            "status_code": self.status_code,
            "error": self.error,
            "at": self.at.isoformat(),
        }


def post_webhook(
    url: str,
    payload: Mapping[str, Any],
    *,
    allow_private: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
    resolve: Resolver = resolve_host,
    transport: httpx.BaseTransport | None = None,
) -> WebhookResult:
    """POST ``payload`` as JSON to ``url``; failures are returned, not raised.

    Args:
        url: the receiver.
        payload: the JSON body.
        allow_private: accept internal addresses.
        timeout: seconds for connecting and for the answer.
        resolve: how host names are resolved for the guard.
        transport: an httpx transport (a seam for tests).

    Returns:
        Whether the receiver answered 2xx, its status, or the error.
    """
    at = datetime.now(UTC)
    try:
        check_webhook_url(url, allow_private=allow_private, resolve=resolve)
        with httpx.Client(timeout=timeout, follow_redirects=False, transport=transport) as client:
            response = client.post(url, json=dict(payload))
    except InvalidRecordError as exc:
        return WebhookResult(url, False, None, f"refused: {exc.problem}", at)
    except httpx.HTTPError as exc:
        return WebhookResult(url, False, None, f"{type(exc).__name__}: {exc}", at)
    ok = response.is_success
    error = None if ok else f"the receiver answered {response.status_code}"
    return WebhookResult(url, ok, response.status_code, error, at)
