"""Every dashboard page in a real browser: it loads cleanly, its charts hold data, its
buttons change the database. Screenshots go to ``test-output/screenshots/``."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from dashboard_support import Dashboard, WatchedPage

from predledger.actions.queries import get_action
from predledger.alerts.queries import get_alert

PAGES = [
    ("overview", "/dashboard/", ("traffic", "latency", "errors", "labels")),
    ("predictions", "/dashboard/predictions", ()),
    ("models", "/dashboard/models", ()),
    ("performance", "/dashboard/performance", ("realised", "estimated", "labelled")),
    ("drift", "/dashboard/drift", ("feature-0", "feature-1", "feature-2", "history")),
    ("alerts", "/dashboard/alerts", ()),
    ("actions", "/dashboard/actions", ()),
    ("system", "/dashboard/system", ("requests", "response", "endpoints", "statuses", "cpu")),
]


def _check_page(
    watched: WatchedPage, dashboard: Dashboard, path: str, charts: tuple[str, ...]
) -> None:
    watched.open(dashboard.url + path)
    assert watched.problems == []
    for chart in charts:
        assert watched.points(chart) > 0, f"the {chart} chart of {path} has no points"
    local = urlsplit(dashboard.url).netloc
    assert {urlsplit(url).netloc for url in watched.requested if url.startswith("http")} == {
        local
    }, "the page fetched something from another host"


@pytest.mark.parametrize(("name", "path", "charts"), PAGES, ids=[p[0] for p in PAGES])
def test_page_loads_with_drawn_charts(
    dashboard: Dashboard, laptop: WatchedPage, name: str, path: str, charts: tuple[str, ...]
) -> None:
    _check_page(laptop, dashboard, path, charts)
    laptop.screenshot(name)


@pytest.mark.parametrize(("name", "path", "charts"), PAGES, ids=[p[0] for p in PAGES])
def test_page_fits_a_phone(
    dashboard: Dashboard, phone: WatchedPage, name: str, path: str, charts: tuple[str, ...]
) -> None:
    _check_page(phone, dashboard, path, charts)
    width = phone.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{path} is {width} px wide on a 390 px phone"
    phone.screenshot(f"{name}-phone")


def test_prediction_detail_shows_inputs_and_ground_truth(
    dashboard: Dashboard, laptop: WatchedPage
) -> None:
    laptop.open(f"{dashboard.url}/dashboard/predictions?model=price")
    laptop.page.locator("#predictions-table tbody a").first.click()
    laptop.page.wait_for_selector("#inputs")
    assert "rooms" in laptop.page.inner_text("#inputs")
    laptop.open(f"{dashboard.url}/dashboard/predictions/{dashboard.seeded.labelled_id}")
    assert "Actual value" in laptop.page.inner_text("#feedback")
    assert laptop.problems == []
    laptop.screenshot("prediction")


def test_overview_refreshes_itself(dashboard: Dashboard, laptop: WatchedPage) -> None:
    laptop.open(f"{dashboard.url}/dashboard/?range=1h")
    before = int(laptop.page.inner_text("[data-tile=count]").replace(",", ""))
    for _ in range(3):
        dashboard.ledger.log(model="churn", version="1", label="yes", latency_ms=3.0)
    assert dashboard.ledger.flush(timeout=30)
    laptop.page.wait_for_function(
        "(before) => Number(document.querySelector('[data-tile=count]').textContent"
        ".replace(/,/g, '')) >= before + 3",
        arg=before,
        timeout=15_000,
    )
    assert "updated" in laptop.page.inner_text("#refresh-status")
    assert laptop.points("traffic") > 0
    assert laptop.problems == []


def test_approving_an_action_on_the_page_records_it(
    dashboard: Dashboard, laptop: WatchedPage
) -> None:
    action_id = dashboard.seeded.pending_action_id
    laptop.open(f"{dashboard.url}/dashboard/actions?status=pending")
    laptop.page.fill("#acting-as", "carol")
    item = laptop.page.locator(f"#action-{action_id}")
    item.locator("input[name=comment]").fill("offline accuracy is better")
    item.get_by_role("button", name="Approve").click()
    laptop.page.wait_for_selector(".notice")
    assert f"action #{action_id} approved by carol" in laptop.page.inner_text(".notice")
    with dashboard.ledger.store.transaction() as session:
        action = get_action(session, action_id)
    assert (action.status, action.reviewed_by) == ("approved", "carol")
    assert action.review_comment == "offline accuracy is better"
    assert laptop.problems == []


def test_acknowledging_an_alert_on_the_page_records_it(
    dashboard: Dashboard, laptop: WatchedPage
) -> None:
    alert_id = dashboard.seeded.alert_ids[0]
    laptop.open(f"{dashboard.url}/dashboard/alerts")
    laptop.page.fill("#acting-as", "dave")
    item = laptop.page.locator(f"#alert-{alert_id}")
    item.locator("form[action$='/acknowledge'] input[name=notes]").fill("looking into it")
    item.get_by_role("button", name="Acknowledge").click()
    laptop.page.wait_for_selector(".notice")
    with dashboard.ledger.store.transaction() as session:
        alert = get_alert(session, alert_id)
    assert (alert.status, alert.acknowledged_by) == ("acknowledged", "dave")
    assert alert.acknowledge_notes == "looking into it"
    assert laptop.page.locator(f"#alert-{alert_id}").get_attribute("data-status") == (
        "acknowledged"
    )
    assert laptop.problems == []


def test_a_form_needs_a_name(dashboard: Dashboard, laptop: WatchedPage) -> None:
    laptop.open(f"{dashboard.url}/dashboard/alerts?status=all")
    laptop.page.locator("form[action$='/resolve'] button").first.click()
    assert laptop.page.evaluate("document.getElementById('acting-as').validity.valid") is False
    assert laptop.page.url.endswith("/dashboard/alerts?status=all")
