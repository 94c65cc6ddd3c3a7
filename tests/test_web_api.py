"""The web app's JSON API and forms through starlette's TestClient, plus concurrent uploads to a real uvicorn."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import threading
import time
import warnings
from pathlib import Path

import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")

with warnings.catch_warnings():
    # starlette 1.x prefers httpx2 for its TestClient; httpx 0.28 works and is what the test extra pins.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

from auditor.web import WebSettings, create_app

REPO = Path(__file__).resolve().parents[1]
CDM = REPO / "samples" / "chargemaster.xlsx"
PAIRING = REPO / "samples" / "pairing_table.csv"
AS_OF = "2026-04-01"
BASE = "http://127.0.0.1"


def sample_files(cdm: Path = CDM, pairing: Path | None = PAIRING) -> list:
    """Multipart file tuples for the bundled sample."""
    files = [("files", (cdm.name, cdm.read_bytes()))]
    if pairing:
        files.append(("pairing_table", (pairing.name, pairing.read_bytes())))
    return files


@pytest.fixture()
def home(tmp_path, monkeypatch) -> Path:
    """A private CDM_AUDIT_HOME so saved profiles never touch the real user folder."""
    monkeypatch.setenv("CDM_AUDIT_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture()
def client(home):
    """TestClient over a fresh app (1 MB upload cap so oversize tests stay small)."""
    app = create_app(WebSettings(max_upload_mb=1))
    with TestClient(app, base_url=BASE) as c:
        c.app_state = app.state
        yield c


def wait_for(client, run_id: str, statuses=("done", "failed", "review"), tries: int = 400) -> dict:
    """Poll GET /api/audits/{id} until the run reaches one of `statuses` (bounded)."""
    for _ in range(tries):
        body = client.get(f"/api/audits/{run_id}").json()
        if body["status"] in statuses:
            return body
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} stuck in {body['status']}")


def csrf(client) -> str:
    """The CSRF token of the client's session, from the upload page."""
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").text).group(1)


def key(f: dict) -> tuple:
    """A finding without its file path (the web app shows upload names, the core saw real paths)."""
    return (f["edit"], f["severity"], f["sheet"], f["row"], f["charge_code"], f["code"], f["message"])


def test_api_happy_path_matches_run_audit(client):
    from auditor.audit import AuditRequest, run_audit

    r = client.post("/api/audits?wait=true", files=sample_files(), data={"as_of": AS_OF})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "done" and body["as_of"] == AS_OF
    assert [i["name"] for i in body["inputs"]] == ["chargemaster.xlsx", "pairing_table.csv"]
    doc = client.get(body["links"]["findings"]).json()
    core = run_audit([CDM], AuditRequest(as_of=dt.date(2026, 4, 1), pairing_tables=[PAIRING]))
    want = sorted(key(f.to_dict()) for f in core.findings)
    assert sorted(key(f) for f in doc["findings"]) == want
    assert body["summary"]["findings"] == len(want) == doc["summary"]["findings"]
    # Upload names, never the private temporary paths, appear in what the client gets back.
    text = json.dumps(doc)
    root = str(client.app_state.jobs.root)
    assert root not in text and "input-1" not in text and "input-2" not in text
    assert {f["file"] for f in doc["findings"]} <= {"chargemaster.xlsx", "pairing_table.csv"}


def test_api_async_status_and_every_download(client):
    import openpyxl

    r = client.post("/api/audits", files=sample_files(), data={"as_of": AS_OF})
    assert r.status_code == 202 and r.json()["status"] in ("queued", "reading", "auditing", "writing", "done")
    assert r.headers["location"] == f"/api/audits/{r.json()['id']}"
    body = wait_for(client, r.json()["id"])
    assert body["status"] == "done", body
    xlsx = client.get(body["links"]["xlsx"])
    assert xlsx.status_code == 200 and "attachment" in xlsx.headers["content-disposition"]
    wb = openpyxl.load_workbook(io.BytesIO(xlsx.content), read_only=True)
    assert {"Summary", "Findings"} <= set(wb.sheetnames)
    csv = client.get(body["links"]["csv"])
    assert csv.content.startswith(b"\xef\xbb\xbf") and b"edit" in csv.content[:200].lower()
    html = client.get(body["links"]["html"]).text
    assert "<h1>Chargemaster audit: chargemaster.xlsx</h1>" in html and "web-bar" not in html
    page = client.get(body["links"]["report"])
    assert page.status_code == 200 and 'id="web-bar"' in page.text and 'href="report.xlsx"' in page.text
    assert client.get(f"/runs/{body['id']}").status_code == 200  # redirected to the report
    listed = client.get("/api/audits").json()["audits"]
    assert [a["id"] for a in listed] == [body["id"]]


