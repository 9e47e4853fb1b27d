"""``predledger serve``: run predledger's HTTP service with uvicorn."""

from __future__ import annotations

import errno
import os
import socket
from pathlib import Path
from typing import Annotated

import typer

from predledger.auth.settings import ENV_AUTH
from predledger.cli.db import DatabaseUrl
from predledger.cli.keys import bootstrap_lines, check_auth_choice
from predledger.cli.output import console, error_console, fail, friendly_errors
from predledger.config import resolve_database_url
from predledger.errors import ConfigurationError, StoreUnavailableError
from predledger.logfiles import LogFileSettings
from predledger.store import migrate
from predledger.store.engine import Store

Host = Annotated[str, typer.Option(help="Address to listen on (0.0.0.0 for every interface).")]
JournalDir = Annotated[
    Path | None,
    typer.Option(
        envvar="PREDLEDGER_JOURNAL_DIR",
        help="Folder of the write-ahead journal (default .predledger/journal).",
        show_default=False,
    ),
]
LogDir = Annotated[Path, typer.Option(help="Folder of the rotating JSON log files.")]
NoLogFiles = Annotated[
    bool, typer.Option("--no-log-files", help="Do not write logs/predictions.log and friends.")
]
LogMaxBytes = Annotated[int, typer.Option(help="Rotate a log file past this many bytes.")]
LogBackups = Annotated[int, typer.Option(help="Rotated log files kept per log.")]
NoAuth = Annotated[
    bool,
    typer.Option(
        "--no-auth",
        help="Answer without API keys or sign-in: allowed only on a loopback address.",
    ),
]


def check_port_free(host: str, port: int) -> None:
    """Refuse early, in one line, a port another process holds.

    Raises:
        ConfigurationError: the port is taken or the address is not this machine's.
    """
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ConfigurationError(
                    f"port {port} on {host} is already in use: stop what runs there or "
                    f"pass another --port (e.g. --port {port + 1})"
                ) from None
            raise ConfigurationError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


def check_schema(database_url: str | None, *, auto_upgrade: bool) -> str:
    """Create or check the schema before workers start; a database that is away is allowed.

    Returns:
        A line saying how the database stands.

    Raises:
        SchemaOutdatedError: the schema is behind and ``auto_upgrade`` is off.
    """
    store = Store(database_url)
    try:
        revision = migrate.ensure_schema(store, auto_upgrade=auto_upgrade)
        return f"database {store.describe()} (schema {revision})"
    except StoreUnavailableError as exc:
        return f"database unreachable, starting degraded (predictions wait in the journal): {exc}"
    finally:
        store.dispose()


@friendly_errors
def serve(
    host: Host = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 1,
    database_url: DatabaseUrl = None,
    journal_dir: JournalDir = None,
    log_dir: LogDir = Path("logs"),
    no_log_files: NoLogFiles = False,
    log_max_bytes: LogMaxBytes = 10 * 1024 * 1024,
    log_backups: LogBackups = 5,
    auto_upgrade: Annotated[
        bool, typer.Option("--auto-upgrade", help="Upgrade an older schema instead of refusing.")
    ] = False,
    access_log: Annotated[
        bool, typer.Option("--access-log", help="Also print uvicorn's line per request.")
    ] = False,
    no_auth: NoAuth = False,
) -> None:
    """Serve predledger's API: ingest, reads, analytics, /metrics and docs at /docs.

    Every route but /healthz, /readyz, /docs and /login needs an API key (or a dashboard
    sign-in). The first start on a database without users or keys prints a one-time admin
    key. --no-auth is allowed on a loopback address only.
    """
    import uvicorn

    from predledger.api import app as api_app

    url = resolve_database_url(database_url).render_as_string(hide_password=False)
    LogFileSettings(directory=log_dir, max_bytes=log_max_bytes, backups=log_backups)  # checks
    check_auth_choice(host, no_auth=no_auth)
    check_port_free(host, port)
    line = check_schema(url, auto_upgrade=auto_upgrade)
    auth_lines = _auth_lines(url, no_auth=no_auth)
    _export_settings(url, journal_dir, log_dir, no_log_files, log_max_bytes, log_backups)
    os.environ[api_app.ENV_AUTO_UPGRADE] = "1" if auto_upgrade else "0"
    os.environ[ENV_AUTH] = "0" if no_auth else "1"
    console.print(line, highlight=False)
    for auth_line in auth_lines:
        console.print(auth_line, highlight=False, soft_wrap=True)
    console.print(f"predledger on http://{host}:{port} (docs at /docs)", highlight=False)
    try:
        uvicorn.run(
            "predledger.api.app:create_app_from_env",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            access_log=access_log,
            log_level="info",
        )
    except SystemExit as exc:  # uvicorn exits when it cannot start; say so in one line
        if exc.code:
            error_console.print("uvicorn could not start the service (see above)")
            raise fail("the service did not start", int(exc.code) or 1) from None


def _auth_lines(url: str, *, no_auth: bool) -> list[str]:
    """What to say about authentication; makes the one-time admin key of an empty database."""
    if no_auth:
        return ["authentication is off (--no-auth): only callers on this machine are answered"]
    store = Store(url)
    try:
        return bootstrap_lines(store)
    except StoreUnavailableError:
        return []  # the database is away: the key is made on a start that reaches it
    finally:
        store.dispose()


def _export_settings(
    url: str,
    journal_dir: Path | None,
    log_dir: Path,
    no_log_files: bool,
    log_max_bytes: int,
    log_backups: int,
) -> None:
    """Pass settings to the worker processes, which build the app from the environment."""
    from predledger.api import app as api_app

    os.environ["PREDLEDGER_DATABASE_URL"] = url
    if journal_dir is not None:
        os.environ["PREDLEDGER_JOURNAL_DIR"] = str(journal_dir)
    os.environ[api_app.ENV_LOG_FILES] = "0" if no_log_files else "1"
    os.environ[api_app.ENV_LOG_DIR] = str(log_dir)
    os.environ[api_app.ENV_LOG_MAX_BYTES] = str(log_max_bytes)
    os.environ[api_app.ENV_LOG_BACKUPS] = str(log_backups)
