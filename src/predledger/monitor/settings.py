"""How often the monitor runs each task, and what it may do, from arguments or the environment.

``PREDLEDGER_MONITOR=0`` turns the monitor off in ``predledger serve``; the intervals are
``PREDLEDGER_MONITOR_DRIFT_INTERVAL``, ``..._PERFORMANCE_INTERVAL``, ``..._ALERTS_INTERVAL``
and ``..._RETENTION_INTERVAL`` (seconds); ``PREDLEDGER_MONITOR_DRIFT_HOURS`` is the window
of the scheduled drift reports; ``PREDLEDGER_ALLOW_PRIVATE_WEBHOOKS=1`` lets webhooks reach
internal addresses.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from predledger.alerts.webhooks import DEFAULT_TIMEOUT, allow_private_from_env
from predledger.errors import ConfigurationError

ENV_PREFIX = "PREDLEDGER_MONITOR"


@dataclass(frozen=True)
class MonitorSettings:
    """The monitor's schedule and permissions.

    Attributes:
        enabled: run the monitor at all (``serve`` reads ``PREDLEDGER_MONITOR``).
        drift_interval: seconds between drift reports of every active version with a
            reference profile (0 turns the task off; likewise for the others).
        drift_hours: the window of those reports, in hours.
        drift_mode: ``histogram`` (default) or ``exact``.
        performance_interval: seconds between performance jobs.
        alerts_interval: seconds between evaluations of the alert rules.
        retention_interval: seconds between retention runs (``PREDLEDGER_RETENTION``
            says what goes; nothing runs when it is unset).
        allow_private_webhooks: let webhooks reach loopback, private and link-local
            addresses.
        webhook_timeout: seconds a webhook may take.
        first_delay: seconds before the first pass after start.
    """

    enabled: bool = True
    drift_interval: float = 3600.0
    drift_hours: float = 24.0
    drift_mode: str = "histogram"
    performance_interval: float = 300.0
    alerts_interval: float = 60.0
    retention_interval: float = 86400.0
    allow_private_webhooks: bool = False
    webhook_timeout: float = DEFAULT_TIMEOUT
    first_delay: float = 5.0

    def __post_init__(self) -> None:
        for name in ("drift_interval", "performance_interval", "alerts_interval",
                     "retention_interval", "first_delay"):  # fmt: skip
            if getattr(self, name) < 0:
                raise ConfigurationError(f"monitor {name} must be >= 0 seconds")
        if self.drift_hours <= 0:
            raise ConfigurationError("monitor drift_hours must be > 0")
        if self.drift_mode not in ("histogram", "exact"):
            raise ConfigurationError("monitor drift_mode must be 'histogram' or 'exact'")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> MonitorSettings:
        """Settings from ``PREDLEDGER_MONITOR*`` variables (unset ones keep the defaults).

        Raises:
            ConfigurationError: a variable is not a number.
        """
        env = os.environ if environ is None else environ
        defaults = cls()

        def number(suffix: str, default: float) -> float:
            raw = env.get(f"{ENV_PREFIX}_{suffix}")
            if raw is None or not raw.strip():
                return default
            try:
                return float(raw)
            except ValueError:
                raise ConfigurationError(
                    f"{ENV_PREFIX}_{suffix}={raw!r} is not a number of seconds"
                ) from None

        return cls(
            enabled=env.get(ENV_PREFIX, "1").strip().lower() not in ("0", "false", "no", "off"),
            drift_interval=number("DRIFT_INTERVAL", defaults.drift_interval),
            drift_hours=number("DRIFT_HOURS", defaults.drift_hours),
            drift_mode=env.get(f"{ENV_PREFIX}_DRIFT_MODE", defaults.drift_mode),
            performance_interval=number("PERFORMANCE_INTERVAL", defaults.performance_interval),
            alerts_interval=number("ALERTS_INTERVAL", defaults.alerts_interval),
            retention_interval=number("RETENTION_INTERVAL", defaults.retention_interval),
            allow_private_webhooks=allow_private_from_env(env),
            first_delay=number("FIRST_DELAY", defaults.first_delay),
        )
