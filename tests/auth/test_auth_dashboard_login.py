"""Signing in to the dashboard: the cookie, CSRF on everything that changes state, signing out."""

from __future__ import annotations

import re

import httpx
from auth_secured import PASSWORD, SecuredService

from predledger.auth import Role, create_user, disable_user
from predledger.auth.dependencies import AUTH_COOKIE
from predledger.registry.retry import run_in_transaction

from support.api_service import wait_until


def _login_token(client: httpx.Client) -> str:
    page = client.get("/login", params={"next": "/v1/auth/me"})
    assert page.status_code == 200
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


def sign_in(client: httpx.Client, username: str, password: str = PASSWORD) -> httpx.Response:
    token = _login_token(client)
    return client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "csrf_token": token,
            "next": "/v1/auth/me",
        },
    )


def test_signing_in_sets_a_session_cookie_that_acts_as_the_user(secured: SecuredService) -> None:
    with secured.client(follow_redirects=False) as browser:
        signed = sign_in(browser, "alice")
        assert signed.status_code == 303
        assert signed.headers["location"] == "/v1/auth/me"
        cookie = signed.headers["set-cookie"]
        assert cookie.startswith(f"{AUTH_COOKIE}=")
        assert "HttpOnly" in cookie
        assert "SameSite=lax" in cookie
        me = browser.get("/v1/auth/me").json()
        assert (me["name"], me["role"], me["kind"]) == ("alice", "reviewer", "session")
        assert browser.get("/analytics/summary").status_code == 200
        assert browser.get("/admin/stats").status_code == 403  # a reviewer is not an admin


def test_a_wrong_password_or_a_forged_form_is_refused(secured: SecuredService) -> None:
    with secured.client(follow_redirects=False) as browser:
        wrong = sign_in(browser, "alice", "not the password")
        assert wrong.status_code == 401
        assert "Wrong username or password" in wrong.text
        assert AUTH_COOKIE not in wrong.headers.get("set-cookie", "")
        unknown = sign_in(browser, "nobody")
        assert unknown.status_code == 401
    with secured.client(follow_redirects=False) as other_site:
        forged = other_site.post(
            "/login", data={"username": "alice", "password": PASSWORD, "csrf_token": "guess"}
        )
        assert forged.status_code == 403


def test_changes_through_the_cookie_need_the_csrf_token(secured: SecuredService) -> None:
    with secured.client(follow_redirects=False) as browser:
        assert sign_in(browser, "root").status_code == 303
        page = browser.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token is not None
        assert "Signed in as" in page.text
        body = {"action_type": "retrain", "description": "csrf check", "risk_level": "low"}
        without = browser.post("/v1/actions", json=body)
        assert without.status_code == 403
        assert "CSRF" in without.json()["detail"]
        with_token = browser.post(
            "/v1/actions", json=body, headers={"X-CSRF-Token": token.group(1)}
        )
        assert with_token.status_code == 201
        assert with_token.json()["proposed_by"] == "root"

        assert browser.post("/logout", data={"csrf_token": "wrong"}).status_code == 403
        out = browser.post("/logout", data={"csrf_token": token.group(1)})
        assert out.status_code == 303
        assert browser.get("/v1/auth/me").status_code == 401  # the server ended the sign-in


def test_a_disabled_user_is_signed_out_and_cannot_sign_in(secured: SecuredService) -> None:
    run_in_transaction(
        secured.ledger.store,
        lambda s: create_user(s, username="carol", password=PASSWORD, role=Role.viewer),
        what="add carol",
    )
    with secured.client(follow_redirects=False) as browser:
        assert sign_in(browser, "carol").status_code == 303
        assert browser.get("/v1/auth/me").status_code == 200
        run_in_transaction(secured.ledger.store, lambda s: disable_user(s, "carol"), what="x")
        # As if another process disabled her: the service notices within its credential
        # cache time (a few seconds).
        wait_until(lambda: browser.get("/v1/auth/me").status_code == 401, what="sign-in ended")
        assert sign_in(browser, "carol").status_code == 401


def _page_token(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None, "the page has no form"
    return found.group(1)


def test_dashboard_forms_act_as_the_signed_in_person(secured: SecuredService) -> None:
    with secured.client("alice") as alice:
        risky = {"action_type": "retrain", "description": "via dashboard", "risk_level": "high"}
        action = alice.post("/v1/actions", json=risky).json()
    with secured.client(follow_redirects=False) as browser:
        assert sign_in(browser, "bob").status_code == 303
        page = browser.get("/dashboard/actions")
        assert page.status_code == 200
        token = _page_token(page.text)
        forged = browser.post(
            f"/dashboard/actions/{action['id']}/approve", data={"csrf_token": "x"}
        )
        assert forged.status_code == 403
        approved = browser.post(
            f"/dashboard/actions/{action['id']}/approve",
            data={"csrf_token": token, "actor": "someone else", "comment": "looks right"},
        )
        assert approved.status_code == 303
        # Executing is for admins, on the dashboard as through the API.
        browser.post(f"/dashboard/actions/{action['id']}/execute", data={"csrf_token": token})
    with secured.client("viewer") as viewer:
        after = viewer.get(f"/v1/actions/{action['id']}").json()
    assert after["reviewed_by"] == "bob"  # the signed-in person, whatever the form said
    assert after["status"] == "approved"


def test_the_dashboard_hides_inputs_from_viewers(secured: SecuredService) -> None:
    with secured.client("ingest") as ingest:
        sent = ingest.post(
            "/v1/predictions",
            json={"model": "dash", "version": "1", "inputs": {"secret_feature": 7}},
        )
    prediction_id = sent.json()["ids"][0]
    assert secured.ledger.flush(10)
    with secured.client("viewer") as viewer:
        hidden = viewer.get(f"/dashboard/predictions/{prediction_id}")
    with secured.client("reviewer") as reviewer:
        shown = reviewer.get(f"/dashboard/predictions/{prediction_id}")
    assert hidden.status_code == shown.status_code == 200
    assert "secret_feature" in shown.text
    assert "secret_feature" not in hidden.text
