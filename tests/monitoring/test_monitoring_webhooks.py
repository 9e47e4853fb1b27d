"""Webhook URLs reaching internal addresses are refused unless allowed; a real receiver on
127.0.0.1, allowed by the setting, gets the alert."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from predledger.alerts import operations as alerts
from predledger.alerts.queries import get_alert
from predledger.alerts.webhooks import check_webhook_url, post_webhook
from predledger.errors import InvalidRecordError


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1:8080/hook", "loopback"),
        ("http://localhost/hook", "loopback"),
        ("http://[::1]/hook", "loopback"),
        ("http://[::ffff:127.0.0.1]/hook", "loopback"),
        ("http://10.1.2.3/hook", "private"),
        ("http://172.16.0.9/hook", "private"),
        ("https://192.168.1.20/hook", "private"),
        ("http://169.254.169.254/latest/meta-data/", "cloud metadata"),
        ("http://[fd00:ec2::254]/", "cloud metadata"),
        ("http://100.100.100.200/", "cloud metadata"),
        ("http://169.254.10.1/", "link-local"),
        ("http://[fe80::1]/", "link-local"),
        ("http://0.0.0.0/", "unspecified"),
        ("http://100.64.0.1/", "not globally routable"),
    ],
)
def test_internal_addresses_are_refused_unless_allowed(url, reason):
    with pytest.raises(InvalidRecordError, match=f"{reason} address") as refused:
        check_webhook_url(url)
    assert "PREDLEDGER_ALLOW_PRIVATE_WEBHOOKS=1" in str(refused.value)
    check_webhook_url(url, allow_private=True)


def test_every_resolved_address_is_checked_and_bad_urls_refused():
    check_webhook_url("https://8.8.8.8/hook")  # public: accepted (nothing is sent)
    both = lambda host, port: ["93.184.216.34", "10.0.0.7"]  # noqa: E731
    with pytest.raises(InvalidRecordError, match=r"resolves to 10\.0\.0\.7, a private address"):
        check_webhook_url("https://hooks.example.com/x", resolve=both)
    for bad in ("ftp://8.8.8.8/x", "http:///nohost", "hooks.example.com"):
        with pytest.raises(InvalidRecordError, match="must be an http"):
            check_webhook_url(bad)
    refused = post_webhook("http://127.0.0.1:9/hook", {"a": 1})
    assert not refused.ok
    assert refused.error.startswith("refused: ")


class _Receiver(BaseHTTPRequestHandler):
    received: ClassVar[list[dict]] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[dict]]]:
    received: list[dict] = []
    handler = type("Receiver", (_Receiver,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/alerts", received
    server.shutdown()
    server.server_close()
    thread.join(10)


def test_a_real_receiver_gets_the_alert_when_private_webhooks_are_allowed(store, receiver):
    url, received = receiver
    with pytest.raises(InvalidRecordError, match="loopback"):
        alerts.create_rule(store, name="ghost", kind="traffic", model="ghost", webhook_url=url,
                           allow_private_webhooks=False)  # fmt: skip
    alerts.create_rule(store, name="ghost", kind="traffic", model="ghost", webhook_url=url,
                       allow_private_webhooks=True)  # fmt: skip

    [alert_id] = alerts.evaluate_and_notify(store, allow_private_webhooks=True).raised
    [payload] = received
    assert payload["event"] == "alert.raised"
    assert payload["rule"]["name"] == "ghost"
    assert payload["alert"]["id"] == alert_id
    assert payload["alert"]["title"].startswith("Traffic")

    alerts.resolve_alert(store, alert_id, actor="alice")
    [again] = alerts.evaluate_and_notify(store, allow_private_webhooks=False).raised
    assert len(received) == 1  # refused this time: recorded on the alert, not raised
    with store.transaction() as session:
        delivered = get_alert(session, alert_id).notifications
        refused = get_alert(session, again).notifications
    assert [(n["ok"], n["status_code"]) for n in delivered] == [(True, 204)]
    assert refused[0]["ok"] is False
    assert "loopback" in refused[0]["error"]
