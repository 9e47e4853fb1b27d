"""The monitoring scheduler: drift reports, performance jobs, alert rules and retention.

``start_monitor(store)`` returns a running ``Monitor`` thread; ``stop()`` ends it.
Names resolve on first use: ``predledger.store.schema`` imports this package's models.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from predledger.lazy import lazy_attributes

if TYPE_CHECKING:
    from predledger.monitor.scheduler import Monitor, start_monitor
    from predledger.monitor.settings import MonitorSettings

__getattr__ = lazy_attributes(
    __name__,
    {
        "Monitor": "predledger.monitor.scheduler",
        "start_monitor": "predledger.monitor.scheduler",
        "MonitorSettings": "predledger.monitor.settings",
    },
)


__all__ = ["Monitor", "MonitorSettings", "start_monitor"]
