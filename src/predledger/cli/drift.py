"""``predledger drift ...``: run drift reports, list them, show one (as a table or a page)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from predledger.cli.db import DatabaseUrl
from predledger.cli.output import console, friendly_errors
from predledger.cli.store_option import As, AsJson, opened_store, parse_pairs, print_json, who
from predledger.drift.schemas import DriftReportPublic, ModeName

# The drift modules load SciPy: imported by the commands that need them, so that every other
# ``predledger`` command starts without it.

app = typer.Typer(
    help="Drift reports: a window of traffic against the reference.", no_args_is_help=True
)

HtmlPath = Annotated[
    Path | None, typer.Option("--html", help="Also write the report as an HTML page here.")
]


def _overrides(methods: list[str] | None, thresholds: list[str] | None) -> dict[str, Any]:
    overrides: dict[str, dict[str, Any]] = {}
    for feature, method in parse_pairs("--method", methods).items():
        overrides.setdefault(feature, {})["method"] = str(method)
    for feature, threshold in parse_pairs("--threshold", thresholds).items():
        overrides.setdefault(feature, {})["threshold"] = threshold
    return overrides


def _print_report(report: DriftReportPublic) -> None:
    verdict = "[bold red]drift detected[/]" if report.drift_detected else "[green]no drift[/]"
    console.print(
        f"report #{report.id}: {report.model_name} {report.model_version}, "
        f"{report.window_start:%Y-%m-%d %H:%M} to {report.window_end:%Y-%m-%d %H:%M} UTC, "
        f"{report.mode} mode, {report.current_size} rows vs {report.reference_size}: {verdict} "
        f"({report.n_drifted} of {report.n_features} features)",
        highlight=False,
    )
    table = Table("feature", "kind", "method", "statistic", "threshold", "p-value", "drift")
    for f in report.features:
        table.add_row(
            f.feature, f.kind, f.method, _number(f.statistic), _number(f.threshold),
            _number(f.p_value), "no data" if f.statistic is None else ("yes" if f.drifted else ""),
        )  # fmt: skip
    console.print(table)


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


@app.command()
@friendly_errors
def run(
    model: Annotated[str, typer.Argument(help="The model's name.")],
    version: Annotated[str | None, typer.Option(help="Default: the active version.")] = None,
    hours: Annotated[float, typer.Option(help="Window length, back from --until.")] = 24.0,
    since: Annotated[datetime | None, typer.Option(help="Window start (UTC).")] = None,
    until: Annotated[datetime | None, typer.Option(help="Window end (UTC), default now.")] = None,
    mode: Annotated[
        ModeName, typer.Option(help="histogram (hourly counts) or exact (raw rows).")
    ] = "histogram",
    method: Annotated[
        list[str] | None, typer.Option(help="feature=ks|chisquare|wasserstein|jensenshannon|psi.")
    ] = None,
    threshold: Annotated[
        list[str] | None, typer.Option(help="feature=value, instead of the method's default.")
    ] = None,
    drift_share: Annotated[
        float, typer.Option(help="Share of drifted features that is dataset drift.")
    ] = 0.5,
    note: Annotated[str | None, typer.Option(help="Free text kept with the report.")] = None,
    html: HtmlPath = None,
    as_: As = None,
    database_url: DatabaseUrl = None,
    as_json: AsJson = False,
) -> None:
    """Test MODEL's traffic in a window against its reference profile, and store the report."""
    from predledger.drift import queries
    from predledger.drift.operations import drift_request, run_drift_report
    from predledger.drift.report_html import write_drift_report_html

    request = drift_request(
        model=model, version=version, hours=hours, start=since, end=until, mode=mode,
        overrides=_overrides(method, threshold), drift_share=drift_share, note=note,
        actor=who(as_),
    )  # fmt: skip
    with opened_store(database_url) as store:
        report = run_drift_report(store, request)
        if html is not None:
            with store.transaction() as session:
                write_drift_report_html(queries.get_drift_report(session, report.id), html)
    if as_json:
        print_json(report)
        return
    _print_report(report)
    if html is not None:
        console.print(f"page written to {html}", highlight=False)


@app.command("list")
@friendly_errors
def list_(
    model: Annotated[str | None, typer.Option(help="Only this model's reports.")] = None,
    latest: Annotated[bool, typer.Option("--latest", help="Only the newest per model.")] = False,
    drifted: Annotated[
        bool, typer.Option("--drifted", help="Only reports that found drift.")
    ] = False,
    limit: Annotated[int, typer.Option(help="At most this many.")] = 20,
    database_url: DatabaseUrl = None,
    as_json: AsJson = False,
) -> None:
    """List stored drift reports, newest first."""
    from predledger.drift import queries

    with opened_store(database_url) as store, store.transaction() as session:
        reports = queries.list_drift_reports(
            session, model=model, latest=latest, drifted=True if drifted else None, limit=limit
        )
    if as_json:
        print_json(reports)
        return
    table = Table("id", "created", "model", "version", "window", "mode", "rows", "drifted", "drift")
    for r in reports:
        table.add_row(
            str(r.id), f"{r.created_at:%Y-%m-%d %H:%M}", r.model_name, r.model_version,
            f"{r.window_start:%m-%d %H:%M} to {r.window_end:%m-%d %H:%M}", r.mode,
            str(r.current_size), f"{r.n_drifted}/{r.n_features}",
            "[bold red]yes[/]" if r.drift_detected else "no",
        )  # fmt: skip
    console.print(table)


@app.command()
@friendly_errors
def show(
    report_id: Annotated[int, typer.Argument(help="The report's id.")],
    html: HtmlPath = None,
    database_url: DatabaseUrl = None,
    as_json: AsJson = False,
) -> None:
    """Show a report's per-feature verdicts; --html writes its page with a chart per feature."""
    from predledger.drift import queries
    from predledger.drift.report_html import write_drift_report_html

    with opened_store(database_url) as store, store.transaction() as session:
        report = queries.get_drift_report(session, report_id)
    if html is not None:
        write_drift_report_html(report, html)
    if as_json:
        print_json(report)
        return
    _print_report(report)
    if html is not None:
        console.print(f"page written to {html}", highlight=False)