@pytest.mark.parametrize("name,content,words", [
    ("empty.xlsx", b"", "empty"),
    ("corrupt.xlsx", b"PK\x03\x04" + b"\x00garbage" * 200, "damaged workbook"),
    ("page.xls", b"<html><body><table><tr><td>1</td></tr></table></body></html>", "web page"),
    ("photo.csv", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "PNG image"),
], ids=["empty", "corrupt-zip", "html-as-xls", "png-as-csv"])
def test_api_bad_file_is_400_with_the_message(client, name, content, words):
    r = client.post("/api/audits", files=[("files", (name, content))], data={"as_of": AS_OF})
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert error.startswith(f"{name}: ") and words in error
    assert str(client.app_state.jobs.root) not in error
    assert list(client.app_state.jobs.root.iterdir()) == []  # the refused upload left nothing behind


def test_api_file_without_a_table_fails_with_400(client):
    r = client.post("/api/audits?wait=true", files=[("files", ("notes.csv", b"just,some\nfree,text\n"))])
    assert r.status_code == 400
    body = r.json()
    assert body["status"] == "failed" and body["error_status"] == 400
    assert body["error"].startswith("notes.csv: no table found in notes.csv")


def test_api_oversized_upload_is_413_and_leaves_nothing(client):
    big = b"Charge Code,Description,CPT\n" + b"1,x,99213\n" * 120_000  # 1.2 MB over a 1 MB cap
    r = client.post("/api/audits", files=[("files", ("big.csv", big))])
    assert r.status_code == 413
    assert r.json()["error"] == ("big.csv: the upload is larger than the 1 MB limit; split the file or ask for a "
                                 "higher --max-upload-mb")
    assert list(client.app_state.jobs.root.iterdir()) == []
    assert client.get("/api/audits").json()["audits"] == []


@pytest.mark.parametrize("name", ["tool.exe", "memo.docx", "noextension"])
def test_api_wrong_extension_is_415(client, name):
    r = client.post("/api/audits", files=[("files", (name, b"Charge Code,CPT\n1,99213\n"))])
    assert r.status_code == 415
    assert r.json()["error"].startswith(f"{name}: this file type is not accepted; upload .xlsx")


def test_api_refuses_non_multipart_missing_files_and_bad_dates(client):
    assert client.post("/api/audits", json={"files": []}).status_code == 415
    r = client.post("/api/audits", files=[("pairing_table", (PAIRING.name, PAIRING.read_bytes()))])
    assert r.status_code == 400 and "at least one chargemaster" in r.json()["error"]
    r = client.post("/api/audits", files=sample_files(pairing=None), data={"as_of": "01/04/2026"})
    assert r.status_code == 400 and "is not a date" in r.json()["error"]
    r = client.post("/api/audits", files=sample_files(pairing=None), data={"columns": '{"nope": "X"}'})
    assert r.status_code == 400 and "unknown field 'nope'" in r.json()["error"]


def test_api_review_then_mapping_correction(client):
    r = client.post("/api/audits?wait=true", files=sample_files(pairing=None), data={"as_of": AS_OF, "review": "true"})
    body = r.json()
    assert r.status_code == 200 and body["status"] == "review"
    sheet = body["review"]["files"][0]["sheets"][0]
    assert sheet["name"] == "CDM" and sheet["header_row"] == 4
    fields = {c["header"]: c["field"] for c in sheet["columns"]}
    assert fields["Charge Code"] == "charge_code" and fields["Department"] == "department"
    assert sheet["rows"][0]["row"] == 5 and "02721000" in sheet["rows"][0]["cells"]
    r = client.post(body["links"]["mapping"], json={"columns": {"narrative": "Department"}, "wait": True})
    assert r.status_code == 200 and r.json()["status"] == "done", r.text
    doc = client.get(r.json()["links"]["findings"]).json()
    columns = doc["run"]["inputs"][0]["sheets"][0]["columns"]
    assert columns["narrative"] == "Department" and "department" not in columns
    assert client.post(body["links"]["mapping"], json={}).status_code == 409  # no longer in review


