"""`cdm-audit denials` on the bundled sample remittance: every planted pattern found, reports and appeal drafts
written and true to the claims, bad remittances refused with one line and exit 2."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from docx import Document
from pypdf import PdfReader

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples"
EXPECTED = json.loads((SAMPLES / "remit_expected.json").read_text(encoding="utf-8"))
# The UTN each sample claim carries (blank cells are no UTN).
CLAIM_UTN = {
    row["Claim ID"]: row["UTN"]
    for row in csv.DictReader((SAMPLES / "claims.csv").open(encoding="utf-8", newline=""))
    if row["UTN"]
}


def cli(*args, cwd=REPO) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "auditor.cli", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("denials")
    res = cli(
        "denials",
        SAMPLES / "remit.835",
        "--claims",
        SAMPLES / "claims.csv",
        "--format",
        "html,xlsx,json",
        "--out",
        out,
    )
    assert res.returncode == 0, res.stderr
    return out, json.loads((out / "denials.json").read_text(encoding="utf-8")), res.stdout


def _planted(kind: str) -> dict:
    return next(p for p in EXPECTED["patterns"] if p["kind"] == kind)


def test_participant_pattern_found(run):
    _, doc, stdout = run
    want = _planted("participant_category")
    got = [p for p in doc["patterns"] if p["kind"] == "participant_category"]
    assert [(p["participant"], p["service"], p["claims"]) for p in got] == [
        (want["participant"], want["service"], sorted(want["claims"]))
    ]
    assert "Genzeon denies skin-substitutes claims" in stdout


def test_addon_pattern_found(run):
    _, doc, _ = run
    want = _planted("addon_under_affirmed_primary")
    (got,) = [p for p in doc["patterns"] if p["kind"] == "addon_under_affirmed_primary"]
    assert sorted(got["claims"]) == sorted(want["claims"]) and got["codes"] == want["codes"]


def test_denied_claims_predicted_and_unjoined(run):
    _, doc, _ = run
    joinable = sorted(set(EXPECTED["denied_claims"]) - set(EXPECTED["unjoinable_claims"]))
    assert sorted(d["claim_id"] for d in doc["denied_claims"]) == joinable
    predicted = {d["claim_id"] for d in doc["denied_claims"] if d["predicted"]}
    assert set(_planted("predicted_prior_auth")["claims"]) <= predicted
    assert not predicted & set(_planted("unpredicted")["claims"])
    reasons = {u["claim_id"]: u["reason"] for u in doc["unjoined"]}
    assert reasons["TX26009999"] == "claim id not in the claims given"
    assert reasons["CA26000110"] == "the claim's line 2 bills G0289"
    assert "OH26000115" not in joinable  # reversed, then paid on correction
    assert {s["claim_id"] for s in doc["superseded"]} == {"OH26000115"}


def test_rates_by_every_dimension(run):
    _, doc, _ = run
    assert set(doc["rates"]) == {"state", "participant", "service", "month", "carc", "rarc", "code"}
    nj = next(r for r in doc["rates"]["state"] if r["key"] == "NJ")
    assert nj["denied"] >= 5 and 0 < nj["denial_rate"] <= 1
    carc50 = next(r for r in doc["rates"]["carc"] if r["key"] == "50")
    assert carc50["label"] == "not deemed medically necessary by the payer"
    assert len(doc["rates"]["month"]) >= 3


def test_html_and_excel_have_charts(run):
    out, doc, _ = run
    html = (out / "denials.html").read_text(encoding="utf-8")
    assert html.count("<svg") >= 4 and "Genzeon" in html and "<script" not in html
    assert "http://" not in html.split("<body>")[0] and "cdn" not in html.lower()
    with zipfile.ZipFile(out / "denials.xlsx") as z:
        assert sum(n.startswith("xl/charts/chart") for n in z.namelist()) == 4
    book = openpyxl.load_workbook(out / "denials.xlsx")
    assert {"Summary", "Denied claims", "Not joined", "WISeR participant", "Superseded"} <= set(
        book.sheetnames
    )
    superseded = [r[0] for r in book["Superseded"].iter_rows(min_row=2, values_only=True)]
    assert superseded == [s["claim_id"] for s in doc["superseded"]] == ["OH26000115", "OH26000115"]
    assert 'id="superseded"' in html
    ids = [r[0] for r in book["Denied claims"].iter_rows(min_row=2, values_only=True)]
    assert sorted(ids) == sorted(d["claim_id"] for d in doc["denied_claims"])


def test_drafts_for_every_denied_claim_hold_its_codes_utn_and_deadline(run):
    out, doc, _ = run
    for d in doc["denied_claims"]:
        stem = out / "appeals" / f"{d['claim_id']}-{d['kind']}"
        assert d["draft"] == f"appeals/{stem.name}.docx"
        text = "\n".join(p.text for p in Document(f"{stem}.docx").paragraphs)
        tables = "\n".join(c.text for t in Document(f"{stem}.docx").tables for r in t.rows for c in r.cells)
        pdf = "\n".join(page.extract_text() for page in PdfReader(f"{stem}.pdf").pages)
        assert d["claim_id"] in text and d["claim_id"] in pdf
        assert d["deadline"] in text and d["deadline"] in pdf
        assert d["denied_codes"]
        for code in d["denied_codes"]:
            assert code in tables and code in pdf
        utn = CLAIM_UTN.get(d["claim_id"])
        if utn:
            assert utn in text and utn in pdf
        else:
            assert "not on the claim" in text
        # Nobody confirmed the documentation: every checklist item is unticked.
        assert "☑" not in text and "[x]" not in pdf
    nj = out / "appeals" / "NJ26000103-redetermination.docx"
    body = "\n".join(p.text for p in Document(nj).paragraphs)
    assert "Novitas" in body and "☐" in body
    with zipfile.ZipFile(out / "appeals" / "appeal-drafts.zip") as z:
        assert len(z.namelist()) == 2 * len(doc["denied_claims"])


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (lambda: (SAMPLES / "remit.835").read_text()[:900], "remit.835"),
        (lambda: (SAMPLES / "remit.835").read_text().replace("005010X221A1", "004010X091A1"), "005010X221A1"),
        (lambda: (SAMPLES / "claims_837i.x12").read_text(), "837"),
    ],
    ids=["truncated", "wrong-version", "837-given-as-835"],
)
def test_malformed_remittance_exits_2_with_one_line(tmp_path, content, says):
    bad = tmp_path / "remit.835"
    bad.write_text(content(), encoding="utf-8")
    res = cli("denials", bad, "--claims", SAMPLES / "claims.csv", "--out", tmp_path / "out")
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and str(bad) in lines[0] and says in lines[0]
    assert "Traceback" not in res.stderr and not (tmp_path / "out" / "denials.json").exists()


def test_recurrence_after_fix_and_history_trend(tmp_path):
    """A reason marked fixed that denies again later is a pattern; the history holds the trend as one query."""
    db = tmp_path / "history.sqlite"
    args = ["denials", SAMPLES / "remit.835", "--claims", SAMPLES / "claims.csv", "--history", db]
    res = cli(*args, "--fixed", "WS001=2026-02-01", "--facility", "Sample Hospital", "--out", tmp_path / "a")
    assert res.returncode == 0, res.stderr
    doc = json.loads((tmp_path / "a" / "denials.json").read_text(encoding="utf-8"))
    (again,) = [p for p in doc["patterns"] if p["kind"] == "recurring_after_fix"]
    assert again["reason"] == "WS001" and {"TX26000101", "AZ26000124"} <= set(again["claims"])
    # The fix is remembered: a second run without --fixed still knows it.
    res = cli(*args, "--facility", "Sample Hospital", "--out", tmp_path / "b")
    doc = json.loads((tmp_path / "b" / "denials.json").read_text(encoding="utf-8"))
    assert any(p["kind"] == "recurring_after_fix" for p in doc["patterns"])
    import sqlite3

    conn = sqlite3.connect(db)
    rows = conn.execute(
        "SELECT month, SUM(denied), SUM(claims) FROM denial_stats WHERE dimension = 'participant'"
        " AND key = 'Genzeon' GROUP BY month ORDER BY month"
    ).fetchall()
    assert len(rows) >= 3 and sum(r[1] for r in rows) == 2 * 5  # two recorded runs, 5 Genzeon denials each
    assert conn.execute("SELECT COUNT(*) FROM denial_runs").fetchone()[0] == 2


def test_worklist_input_and_bad_fixed_value(tmp_path):
    res = cli(
        "denials",
        SAMPLES / "remit_worklist.csv",
        "--claims",
        SAMPLES / "claims.csv",
        "--no-history",
        "--out",
        tmp_path,
    )
    assert res.returncode == 0, res.stderr
    doc = json.loads((tmp_path / "denials.json").read_text(encoding="utf-8"))
    assert {d["claim_id"] for d in doc["denied_claims"]} >= set(_planted("participant_category")["claims"])
    bad = cli(
        "denials",
        SAMPLES / "remit.835",
        "--claims",
        SAMPLES / "claims.csv",
        "--fixed",
        "WS001",
        "--no-history",
    )
    assert bad.returncode == 2 and "REASON=YYYY-MM-DD" in bad.stderr


def test_user_templates_replace_ours(tmp_path):
    own = tmp_path / "tpl"
    own.mkdir()
    (own / "skin-substitutes.j2").write_text("# Our own letter for {{ claim.claim_id }}\n", encoding="utf-8")
    res = cli(
        "denials",
        SAMPLES / "remit.835",
        "--claims",
        SAMPLES / "claims.csv",
        "--templates",
        own,
        "--no-history",
        "--out",
        tmp_path / "out",
    )
    assert res.returncode == 0, res.stderr
    body = "\n".join(
        p.text for p in Document(tmp_path / "out" / "appeals" / "NJ26000103-redetermination.docx").paragraphs
    )
    assert "Our own letter for NJ26000103" in body
    other = "\n".join(
        p.text for p in Document(tmp_path / "out" / "appeals" / "TX26000101-redetermination.docx").paragraphs
    )
    assert "Our own letter" not in other  # knee arthroscopy keeps our template


@pytest.mark.parametrize(
    ("command", "inputs"),
    [("audit", ["samples/chargemaster.xlsx", "--no-history"]), ("claims", ["samples/claims.csv"])],
)
def test_compliance_summary_pdf(tmp_path, command, inputs):
    res = cli(command, *inputs, "--format", "pdf", "--out", tmp_path)
    assert res.returncode in (0, 1), res.stderr
    reader = PdfReader(tmp_path / "compliance-summary.pdf")
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert 1 <= len(reader.pages) <= 3
    sha = __import__("hashlib").sha256((REPO / inputs[0]).read_bytes()).hexdigest()
    assert sha in text and "Top problems" in text and "Problem counts" in text
