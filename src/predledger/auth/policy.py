"""Which role every route needs: the one table to read (and to change) when routes change.

Routes are named by method and path template, exactly as ``app.routes`` lists them. A route
missing from the table needs ``admin`` (nothing is open by mistake), and
``tests/auth/test_auth_route_table.py`` fails until it is declared here.

Prefix rules cover route families whose members share a role (the dashboard's pages);
an exact entry always wins over a prefix rule.
"""

from __future__ import annotations

from typing import Final

from predledger.auth.roles import AUTHENTICATED, PUBLIC, Access, Role

VIEW, INGEST, REVIEW, ADMIN = Role.viewer, Role.ingest, Role.reviewer, Role.admin

ROUTE_ACCESS: Final[dict[tuple[str, str], Access]] = {
    # Probes and documentation: no credential (load balancers and people reading the docs).
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/docs"): PUBLIC,
    ("GET", "/docs/oauth2-redirect"): PUBLIC,
    ("GET", "/redoc"): PUBLIC,
    ("GET", "/metrics"): VIEW,
    # Signing in and out of the dashboard, and asking who one is.
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): PUBLIC,
    ("GET", "/v1/auth/me"): AUTHENTICATED,
    # Ingest: model services and labelling pipelines.
    ("POST", "/v1/predictions"): INGEST,
    ("POST", "/v1/feedback"): INGEST,
    # Reads. Inputs are left out of every answer unless the caller may see them.
    ("GET", "/v1/predictions"): VIEW,
    ("GET", "/v1/predictions/{prediction_id}"): VIEW,
    ("GET", "/predictions/history"): VIEW,
    ("GET", "/analytics/summary"): VIEW,
    ("GET", "/analytics/label-distribution"): VIEW,
    ("GET", "/analytics/recent"): VIEW,
    ("GET", "/analytics/latency"): VIEW,
    ("GET", "/analytics/timeseries"): VIEW,
    ("GET", "/analytics/cache"): VIEW,
    ("GET", "/admin/stats"): ADMIN,
    # Datasets and batch-scoring jobs.
    ("POST", "/v1/datasets"): ADMIN,
    ("GET", "/v1/datasets"): VIEW,
    ("GET", "/v1/datasets/{dataset_id}"): VIEW,
    ("POST", "/v1/jobs"): ADMIN,
    ("GET", "/v1/jobs"): VIEW,
    ("GET", "/v1/jobs/{job_id}"): VIEW,
    # The registry: reads for everyone, changes for admins.
    ("GET", "/v1/models"): VIEW,
    ("POST", "/v1/models/{name}/versions"): ADMIN,
    ("GET", "/v1/models/{name}/versions"): VIEW,
    ("GET", "/v1/models/{name}/versions/{version}"): VIEW,
    ("GET", "/v1/models/{name}/active"): VIEW,
    ("POST", "/v1/models/{name}/versions/{version}/stage"): ADMIN,
    ("POST", "/v1/models/{name}/versions/{version}/promote"): ADMIN,
    ("POST", "/v1/models/{name}/versions/{version}/archive"): ADMIN,
    ("POST", "/v1/models/{name}/rollback"): ADMIN,
    ("GET", "/v1/models/{name}/history"): VIEW,
    ("GET", "/v1/models/{name}/performance"): VIEW,
    ("POST", "/v1/models/{name}/performance"): REVIEW,
    ("GET", "/v1/models/{name}/performance/series"): VIEW,
    ("GET", "/v1/system-metrics"): VIEW,
    ("GET", "/v1/system-metrics/names"): VIEW,
    # Monitoring: reviewers run reports and decide; admins own the rules and execution.
    ("POST", "/v1/drift/reports"): REVIEW,
    ("GET", "/v1/drift/reports"): VIEW,
    ("GET", "/v1/drift/reports/{report_id}"): VIEW,
    ("GET", "/v1/drift/reports/{report_id}/html"): VIEW,
    ("GET", "/v1/alerts/rules"): VIEW,
    ("POST", "/v1/alerts/rules"): ADMIN,
    ("GET", "/v1/alerts/rules/{rule}"): VIEW,
    ("PATCH", "/v1/alerts/rules/{rule}"): ADMIN,
    ("DELETE", "/v1/alerts/rules/{rule}"): ADMIN,
    ("POST", "/v1/alerts/evaluate"): REVIEW,
    ("GET", "/v1/alerts"): VIEW,
    ("GET", "/v1/alerts/{alert_id}"): VIEW,
    ("POST", "/v1/alerts/{alert_id}/acknowledge"): REVIEW,
    ("POST", "/v1/alerts/{alert_id}/resolve"): REVIEW,
    ("GET", "/v1/actions"): VIEW,
    ("POST", "/v1/actions"): REVIEW,
    ("GET", "/v1/actions/{action_id}"): VIEW,
    ("GET", "/v1/actions/{action_id}/events"): VIEW,
    ("POST", "/v1/actions/{action_id}/approve"): REVIEW,
    ("POST", "/v1/actions/{action_id}/reject"): REVIEW,
    ("POST", "/v1/actions/{action_id}/execute"): ADMIN,
    # The dashboard's front door sends a browser on (to the login page when signed out).
    ("GET", "/"): PUBLIC,
    # The dashboard's forms (pages are covered by the prefix rule below).
    ("POST", "/dashboard/models/{name}/versions/{version}/promote"): ADMIN,
    ("POST", "/dashboard/models/{name}/versions/{version}/archive"): ADMIN,
    ("POST", "/dashboard/models/{name}/rollback"): ADMIN,
    ("POST", "/dashboard/alerts/{alert_id}/acknowledge"): REVIEW,
    ("POST", "/dashboard/alerts/{alert_id}/resolve"): REVIEW,
    ("POST", "/dashboard/actions/{action_id}/{decision}"): REVIEW,
    # The demo's model routes (``predledger demo``).
    ("POST", "/predict"): INGEST,
    ("POST", "/batch"): INGEST,
    ("POST", "/models/{name}/predict"): INGEST,
    ("GET", "/demo/models"): VIEW,
    ("GET", "/analytics/sentiment-distribution"): VIEW,
}

# (method, path prefix, access): longest prefix first.
PREFIX_ACCESS: Final[tuple[tuple[str, str, Access], ...]] = (
    ("GET", "/dashboard/static/", PUBLIC),
    ("GET", "/dashboard", VIEW),
)

UNDECLARED: Final[Access] = ADMIN


def declared_access(method: str, path: str) -> Access | None:
    """The access a route declares, or ``None`` when the table does not name it."""
    found = ROUTE_ACCESS.get((method, path))
    if found is not None:
        return found
    for rule_method, prefix, access in PREFIX_ACCESS:
        if method == rule_method and path.startswith(prefix):
            return access
    return None


def access_for(methods: set[str] | frozenset[str] | None, path: str) -> Access:
    """What a route with these methods needs: the strictest declaration, ``admin`` if none."""
    wanted = sorted((methods or {"GET"}) - {"HEAD", "OPTIONS"}) or ["GET"]
    found = [declared_access(method, path) for method in wanted]
    if any(access is None for access in found):
        return UNDECLARED
    return max(found, key=_strictness)  # type: ignore[arg-type]


def _strictness(access: Access | None) -> int:
    order: dict[Access | None, int] = {
        PUBLIC: 0, AUTHENTICATED: 1, VIEW: 2, INGEST: 2, REVIEW: 3, ADMIN: 4,
    }  # fmt: skip
    return order[access]
