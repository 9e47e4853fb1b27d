"""Every route declares its role, and only that role and the roles above it get through.

The matrix sends each route of the secured service a request with no key, a revoked key and
a key of each role: a role the route's declaration does not grant gets 403, no key and a
revoked key get 401, every other answer is the route's own (200, 404, 422 ...).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from typing import Any, cast

import httpx
import pytest
from auth_secured import SecuredService
from fastapi import FastAPI

from predledger import Ledger
from predledger.api import create_app
from predledger.auth.policy import declared_access
from predledger.auth.roles import AUTHENTICATED, PUBLIC, Role, grants
from predledger.demo.app import build_demo_app
from predledger.demo.models import DemoModels

UUID7 = "01900000-0000-7000-8000-000000000000"
_PARAM = re.compile(r"{([^}:]+)(:[^}]+)?}")
_VALUES = {"prediction_id": UUID7, "decision": "approve"}


def app_routes(app: FastAPI) -> Iterator[tuple[str, str]]:
    """``(method, path)`` of every route the app serves, included routers flattened."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # FastAPI before lazy router inclusion: app.routes is flat
        routes: Any = app.routes
    else:
        routes = iter_route_contexts(app.routes)
    for route in routes:
        for method in sorted(set(getattr(route, "methods", None) or ()) - {"HEAD"}):
            yield method, route.path


def service_app(tmp_path: Any) -> tuple[FastAPI, Ledger]:
    ledger = Ledger(f"sqlite:///{tmp_path / 'routes.db'}", durability="memory")
    return create_app(ledger, log_files=False, auth=True), ledger


def test_every_route_of_the_service_and_the_demo_declares_its_role(tmp_path: Any) -> None:
    app, ledger = service_app(tmp_path)
    demo = build_demo_app(cast(DemoModels, None), None)
    try:
        routes = set(app_routes(app)) | set(app_routes(demo))
        undeclared = sorted(r for r in routes if declared_access(*r) is None)
        assert undeclared == [], (
            "declare these routes' roles in predledger.auth.policy.ROUTE_ACCESS"
        )
        assert len(routes) > 60
        assert ("POST", "/v1/predictions") in routes  # the flattening found included routers
    finally:
        ledger.close()


def _concrete(path: str) -> str:
    return _PARAM.sub(lambda m: _VALUES.get(m.group(1), "1"), path)


CREDENTIALS = ("none", "revoked", *(role.value for role in Role))


def _expected(access: Any, who: str) -> str:
    if access == PUBLIC:
        return "through"
    if who == "none" or who == "revoked":
        return "401"
    if access == AUTHENTICATED or grants(Role(who), access):
        return "through"
    return "403"


def test_only_the_declared_role_and_above_get_through(
    secured: SecuredService, tmp_path: Any
) -> None:
    app, ledger = service_app(tmp_path)
    ledger.close()
    routes = sorted(set(app_routes(app)))
    clients = {
        who: secured.client(None if who == "none" else who, follow_redirects=False)
        for who in CREDENTIALS
    }
    wrong: list[str] = []
    try:
        for method, path in routes:
            access = declared_access(method, path)
            if (method, path) in {("POST", "/logout"), ("POST", "/login")}:
                continue  # public forms; signing in and out is tested with the dashboard
            for who, client in clients.items():
                answer = client.request(
                    method, _concrete(path), headers={"accept": "application/json"}
                )
                got = str(answer.status_code) if answer.status_code in (401, 403) else "through"
                if got != _expected(access, who):
                    wrong.append(
                        f"{method} {path} as {who}: {answer.status_code} {answer.text[:120]}"
                    )
    finally:
        for client in clients.values():
            client.close()
    assert wrong == []


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/docs", "/openapi.json", "/login"])
def test_public_routes_answer_without_a_key(secured: SecuredService, path: str) -> None:
    with secured.client() as client:
        assert client.get(path).status_code == 200


def test_a_refusal_names_the_fix(secured: SecuredService) -> None:
    with secured.client() as anonymous:
        answer = anonymous.get("/analytics/summary")
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith("Bearer")
    assert "predledger keys create" in answer.json()["detail"]
    with secured.client("ingest") as ingest:
        denied = ingest.get("/analytics/summary")
    assert denied.status_code == 403
    assert "viewer" in denied.json()["detail"]
    with secured.client("revoked") as revoked:
        assert "revoked" in revoked.get("/analytics/summary").json()["detail"]


def test_a_browser_without_a_sign_in_is_sent_to_the_login_page(secured: SecuredService) -> None:
    with secured.client(follow_redirects=False) as browser:
        answer = browser.get("/analytics/summary?model=m", headers={"accept": "text/html"})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/analytics/summary%3Fmodel%3Dm"


def test_whoami_tells_the_role_and_what_it_grants(secured: SecuredService) -> None:
    with secured.client("alice") as alice:
        me = alice.get("/v1/auth/me").json()
    assert me["name"] == "alice"
    assert me["role"] == "reviewer"
    assert me["roles_granted"] == ["reviewer", "viewer"]
    assert me["can_see_inputs"] is True
    with secured.client("ingest") as ingest:
        service = ingest.get("/v1/auth/me").json()
    assert service["name"] == "key:ingest-svc"
    assert service["can_see_inputs"] is False


def test_with_authentication_off_only_this_machine_is_answered(tmp_path: Any) -> None:
    ledger = Ledger(f"sqlite:///{tmp_path / 'open.db'}", durability="memory")
    app = create_app(ledger, log_files=False)

    async def ask(client_address: str) -> httpx.Response:
        transport = httpx.ASGITransport(app=app, client=(client_address, 5000))
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
            return await client.get("/analytics/summary")

    try:
        refused = asyncio.run(ask("203.0.113.9"))
        assert refused.status_code == 403
        assert "authentication is off" in refused.json()["detail"]
        assert asyncio.run(ask("127.0.0.1")).status_code == 200
    finally:
        app.state.predledger.close()
        ledger.close()
