"""Claims at scale: block reading at record edges, finished-claim bookkeeping, chunk-size invariance."""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl

from auditor.claims.pipeline import ClaimsRequest, run_claims
from auditor.claims.read import _record_blocks, _record_end
from auditor.claims.seen import SeenClaims
from auditor.claims.summary import build_summary

SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "claims.csv"


def test_record_end_skips_newlines_inside_quotes():
    """A newline inside a quoted field never ends a block; escaped quotes ("") count twice."""
    buf = b'a,"x\ny"\nb,"he said ""hi""\n'
    assert _record_end(buf, b'"') == len(b'a,"x\ny"\n')
    assert _record_end(buf, None) == len(buf)
    assert _record_end(b'a,"open\nstill open', b'"') == 0


def test_blocks_read_like_one_read(tmp_path):
    """Tiny blocks (records split anywhere, quoted newlines) give the rows and row numbers of one read."""
    path = tmp_path / "q.csv"
    rows = [["id", "note"]] + [[f"C{i}", f'line {i}\nsecond, "quoted"' if i % 3 else ""] for i in range(50)]
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    opts = {"schema": {"c0": pl.String, "c1": pl.String}, "separator": ",", "quote_char": '"'}
    got = pl.concat(list(_record_blocks(path, 37, 1, opts)))
    want = pl.read_csv(path, has_header=False, skip_rows=1, row_index_name="_row", row_index_offset=2, **opts)
    assert got.height == 50
    assert got.to_dicts() == want.select("c0", "c1", pl.col("_row").cast(pl.Int64)).to_dicts()


def test_seen_claims_remembers_earlier_chunks_only():
    seen = SeenClaims()
    assert not seen.any_seen(pl.Series(["A"]))
    seen.add(pl.Series(["A", "B"]))
    seen.add(pl.Series(["C"]))
    assert seen.any_seen(pl.Series(["Z", "C"]))
    assert not seen.any_seen(pl.Series(["Y", "Z"]))


def _key(result) -> tuple:
    findings = sorted(map(str, result.findings.drop("file").rows()))
    claims = sorted(map(str, result.claims.drop("file").rows()))
    return findings, claims, [n for n in result.notes]


def test_findings_do_not_depend_on_chunk_size(tmp_path):
    """Chunks of 7 lines (claims cut everywhere) find exactly what one chunk finds."""
    small = run_claims([SAMPLE], ClaimsRequest(chunk_rows=7))
    whole = run_claims([SAMPLE], ClaimsRequest(chunk_rows=1_000_000))
    assert small.findings.height > 0
    assert _key(small) == _key(whole)
    assert small.findings.schema == whole.findings.schema
    assert small.claims.get_column("readiness").dtype == pl.String


def test_a_header_below_a_preamble_is_found_with_tiny_chunks(tmp_path):
    """A title block above the header and one-line chunks: the blocks past the first still skip the
    preamble and the header, so no title line or header is read as a claim line."""
    lines = SAMPLE.read_text(encoding="utf-8").splitlines(keepends=True)
    titled = tmp_path / "titled.csv"
    titled.write_text("Claims extract\nRun 2026-04-02\n\nConfidential\n" + "".join(lines), encoding="utf-8")
    small = run_claims([titled], ClaimsRequest(chunk_rows=1))
    whole = run_claims([titled], ClaimsRequest(chunk_rows=1_000_000))
    assert small.lines_audited == whole.lines_audited == run_claims([SAMPLE]).lines_audited
    assert _key(small) == _key(whole)


def test_summary_tables_from_narrow_columns():
    """The summary counts every claim once per table, whatever columns the claims frame carries."""
    result = run_claims([SAMPLE])
    summary = build_summary(result)
    assert summary["totals"]["claims"] == result.claims.height
    assert sum(r["claims"] for r in summary["by_state"]) == result.claims.height
