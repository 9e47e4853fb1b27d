"""``predledger demo``: real models, predledger around them and traffic to watch, on one port."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from predledger.cli.keys import bootstrap_lines, is_loopback_host, make_service_key, revoke_quietly
from predledger.cli.output import console, friendly_errors
from predledger.cli.serve import Host, JournalDir, LogDir, NoLogFiles, check_port_free

if TYPE_CHECKING:
    import httpx
    import uvicorn

    from predledger.demo.traffic import TrafficGenerator
    from predledger.ingest.ledger import Ledger
    from predledger.monitor.scheduler import Monitor

DEFAULT_DEMO_DATABASE = "sqlite:///./predledger-demo.db"
DEMO_SYSTEM_METRICS_INTERVAL = 5.0  # seconds: the system page fills within a minute


@friendly_errors
def demo(
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    host: Host = "127.0.0.1",
    database_url: Annotated[
        str,
        typer.Option(
            envvar="PREDLEDGER_DEMO_DATABASE_URL", help="Database of the demo (SQLite by default)."
        ),
    ] = DEFAULT_DEMO_DATABASE,
    journal_dir: JournalDir = None,
    no_traffic: Annotated[
        bool, typer.Option("--no-traffic", help="Do not start the simulated clients.")
    ] = False,
    traffic_rate: Annotated[
        float, typer.Option(min=0.1, max=1000, help="Simulated requests per second.")
    ] = 20.0,
    drift_after: Annotated[
        float, typer.Option(min=0, help="Seconds before the traffic drifts.")
    ] = 180.0,
    feedback_share: Annotated[
        float, typer.Option(min=0, max=1, help="Share of predictions whose ground truth is sent.")
    ] = 0.5,
    feedback_delay: Annotated[
        float, typer.Option(min=0, help="Seconds before the ground truth is sent.")
    ] = 5.0,
    log_dir: LogDir = Path("logs"),
    no_log_files: NoLogFiles = False,
) -> None:
    """Run the demo: three models trained now, every predledger route, simulated traffic.

    On 127.0.0.1 (the default) the demo answers without keys, to this machine only; on any
    other address every route needs an API key (a one-time admin key is printed).
    """
    import uvicorn

    from predledger.api.app import start_system_metrics, system_metrics_interval_from_env
    from predledger.demo.app import build_demo_app
    from predledger.demo.models import DemoModels
    from predledger.demo.registration import register_demo_models
    from predledger.ingest.ledger import Ledger
    from predledger.logfiles import LogFileSettings

    check_port_free(host, port)
    started = time.perf_counter()
    console.print("training the demo models (breast-cancer, diabetes, sentiment)...")
    models = DemoModels.train()
    ledger = Ledger(database_url, journal_dir=journal_dir, auto_upgrade=True)
    registered = register_demo_models(ledger, models)
    log_files = False if no_log_files else LogFileSettings(directory=log_dir)
    open_access = is_loopback_host(host)
    access, traffic_key = _access(ledger, open_access, traffic=not no_traffic)
    app = build_demo_app(models, ledger, log_files=log_files, auth=not open_access)
    config = uvicorn.Config(
        app, host=host, port=port, access_log=False, log_level="warning", lifespan="on"
    )
    server = uvicorn.Server(config)
    base_url = f"http://{host}:{port}"
    traffic = None
    traffic_client = _traffic_client(traffic_key)
    if not no_traffic:
        from predledger.demo.traffic import TrafficGenerator

        traffic = TrafficGenerator(
            base_url,
            rate_per_s=traffic_rate,
            drift_after_s=drift_after,
            feedback_share=feedback_share,
            feedback_delay_s=feedback_delay,
            client=traffic_client,
        )
    announce = _Announcer(server, base_url, ledger, traffic, started, registered)
    announce.access = access
    threading.Thread(target=announce.run, name="demo-announce", daemon=True).start()
    monitor = _start_monitor(ledger)
    interval = system_metrics_interval_from_env(default=DEMO_SYSTEM_METRICS_INTERVAL)
    sampler = None if interval is None else start_system_metrics(ledger, interval)
    try:
        server.run()
    except KeyboardInterrupt:
        pass  # uvicorn re-raises the Ctrl-C it handled; stopping is what was asked
    finally:
        if traffic is not None:
            traffic.stop()
        if sampler is not None:
            sampler.stop()
        if monitor is not None:
            monitor.stop()
        if traffic_client is not None:
            traffic_client.close()
        if traffic_key is not None:
            revoke_quietly(ledger.store, traffic_key[1])
        ledger.close()
    console.print("demo stopped; everything logged is in the database", highlight=False)


def _access(
    ledger: Ledger, open_access: bool, *, traffic: bool
) -> tuple[list[str], tuple[str, str] | None]:
    """What to say about access, and (with keys on) the simulated clients' key and prefix."""
    if open_access:
        return ["  access:      open, without keys, to this machine only (loopback)"], None
    from predledger.auth import Role

    lines = ["  access:      API keys required (this address is reachable from other machines)"]
    lines += [f"  {line}" for line in bootstrap_lines(ledger.store)]
    if not traffic:
        return lines, None
    created = make_service_key(ledger.store, name="demo-traffic", role=Role.ingest)
    return lines, (created.key, created.info.prefix)


