"""The dashboard over plain HTTP: empty states, filters and paging, forms, static files."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from dashboard_seed import seed_dashboard
from dashboard_support import Dashboard

from predledger.actions.queries import get_action
from predledger.dashboard.assets import plotly_js_path

from support.api_service import Service, running_service

PAGE_NAMES = ("", "predictions", "models", "performance", "drift", "alerts", "actions", "system")
PAGES = tuple(f"/dashboard/{name}" for name in PAGE_NAMES)


@pytest.fixture(scope="module")
def empty_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """The service on a database with nothing in it."""
    folder = tmp_path_factory.mktemp("empty")
    url = f"sqlite:///{folder / 'ledger.db'}"
    with running_service(url, folder / "journal", folder / "logs") as running:
        yield running


def test_root_opens_the_dashboard(empty_service: Service) -> None:
    answer = empty_service.client.get("/", follow_redirects=True)
    assert answer.status_code == 200
    assert str(answer.url).endswith("/dashboard/")
    assert "<h1>Overview</h1>" in answer.text


@pytest.mark.parametrize("path", PAGES)
def test_an_empty_ledger_says_what_to_do(empty_service: Service, path: str) -> None:
    answer = empty_service.client.get(path)
    assert answer.status_code == 200
    assert 'class="empty' in answer.text
    assert "http://" not in answer.text.replace(empty_service.url, "")
    assert "https://" not in answer.text


def test_empty_overview_and_predictions_name_the_call_to_make(empty_service: Service) -> None:
    assert "ledger.log(" in empty_service.client.get("/dashboard/").text
    assert (
        "No predictions yet: log one with"
        in empty_service.client.get("/dashboard/predictions").text
    )


def test_predictions_filter_and_page_with_a_cursor(dashboard: Dashboard) -> None:
    first = dashboard.client.get("/dashboard/predictions", params={"model": "churn"})
    assert first.status_code == 200
    rows = first.text.count('<td class="mono nowrap"><a href="/dashboard/predictions/')
    assert rows == 50
    assert "<td>price</td>" not in first.text
    older = first.text.split('rel="next" href="')[1].split('"')[0].replace("&amp;", "&")
    second = dashboard.client.get(older)
    assert second.status_code == 200
    assert "← newest" in second.text
    first_ids = {part.split('"')[0] for part in first.text.split("/dashboard/predictions/")[1:]}
    second_ids = {part.split('"')[0] for part in second.text.split("/dashboard/predictions/")[1:]}
    assert first_ids.isdisjoint(second_ids)


def test_a_bad_filter_is_explained(dashboard: Dashboard) -> None:
    answer = dashboard.client.get("/dashboard/predictions", params={"since": "yesterday"})
    assert answer.status_code == 200
    assert "since: &#39;yesterday&#39; is not a time" in answer.text


def test_an_unknown_prediction_is_a_404_page(dashboard: Dashboard) -> None:
    answer = dashboard.client.get("/dashboard/predictions/01890a5d-ac96-774b-bcce-b302099a8057")
    assert answer.status_code == 404
    assert "No prediction has the id" in answer.text


def test_a_form_without_its_csrf_token_changes_nothing(dashboard: Dashboard) -> None:
    action_id = dashboard.seeded.pending_action_id
    with httpx.Client(base_url=dashboard.url) as stranger:
        answer = stranger.post(
            f"/dashboard/actions/{action_id}/reject", data={"actor": "mallory", "csrf_token": "x"}
        )
    assert answer.status_code == 403
    with dashboard.ledger.store.transaction() as session:
        assert get_action(session, action_id).reviewed_by != "mallory"


def test_a_refused_change_is_shown_not_raised(dashboard: Dashboard) -> None:
    page = dashboard.client.get("/dashboard/models")
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    answer = dashboard.client.post(
        "/dashboard/models/price/versions/1/archive",
        data={"csrf_token": token, "actor": "erin"},
        follow_redirects=True,
    )
    assert answer.status_code == 200
    assert 'role="alert"' in answer.text
    assert "price" in answer.text.split('role="alert">')[1].split("</p>")[0]


def test_plotly_is_served_from_the_installed_package(dashboard: Dashboard) -> None:
    html = dashboard.client.get("/dashboard/").text
    script = html.split('<script src="')[1].split('"')[0]
    assert script.startswith("/dashboard/static/plotly.min.js?v=")
    plain = dashboard.client.get(script, headers={"Accept-Encoding": "identity"})
    assert plain.content == plotly_js_path().read_bytes()
    assert "immutable" in plain.headers["cache-control"]
    zipped = dashboard.client.get(script, headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.content == plain.content
    again = dashboard.client.get(script, headers={"If-None-Match": plain.headers["etag"]})
    assert again.status_code == 304


def test_overview_data_is_json_for_the_refresh(dashboard: Dashboard) -> None:
    answer = dashboard.client.get("/dashboard/data/overview", params={"range": "24h"})
    assert answer.status_code == 200
    data = answer.json()
    assert set(data["html"]) == {"overview-stats", "overview-monitoring"}
    assert len(data["charts"]["traffic"]["data"]) >= 3


def test_every_page_answers_on_postgresql(
    postgres_url: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("dashboard-pg")
    seeded = seed_dashboard(postgres_url, str(folder / "seed-journal"))
    since = (datetime.now(UTC) - timedelta(hours=6)).strftime("%Y-%m-%dT%H:%M")
    with running_service(postgres_url, folder / "journal", folder / "logs") as service:
        for path in (*PAGES, "/dashboard/?range=30d", "/dashboard/?range=7d",
                     "/dashboard/system?range=15m", f"/dashboard/predictions/{seeded.labelled_id}",
                     "/dashboard/predictions?model=churn&since=" + since):  # fmt: skip
            answer = service.client.get(path)
            assert answer.status_code == 200, (path, answer.text[:500])
        data = service.client.get("/dashboard/data/overview").json()
        assert data["charts"]["latency"]["data"][0]["x"]
