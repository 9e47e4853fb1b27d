"""The monitoring scheduler: drift reports, performance jobs, alert rules and retention.

``start_monitor(store)`` returns a running ``Monitor`` thread; ``stop()`` ends it.
Names resolve on first use: ``predledger.store.schema`` imports this package's models.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from predledger.monitor.scheduler import Monitor, start_monitor
    from predledger.monitor.settings import MonitorSettings

_LAZY = {
    "Monitor": "predledger.monitor.scheduler",
    "start_monitor": "predledger.monitor.scheduler",
    "MonitorSettings": "predledger.monitor.settings",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(module), name)


__all__ = ["Monitor", "MonitorSettings", "start_monitor"]
