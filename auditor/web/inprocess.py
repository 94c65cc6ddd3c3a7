"""One HTTP request handled in process (no server, no socket), for `serve --get` and scripts."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit


async def _call(
    app, method: str, path: str, headers: list[tuple[str, str]], body: bytes
) -> tuple[int, dict, bytes]:
    """Drive the ASGI app through one request and collect the response."""
    url = urlsplit(path)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": url.path or "/",
        "raw_path": (url.path or "/").encode(),
        "query_string": url.query.encode(),
        "root_path": "",
        "client": ("127.0.0.1", 0),
        "server": ("127.0.0.1", 80),
        "headers": [(b"host", b"127.0.0.1")] + [(k.lower().encode(), v.encode()) for k, v in headers],
    }
    sent = False
    status, out_headers, chunks = 500, {}, []

    async def receive():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)  # no disconnect while the app is still answering
        return {"type": "http.disconnect"}

    async def send(message):
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
            out_headers.update(
                {k.decode().lower(): v.decode("latin-1") for k, v in message.get("headers", [])}
            )
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, out_headers, b"".join(chunks)


def request(
    app, path: str, method: str = "GET", headers: list[tuple[str, str]] | None = None, body: bytes = b""
) -> tuple[int, dict, bytes]:
    """(status, headers, body) of one request to the ASGI app."""
    return asyncio.run(_call(app, method, path, headers or [], body))
