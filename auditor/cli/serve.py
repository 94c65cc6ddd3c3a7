"""`cdm-audit serve`: start the local web app (uvicorn), or answer one request in process with --get."""

from __future__ import annotations

import os
import secrets
import signal
import sys
from pathlib import Path

import click

from auditor.web.security import is_loopback

# Seconds the server waits, once asked to stop, for requests still open (an upload, a ?wait=true) to end.
STOP_GRACE = 3


@click.command("serve")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. Anything but loopback exposes the app to the network.",
)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--max-upload-mb",
    default=100,
    show_default=True,
    type=click.IntRange(min=1),
    help="Refuse uploads larger than this many MB (all files of one audit together).",
)
@click.option(
    "--token",
    default=None,
    envvar="CDM_AUDIT_TOKEN",
    help="Access token: browsers open /?token=TOKEN once, API clients send Authorization: Bearer TOKEN. "
    "Generated when --host is not loopback.",
)
@click.option(
    "--workers",
    default=2,
    show_default=True,
    type=click.IntRange(1, 16),
    help="Audits run at the same time (the rest wait in the queue).",
)
@click.option(
    "--history",
    "history_db",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Run history database every finished web audit is recorded in, and the past-audits page lists "
    "(default: $CDM_AUDIT_HOME/history.sqlite, the one `cdm-audit audit` uses).",
)
@click.option(
    "--no-history",
    is_flag=True,
    help="Do not record web audits in the run history (they are still compared with the last recorded run).",
)
@click.option(
    "--body-timeout",
    default=60,
    show_default=True,
    type=click.FloatRange(min=1),
    help="Seconds an upload (any request body) may send nothing before it is refused with 408.",
)
@click.option(
    "--reader-memory",
    default=6144,
    show_default=True,
    type=click.IntRange(min=0),
    help="MB a child process may use to read each uploaded workbook first, so a workbook that makes the "
    "reader abort fails alone instead of stopping the server (0: read in the server only).",
)
@click.option(
    "--get",
    "get_path",
    default=None,
    metavar="PATH",
    help="Answer one GET request in process, print the response body and exit (no server).",
)
def serve(
    host, port, max_upload_mb, token, workers, history_db, no_history, body_timeout, reader_memory, get_path
):
    """Start the local web app: upload files, review the column mapping, read the report, download Excel/JSON/CSV."""
    # Imported here, not at the top: starlette and jinja2 load only when the app is asked for, which keeps
    # every other command's start fast.
    from auditor.web.app import WebSettings, create_app

    settings = WebSettings(
        host=host,
        port=port,
        max_upload_mb=max_upload_mb,
        token=token,
        workers=workers,
        history=history_db,
        record_history=not no_history,
        body_timeout=body_timeout,
        probe_memory_mb=reader_memory or None,
    )
    if get_path is not None:
        sys.exit(_get(create_app(settings), get_path, token))
    if not is_loopback(host) and not token:
        settings.token = secrets.token_urlsafe(24)
        click.echo(
            f"warning: --host {host} is reachable from the network and the app has no user accounts; "
            "it is protected only by this generated access token (share it only with the people who "
            "should use the app).",
            err=True,
        )
    elif not is_loopback(host):
        click.echo(
            f"warning: --host {host} is reachable from the network; only the access token protects it.",
            err=True,
        )
    _run_server(create_app(settings), settings)


def _get(app, path: str, token: str | None) -> int:
    """Print the body of one in-process GET; exit status 0 for 2xx/3xx, 1 otherwise."""
    from auditor.web.inprocess import request

    headers = [("authorization", f"Bearer {token}")] if token else []
    try:
        status, _headers, body = request(app, path if path.startswith("/") else "/" + path, headers=headers)
    finally:
        app.state.jobs.close()
    click.echo(body.decode("utf-8", "replace"), nl=not body.endswith(b"\n"))
    if status >= 400:
        click.echo(f"HTTP {status}", err=True)
    return 0 if status < 400 else 1


def _run_server(app, settings) -> None:
    """Serve with uvicorn until Ctrl+C; the temporary folder is removed on the way out."""
    import uvicorn  # loaded only to serve, like the app itself

    shown = f"[{settings.host}]" if ":" in settings.host else settings.host
    url = f"http://{shown}:{settings.port}/"
    click.echo(
        f"cdm-audit web app on {url}" + (f"?token={settings.token}" if settings.token else ""), err=True
    )
    click.echo(
        f"uploads up to {settings.max_upload_mb} MB; Ctrl+C stops the server and deletes every upload and "
        "report it holds",
        err=True,
    )
    jobs = app.state.jobs

    class Server(uvicorn.Server):
        def handle_exit(self, sig, frame) -> None:
            """Stop serving; first tell the app, so that requests waiting for a run answer now."""
            jobs.stopping = True
            super().handle_exit(sig, frame)

    server = Server(
        uvicorn.Config(
            app,
            host=settings.host,
            port=settings.port,
            log_level="warning",
            access_log=False,
            server_header=False,
            timeout_graceful_shutdown=STOP_GRACE,
        )
    )
    # uvicorn stops on SIGINT/SIGTERM, then raises the signal again for the handler it found: these ignore
    # it instead of killing the process (SIGTERM) or raising KeyboardInterrupt (SIGINT) before the cleanup.
    previous = {sig: signal.signal(sig, lambda *_: None) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        server.run()
    finally:
        jobs.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if jobs.busy():
        # An audit still working on a pool thread cannot be interrupted, and the interpreter would wait for
        # it at exit; its folder is gone (it was told to stop), so the process ends now.
        jobs.close()  # anything it wrote since
        click.echo("stopped; the audits still running were abandoned", err=True)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