def test_page_flow_review_correction_and_saved_profile(client, home):
    token = csrf(client)
    r = client.post("/audits", files=sample_files(pairing=None),
                    data={"csrf_token": token, "as_of": AS_OF, "review": "on"}, follow_redirects=False)
    assert r.status_code == 303
    run_id = r.headers["location"].rsplit("/", 1)[1]
    wait_for(client, run_id, ("review",))
    page = client.get(f"/runs/{run_id}")
    assert page.status_code == 200 and 'id="review-form"' in page.text
    dept = re.search(r'name="(map-0-0-\d+)" data-detected="department"', page.text).group(1)
    # "(not used)" for the only department column cannot be expressed: the page says why, nothing runs.
    bad = client.post(f"/runs/{run_id}/review", data={"csrf_token": token, dept: "", "action": "audit"})
    assert bad.status_code == 400 and "cannot be left unused" in bad.text
    r = client.post(f"/runs/{run_id}/review", follow_redirects=False, data={
        "csrf_token": token, dept: "narrative", "action": "audit", "save_profile": "on", "profile_name": "Mercy ../CDM"})
    assert r.status_code == 303
    assert wait_for(client, run_id)["status"] == "done"
    saved = home / "profiles" / "Mercy-CDM.toml"
    assert saved.is_file() and 'narrative = "Department"' in saved.read_text()
    assert '<option value="Mercy-CDM">' in client.get("/").text
    r = client.post("/audits", files=sample_files(pairing=None), follow_redirects=False,
                    data={"csrf_token": token, "as_of": AS_OF, "profile": "Mercy-CDM"})
    second = wait_for(client, r.headers["location"].rsplit("/", 1)[1])
    assert second["status"] == "done" and second["options"]["profile"] == "Mercy-CDM"
    assert second["options"]["columns"]["narrative"] == "Department"


def test_page_stops_for_review_when_detection_is_unsure(client):
    csv = b"Hospital Charge Code,Item Description Text,CPT,Price\n100,HC OFFICE VISIT,99213,120.00\n"
    r = client.post("/audits", files=[("files", ("guess.csv", csv))], follow_redirects=False,
                    data={"csrf_token": csrf(client), "as_of": AS_OF})
    body = wait_for(client, r.headers["location"].rsplit("/", 1)[1])
    assert body["status"] == "review" and body["options"]["review"] == "auto"
    assert any("charge code taken from column 'Hospital Charge Code' by a partial match" in why
               for why in body["review"]["reasons"]), body["review"]["reasons"]
    page = client.get(body["links"]["page"]).text
    assert "Header detection is unsure" in page and "guessed, 0.70" in page
    # The API audits straight away unless asked (like the CLI), or stops only when unsure with review=auto.
    api = client.post("/api/audits?wait=true", files=[("files", ("guess.csv", csv))]).json()
    assert api["status"] == "done"
    auto = client.post("/api/audits?wait=true", files=[("files", ("guess.csv", csv))], data={"review": "auto"})
    assert auto.json()["status"] == "review"


