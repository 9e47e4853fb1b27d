"""Personal inputs: redacted before the journal, the database and the JSON logs see them, and
shown only to reviewers and admins."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import httpx
import pytest
from auth_secured import SecuredService

from predledger import Ledger
from predledger.logfiles import LogFileSettings
from predledger.privacy import Redactor, parse_rules

from support.db_checks import query
from support.live_server import free_port

EMAIL = "jane.doe@example.org"
SSN = "078-05-1120"
INPUTS = {"email": EMAIL, "SSN": SSN, "age": 41, "nested": {"email": EMAIL, "city": "Oslo"}}
RULES = {"email": "hash", "ssn": "drop"}
HASHED = "sha256:" + hashlib.sha256(EMAIL.encode()).hexdigest()


def _assert_redacted(text: str) -> None:
    assert EMAIL not in text
    assert SSN not in text
    assert HASHED in text


def test_the_database_keeps_only_redacted_inputs(database_url: str, journal_dir: Path) -> None:
    with Ledger(database_url, journal_dir=journal_dir, redact=RULES) as ledger:
        ledger.log(model="m", version="1", inputs=INPUTS, label="a")
        ledger.log_many([{"model": "m", "version": "1", "inputs": [INPUTS, {"ssn": SSN}]}])
        ledger.flush(10)
    rows = query(database_url, "SELECT inputs FROM predictions ORDER BY id")
    stored = [
        json.loads(r["inputs"]) if isinstance(r["inputs"], str) else r["inputs"] for r in rows
    ]
    assert stored[0] == {"email": HASHED, "age": 41, "nested": {"email": HASHED, "city": "Oslo"}}
    assert stored[1] == [stored[0], {}]
    _assert_redacted(json.dumps(stored))


def test_the_journal_never_holds_the_raw_inputs(tmp_path: Path) -> None:
    # A database that is away keeps every record in the journal: read it there.
    away = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nothing"
    ledger = Ledger(away, journal_dir=tmp_path / "journal", redact=RULES, retry_max_delay=0.1)
    try:
        for _ in range(3):
            ledger.log(model="m", version="1", inputs=INPUTS, label="a")
        segments = list((tmp_path / "journal").rglob("*.jrnl"))
        assert segments
        text = "".join(path.read_text() for path in segments)
        assert text.count(HASHED) == 6
        _assert_redacted(text)
    finally:
        ledger.close(timeout=0.2)


def test_the_json_log_file_gets_the_same_redaction(tmp_path: Path, sqlite_url: str) -> None:
    with Ledger(sqlite_url, journal_dir=tmp_path / "journal", redact=RULES) as ledger:
        ledger.write_log_files(LogFileSettings(directory=tmp_path / "logs", include_inputs=True))
        ledger.log(model="m", version="1", inputs=INPUTS, label="a")
        ledger.log_many([{"model": "m", "version": "1", "inputs": INPUTS}])
    text = (tmp_path / "logs" / "predictions.log").read_text()
    assert text.count(HASHED) == 4
    _assert_redacted(text)


def test_http_ingest_redacts_with_the_environment_rules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PREDLEDGER_REDACT", "email=hash, ssn=drop")
    from auth_secured import secured_service

    with secured_service(tmp_path) as service, service.client("ingest") as client:
        sent = client.post("/v1/predictions", json={"model": "m", "version": "1", "inputs": INPUTS})
        assert sent.status_code == 202
        assert service.ledger.flush(10)
        rows = query(
            str(service.ledger.url.render_as_string(False)), "SELECT inputs FROM predictions"
        )
    _assert_redacted(json.dumps([r["inputs"] for r in rows]))


def test_rules_are_checked() -> None:
    assert parse_rules("email=hash, ssn=drop") == RULES
    from predledger import ConfigurationError

    with pytest.raises(ConfigurationError, match="name=drop or name=hash"):
        parse_rules("email=encrypt")
    with pytest.raises(ConfigurationError, match="'drop' or 'hash'"):
        Redactor({"email": "mask"})
    keyed = Redactor({"email": "hash"}, key=b"secret")
    assert keyed.inputs({"email": EMAIL})["email"] != HASHED
    assert keyed.inputs("a text is kept as it is") == "a text is kept as it is"


def _log_one(service: SecuredService) -> str:
    with service.client("ingest") as client:
        sent = client.post(
            "/v1/predictions", json={"model": "private", "version": "1", "inputs": {"x": 1}}
        )
    prediction_id: str = sent.json()["ids"][0]
    assert service.ledger.flush(10)
    return prediction_id


def _inputs_seen(client: httpx.Client, prediction_id: str) -> list[object]:
    one = client.get(f"/v1/predictions/{prediction_id}").json()["inputs"]
    page = client.get("/v1/predictions", params={"model": "private"}).json()["items"]
    history = client.get("/predictions/history", params={"model": "private"}).json()
    return [one, page[0]["inputs"], history["predictions"][0]["inputs"]]


def test_inputs_are_shown_to_reviewers_and_admins_only(secured: SecuredService) -> None:
    prediction_id = _log_one(secured)
    for who in ("reviewer", "admin", "alice"):
        with secured.client(who) as client:
            assert _inputs_seen(client, prediction_id) == [{"x": 1}] * 3, who
    with secured.client("viewer") as viewer:
        assert _inputs_seen(viewer, prediction_id) == [None] * 3
        recent = viewer.get("/analytics/recent", params={"model": "private"}).json()
        assert recent
        assert "inputs" not in recent[0]
    with secured.client("admin") as admin:
        assert "inputs" not in admin.get("/analytics/recent").json()[0]
