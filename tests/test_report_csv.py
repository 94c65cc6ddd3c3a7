"""findings.csv and findings-run.csv: stable columns, formula neutralisation, byte-identical reruns."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from test_report_fixtures import (
    AS_OF,
    audit_reports,
    load_doc,
    sample_inputs,
    waiver_config,
)


def read_csv(path) -> list[dict]:
    """Rows of a CSV report as dicts (BOM stripped)."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_columns_and_one_row_per_finding(sample_reports):
    from auditor.report.csv_report import COLUMNS

    doc = load_doc(sample_reports)
    raw = (sample_reports / "findings.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    rows = read_csv(sample_reports / "findings.csv")
    assert tuple(rows[0]) == COLUMNS
    assert len(rows) == len(doc["findings"])
    for row, f in zip(rows, doc["findings"], strict=False):
        assert (row["edit"], row["row"], row["charge_code"]) == (
            f["edit"],
            str(f["row"]),
            f["charge_code"] or "",
        )
        assert row["related_count"] == str(len(f["related_rows"]))
        assert row["waived"] == ("yes" if f["waived"] else "no")
        if f["related_rows"]:
            first = f["related_rows"][0]
            # A text file's one sheet carries the file's name: its rows read "row 5", a workbook's "CDM!5".
            text_file = first["sheet"] == Path(first["file"]).name
            assert (f"row {first['row']}" if text_file else f"{first['sheet']}!{first['row']}") in row[
                "related_rows"
            ]


def test_formula_text_is_neutralised(hostile_reports):
    rows = {r["charge_code"]: r for r in read_csv(hostile_reports / "findings.csv")}
    assert rows["30000001"]["description"] == '\'=HYPERLINK("http://x","y")'
    assert rows["30000002"]["description"] == "'@SUM(A1)"
    assert rows["30000003"]["description"] == "'+1"
    assert rows["30000004"]["description"] == "'-1"
    assert rows["30000005"]["description"] == "'=cmd|' /C calc'!A0"
    assert rows["30000006"]["description"] == "<script>alert(1)</script>"  # not a formula: left alone


@pytest.mark.parametrize(
    "text, want",
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("  =1", "'  =1"),
        ("\uff1d1", "'\uff1d1"),
        ("HC DRESSING", "HC DRESSING"),
        ("0278", "0278"),
        ("", ""),
        (None, ""),
        ("a=b", "a=b"),
    ],
)
def test_neutralise(text, want):
    from auditor.report.cells import neutralise

    assert neutralise(text) == want


def test_run_record_companion(sample_reports):
    doc = load_doc(sample_reports)
    kv = {r["key"]: r["value"] for r in read_csv(sample_reports / "findings-run.csv")}
    run = doc["run"]
    assert kv["as_of"] == AS_OF and kv["edit_set_version"] == run["edit_set_version"]
    assert kv["generated_at"] == run["generated_at"] and kv["tool_version"] == run["tool_version"]
    for n, i in enumerate(run["inputs"], start=1):
        assert kv[f"input.{n}.sha256"] == i["sha256"]
    assert "ACME" in kv["waivers"] and kv["findings"] == str(doc["summary"]["findings"])


def test_same_inputs_give_byte_identical_json_and_csv(tmp_path):
    """Compliance evidence: rerunning on the same inputs and as-of date changes nothing but the run timestamp."""
    cdm, pairing = sample_inputs(tmp_path)
    cfg = waiver_config(tmp_path / "auditor.toml", "27801020")
    a = audit_reports(tmp_path / "a", cdm, pairing, "--config", cfg)
    b = audit_reports(tmp_path / "b", cdm, pairing, "--config", cfg)
    stamp = re.compile(rb'"generated_at": "[^"]*"|generated_at,[^\r\n]*')
    for name in ("findings.json", "findings-run.csv"):
        ja, jb = (a / name).read_bytes(), (b / name).read_bytes()
        assert len(stamp.findall(ja)) == 1
        assert stamp.sub(b"", ja) == stamp.sub(b"", jb), name
    assert (a / "findings.csv").read_bytes() == (b / "findings.csv").read_bytes()
    html = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00")
    ha, hb = ((d / "report.html").read_text(encoding="utf-8") for d in (a, b))
    assert html.sub("", ha) == html.sub("", hb)