def test_serve_warns_and_generates_a_token_off_loopback(monkeypatch):
    from click.testing import CliRunner

    from auditor.web import cli

    seen = {}
    def fake_server(app, settings):
        seen["token"] = settings.token
        app.state.jobs.close()

    monkeypatch.setattr(cli, "_run_server", fake_server)
    result = CliRunner().invoke(cli.serve, ["--host", "0.0.0.0", "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert seen["token"] and len(seen["token"]) >= 24
    assert "warning: --host 0.0.0.0 is reachable from the network" in result.stderr
    result = CliRunner().invoke(cli.serve, ["--port", "8123"])
    assert result.exit_code == 0 and seen["token"] is None and "warning" not in result.stderr


def test_forms_need_the_csrf_token_and_same_site(client):
    r = client.post("/audits", files=sample_files(pairing=None), data={"as_of": AS_OF})
    assert r.status_code == 403 and "form has expired" in r.text and "<h1>Request refused</h1>" in r.text
    token = csrf(client)
    r = client.post("/audits", files=sample_files(pairing=None), data={"csrf_token": token},
                    headers={"sec-fetch-site": "cross-site"})
    assert r.status_code == 403 and "cross-site" in r.text
    r = client.post("/api/audits", files=sample_files(pairing=None), headers={"origin": "http://evil.example"})
    assert r.status_code == 403
    assert client.get("/", headers={"host": "evil.example"}).status_code == 400  # DNS rebinding guard


def test_inputs_are_deleted_after_the_audit_unless_kept(client):
    first = client.post("/api/audits?wait=true", files=sample_files()).json()
    kept = client.post("/api/audits?wait=true", files=sample_files(), data={"keep": "on"}).json()
    runs = {r.id: r for r in client.app_state.jobs.store.list()}
    gone, held = runs[first["id"]], runs[kept["id"]]
    assert not (gone.dir / "inputs").exists() and (gone.report_dir / "report.xlsx").is_file()
    assert sorted(p.name for p in (held.dir / "inputs").iterdir()) == ["input-1.xlsx", "input-2.csv"]
    assert oct(held.dir.stat().st_mode & 0o777) == "0o700"
    assert oct(client.app_state.jobs.root.stat().st_mode & 0o777) == "0o700"


def test_a_kept_run_can_be_reviewed_and_run_again(client):
    token = csrf(client)
    done = client.post("/api/audits?wait=true", files=sample_files(), data={"keep": "on", "as_of": AS_OF}).json()
    assert "Review mapping and re-run" in client.get("/runs").text
    r = client.post(f"/runs/{done['id']}/rerun", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    review = wait_for(client, done["id"])
    assert review["status"] == "review" and review["review"]["reasons"] == []
    assert client.get(f"/runs/{done['id']}/report", follow_redirects=False).status_code == 303
    again = client.post(review["links"]["mapping"], json={"columns": {"narrative": "Status"}, "wait": True}).json()
    assert again["status"] == "done" and again["summary"]["rows_audited"] == done["summary"]["rows_audited"]
    gone = client.post("/api/audits?wait=true", files=sample_files()).json()
    assert client.post(f"/runs/{gone['id']}/rerun", data={"csrf_token": token}).status_code == 409


def test_client_file_names_are_only_labels(client):
    from auditor.web.uploads import display_name

    assert display_name("../../etc/passwd.csv") == "passwd.csv"
    assert display_name("C:\\Users\\a\\evil<script>.xlsx") == "evil_script_.xlsx"
    assert display_name("\x00\x1f..") == "upload"
    r = client.post("/api/audits?wait=true", files=[("files", ("../../../tmp/x/..\\cdm.xlsx", CDM.read_bytes()))])
    body = r.json()
    assert body["status"] == "done" and body["inputs"][0]["name"] == "cdm.xlsx"
    run = client.app_state.jobs.store.get(body["id"])
    assert run.inputs[0].path.name == "input-1.xlsx" and run.inputs[0].path.parent == run.dir / "inputs"


def test_unknown_runs_files_and_crashes_never_show_a_traceback(home, monkeypatch):
    app = create_app(WebSettings())
    with TestClient(app, base_url=BASE, raise_server_exceptions=False) as c:
        assert c.get("/api/audits/nope").json() == {
            "error": "no audit with this id on this server (runs are kept while it runs)"}
        assert c.get("/runs/nope").status_code == 404
        run = c.post("/api/audits?wait=true", files=sample_files()).json()
        assert c.get(f"/runs/{run['id']}/..%2F..%2Fetc%2Fpasswd").status_code == 404
        assert c.get(f"/runs/{run['id']}/view.html").status_code == 404
        import auditor.audit

        def boom(*a, **k):
            raise RuntimeError("secret detail /very/private/path")

        monkeypatch.setattr(auditor.audit, "run_audit", boom)
        failed = c.post("/api/audits?wait=true", files=sample_files())
        assert failed.status_code == 500 and "secret" not in failed.text
        assert failed.json()["error"] == "The audit stopped on an unexpected error. The server log has the details."
        page = c.get(f"/runs/{failed.json()['id']}")
        assert page.status_code == 500 and "Traceback" not in page.text and "secret" not in page.text
        from auditor.web import profiles

        monkeypatch.setattr(profiles, "list_profiles", lambda: 1 / 0)
        crash = c.get("/")
        assert crash.status_code == 500 and "unexpected error" in crash.text and "ZeroDivision" not in crash.text


def test_token_protects_pages_and_api(home):
    app = create_app(WebSettings(token="s3cret"))
    with TestClient(app, base_url=BASE) as c:
        assert c.get("/").status_code == 401
        assert c.get("/api/audits").json()["error"].startswith("this server needs its access token")
        assert c.get("/api/audits", headers={"authorization": "Bearer wrong"}).status_code == 401
        assert c.get("/api/audits", headers={"authorization": "Bearer s3cret"}).status_code == 200
        r = c.get("/?token=s3cret", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/"
        assert c.get("/").status_code == 200  # the cookie now carries the proof


def test_openapi_docs_and_serve_get():
    from click.testing import CliRunner

    from auditor.web.cli import serve

    result = CliRunner().invoke(serve, ["--get", "/api/openapi.json"])
    assert result.exit_code == 0, result.output
    spec = json.loads(result.output)
    assert spec["openapi"].startswith("3.") and {"/api/audits", "/api/audits/{run_id}"} <= set(spec["paths"])
    result = CliRunner().invoke(serve, ["--get", "/api/docs"])
    assert result.exit_code == 0 and "POST</span>/api/audits" in result.output
    result = CliRunner().invoke(serve, ["--get", "/api/audits/missing"])
    assert result.exit_code == 1 and '"error"' in result.output


def test_corrections_rules():
    from auditor.errors import InputError
    from auditor.web.review import corrections

    cols = [{"index": i, "header": h, "field": f, "cms": False, "confidence": 1.0}
            for i, (h, f) in enumerate([("Code", "charge_code"), ("Desc", "description"), ("UB", ""), ("Dept", "department")])]
    review = {"files": [{"index": 0, "name": "a.xlsx", "sheets": [{"index": 0, "name": "S", "header_row": 1,
                                                                    "columns": cols}]}]}
    assert corrections(review, {}) == ({}, {"charge_code": "Code", "description": "Desc", "department": "Dept"})
    overrides, full = corrections(review, {(0, 0, 2): "revenue_code"})
    assert overrides == {"revenue_code": "UB"} and full["revenue_code"] == "UB"
    assert corrections(review, {(0, 0, 3): "narrative"})[0] == {"narrative": "Dept"}
    with pytest.raises(InputError, match="chosen for 2 columns"):
        corrections(review, {(0, 0, 2): "description"})
    with pytest.raises(InputError, match="cannot be left unused"):
        corrections(review, {(0, 0, 3): ""})


def _cdm_csv(n: int) -> bytes:
    """A small chargemaster with n lines and a distinct charge-code prefix, so every answer is recognisable."""
    lines = ["Charge Code,Charge Description,Rev Code,CPT/HCPCS,Price"]
    lines += [f"{n:02d}{i:04d},HC OFFICE VISIT {i},0510,99213,{100 + i}.00" for i in range(n)]
    return ("\n".join(lines) + "\n").encode()


def test_concurrent_uploads_to_a_real_server(home):
    import httpx

    from auditor.web.server import BackgroundServer

    sizes = [3, 5, 7, 11, 13, 17]
    answers: dict[int, httpx.Response] = {}
    errors: list[BaseException] = []

    def upload(n: int) -> None:
        try:
            with httpx.Client(base_url=srv.url, timeout=60) as c:
                answers[n] = c.post("/api/audits?wait=true", data={"as_of": AS_OF},
                                    files=[("files", (f"cdm-{n}.csv", _cdm_csv(n)))])
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    with BackgroundServer(create_app(WebSettings(workers=2))) as srv:
        threads = [threading.Thread(target=upload, args=(n,)) for n in sizes]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=90)
        assert not errors and sorted(answers) == sizes
        ids = set()
        for n, r in answers.items():
            body = r.json()
            assert r.status_code == 200 and body["status"] == "done", body
            assert body["inputs"] == [{"name": f"cdm-{n}.csv", "role": "chargemaster", "size": len(_cdm_csv(n))}]
            assert body["summary"]["rows_audited"] == n
            with httpx.Client(base_url=srv.url, timeout=30) as c:
                doc = c.get(body["links"]["findings"]).json()
            assert doc["run"]["inputs"][0]["path"] == f"cdm-{n}.csv"
            assert all(f["charge_code"].startswith(f"{n:02d}") for f in doc["findings"] if f["charge_code"])
            ids.add(body["id"])
        assert len(ids) == len(sizes)
        root = srv.app.state.jobs.root
    assert not root.exists()  # shutdown removed every upload and report