def _traffic_client(key: tuple[str, str] | None) -> httpx.Client | None:
    """The simulated clients' HTTP client: with their ingest key when keys are on."""
    if key is None:
        return None
    import httpx

    headers = {"User-Agent": "predledger-demo-traffic/1", "Authorization": f"Bearer {key[0]}"}
    return httpx.Client(timeout=3.0, headers=headers)


def _start_monitor(ledger: Ledger) -> Monitor | None:
    """The monitor, on short intervals so the demo's drift shows within minutes.

    ``PREDLEDGER_MONITOR=0`` turns it off; the other ``PREDLEDGER_MONITOR_*`` variables
    override these intervals.
    """
    from predledger.monitor.scheduler import start_monitor
    from predledger.monitor.settings import MonitorSettings

    defaults = {"PREDLEDGER_MONITOR_DRIFT_INTERVAL": "60", "PREDLEDGER_MONITOR_DRIFT_HOURS": "1",
                "PREDLEDGER_MONITOR_ALERTS_INTERVAL": "30",
                "PREDLEDGER_MONITOR_PERFORMANCE_INTERVAL": "60"}  # fmt: skip
    settings = MonitorSettings.from_env({**defaults, **os.environ})
    return start_monitor(ledger.store, settings) if settings.enabled else None


class _Announcer:
    """Waits for the server, prints where everything is, then starts the traffic."""

    def __init__(
        self,
        server: uvicorn.Server,
        base_url: str,
        ledger: Ledger,
        traffic: TrafficGenerator | None,
        started: float,
        registered: str,
    ) -> None:
        self.server = server
        self.base_url = base_url
        self.ledger = ledger
        self.traffic = traffic
        self.started = started
        self.registered = registered
        self.access: list[str] = []

    def run(self) -> None:
        """Print the demo's addresses once the server listens, then start the traffic."""
        while not self.server.started:
            if self.server.should_exit:
                return
            time.sleep(0.05)
        if self.traffic is not None:
            self.traffic.start()
        for line in self.lines():
            console.print(line, highlight=False, soft_wrap=True)

    def lines(self) -> list[str]:
        """Where the dashboard, the docs and the analytics are."""
        url = self.base_url
        seconds = time.perf_counter() - self.started
        lines = [
            f"[bold]predledger demo[/] ready in {seconds:.1f} s on {url}",
            f"  dashboard:   {url}/dashboard/",
            f"  API docs:    {url}/docs",
            f"  analytics:   {url}/analytics/summary  {url}/analytics/sentiment-distribution",
            f"  predictions: {url}/v1/predictions  {url}/predictions/history",
            f"  service:     {url}/admin/stats  {url}/readyz  {url}/metrics",
        ]
        lines.append(f"  database:    {self.ledger.store.describe()}")
        lines.extend(self.access)
        lines.append(f"  {self.registered}")
        if self.traffic is not None:
            lines.append("  traffic:     simulated clients started (--no-traffic turns them off)")
        lines.append("Press Ctrl-C to stop.")
        return lines
