"""The web app records its audits in the run history the CLI uses, and lists the history's runs."""

from __future__ import annotations

import hashlib
import os
import warnings
from pathlib import Path

import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

from click.testing import CliRunner

from auditor.history import store
from auditor.history.keys import default_facility
from auditor.web import WebSettings, create_app

REPO = Path(__file__).resolve().parents[1]
CDM = REPO / "samples" / "chargemaster.xlsx"
PAIRING = REPO / "samples" / "pairing_table.csv"
AS_OF = "2026-04-01"
BASE = "http://127.0.0.1"
SHOWN = "Mercy General 2026Q2.xlsx"  # the uploaded (display) name: facility "mercy-general"


def _client(settings: WebSettings):
    """A TestClient over a fresh app with these settings (closed by the with block)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
        return TestClient(create_app(settings), base_url=BASE)


def _upload(client, name: str = SHOWN) -> dict:
    """Upload the sample through the API and wait for the result."""
    files = [("files", (name, CDM.read_bytes())), ("pairing_table", (PAIRING.name, PAIRING.read_bytes()))]
    r = client.post("/api/audits?wait=true", files=files, data={"as_of": AS_OF})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "done", body
    return body


def _runs(db: Path) -> list[dict]:
    """The runs recorded in a history file (the history store API), newest first."""
    conn = store.connect(db)
    try:
        return [store.get_run(conn, r["id"]) for r in store.list_runs(conn)]
    finally:
        conn.close()


def _cli_audit(db: Path) -> None:
    """`cdm-audit audit` of the sample, recorded into `db`."""
    from auditor.cli import main

    result = CliRunner().invoke(
        main, ["audit", str(CDM), "--pairing-table", str(PAIRING), "--as-of", AS_OF, "--history", str(db)]
    )
    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.output


def test_api_upload_is_recorded_in_the_history_file(tmp_path):
    db = tmp_path / "history.sqlite"
    with _client(WebSettings(history=db)) as client:
        root = str(client.app.state.jobs.root)
        first = _upload(client)
        runs = _runs(db)
        assert len(runs) == 1
        run = runs[0]
        assert first["history_run_id"] == run["id"]
        # The facility comes from the uploaded name, as the CLI derives it from its file names.
        assert run["facility"] == default_facility([SHOWN]) == "mercy-general"
        assert [(i["role"], i["name"], i["path"]) for i in run["inputs"]] == [
            ("chargemaster", SHOWN, SHOWN),
            ("pairing-table", PAIRING.name, PAIRING.name),
        ]
        assert run["inputs"][0]["sha256"] == hashlib.sha256(CDM.read_bytes()).hexdigest()
        assert run["as_of"] == AS_OF and run["findings"] == first["summary"]["findings"]
        conn = store.connect(db)
        try:
            recorded = store.run_findings(conn, run["id"])
        finally:
            conn.close()
        assert len(recorded) == run["findings"]
        stored = repr(runs) + repr(recorded)
        assert root not in stored and "input-1" not in stored and "input-2" not in stored
        # The report has the CLI's "Since last run" section and the findings carry their history ids.
        hist = client.get(first["links"]["history"]).json()
        assert (
            hist["run_id"] == run["id"] and hist["facility"] == "mercy-general" and hist["recorded"] is True
        )
        doc = client.get(first["links"]["findings"]).json()
        assert "history" not in doc and all(f.get("history_id") for f in doc["findings"])
        assert {f["history_id"] for f in doc["findings"]} == {f["fid"] for f in recorded.values()}
        page = client.get(first["links"]["report"]).text
        assert 'id="since-last-run"' in page and f'data-history-run="{run["id"]}"' in page
        # A second upload of the same facility is compared with the first.
        second = _upload(client)
        assert second["history_run_id"] == run["id"] + 1
        assert client.get(second["links"]["history"]).json()["baseline"]["id"] == run["id"]
    assert [r["id"] for r in _runs(db)] == [run["id"] + 1, run["id"]]


def test_default_history_is_the_clis_under_cdm_audit_home():
    # conftest.py points CDM_AUDIT_HOME at a private folder for the whole session.
    db = store.default_path()
    assert str(db).startswith(os.environ["CDM_AUDIT_HOME"])
    before = {r["id"] for r in _runs(db)} if db.is_file() else set()
    with _client(WebSettings()) as client:
        body = _upload(client)
    after = {r["id"]: r for r in _runs(db)}
    assert set(after) - before == {body["history_run_id"]}
    assert after[body["history_run_id"]]["facility"] == "mercy-general"


def test_past_audits_list_a_run_recorded_by_the_cli(tmp_path):
    db = tmp_path / "shared.sqlite"
    _cli_audit(db)
    cli_run = _runs(db)[0]
    sha = cli_run["inputs"][0]["sha256"]
    with _client(WebSettings(history=db)) as client:
        listed = client.get("/api/audits").json()["audits"]
        assert len(listed) == 1
        item = listed[0]
        assert item["source"] == "history" and item["history_run_id"] == cli_run["id"] and item["id"] is None
        assert item["report_kept"] is False and item["facility"] == cli_run["facility"] == "chargemaster"
        assert item["as_of"] == AS_OF and item["quarter"] == cli_run["quarter"]
        assert item["counts"]["findings"] == cli_run["findings"]
        assert [(i["name"], i["sha256"]) for i in item["inputs"]][0] == ("chargemaster.xlsx", sha)
        assert f"cdm-audit history {cli_run['id']} --findings" in item["note"]
        page = client.get("/runs").text
        assert f'data-history-run="{cli_run["id"]}"' in page and sha in page
        assert "not kept by this server" in page and f"cdm-audit history {cli_run['id']} --findings" in page

        # A web audit of the same file joins the CLI's history (compared with the CLI run) and links its report.
        body = _upload(client, name="chargemaster.xlsx")
        assert client.get(body["links"]["history"]).json()["baseline"]["id"] == cli_run["id"]
        listed = client.get("/api/audits").json()["audits"]
        assert [(a["source"], a["id"], a["history_run_id"]) for a in listed] == [
            ("server", body["id"], body["history_run_id"]),
            ("history", None, cli_run["id"]),
        ]
        page = client.get("/runs").text
        assert f'data-history-run="{body["history_run_id"]}"' in page
        assert f'href="/runs/{body["id"]}/report"' in page


def test_no_history_records_nothing(tmp_path):
    db = tmp_path / "none.sqlite"
    with _client(WebSettings(history=db, record_history=False)) as client:
        body = _upload(client)
        assert body["history_run_id"] is None and "history" not in body["links"]
        assert client.get("/api/audits").json()["audits"][0]["id"] == body["id"]
        assert "No runs recorded in the run history yet" in client.get("/runs").text
    assert not db.exists()


def test_serve_history_options(tmp_path):
    from auditor.cli import serve as cli

    db = tmp_path / "cli.sqlite"
    _cli_audit(db)
    result = CliRunner().invoke(cli.serve, ["--history", str(db), "--get", "/api/audits"])
    assert result.exit_code == 0, result.output
    assert '"history_run_id":1,' in result.output and "--findings" in result.output
    seen = {}

    def fake_server(app, settings):
        seen.update(history=settings.history, record=settings.record_history)
        app.state.jobs.close()

    mp = pytest.MonkeyPatch()
    mp.setattr(cli, "_run_server", fake_server)
    try:
        result = CliRunner().invoke(cli.serve, ["--history", str(db), "--no-history"])
    finally:
        mp.undo()
    assert result.exit_code == 0, result.output
    assert seen == {"history": db, "record": False}
