"""Reports lead with problems: HTML Fix first before the findings, Excel's first sheet, findings.json, CSV, text."""

from __future__ import annotations

import csv
import re

import openpyxl
import pytest
from conftest import write_xlsx
from test_report_fixtures import HEADER, audit_reports, load_doc
from test_report_html import Page, page

DELETED = "Q4100"  # last listed by CMS in 2025Q4: deleted for 2026Q2 dates of service
# Codes CMS no longer lists for 2026Q2 (one problem each): with the one above, more than a "Fix first" list holds.
GONE = (
    "0316T C9084 37227 37225 92938 92934 92929 J9371 37226 92944 37231 37221 37230 37235 37229 37220 J2505 "
    "J9247 37223 92925 37233 J9037 37228 0314T 0315T J1300 37234 37222"
).split()


def built_cdm(path):
    """A deleted code on three lines (three charge codes), 28 other deleted codes, a formula-like description."""
    rows = [HEADER]
    rows += [
        [f"2780090{i}", f"HC DURAL PATCH {i}IN", "0278", DELETED, None, 100.0 * (i + 1)] for i in range(3)
    ]
    rows += [
        [f"3000{i:04d}", f"HC PROCEDURE {i}", "0360", code, None, 10.0 + i] for i, code in enumerate(GONE)
    ]
    rows.append(["30009999", '=HYPERLINK("http://x","y")', "0272", "37232", None, 5.0])
    rows.append(["30000100", "HC CLEAN LINE", "0272", "99213", None, 10.0])
    return write_xlsx(path, {"CDM": rows})


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    """html, xlsx, json and csv reports of the built chargemaster."""
    tmp = tmp_path_factory.mktemp("problems")
    return audit_reports(tmp / "out", built_cdm(tmp / "cdm.xlsx"), [])


def test_a_deleted_code_on_three_lines_is_one_problem(out):
    doc = load_doc(out)
    (p,) = [p for p in doc["problems"] if p["edit"] == "CV001" and p["subject"] == DELETED]
    assert p["group"] == "code" and p["lines"] == 3 and len(p["findings"]) == 3
    assert sorted(doc["findings"][i]["row"] for i in p["findings"]) == [2, 3, 4]
    assert p["amount"] is not None and p["basis"]


def test_problem_indices_point_at_findings_of_the_same_edit(out):
    doc = load_doc(out)
    assert [p["rank"] for p in doc["problems"]] == list(range(1, len(doc["problems"]) + 1))
    seen = []
    for p in doc["problems"]:
        assert p["findings"] == list(range(p["findings"][0], p["findings"][0] + len(p["findings"])))
        assert {doc["findings"][i]["edit"] for i in p["findings"]} == {p["edit"]}
        seen += p["findings"]
    assert sorted(seen) == list(range(len(doc["findings"])))  # every finding in exactly one problem
    assert seen == list(range(len(doc["findings"])))  # and findings come in problem order


def test_html_opens_on_fix_first_then_problems_then_findings(out):
    html = (out / "report.html").read_text(encoding="utf-8")
    at = {
        name: html.index(f'id="{name}"') for name in ("summary", "fix-first", "problems", "findings", "edits")
    }
    assert at["summary"] < at["fix-first"] < at["problems"] < at["findings"] < at["edits"]
    p, doc = page(out), load_doc(out)
    live = [q for q in doc["problems"] if not q["waived"]]
    shown = p.find("details", **{"data-problem": None})
    assert len(shown) == min(25, len(live)) == 25
    assert [int(a["data-problem"]) for a in shown] == [q["rank"] for q in live[:25]]
    # every problem is in the page data behind "All problems", its message from its first finding's row
    data = p.data()
    P = {k: i for i, k in enumerate(data["problem_fields"])}
    X = {k: i for i, k in enumerate(data["fields"])}
    assert [r[P["rank"]] for r in data["problems"]] == [q["rank"] for q in doc["problems"]]
    for r, q in zip(data["problems"], doc["problems"], strict=True):
        assert data["findings"][r[P["finding"]]][X["message"]] == q["message"]
    counts = {a["data-problem-count"]: int(a["data-value"]) for a in p.find(**{"data-problem-count": None})}
    assert sum(counts.values()) == len(doc["problems"])
    assert "every line is also in the excel report" in " ".join(p.text).lower()


