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
    assert {"Summary", "Findings"} <= set(wb.sheetnames) and wb.sheetnames[0] == "Fix first"
    csv = client.get(body["links"]["csv"])
    assert csv.content.startswith(b"\xef\xbb\xbf") and b"edit" in csv.content[:200].lower()
    html = client.get(body["links"]["html"]).text
    assert "<h1>Chargemaster audit: chargemaster.xlsx</h1>" in html and "web-bar" not in html
    page = client.get(body["links"]["report"])
    assert page.status_code == 200 and 'id="web-bar"' in page.text and 'href="report.xlsx"' in page.text
    # The page leads with the problems, before the findings; the API names the first one and the counts.
    assert page.text.index('id="fix-first"') < page.text.index('id="findings"')
    doc = client.get(body["links"]["findings"]).json()
    assert body["problems"]["total"] == len(doc["problems"]) > 0
    assert body["top_problem"]["id"] == next(p["id"] for p in doc["problems"] if not p["waived"])
    assert client.get(f"/runs/{body['id']}").status_code == 200  # redirected to the report
    listed = client.get("/api/audits").json()["audits"]
    assert [a["id"] for a in listed] == [body["id"]]


@pytest.mark.parametrize(
    "name,content,words",
    [
        ("empty.xlsx", b"", "empty"),
        ("corrupt.xlsx", b"PK\x03\x04" + b"\x00garbage" * 200, "damaged workbook"),
        ("page.xls", b"<html><body><table><tr><td>1</td></tr></table></body></html>", "web page"),
        ("photo.csv", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "PNG image"),
    ],
    ids=["empty", "corrupt-zip", "html-as-xls", "png-as-csv"],
)
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
    assert r.json()["error"] == (
        "big.csv: the upload is larger than the 1 MB limit; split the file or ask for a "
        "higher --max-upload-mb"
    )
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
    r = client.post(
        "/api/audits?wait=true", files=sample_files(pairing=None), data={"as_of": AS_OF, "review": "true"}
    )
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
    r = client.post(
        "/audits",
        files=sample_files(pairing=None),
        data={"csrf_token": token, "as_of": AS_OF, "review": "on"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    run_id = r.headers["location"].rsplit("/", 1)[1]
    wait_for(client, run_id, ("review",))
    page = client.get(f"/runs/{run_id}")
    assert page.status_code == 200 and 'id="review-form"' in page.text
    dept = re.search(r'name="(map-0-0-\d+)" data-detected="department"', page.text).group(1)
    # "(not used)" for the only department column cannot be expressed: the page says why, nothing runs.
    bad = client.post(f"/runs/{run_id}/review", data={"csrf_token": token, dept: "", "action": "audit"})
    assert bad.status_code == 400 and "cannot be left unused" in bad.text
    r = client.post(
        f"/runs/{run_id}/review",
        follow_redirects=False,
        data={
            "csrf_token": token,
            dept: "narrative",
            "action": "audit",
            "save_profile": "on",
            "profile_name": "Mercy ../CDM",
        },
    )
    assert r.status_code == 303
    assert wait_for(client, run_id)["status"] == "done"
    saved = home / "profiles" / "Mercy-CDM.toml"
    # The choices are the sheet's own: a workbook's sheet keeps its name from quarter to quarter.
    assert saved.is_file() and '[sheet."CDM".columns]\nnarrative = "Department"' in saved.read_text()
    assert '<option value="Mercy-CDM">' in client.get("/").text
    r = client.post(
        "/audits",
        files=sample_files(pairing=None),
        follow_redirects=False,
        data={"csrf_token": token, "as_of": AS_OF, "profile": "Mercy-CDM"},
    )
    second = wait_for(client, r.headers["location"].rsplit("/", 1)[1])
    assert second["status"] == "done" and second["options"]["profile"] == "Mercy-CDM"
    assert second["options"]["sheets"]["CDM"]["columns"]["narrative"] == "Department"
    doc = client.get(second["links"]["findings"]).json()
    assert doc["run"]["inputs"][0]["sheets"][0]["columns"]["narrative"] == "Department"


GUESS_ROWS = [
    ("99213", "HC OFFICE VISIT EST", "125.00", "98.00"),
    ("71046", "HC XR CHEST 2V", "210.00", "160.00"),
    ("85025", "HC CBC", "45.00", "30.00"),
    ("80048", "HC BMP", "60.00", "41.00"),
    ("93005", "HC ECG", "130.00", "90.00"),
    ("36415", "HC VENIPUNCTURE", "18.00", "11.00"),
]


def test_page_stops_for_review_when_detection_is_unsure(client):
    csv = ("Svc,Label,Gross,Net\n" + "".join(",".join(r) + "\n" for r in GUESS_ROWS)).encode()
    r = client.post(
        "/audits",
        files=[("files", ("guess.csv", csv))],
        follow_redirects=False,
        data={"csrf_token": csrf(client), "as_of": AS_OF},
    )
    body = wait_for(client, r.headers["location"].rsplit("/", 1)[1])
    assert body["status"] == "review" and body["options"]["review"] == "auto"
    reasons = body["review"]["reasons"]
    # Which column, how sure, and the runner-up; what cannot run without a column.
    guess = re.compile(
        r"guess\.csv: price from column C “Gross” is a guess \(0\.\d\d\); column D “Net” came second"
    )
    assert any(guess.fullmatch(why) for why in reasons), reasons
    assert (
        "guess.csv: no charge code column; edits that need one will be reported as not evaluable" in reasons
    )
    assert not any("partial match" in why for why in reasons)
    page = client.get(body["links"]["page"]).text
    assert "Some of the reading is unsure" in page and re.search(r"guess, 0\.\d\d<", page)
    # The API audits straight away unless asked (like the CLI), or stops only when unsure with review=auto.
    api = client.post("/api/audits?wait=true", files=[("files", ("guess.csv", csv))]).json()
    assert api["status"] == "done"
    auto = client.post(
        "/api/audits?wait=true", files=[("files", ("guess.csv", csv))], data={"review": "auto"}
    )
    assert auto.json()["status"] == "review"


def test_review_reasons_say_what_is_doubtful_now():
    from auditor.ingest import IngestOptions, SheetReport
    from auditor.ingest.reader import SheetChoice
    from auditor.web.review import sheet_reasons

    exact = {"charge_code": 1.0, "description": 1.0, "cpt": 1.0, "price": 1.0}
    sure = SheetReport("CDM", 4, columns={k: k for k in exact}, confidence=exact, rows_read=50)
    assert sheet_reasons("a.xlsx", sure, IngestOptions()) == []
    # A confidence between 0.75 and 1 was a "partial match" before; it is no doubt now.
    assert (
        sheet_reasons(
            "a.xlsx",
            SheetReport("CDM", 4, columns=dict(sure.columns), confidence={**exact, "price": 0.75}),
            IngestOptions(),
        )
        == []
    )
    bare = SheetReport(
        "S",
        0,
        columns={"description": "column A", "price": "column C"},
        confidence={"description": 0.9, "price": 0.9},
        rows_read=12,
    )
    assert sheet_reasons("b.csv", bare, IngestOptions()) == [
        "b.csv: read without a header row (every line is data); check the columns",
        "b.csv: no CPT/HCPCS column; edits that need a code will be reported as not evaluable",
        "b.csv: no charge code column; edits that need one will be reported as not evaluable",
    ]
    chosen = IngestOptions(per_sheet={"S": SheetChoice(header_row=0)})
    assert not any("without a header row" in why for why in sheet_reasons("b.csv", bare, chosen))
    form = SheetReport(
        "Form",
        2,
        kind="summary",
        kind_reason="sheet name 'Form' says it is a summary, form or statistics tab",
        rows_read=40,
    )
    assert sheet_reasons("a.xlsx, sheet 'Form'", form, IngestOptions()) == [
        "a.xlsx, sheet 'Form': 40 rows set aside as summary (sheet name 'Form' says it is a summary, form or "
        "statistics tab); they will not be audited"
    ]
    assert sheet_reasons("x", form, IngestOptions(per_sheet={"Form": SheetChoice(kind="summary")})) == []
    assert sheet_reasons("x", SheetReport("Notes", None, rows_read=4), IngestOptions()) == []


def test_serve_warns_and_generates_a_token_off_loopback(monkeypatch):
    from click.testing import CliRunner

    from auditor.cli import serve as cli

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
    r = client.post(
        "/audits",
        files=sample_files(pairing=None),
        data={"csrf_token": token},
        headers={"sec-fetch-site": "cross-site"},
    )
    assert r.status_code == 403 and "cross-site" in r.text
    r = client.post(
        "/api/audits", files=sample_files(pairing=None), headers={"origin": "http://evil.example"}
    )
    assert r.status_code == 403
    assert client.get("/", headers={"host": "evil.example"}).status_code == 400  # DNS rebinding guard


def test_inputs_are_deleted_after_the_audit_unless_kept(client):
    first = client.post("/api/audits?wait=true", files=sample_files()).json()
    kept = client.post("/api/audits?wait=true", files=sample_files(), data={"keep": "on"}).json()
    runs = {r.id: r for r in client.app_state.jobs.store.list()}
    gone, held = runs[first["id"]], runs[kept["id"]]
    assert not (gone.dir / "inputs").exists() and (gone.report_dir / "report.xlsx").is_file()
    stored = sorted(p.relative_to(held.dir / "inputs").as_posix() for p in (held.dir / "inputs").glob("*/*"))
    assert stored == ["1/chargemaster.xlsx", "2/pairing_table.csv"]
    assert oct(held.dir.stat().st_mode & 0o777) == "0o700"
    assert oct((held.dir / "inputs" / "1").stat().st_mode & 0o777) == "0o700"
    assert oct(client.app_state.jobs.root.stat().st_mode & 0o777) == "0o700"


def test_a_kept_run_can_be_reviewed_and_run_again(client):
    token = csrf(client)
    done = client.post(
        "/api/audits?wait=true", files=sample_files(), data={"keep": "on", "as_of": AS_OF}
    ).json()
    assert "Review mapping and re-run" in client.get("/runs").text
    r = client.post(f"/runs/{done['id']}/rerun", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    review = wait_for(client, done["id"])
    assert review["status"] == "review" and review["review"]["reasons"] == []
    assert client.get(f"/runs/{done['id']}/report", follow_redirects=False).status_code == 303
    again = client.post(
        review["links"]["mapping"], json={"columns": {"narrative": "Status"}, "wait": True}
    ).json()
    # With the Status column read as a narrative, the sample's two Inactive lines are live lines again.
    assert (
        again["status"] == "done" and again["summary"]["rows_audited"] == done["summary"]["rows_audited"] + 2
    )
    gone = client.post("/api/audits?wait=true", files=sample_files()).json()
    assert client.post(f"/runs/{gone['id']}/rerun", data={"csrf_token": token}).status_code == 409


def test_client_file_names_are_only_labels(client):
    from auditor.web.uploads import display_name

    assert display_name("../../etc/passwd.csv") == "passwd.csv"
    assert display_name("C:\\Users\\a\\evil<script>.xlsx") == "evil_script_.xlsx"
    assert display_name("\x00\x1f..") == "upload"
    r = client.post(
        "/api/audits?wait=true", files=[("files", ("../../../tmp/x/..\\cdm.xlsx", CDM.read_bytes()))]
    )
    body = r.json()
    assert body["status"] == "done" and body["inputs"][0]["name"] == "cdm.xlsx"
    run = client.app_state.jobs.store.get(body["id"])
    # Stored under the cleaned name, in a generated folder of its own inside the run's private folder.
    assert run.inputs[0].path == run.dir / "inputs" / "1" / "cdm.xlsx"
    two = client.post(
        "/api/audits?wait=true",
        files=[("files", ("cdm.xlsx", CDM.read_bytes())), ("files", ("cdm.xlsx", CDM.read_bytes()))],
    ).json()
    assert [i["name"] for i in two["inputs"]] == ["cdm.xlsx", "cdm (2).xlsx"]


def test_unknown_runs_files_and_crashes_never_show_a_traceback(home, monkeypatch):
    app = create_app(WebSettings())
    with TestClient(app, base_url=BASE, raise_server_exceptions=False) as c:
        assert c.get("/api/audits/nope").json() == {
            "error": "no audit with this id on this server (runs are kept while it runs)"
        }
        assert c.get("/runs/nope").status_code == 404
        run = c.post("/api/audits?wait=true", files=sample_files()).json()
        assert c.get(f"/runs/{run['id']}/..%2F..%2Fetc%2Fpasswd").status_code == 404
        assert c.get(f"/runs/{run['id']}/view.html").status_code == 404
        import auditor.session

        def boom(*a, **k):
            raise RuntimeError("secret detail /very/private/path")

        monkeypatch.setattr(auditor.session, "run_audit", boom)
        failed = c.post("/api/audits?wait=true", files=sample_files())
        assert failed.status_code == 500 and "secret" not in failed.text
        assert (
            failed.json()["error"]
            == "The audit stopped on an unexpected error. The server log has the details."
        )
        page = c.get(f"/runs/{failed.json()['id']}")
        assert page.status_code == 500 and "Traceback" not in page.text and "secret" not in page.text
        from auditor.web import profiles

        monkeypatch.setattr(profiles, "list_profiles", lambda: 1 / 0)
        crash = c.get("/")
        assert (
            crash.status_code == 500 and "unexpected error" in crash.text and "ZeroDivision" not in crash.text
        )


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

    from auditor.cli.serve import serve

    result = CliRunner().invoke(serve, ["--get", "/api/openapi.json"])
    assert result.exit_code == 0, result.output
    spec = json.loads(result.output)
    assert spec["openapi"].startswith("3.") and {"/api/audits", "/api/audits/{run_id}"} <= set(spec["paths"])
    result = CliRunner().invoke(serve, ["--get", "/api/docs"])
    assert result.exit_code == 0 and "POST</span>/api/audits" in result.output
    result = CliRunner().invoke(serve, ["--get", "/api/audits/missing"])
    assert result.exit_code == 1 and '"error"' in result.output


def _review_model(header_row: int = 1) -> dict:
    """A review of two files: a.xlsx (sheets S and T) and b.csv (headerless), as build_review shapes it."""

    def cols(pairs):
        return [
            {"index": i, "letter": "ABCD"[i], "header": h, "field": f, "cms": False, "duplicate": False}
            for i, (h, f) in enumerate(pairs)
        ]

    sheet = {
        "index": 0,
        "name": "S",
        "header_row": header_row,
        "kind": "cdm",
        "first_row": 1,
        "last_header_row": 40,
        "columns": cols(
            [("Code", "charge_code"), ("Desc", "description"), ("UB", ""), ("Dept", "department")]
        ),
    }
    other = {
        **sheet,
        "index": 1,
        "name": "T",
        "columns": cols([("Item", "charge_code"), ("Text", "description")]),
    }
    bare = {
        "index": 0,
        "name": "b.csv",
        "header_row": 0,
        "kind": "cdm",
        "first_row": 1,
        "last_header_row": 12,
        "columns": cols([("", "description"), ("", "cpt"), ("", "price")]),
    }
    return {
        "files": [
            {"index": 0, "name": "a.xlsx", "sheets": [sheet, other]},
            {"index": 1, "name": "b.csv", "sheets": [bare]},
        ]
    }


def test_corrections_rules():
    from auditor.errors import InputError
    from auditor.ingest.reader import SheetChoice
    from auditor.web.choices import corrections

    review = _review_model()
    fixed = corrections(review, {}, {})
    assert fixed.per_sheet == {} and not fixed.reread
    assert fixed.full["S"] == {"charge_code": "Code", "description": "Desc", "department": "Dept"}
    assert fixed.full["b.csv"] == {
        "description": "A",
        "cpt": "B",
        "price": "C",
    }  # letters where there is no header
    fixed = corrections(review, {(0, 0): {"columns": {2: "revenue_code"}}}, {})
    assert (
        fixed.per_sheet == {"S": SheetChoice(columns={"revenue_code": "UB"})}
        and fixed.full["S"]["revenue_code"] == "UB"
    )
    assert corrections(review, {(1, 0): {"columns": {2: "units", 1: "cpt"}}}, {}).per_sheet == {
        "b.csv": SheetChoice(columns={"units": "C"})
    }
    with pytest.raises(InputError, match="chosen for 2 columns"):
        corrections(review, {(0, 0): {"columns": {2: "description"}}}, {})
    with pytest.raises(InputError, match="cannot be left unused"):
        corrections(review, {(0, 0): {"columns": {3: ""}}}, {})
    # One sheet's correction keeps the other sheets' choices and the sheet's own earlier ones.
    before = {"T": SheetChoice(kind="summary"), "S": SheetChoice(columns={"narrative": "Dept"})}
    fixed = corrections(review, {(0, 0): {"columns": {2: "revenue_code"}}}, before)
    assert fixed.per_sheet == {
        "T": SheetChoice(kind="summary"),
        "S": SheetChoice(columns={"narrative": "Dept", "revenue_code": "UB"}),
    }
    assert before["S"].columns == {"narrative": "Dept"}  # the run's choices are not edited in place


def test_review_of_a_cms_file_leaves_the_code_pairs_to_the_format(tmp_path):
    from conftest import write_text
    from test_ingest_codes import CMS_HEADER, CMS_PREAMBLE

    from auditor.ingest import IngestOptions, read_file
    from auditor.web.choices import corrections
    from auditor.web.review import build_review, unsure_reasons

    rows = (
        CMS_PREAMBLE
        + [CMS_HEADER]
        + [
            [
                f"LAB TEST {i}",
                "300",
                "RC",
                "80053",
                "CPT",
                f"{10_000_000 + i}",
                "CDM",
                "",
                "outpatient",
                "12.5",
            ]
            for i in range(30)
        ]
    )
    path = write_text(tmp_path / "standardcharges.csv", rows)
    report = read_file(path, IngestOptions())[1]
    reasons = unsure_reasons([(path.name, report)], IngestOptions())
    assert not any("CPT/HCPCS" in why or "charge code" in why for why in reasons), reasons
    review = build_review([(path.name, path, report)], reasons, IngestOptions())
    columns = review["files"][0]["sheets"][0]["columns"]
    assert [c["letter"] for c in columns if c["cms"]] == ["B", "C", "D", "E", "F", "G"]
    assert all(c["field"] == "" for c in columns if c["cms"])
    full = corrections(review, {}, {}).full[path.name]
    assert full["price"] == "standard_charge|gross" and "cpt" not in full and "code_type" not in full


def test_corrections_header_row_and_kind_per_sheet():
    from auditor.errors import InputError
    from auditor.ingest.reader import SheetChoice
    from auditor.web.choices import corrections

    review = _review_model()
    same = {"sheet": "S", "header": "1", "kind": "cdm"}
    assert corrections(review, {(0, 0): same}, {}).per_sheet == {}  # the form as shown changes nothing
    ticked = corrections(review, {(0, 0): {"sheet": "S", "noheader": "on", "kind": "cdm"}}, {})
    assert ticked.per_sheet == {"S": SheetChoice(header_row=0)} and ticked.reread
    moved = corrections(
        review,
        {
            (0, 0): {"sheet": "S", "header": "3", "kind": "cdm"},
            (0, 1): {"sheet": "T", "header": "1", "kind": "summary"},
        },
        {},
    )
    assert (
        moved.per_sheet == {"S": SheetChoice(header_row=3), "T": SheetChoice(kind="summary")} and moved.reread
    )
    # Unticking "no header row" on a sheet read without one: its first line is the header.
    assert corrections(review, {(1, 0): {"sheet": "b.csv", "header": ""}}, {}).per_sheet == {
        "b.csv": SheetChoice(header_row=1)
    }
    kind_only = corrections(review, {(0, 1): {"sheet": "T", "header": "1", "kind": "removed"}}, {})
    assert kind_only.per_sheet == {"T": SheetChoice(kind="removed")} and not kind_only.reread
    with pytest.raises(InputError, match="header row '41' is not a row number among the sheet's first rows"):
        corrections(review, {(0, 0): {"sheet": "S", "header": "41"}}, {})
    with pytest.raises(InputError, match="unknown sheet kind"):
        corrections(review, {(0, 0): {"sheet": "S", "header": "1", "kind": "bogus"}}, {})


def test_profile_content_keeps_sheet_choices_and_folds_a_lone_text_file():
    from auditor.ingest.reader import SheetChoice
    from auditor.web.choices import profile_content

    review = _review_model()
    got = profile_content(
        review,
        {"units": "Qty"},
        None,
        False,
        None,
        {"T": SheetChoice(kind="summary")},
        {"S": {"charge_code": "Code"}, "b.csv": {"price": "C"}},
    )
    assert got["columns"] == {"units": "Qty"}
    assert got["per_sheet"] == {
        "S": SheetChoice(columns={"charge_code": "Code"}),
        "T": SheetChoice(kind="summary"),
        "b.csv": SheetChoice(header_row=0, columns={"price": "C"}),
    }
    lone = {"files": [review["files"][1]]}
    got = profile_content(lone, {}, None, False, None, {}, {"b.csv": {"description": "A", "price": "C"}})
    # Next quarter's text file has another name, so its choices hold for whatever its only sheet is called.
    assert got["per_sheet"] == {} and got["no_header"] is True and got["header_row"] is None
    assert got["columns"] == {"description": "A", "price": "C"}


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
                answers[n] = c.post(
                    "/api/audits?wait=true",
                    data={"as_of": AS_OF},
                    files=[("files", (f"cdm-{n}.csv", _cdm_csv(n)))],
                )
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
            assert body["inputs"] == [
                {"name": f"cdm-{n}.csv", "role": "chargemaster", "size": len(_cdm_csv(n))}
            ]
            assert body["summary"]["rows_audited"] == n
            with httpx.Client(base_url=srv.url, timeout=30) as c:
                doc = c.get(body["links"]["findings"]).json()
            assert doc["run"]["inputs"][0]["path"] == f"cdm-{n}.csv"
            assert all(f["charge_code"].startswith(f"{n:02d}") for f in doc["findings"] if f["charge_code"])
            ids.add(body["id"])
        assert len(ids) == len(sizes)
        root = srv.app.state.jobs.root
    assert not root.exists()  # shutdown removed every upload and report


# ---- per-sheet reading choices and the analyst's file names ------------------------------------------
HEADERLESS_ROWS = [
    ("HC OFFICE VISIT EST LVL 3", "99213", "125.00"),
    ("HC OFFICE VISIT EST LVL 4", "99214", "180.00"),
    ("HC CT HEAD W/O CONTRAST", "70450", "950.00"),
    ("HC XR CHEST 2 VIEWS", "71046", "210.00"),
    ("HC CBC AUTOMATED", "85025", "45.00"),
    ("HC BASIC METABOLIC PANEL", "80048", "60.00"),
    ("HC ECG 12 LEAD", "93005", "130.00"),
    ("HC VENIPUNCTURE", "36415", "18.00"),
    ("HC INFUSION IV 1ST HR", "96365", "420.00"),
    ("HC KNEE ARTHROSCOPY MENISCECTOMY", "29881", "5400.00"),
    ("HC APLIGRAF PER SQ CM", "Q4101", "95.00"),
    ("HC US ABDOMEN COMPLETE", "76700", "780.00"),
]


def headerless_csv() -> bytes:
    """Twelve chargemaster lines (description, CPT/HCPCS, price) and no header row: line 1 is data."""
    return "".join(",".join(r) + "\n" for r in HEADERLESS_ROWS).encode()


def three_sheet_workbook(path: Path) -> Path:
    """CDM (title rows, header on row 3), Supplies (4 lines, no header row), Old prices (a live-looking list)."""
    from conftest import write_xlsx

    cdm = [["Mercy General chargemaster"], [], ["Charge Code", "Description", "CPT", "Price", "Department"]]
    cdm += [[f"10{i:04d}", f"HC OFFICE VISIT {i}", "99213", f"{100 + i}.00", "CLINIC"] for i in range(12)]
    supplies = [
        [f"20000{i}", d, c, p]
        for i, (d, c, p) in enumerate(
            [
                ("HC SKIN SUB GRAFT", "15271", "1500.00"),
                ("HC APLIGRAF PER SQ CM", "Q4101", "95.00"),
                ("HC CT HEAD", "70450", "950.00"),
                ("HC CBC", "85025", "45.00"),
            ]
        )
    ]
    old = [["Charge Code", "Description", "CPT", "Price"]]
    old += [[f"30{i:04d}", f"HC OLD ITEM {i}", "99212", f"{50 + i}.00"] for i in range(15)]
    return write_xlsx(path, {"CDM": cdm, "Supplies": supplies, "Old prices": old})


def _sheets(doc: dict) -> dict[str, dict]:
    """findings.json's sheet accounts by sheet name."""
    return {s["name"]: s for i in doc["run"]["inputs"] for s in i["sheets"]}


def test_api_per_sheet_header_row_and_kind_are_applied_and_kept(client, tmp_path):
    book = three_sheet_workbook(tmp_path / "multi.xlsx")
    body = client.post(
        "/api/audits?wait=true",
        files=[("files", ("multi.xlsx", book.read_bytes()))],
        data={"as_of": AS_OF, "review": "true"},
    ).json()
    assert body["status"] == "review"
    sheets = {s["name"]: s for s in body["review"]["files"][0]["sheets"]}
    # Four lines without a header are too few to be sure of: no table found, every line would be skipped.
    assert sheets["Supplies"]["header_row"] is None and sheets["Old prices"]["kind"] == "cdm"
    mapping = body["links"]["mapping"]
    bad = client.post(mapping, json={"sheets": {"Nope": {"kind": "summary"}}})
    assert bad.status_code == 400 and "no sheet named 'Nope'" in bad.json()["error"]
    bad = client.post(mapping, json={"sheets": {"CDM": {"kind": "catalog"}}})
    assert bad.status_code == 400 and "unknown sheet kind 'catalog'" in bad.json()["error"]

    again = client.post(
        mapping,
        json={
            "sheets": {"Supplies": {"header_row": 0}, "Old prices": {"kind": "summary"}},
            "review_again": True,
            "wait": True,
        },
    ).json()
    assert again["status"] == "review"
    assert again["options"]["sheets"] == {"Supplies": {"header_row": 0}, "Old prices": {"kind": "summary"}}
    sheets = {s["name"]: s for s in again["review"]["files"][0]["sheets"]}
    supplies = sheets["Supplies"]
    assert supplies["header_row"] == 0 and supplies["rows"][0]["row"] == 1 and supplies["rows_audited"] == 4
    assert [c["letter"] for c in supplies["columns"]] == ["A", "B", "C", "D"]
    assert sheets["Old prices"]["kind_reason"] == "set by the user"

    # A correction to one sheet keeps the other sheets' choices.
    done = client.post(
        mapping, json={"sheets": {"CDM": {"columns": {"narrative": "Department"}}}, "wait": True}
    ).json()
    assert done["status"] == "done", done
    assert done["options"]["sheets"] == {
        "Supplies": {"header_row": 0},
        "Old prices": {"kind": "summary"},
        "CDM": {"columns": {"narrative": "Department"}},
    }
    accounts = _sheets(client.get(done["links"]["findings"]).json())
    assert accounts["CDM"]["columns"]["narrative"] == "Department"
    assert accounts["Supplies"]["header_row"] == 0
    assert (accounts["Supplies"]["rows_read"], accounts["Supplies"]["rows_audited"]) == (4, 4)
    assert (accounts["Old prices"]["rows_audited"], accounts["Old prices"]["rows_skipped"]) == (0, 15)
    assert done["summary"]["rows_audited"] == 12 + 4


def test_a_changed_header_row_keeps_the_choices_whose_column_still_exists(client, tmp_path):
    book = three_sheet_workbook(tmp_path / "multi.xlsx")
    body = client.post(
        "/api/audits?wait=true",
        files=[("files", ("multi.xlsx", book.read_bytes()))],
        data={"as_of": AS_OF, "review": "true"},
    ).json()
    mapping = body["links"]["mapping"]
    client.post(
        mapping,
        json={
            "sheets": {
                "CDM": {"columns": {"narrative": "Department", "charge_code": "A"}},
                "Old prices": {"kind": "summary"},
            },
            "review_again": True,
            "wait": True,
        },
    )
    # Row 1 is the title: no column is headed "Department" there, while column A still exists.
    again = client.post(
        mapping, json={"sheets": {"CDM": {"header_row": 1}}, "review_again": True, "wait": True}
    ).json()
    assert again["status"] == "review"
    assert again["options"]["sheets"] == {
        "CDM": {"header_row": 1, "columns": {"charge_code": "A"}},
        "Old prices": {"kind": "summary"},
    }
    assert (
        "multi.xlsx, sheet 'CDM': your choice of 'Department' for narrative / notes was dropped: read with "
        "header row 1, the sheet has no such column"
    ) in again["review"]["reasons"]


def test_page_preview_again_keeps_every_choice(client, home, tmp_path):
    book = three_sheet_workbook(tmp_path / "multi.xlsx")
    token = csrf(client)
    r = client.post(
        "/audits",
        files=[("files", ("multi.xlsx", book.read_bytes()))],
        follow_redirects=False,
        data={"csrf_token": token, "as_of": AS_OF, "review": "on"},
    )
    run_id = r.headers["location"].rsplit("/", 1)[1]
    wait_for(client, run_id, ("review",))
    page = client.get(f"/runs/{run_id}").text
    form = dict(re.findall(r'<input type="hidden" name="(sheet-\d+-\d+)" value="([^"]+)"', page))
    key = {name: field[len("sheet-") :] for field, name in form.items()}
    dept = re.search(rf'name="(map-{key["CDM"]}-\d+)" data-detected="department"', page).group(1)
    # Old prices set aside, CDM's Department read as the narrative, Supplies without a header row: a changed
    # header row is previewed again before the audit, and the other choices of the same form are kept.
    data = {
        "csrf_token": token,
        "action": "audit",
        **{f: "" for f in form},
        f"kind-{key['Old prices']}": "summary",
        f"header-{key['Old prices']}": "1",
        f"kind-{key['CDM']}": "cdm",
        f"header-{key['CDM']}": "3",
        dept: "narrative",
        f"noheader-{key['Supplies']}": "on",
        f"kind-{key['Supplies']}": "summary",
        "save_profile": "on",
        "profile_name": "multi-source",
    }
    assert client.post(f"/runs/{run_id}/review", data=data, follow_redirects=False).status_code == 303
    body = wait_for(client, run_id, ("review", "done"))
    assert body["status"] == "review"
    assert body["options"]["sheets"] == {
        "Old prices": {"kind": "summary"},
        "CDM": {"columns": {"narrative": "Department"}},
        "Supplies": {"header_row": 0},
    }
    page = client.get(f"/runs/{run_id}").text
    supplies = page[page.index('data-sheet="Supplies"') :]
    assert re.search(r'class="no-header" name="noheader-[\d-]+" value="on" checked', supplies)
    assert 'id="save-profile" value="on" checked' in page and 'value="multi-source"' in page
    assert '<option value="summary" selected>' in page[page.index('data-sheet="Old prices"') :]
    # The form as shown now changes nothing and runs the audit, saving the profile asked for before.
    data = {"csrf_token": token, "action": "audit", "save_profile": "on", "profile_name": "multi-source"}
    for name in ("Old prices", "CDM", "Supplies"):
        data[f"sheet-{key[name]}"] = name
    data.update(
        {
            f"kind-{key['Old prices']}": "summary",
            f"header-{key['Old prices']}": "1",
            f"kind-{key['CDM']}": "cdm",
            f"header-{key['CDM']}": "3",
            f"noheader-{key['Supplies']}": "on",
            f"kind-{key['Supplies']}": "cdm",
        }
    )
    assert client.post(f"/runs/{run_id}/review", data=data, follow_redirects=False).status_code == 303
    done = wait_for(client, run_id)
    assert done["status"] == "done" and done["summary"]["rows_audited"] == 12 + 4
    text = (home / "profiles" / "multi-source.toml").read_text()
    assert '[sheet."Supplies"]\nheader_row = 0' in text and '[sheet."Old prices"]\nkind = "summary"' in text
    assert 'narrative = "Department"' in text
    # Next quarter: the profile picked on the upload page applies every sheet's choices, no review needed.
    r = client.post(
        "/audits",
        files=[("files", ("multi-2026Q3.xlsx", book.read_bytes()))],
        follow_redirects=False,
        data={"csrf_token": token, "as_of": AS_OF, "profile": "multi-source"},
    )
    later = wait_for(client, r.headers["location"].rsplit("/", 1)[1])
    assert later["status"] == "done" and later["summary"]["rows_audited"] == 12 + 4
    assert later["options"]["sheets"]["Supplies"]["header_row"] == 0
    assert _sheets(client.get(later["links"]["findings"]).json())["Old prices"]["rows_audited"] == 0


def test_profile_of_a_headerless_text_file_fits_next_quarters_file(client, home):
    token = csrf(client)
    r = client.post(
        "/audits",
        files=[("files", ("cdm-2026Q2.csv", headerless_csv()))],
        follow_redirects=False,
        data={"csrf_token": token, "as_of": AS_OF, "review": "on"},
    )
    run_id = r.headers["location"].rsplit("/", 1)[1]
    wait_for(client, run_id, ("review",))
    key = re.search(r'name="sheet-(\d+-\d+)"', client.get(f"/runs/{run_id}").text).group(1)
    data = {
        "csrf_token": token,
        "action": "audit",
        f"sheet-{key}": "cdm-2026Q2.csv",
        f"noheader-{key}": "on",
        f"kind-{key}": "cdm",
        "save_profile": "on",
        "profile_name": "flat-cdm",
    }
    assert client.post(f"/runs/{run_id}/review", data=data, follow_redirects=False).status_code == 303
    assert wait_for(client, run_id)["status"] == "done"
    text = (home / "profiles" / "flat-cdm.toml").read_text()
    # A text file's only sheet is named after the file: the choices are saved for any name.
    assert "no_header = true" in text and "[sheet." not in text and 'price = "C"' in text
    # Four lines are too few for detection to call headerless; the profile says so.
    short = "".join(",".join(row) + "\n" for row in HEADERLESS_ROWS[:4]).encode()
    r = client.post(
        "/audits",
        files=[("files", ("cdm-2026Q3.csv", short))],
        follow_redirects=False,
        data={"csrf_token": token, "as_of": AS_OF, "profile": "flat-cdm"},
    )
    later = wait_for(client, r.headers["location"].rsplit("/", 1)[1])
    assert later["status"] == "done" and later["options"]["no_header"] is True
    assert (later["summary"]["rows_audited"], later["summary"]["rows_skipped"]) == (4, 0)


def test_the_analysts_file_name_is_everywhere_never_a_temporary_one(client):
    import openpyxl

    name = "Mercy CDM 2026Q2.csv"
    token = csrf(client)
    r = client.post(
        "/audits",
        files=[("files", (name, headerless_csv()))],
        follow_redirects=False,
        data={"csrf_token": token, "as_of": AS_OF},
    )
    run_id = r.headers["location"].rsplit("/", 1)[1]
    body = wait_for(client, run_id)
    # Read without a header row is a doubt worth a look; the reason names the file as uploaded.
    assert body["status"] == "review"
    assert (
        f"{name}: read without a header row (every line is data); check the columns"
        in body["review"]["reasons"]
    )
    page = client.get(f"/runs/{run_id}").text
    temp = re.compile(r"input-\d")  # the old generated upload names
    assert name in page and not temp.search(page)
    key = re.search(r'name="sheet-(\d+-\d+)"', page).group(1)
    data = {
        "csrf_token": token,
        "action": "audit",
        f"sheet-{key}": name,
        f"noheader-{key}": "on",
        f"kind-{key}": "cdm",
    }
    assert client.post(f"/runs/{run_id}/review", data=data, follow_redirects=False).status_code == 303
    done = wait_for(client, run_id)
    assert (
        done["status"] == "done"
        and done["summary"]["rows_audited"] == 12
        and done["summary"]["rows_skipped"] == 0
    )
    root = str(client.app_state.jobs.root)
    report = client.get(f"/runs/{run_id}/report").text
    assert name in report and not temp.search(report) and root not in report
    download = client.get(f"/runs/{run_id}/findings.json")
    assert "Mercy%20CDM%202026Q2-findings.json" in download.headers["content-disposition"]
    doc = download.json()
    assert doc["findings"] and {(f["file"], f["sheet"]) for f in doc["findings"]} == {(name, name)}
    assert doc["run"]["inputs"][0]["path"] == name and doc["run"]["inputs"][0]["sheets"][0]["name"] == name
    assert not temp.search(download.text) and root not in download.text
    csv = client.get(f"/runs/{run_id}/findings.csv").content.decode("utf-8-sig")
    assert name in csv and not temp.search(csv) and root not in csv
    wb = openpyxl.load_workbook(io.BytesIO(client.get(f"/runs/{run_id}/report.xlsx").content), read_only=True)
    cells = [
        str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row if c is not None
    ]
    assert any(name in c for c in cells) and not any(temp.search(c) or root in c for c in cells)


def test_api_reads_excel_unicode_text_every_row(client):
    """Excel's "Unicode Text" export (UTF-16 with a byte-order mark, tab-delimited): every line audited."""
    lines = [
        "Charge Code\tDescription\tRevenue Code\tCPT\tPrice",
        "1001\tHC APLIGRAF PER SQ CM\t0636\tQ4101\t137.50",
        "1002\tHC APPLICATION SKIN SUB\t0361\t15271\t1250.00",
        "1003\tHC NEUROSTIM LEAD\t0278\tC1778\t5088.90",
    ]
    data = ("\r\n".join(lines) + "\r\n").encode("utf-16")
    r = client.post("/api/audits?wait=true", files=[("files", ("unicode.txt", data))], data={"as_of": AS_OF})
    assert r.status_code == 200, r.text
    doc = client.get(r.json()["links"]["findings"]).json()
    (sheet,) = doc["run"]["inputs"][0]["sheets"]
    assert (sheet["rows_read"], sheet["rows_audited"], sheet["rows_skipped"]) == (3, 3, 0)
    assert sheet["column_index"] == {
        "charge_code": 1,
        "description": 2,
        "revenue_code": 3,
        "cpt": 4,
        "price": 5,
    }


# ---- facility settings: auditor.toml, select and ignore (the same audit session as `cdm-audit audit`) ----
# PR002 (2 info findings on the sample) switched off, RC003 (1 warning) raised to an error.
FACILITY_TOML = b'[edits]\ndisable = ["PR002"]\n\n[severity]\nRC003 = "error"\n'


def upload_with(client, config: bytes | None = None, config_name: str = "auditor.toml", **fields):
    """POST the sample (chargemaster and pairing table) with an optional configuration; wait for the run."""
    files = sample_files()
    if config is not None:
        files.append(("config", (config_name, config)))
    return client.post("/api/audits?wait=true", files=files, data={"as_of": AS_OF, **fields})


def findings_of(client, run: dict) -> dict:
    """findings.json of a finished run."""
    return client.get(f"/runs/{run['id']}/findings.json").json()


def test_uploaded_facility_config_changes_the_web_report(client):
    plain = upload_with(client).json()
    configured = upload_with(client, FACILITY_TOML).json()
    assert configured["status"] == "done", configured
    assert configured["options"]["config"] == "auditor.toml" and plain["options"]["config"] is None
    before, after = findings_of(client, plain), findings_of(client, configured)
    # PR002 notes one line in the sample (the C1713 anchor at 121x its median, planted defect 2).
    assert before["summary"]["by_edit"]["PR002"] == 1 and "PR002" not in after["summary"]["by_edit"]
    status = {e["code"]: e["status"] for e in after["run"]["edits"]}
    assert status["PR002"] == "disabled"
    # RC003 is an info note, once per file; the facility raises it to an error.
    assert [f["severity"] for f in before["findings"] if f["edit"] == "RC003"] == ["info"]
    assert [f["severity"] for f in after["findings"] if f["edit"] == "RC003"] == ["error"]
    sev_before, sev_after = before["summary"]["by_severity"], after["summary"]["by_severity"]
    assert sev_after == {
        "error": sev_before["error"] + 1,
        "warning": sev_before["warning"],
        "info": sev_before["info"] - 2,  # the PR002 note gone, the RC003 note now an error
    }
    # The run record names the configuration by its uploaded name, never the server's private folder.
    assert after["run"]["config"]["path"] == "auditor.toml" and after["run"]["config"]["disabled"] == [
        "PR002"
    ]
    run = client.app_state.jobs.store.get(configured["id"])
    for name in ("findings.json", "findings.csv", "report.html"):
        assert str(run.dir) not in client.get(f"/runs/{run.id}/{name}").text
    page = client.get(f"/runs/{run.id}/report").text
    assert "auditor.toml" in page and str(run.dir) not in page


def test_select_and_ignore_fields_choose_the_edits(client):
    run = upload_with(client, select="SS, NS001", ignore="SS004").json()
    assert run["options"]["select"][:2] == ["NS001", "SS001"] and run["options"]["ignore"] == ["SS004"]
    ran = set(findings_of(client, run)["summary"]["by_edit"])
    assert ran and all(c.startswith("SS") or c == "NS001" for c in ran) and "SS004" not in ran
    bad = upload_with(client, select="SS,ZZ9")
    assert bad.status_code == 400 and bad.json() == {
        "error": "select/ignore: unknown edit code or prefix ZZ9"
    }


def test_bad_configurations_are_refused_with_the_uploaded_name(client):
    wrong_type = upload_with(client, b"[edits]\n", config_name="auditor.yaml")
    assert (
        wrong_type.status_code == 415
        and "auditor.yaml: this file type is not accepted; upload .toml" in wrong_type.json()["error"]
    )
    lists = upload_with(client, b'[lists]\nskin_substitutes = "../../../../etc/passwd"\n')
    assert lists.status_code == 400 and lists.json()["error"].startswith(
        "auditor.toml: [lists] names code-list"
    )
    broken = upload_with(client, b"[edits\n")
    assert broken.status_code == 400
    body = broken.json()
    assert body["error"].startswith("auditor.toml: configuration is not valid TOML"), body
    unknown = upload_with(client, b'[edits]\ndisable = ["XX999"]\n').json()
    assert unknown["error"] == "auditor.toml: unknown edit code XX999"
    assert "cdm-audit-web-" not in json.dumps([body, unknown])


def test_the_upload_page_offers_the_facility_fields(client):
    page = client.get("/").text
    assert 'name="config" accept=".toml"' in page and 'name="select"' in page and 'name="ignore"' in page
