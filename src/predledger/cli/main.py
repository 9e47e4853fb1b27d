"""The ``predledger`` command line."""

from __future__ import annotations

import typer

from predledger.cli import (
    actions,
    alerts,
    backup,
    cleanup,
    datasets,
    db,
    demo,
    drift,
    export,
    feedback,
    jobs,
    keys,
    models,
    monitor,
    serve,
    status,
    users,
    worker,
)

app = typer.Typer(
    name="predledger",
    help="predledger: the prediction ledger for machine-learning services.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(db.app, name="db")
app.add_typer(models.app, name="models")
app.add_typer(feedback.app, name="feedback")
app.command("init")(db.init)
app.command("status")(status.status)
app.command("worker")(worker.worker)
app.command("serve")(serve.serve)
app.command("demo")(demo.demo)
app.command("backup")(backup.backup)
app.command("restore")(backup.restore)
app.command("cleanup")(cleanup.cleanup)
app.command("export")(export.export)
app.add_typer(datasets.app, name="datasets")
app.add_typer(jobs.app, name="jobs")
app.add_typer(drift.app, name="drift")
app.add_typer(alerts.app, name="alerts")
app.add_typer(actions.app, name="actions")
app.command("monitor")(monitor.monitor)
app.add_typer(users.app, name="users")
app.add_typer(keys.app, name="keys")


def main() -> None:
    """Entry point of the ``predledger`` script."""
    app()
