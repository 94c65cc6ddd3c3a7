"""The bundled claims sample: every planted problem is found in its category and no clean claim is flagged."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from auditor.claims.pipeline import run_claims

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
EXPECTED = json.loads((SAMPLES / "expected_defects.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def result():
    return run_claims([SAMPLES / "claims.csv"])


def test_every_line_is_audited_or_skipped(result):
    """429 claim lines in, 429 audited, none silently dropped."""
    lines = sum(1 for _ in (SAMPLES / "claims.csv").open(encoding="utf-8")) - 1
    assert result.files[0]["rows_read"] == lines
    assert result.files[0]["rows_audited"] + result.files[0]["rows_skipped"] == lines
    assert result.claims.get_column("lines").sum() == result.files[0]["rows_audited"]


@pytest.mark.parametrize(
    "planted", EXPECTED["claims"], ids=lambda p: f"{p['claim_id']}-{p['line']}-{p['category']}"
)
def test_planted_problem_found(result, planted):
    """The planted problem is reported on its row, in its category."""
    hits = result.findings.filter(
        (pl.col("row") == planted["row"]) & (pl.col("category") == planted["category"])
    )
    others = (
        result.findings.filter(pl.col("claim_id") == planted["claim_id"]).select("line", "category").rows()
    )
    assert hits.height >= 1, f"{planted['what']}: not found; the claim's findings are {others}"
    assert hits.get_column("claim_id").unique().to_list() == [planted["claim_id"]]


def test_no_clean_claim_flagged(result):
    """Control claims (including 160 seeded clean ones) draw no finding at all, let alone an error."""
    controls = {c["claim_id"] for c in EXPECTED["claims_controls"]}
    assert len(controls) >= 160
    flagged = result.findings.filter(pl.col("claim_id").is_in(list(controls)))
    assert flagged.height == 0, flagged.select("claim_id", "edit", "message").rows()[:10]
    ready = result.claims.filter(pl.col("claim_id").is_in(list(controls)))
    assert set(ready.get_column("readiness")) <= {"ready", "out_of_scope"}


def test_no_finding_beyond_the_planted_ones(result):
    """Every finding on a dirty claim is one of its planted problems (same row and category)."""
    planted = {(p["row"], p["category"]) for p in EXPECTED["claims"]}
    extra = [
        r
        for r in result.findings.select("claim_id", "row", "category", "edit").rows()
        if (r[1], r[2]) not in planted
    ]
    assert extra == []


def test_readiness_of_known_claims(result):
    """Scope decisions a reviewer can check by hand."""
    by_id = {r["claim_id"]: r for r in result.claims.iter_rows(named=True)}
    assert by_id["TX26000101"]["readiness"] == "needs_attention"
    assert by_id["TX26000101"]["participant"] == "Cohere Health"
    assert by_id["WA26000114"]["readiness"] == "ready"
    assert by_id["CA26000110"]["wiser_status"] == "not_wiser"
    assert by_id["TX26000111"]["wiser_reason"].startswith("date of service before 2026-01-15")
    assert by_id["TX26000112"]["wiser_reason"] == "payer is Medicare Advantage, not Original Medicare"
    assert by_id["OK26000113"]["wiser_reason"].startswith("emergency visit")


def test_837i_sample_gives_the_same_findings(result):
    """The 837I twin of the sample (samples/make_837.py, read through pyx12) draws the same findings, except
    the line-level UTN case: an 837I carries one prior authorization per claim (REF*G1 in loop 2300)."""
    x12 = run_claims([SAMPLES / "claims_837i.x12"])
    assert x12.files[0]["format"] == "x12-837i"
    assert x12.files[0]["rows_audited"] == result.files[0]["rows_audited"]
    csv_keys = set(result.findings.select("claim_id", "line", "edit").rows())
    x12_keys = set(x12.findings.select("claim_id", "line", "edit").rows())
    assert x12_keys <= csv_keys
    assert csv_keys - x12_keys == {("NJ26000123", "2", "WS003")}
