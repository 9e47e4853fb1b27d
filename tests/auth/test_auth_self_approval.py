"""With authentication on, who acts is the authenticated caller: nobody approves their own
proposal, nor acts in another's name."""

from __future__ import annotations

from auth_secured import SecuredService

RISKY = {"action_type": "retrain", "description": "retrain churn", "risk_level": "high"}


def test_the_proposer_cannot_approve_and_another_reviewer_can(secured: SecuredService) -> None:
    with secured.client("alice") as alice, secured.client("bob") as bob:
        proposed = alice.post("/v1/actions", json=RISKY)
        assert proposed.status_code == 201, proposed.text
        action = proposed.json()
        assert action["proposed_by"] == "alice"
        assert action["requires_approval"] is True

        own = alice.post(f"/v1/actions/{action['id']}/approve", json={"comment": "mine"})
        assert own.status_code == 409
        assert "cannot approve it too" in own.json()["detail"]

        approved = bob.post(f"/v1/actions/{action['id']}/approve", json={"comment": "ok"})
        assert approved.status_code == 200, approved.text
        assert approved.json()["reviewed_by"] == "bob"


def test_a_body_naming_someone_else_is_refused(secured: SecuredService) -> None:
    with secured.client("alice") as alice, secured.client("bob") as bob:
        action = alice.post("/v1/actions", json=RISKY).json()
        # Alice may not slip her approval in under Bob's name...
        spoofed = alice.post(f"/v1/actions/{action['id']}/approve", json={"reviewer": "bob"})
        assert spoofed.status_code == 403
        assert "authenticated as 'alice'" in spoofed.json()["detail"]
        # ...nor propose as Bob so as to approve herself.
        as_bob = alice.post("/v1/actions", json={**RISKY, "actor": "bob"})
        assert as_bob.status_code == 403
        # Sending one's own name is fine.
        named = bob.post(f"/v1/actions/{action['id']}/approve", json={"reviewer": "bob"})
        assert named.status_code == 200


def test_service_keys_act_under_their_key_name(secured: SecuredService) -> None:
    with secured.client("reviewer") as service_key:
        proposed = service_key.post("/v1/actions", json=RISKY).json()
        assert proposed["proposed_by"] == "key:reviewer-svc"
        refused = service_key.post(f"/v1/actions/{proposed['id']}/approve", json={})
        assert refused.status_code == 409
