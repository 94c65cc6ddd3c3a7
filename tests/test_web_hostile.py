"""Hostile and broken request bodies: cut-off forms, dropped connections, stalled uploads; the server keeps answering."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
import warnings
from pathlib import Path

import pytest

from auditor.web import WebSettings, create_app
from auditor.web.server import BackgroundServer

pytest.importorskip("starlette")
httpx = pytest.importorskip("httpx")

with warnings.catch_warnings():
    # starlette 1.x prefers httpx2 for its TestClient; httpx 0.28 works and is what the test extra pins.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

BASE = "http://127.0.0.1"
BOUNDARY = "hostile-test-boundary"
AS_OF = "2026-04-01"


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch) -> Path:
    """A private CDM_AUDIT_HOME: nothing here records into the user's run history."""
    monkeypatch.setenv("CDM_AUDIT_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def cdm_csv(rows: int) -> bytes:
    """A plain chargemaster CSV of `rows` office-visit lines."""
    lines = ["Charge Code,Charge Description,Rev Code,CPT/HCPCS,Price"]
    lines += [f"{i:08d},HC OFFICE VISIT {i},0510,99213,{100 + i % 900}.00" for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def form_body(content: bytes, name: str = "cdm.csv", field: str = "files") -> bytes:
    """A whole multipart body: the as-of date, then one file part, then the closing boundary."""
    return (
        (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="as_of"\r\n\r\n{AS_OF}\r\n'
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{field}"; filename="{name}"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )


def post_head(port: int, path: str, length: int) -> bytes:
    """The request line and headers of a multipart POST announcing `length` body bytes."""
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {length}\r\n\r\n"
    ).encode()


def read_response(sock: socket.socket, timeout: float) -> tuple[int, dict, bytes]:
    """(status, headers, body) of one HTTP/1.1 response read from a raw socket (Content-Length bodies)."""
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError(f"connection closed without a response: {data!r}")
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    while len(body) < int(headers.get("content-length", 0)):
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return int(lines[0].split()[1]), headers, body


def run_folders(app) -> list[Path]:
    """The run folders under the server's private temporary folder."""
    return sorted(app.state.jobs.root.glob("run-*"))


def settle(app, seconds: float = 5.0) -> None:
    """Wait until no run folder is left (the handler removes a refused upload's folder as it answers)."""
    deadline = time.monotonic() + seconds
    while run_folders(app) and time.monotonic() < deadline:
        time.sleep(0.02)


# ---- a form cut short ----------------------------------------------------------------------------
WHOLE = form_body(cdm_csv(40))
CUTS = {
    "closing boundary missing": lambda body: body[: -len(f"\r\n--{BOUNDARY}--\r\n")],
    "closing dashes missing": lambda body: body[: -len("--\r\n")],
    "half the file": lambda body: body[: len(body) // 2],
    "inside the part headers": lambda body: body[: body.index(b"filename") + 4],
}
FILE_FIELD = {"/api/audits": "files", "/claims": "claims"}


@pytest.mark.parametrize("path", ["/api/audits", "/claims"])
@pytest.mark.parametrize("cut", CUTS, ids=list(CUTS))
def test_a_form_without_its_closing_boundary_is_refused_and_nothing_is_kept(path, cut):
    body = CUTS[cut](form_body(cdm_csv(40), field=FILE_FIELD[path]))
    app = create_app(WebSettings())
    with TestClient(app, base_url=BASE) as client:
        r = client.post(
            path, content=body, headers={"content-type": f"multipart/form-data; boundary={BOUNDARY}"}
        )
        assert r.status_code == 400
        text = r.json()["error"] if path.startswith("/api/") else r.text
        assert "upload incomplete" in text and "nothing was audited" in text
        assert "closing boundary" in text
        assert client.get("/api/audits").json()["audits"] == []
        assert app.state.web.claims.runs.list() == []
        assert run_folders(app) == []


def test_the_whole_form_still_goes_through():
    """The control: the same body with its closing boundary is audited."""
    app = create_app(WebSettings())
    with TestClient(app, base_url=BASE) as client:
        r = client.post(
            "/api/audits?wait=true",
            content=WHOLE,
            headers={"content-type": f"multipart/form-data; boundary={BOUNDARY}"},
        )
        assert r.status_code == 200 and r.json()["status"] == "done", r.text
        assert r.json()["summary"]["rows_audited"] == 40


async def _drive(app, chunks: list[bytes], length: int) -> tuple[int, bytes]:
    """One POST /api/audits through the ASGI app: the chunks, then the client disconnects."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/audits",
        "raw_path": b"/api/audits",
        "query_string": b"",
        "root_path": "",
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
        "headers": [
            (b"host", b"127.0.0.1"),
            (b"content-type", f"multipart/form-data; boundary={BOUNDARY}".encode()),
            (b"content-length", str(length).encode()),
        ],
    }
    pending = [{"type": "http.request", "body": c, "more_body": True} for c in chunks]
    status, body = 0, b""

    async def receive():
        return pending.pop(0) if pending else {"type": "http.disconnect"}

    async def send(message):
        nonlocal status, body
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            body += message.get("body", b"")

    await app(scope, receive, send)
    return status, body


def test_a_client_that_disconnects_mid_body_gets_nothing_audited():
    app = create_app(WebSettings())
    try:
        half = WHOLE[: len(WHOLE) // 2]
        status, body = asyncio.run(_drive(app, [half[:100], half[100:]], len(WHOLE)))
        assert status == 400
        error = json.loads(body)["error"]
        assert error.startswith("upload incomplete: the connection closed before the whole form arrived")
        assert app.state.jobs.store.list() == [] and run_folders(app) == []
    finally:
        app.state.jobs.close()


def test_a_dropped_connection_on_a_real_server_leaves_no_run():
    app = create_app(WebSettings())
    with BackgroundServer(app) as srv:
        body = form_body(cdm_csv(20_000))
        with socket.create_connection((srv.host, srv.port), timeout=10) as sock:
            sock.sendall(post_head(srv.port, "/api/audits", len(body)) + body[: len(body) // 2])
            time.sleep(0.3)  # the server is now storing the first half
        settle(app)
        assert run_folders(app) == [] and app.state.jobs.store.list() == []
        with httpx.Client(base_url=srv.url, timeout=10) as c:
            assert c.get("/api/audits").json()["audits"] == []  # still answering


# ---- a body that stalls --------------------------------------------------------------------------
def test_a_stalled_upload_gets_408_and_the_server_keeps_answering():
    app = create_app(WebSettings(body_timeout=1.0))
    with BackgroundServer(app) as srv:
        body = form_body(cdm_csv(2_000))
        with socket.create_connection((srv.host, srv.port), timeout=10) as sock:
            started = time.monotonic()
            sock.sendall(post_head(srv.port, "/api/audits", len(body)) + body[: len(body) // 2])
            # While that client stalls, everyone else is served.
            with httpx.Client(base_url=srv.url, timeout=5) as c:
                assert c.get("/").status_code == 200
                assert c.get("/api/audits").json()["audits"] == []
            status, headers, answer = read_response(sock, timeout=10)
            waited = time.monotonic() - started
            assert status == 408, answer
            assert json.loads(answer)["error"] == (
                "upload timed out: no data arrived for 1 seconds; nothing was audited, send it again"
            )
            assert 0.9 < waited < 5
            # The rest of the body is never read: the server closes the connection.
            sock.settimeout(5)
            assert sock.recv(65536) == b""
        settle(app)
        assert run_folders(app) == [] and app.state.jobs.store.list() == []


def test_an_upload_trickling_past_the_total_limit_gets_408():
    app = create_app(WebSettings(body_timeout=5.0, body_total_timeout=1.5))
    with BackgroundServer(app) as srv:
        body = form_body(cdm_csv(200))
        stop = threading.Event()
        with socket.create_connection((srv.host, srv.port), timeout=10) as sock:
            sock.sendall(post_head(srv.port, "/api/audits", len(body)))

            def trickle() -> None:  # a few bytes every 0.2 s: never idle, never finished
                for i in range(0, len(body), 16):
                    if stop.wait(0.2):
                        return
                    try:
                        sock.sendall(body[i : i + 16])
                    except OSError:
                        return

            sender = threading.Thread(target=trickle, daemon=True)
            sender.start()
            try:
                status, _headers, answer = read_response(sock, timeout=10)
            finally:
                stop.set()
                sender.join(timeout=5)
            assert status == 408
            assert "took longer than 1.5 seconds" in json.loads(answer)["error"]
        settle(app)
        assert run_folders(app) == []


def test_a_stalled_upload_to_the_page_gets_the_timeout_page():
    app = create_app(WebSettings(body_timeout=0.5))
    with BackgroundServer(app) as srv:
        body = form_body(cdm_csv(100))
        with socket.create_connection((srv.host, srv.port), timeout=10) as sock:
            sock.sendall(post_head(srv.port, "/audits", len(body)) + body[:200])
            status, headers, answer = read_response(sock, timeout=10)
        assert status == 408 and headers["content-type"].startswith("text/html")
        assert b"Upload timed out" in answer and b"no data arrived for 0.5 seconds" in answer
        settle(app)
        assert run_folders(app) == []


# ---- the server answers while audits run ---------------------------------------------------------
@pytest.mark.parametrize("review", ["never", "always"])
def test_pages_answer_quickly_while_an_audit_reads_and_runs(review):
    """Reading (the review's read too), auditing and writing run on worker threads, never on the event loop."""
    app = create_app(WebSettings(workers=1))
    with BackgroundServer(app) as srv, httpx.Client(base_url=srv.url, timeout=30) as c:
        r = c.post(
            "/api/audits",
            data={"as_of": AS_OF, "review": review},
            files=[("files", ("big.csv", cdm_csv(150_000)))],
        )
        assert r.status_code == 202, r.text
        run_id = r.json()["id"]
        seen, slowest = set(), 0.0
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            for path in (f"/api/audits/{run_id}", "/", "/runs", "/api/openapi.json"):
                t0 = time.monotonic()
                answer = c.get(path)
                slowest = max(slowest, time.monotonic() - t0)
                assert answer.status_code == 200
            status = c.get(f"/api/audits/{run_id}").json()["status"]
            if status in ("done", "failed", "review"):
                break
            seen.add(status)
            time.sleep(0.02)
        assert status == ("review" if review == "always" else "done")
        assert seen & {"reading", "auditing", "writing"}, seen  # it was asked while the run worked
        assert slowest < 1.0, f"a page took {slowest:.2f} s while the audit ran"
