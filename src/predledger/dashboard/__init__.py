"""The dashboard: server-rendered pages over the ledger, with charts drawn in the browser.

Pages (Jinja2 templates) live under ``/dashboard/``; ``GET /`` sends a browser there.
Charts are drawn by plotly.js, served from the installed ``plotly`` package, so the pages
work with no internet. Every aggregate is read from the hourly rollups, so a page costs the
same however many predictions the ledger holds.

Two hooks wait for accounts and roles (``predledger.dashboard.access``): who may see a
prediction's inputs, and the CSRF token every form carries.
"""

from predledger.dashboard.routes import router

__all__ = ["router"]