def test_html_problem_lists_its_lines(out):
    html = (out / "report.html").read_text(encoding="utf-8")
    doc = load_doc(out)
    (p,) = [p for p in doc["problems"] if p["subject"] == DELETED]
    block = re.search(rf'<details[^>]*id="problem-{p["rank"]}".*?</details>', html, re.S)
    assert block, "the deleted code is not in the Fix first list"
    for i in p["findings"]:
        assert doc["findings"][i]["charge_code"] in block.group(0)
    assert not Page(html).find("img")


def test_edits_section_lists_only_edits_for_a_chargemaster(out):
    p = page(out)
    explained = {a["id"].removeprefix("edit-") for a in p.find("article", id=None)}
    assert "CV001" in explained
    assert not {c for c in explained if c.startswith(("DX", "WS"))}, "claim-only edits explained"
    assert "DX001" in " ".join(p.text)  # named once, as not applying here


def test_excel_first_sheet_is_fix_first_ranked(out):
    doc = load_doc(out)
    book = openpyxl.load_workbook(out / "report.xlsx")
    assert book.sheetnames[:2] == ["Fix first", "Problems"] and book.active.title == "Fix first"
    ws = book["Fix first"]
    rows = list(ws.iter_rows(values_only=True))
    head = list(rows[1])
    assert head[:3] == ["Rank", "Severity", "Edit"] and "Amount at stake" in head and "Basis" in head
    ranks = [r[0] for r in rows[2:]]
    assert ranks == [q["rank"] for q in doc["problems"] if not q["waived"]][:25]
    problems = list(book["Problems"].iter_rows(values_only=True))
    assert [r[0] for r in problems[1:]] == [q["rank"] for q in doc["problems"]]
    ids = problems[0].index("Problem id")
    assert [r[ids] for r in problems[1:]] == [q["id"] for q in doc["problems"]]
    findings = list(book["Findings"].iter_rows(values_only=True))
    assert findings[0][0] == "Problem"
    assert [r[0] for r in findings[1:]] == sorted(r[0] for r in findings[1:])
    # text from the file stays text on every sheet
    for name in ("Fix first", "Problems", "Findings"):
        for row in book[name].iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    assert cell.data_type == "s" and cell.quotePrefix, (name, cell.value)


def test_csv_rows_carry_their_problem(out):
    doc = load_doc(out)
    with (out / "findings.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(doc["findings"])
    rank = {i: p for p in doc["problems"] for i in p["findings"]}
    for i, r in enumerate(rows):
        assert (int(r["problem"]), r["problem_id"]) == (rank[i]["rank"], rank[i]["id"])


def test_text_summary_points_only_at_reports_written(out):
    from auditor.report.summary import render_summary

    doc = load_doc(out)
    bare = render_summary(doc)
    assert "see the" not in bare.lower() and "report.html" not in bare
    assert "Fix first" in bare and f"{len(doc['problems']):,} problems" in bare
    written = render_summary(doc, {"html": out / "report.html", "xlsx": out / "report.xlsx"})
    assert "report.html" in written and "report.xlsx" in written


def test_first_recorded_run_says_so_in_one_sentence(tmp_path):
    from conftest import run_cli

    cdm, out = built_cdm(tmp_path / "cdm.xlsx"), tmp_path / "out"
    history = ["--history", tmp_path / "h.sqlite", "--facility", "Built"]
    res = run_cli("audit", cdm, "--as-of", "2026-04-01", "--format", "html", "--out", out, *history)
    assert res.exit_code == 1, res.stderr
    p = page(out)
    assert p.find("p", id="first-run") and not p.find("table", id="history-new")
    assert not p.find(**{"data-history-metric": None})  # no counts: there is nothing to compare with
    res = run_cli("audit", cdm, "--as-of", "2026-04-01", "--format", "html", "--out", out, *history)
    p = page(out)
    assert not p.find("p", id="first-run") and p.find(**{"data-history-metric": "new", "data-value": "0"})
