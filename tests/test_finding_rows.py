"""Findings as one frame (the claims runs' path) say exactly what the Finding objects say."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from auditor.codeset import CodeTable
from auditor.engine import load_config, load_edits, run_edits
from auditor.engine.finding_rows import ROW_SCHEMA
from auditor.ingest.reader import IngestOptions, read_inputs

REPO = Path(__file__).resolve().parents[1]
AS_OF = dt.date(2026, 4, 1)
FIELDS = [c for c in ROW_SCHEMA if c not in ("reference", "basis")]


def _both(frame: pl.DataFrame, config_path: Path | None = None):
    """The same run twice: Finding objects, and the frame of rows."""
    edits = load_edits()
    config = load_config(config_path, {e.code for e in edits.edits})
    table = CodeTable.load()
    objects = run_edits(frame, edits, config, AS_OF, table, "chargemaster")
    rows = run_edits(frame, edits, config, AS_OF, table, "chargemaster", as_rows=True)
    return objects, rows


def _as_rows(findings) -> list[tuple]:
    return [
        tuple(getattr(f, c) for c in FIELDS) + (f.reference["text"], f.reference["basis"]) for f in findings
    ]


def test_rows_match_findings_on_the_sample_with_waivers(tmp_path):
    """Same findings in the same order: messages, severities (implied ones lowered), waivers, references."""
    frame = read_inputs([REPO / "samples" / "chargemaster.xlsx"], IngestOptions()).frame
    objects, _ = _both(frame)
    flagged = [f.charge_code for f in objects.findings if f.charge_code]
    assert len(flagged) > 20
    # Waive by charge code: one for any edit, one for one edit, one expired (not applied), one in other case.
    any_edit, one = (
        flagged[0],
        next(f for f in objects.findings if f.charge_code and f.charge_code != flagged[0]),
    )
    config = tmp_path / "auditor.toml"
    config.write_text(
        f'[[waivers]]\ncharge_code = "{any_edit}"\nreason = "kept on purpose"\n\n'
        f'[[waivers]]\ncharge_code = " {one.charge_code.lower()} "\nedit = "{one.edit}"\nreason = "r"\n\n'
        f'[[waivers]]\ncharge_code = "{flagged[-1]}"\nreason = "old"\nuntil = 2025-01-01\n',
        encoding="utf-8",
    )
    objects, rows = _both(frame, config)
    table = rows.rows
    assert rows.findings == [] and table is not None
    assert table.columns == list(ROW_SCHEMA)
    assert table.select(FIELDS + ["reference", "basis"]).rows() == _as_rows(objects.findings)
    assert table.filter(pl.col("waived")).height == sum(f.waived for f in objects.findings) > 1
    assert [s.note for s in rows.summaries] == [s.note for s in objects.summaries]


def test_implied_findings_are_lowered_in_rows_too(tmp_path):
    """A device-type gap on a line NS001 already flags is info in the frame, with the same note."""
    cdm = tmp_path / "cdm.csv"
    cdm.write_text(
        "Charge Code,Description,Revenue Code,CPT/HCPCS,Price\n"
        "36064590,HC NEUROSTIM GEN SACRAL INSERT,0360,64590,9000\n"
        "27801713,HC ANCHOR SUTURE,0278,C1713,300\n",
        encoding="utf-8",
    )
    objects, rows = _both(read_inputs([cdm], IngestOptions()).frame)
    lowered = rows.rows.filter(pl.col("edit") == "NS002").row(0, named=True)
    assert lowered["severity"] == "info"
    assert lowered["message"].endswith("(follows from NS001 on this line)")
    assert rows.rows.select(FIELDS + ["reference", "basis"]).rows() == _as_rows(objects.findings)
    note = next(s.note for s in rows.summaries if s.code == "NS002")
    assert "1 finding(s) lowered to info: NS001 flags the same line" in note


def test_a_dated_run_judges_each_row_in_its_own_quarter(tmp_path):
    """by_quarter: the same lines dated in 2024Q4 and 2026Q1 in one run get their own quarter in messages, and a
    waiver that ended in 2025 covers only the earlier lines, as two runs would have it."""
    frame = read_inputs([REPO / "samples" / "chargemaster.xlsx"], IngestOptions()).frame
    early, late = dt.date(2024, 11, 1), dt.date(2026, 2, 1)
    dated = pl.concat(
        [
            frame.with_columns(file=pl.lit("early.xlsx"), _dos=pl.lit(early)),
            frame.with_columns(file=pl.lit("late.xlsx"), _dos=pl.lit(late)),
        ]
    )
    edits = load_edits()
    plain = load_config(None, {e.code for e in edits.edits})
    table = CodeTable.load()
    first = run_edits(dated, edits, plain, early, table, "chargemaster", as_rows=True, by_quarter=True)
    kept = first.rows.filter(pl.col("message").str.contains("in 2024Q4|for 2024Q4"))
    assert kept.height and set(kept.get_column("file")) == {"early.xlsx"}
    assert {c.used for c in first.quarters} == {"2024Q4", "2026Q1"}
    charge = first.rows.drop_nulls("charge_code").get_column("charge_code")[0]
    config = tmp_path / "auditor.toml"
    config.write_text(
        f'[[waivers]]\ncharge_code = "{charge}"\nreason = "r"\nuntil = 2025-06-30\n', encoding="utf-8"
    )
    waived = load_config(config, {e.code for e in edits.edits})
    run = run_edits(dated, edits, waived, early, table, "chargemaster", as_rows=True, by_quarter=True)
    mine = run.rows.filter(pl.col("charge_code") == charge)
    assert set(mine.filter(pl.col("waived")).get_column("file")) == {"early.xlsx"}
    assert (
        mine.filter(pl.col("file") == "late.xlsx").height
        and not mine.filter(pl.col("file") == "late.xlsx")["waived"].any()
    )
