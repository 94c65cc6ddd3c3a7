"""Run the web app under uvicorn in a background thread (tests, scripts, screenshots) on a free loopback port."""

from __future__ import annotations

import threading
import time
from typing import Self

import uvicorn


class BackgroundServer:
    """uvicorn serving an ASGI app from a daemon thread; use as a context manager, `.url` is the base URL."""

    def __init__(self, app, host: str = "127.0.0.1", port: int = 0, start_timeout: float = 20.0):
        self.app, self.host, self.port = app, host, port
        self.start_timeout = start_timeout
        self.server = uvicorn.Server(
            uvicorn.Config(
                app,
                host=host,
                port=port,
                log_level="warning",
                access_log=False,
                lifespan="on",
                # Requests still open when it stops (an upload, a ?wait=true) get this long, then are cancelled.
                timeout_graceful_shutdown=3,
            )
        )
        self.thread = threading.Thread(target=self.server.run, name="cdm-audit-web", daemon=True)

    @property
    def url(self) -> str:
        """http://127.0.0.1:PORT"""
        return f"http://{self.host}:{self.port}"

    def start(self) -> Self:
        """Start and wait until the socket listens (the port is read back when 0 was asked)."""
        self.thread.start()
        deadline = time.monotonic() + self.start_timeout
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the web server did not start")
            time.sleep(0.02)
        self.port = self.server.servers[0].sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        """Ask uvicorn to exit (runs the app's shutdown, which deletes its temporary folder) and wait."""
        jobs = getattr(getattr(self.app, "state", None), "jobs", None)
        if jobs is not None:  # requests waiting for a run answer now instead of holding the shutdown
            jobs.stopping = True
        self.server.should_exit = True
        self.thread.join(timeout=self.start_timeout)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
