"""The claims readiness report: summary counts, then the HTML, Excel, CSV, JSON and text files."""

from __future__ import annotations

import csv
import json
import re
from datetime import date, datetime
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from auditor.claims.result import CLAIM_SCHEMA, FINDING_SCHEMA, ClaimsResult, empty_claims, empty_findings
from auditor.claims.skip_reasons import CLAIM_ROW, REVERSED
from auditor.claims.summary import build_summary
from auditor.report.cells import neutralise
from auditor.report.claims_context import ClaimsContext
from auditor.report.claims_excel import write_claims_xlsx
from auditor.report.claims_html import MAX_CLAIM_BLOCKS, MAX_TABLE_ROWS, PAGE_SIZE, render_claims_html
from auditor.report.claims_text import render_claims_summary
from auditor.report.renderers import CLAIMS, write_reports

HOSTILE_ID = '=HYPERLINK("http://evil.example/x","click")'
SCRIPT = "<script>alert('x')</script>"
SERVICES = {
    "knee_arthroscopy": {
        "title": "Knee arthroscopy",
        "policy": "NCD 150.9",
        "policy_url": "https://www.cms.gov/medicare-coverage-database/view/ncd.aspx?ncdid=285",
        "basis": "verified",
        "codes": ["29877", "G0289"],
        "delayed": None,
        "checklist": [
            "Knee symptoms other than osteoarthritis alone (e.g. mechanical locking)",
            "Imaging findings supporting the indication",
            "Side and compartment treated",
        ],
    },
    "skin_substitute": {
        "title": "Skin substitutes",
        "policy": "LCD L35041",
        "policy_url": "",
        "basis": "inferred",
        "codes": ["15271", "15275"],
        "delayed": None,
        "checklist": ["Wound size in sq cm before application", "Four weeks of standard wound care failed"],
    },
    "epidural": {
        "title": "Epidural steroid injections",
        "policy": "LCD L39242",
        "policy_url": "",
        "basis": "verified",
        "codes": ["62321", "64483"],
        "delayed": None,
        "checklist": ["Radicular pain documented"],
    },
}


def claim(
    claim_id,
    state,
    participant,
    readiness,
    wiser_status,
    reason=None,
    categories=None,
    utn=None,
    dx="M17.11",
    errors=0,
    warnings=0,
    infos=0,
    blocking=0,
    lines=2,
    row=2,
    payer="Medicare",
):
    """One CLAIM_SCHEMA row."""
    return {
        "claim_id": claim_id,
        "file": "claims.csv",
        "first_row": row,
        "last_row": row + lines - 1,
        "lines": lines,
        "dos_from": date(2026, 2, 3),
        "dos_to": date(2026, 2, 3),
        "state": state,
        "participant": participant,
        "payer": payer,
        "payer_class": "medicare_ffs",
        "setting": "TOB 131",
        "wiser_status": wiser_status,
        "wiser_reason": reason,
        "wiser_categories": categories,
        "utn": utn,
        "diagnoses": dx,
        "readiness": readiness,
        "errors": errors,
        "warnings": warnings,
        "infos": infos,
        "blocking": blocking,
    }


def finding(
    claim_id,
    category,
    severity="error",
    blocks=True,
    code="29877",
    message="check this",
    row=2,
    expected=None,
    revenue_code="0360",
    waived=False,
    line="1",
):
    """One FINDING_SCHEMA row."""
    return {
        "claim_id": claim_id,
        "line": line,
        "file": "claims.csv",
        "sheet": None,
        "row": row,
        "dos": date(2026, 2, 3),
        "code": code,
        "modifiers": None,
        "revenue_code": revenue_code,
        "edit": "CL001",
        "name": category,
        "family": "wiser",
        "category": category,
        "severity": severity,
        "message": message,
        "expected": expected,
        "reference": "https://www.cms.gov/x (inferred)",
        "basis": "inferred",
        "blocks": blocks,
        "waived": waived,
    }


def make_result(claims: list[dict], findings: list[dict], skipped: list[dict] | None = None) -> ClaimsResult:
    """A ClaimsResult as the claims pipeline hands it to the writers."""
    return ClaimsResult(
        claims=pl.DataFrame(claims, schema=CLAIM_SCHEMA) if claims else empty_claims(),
        findings=pl.DataFrame(findings, schema=FINDING_SCHEMA) if findings else empty_findings(),
        files=[
            {
                "path": "/data/claims.csv",
                "format": "csv",
                "sha256": "ab" * 32,
                "size": 2048,
                "rows_read": 14,
                "rows_audited": 12,
                "rows_skipped": 2,
            }
        ],
        skipped=skipped
        if skipped is not None
        else [
            {"file": "claims.csv", "sheet": None, "row": 15, "reason": "no claim id"},
            {"file": "claims.csv", "sheet": None, "row": 16, "reason": SCRIPT},
        ],
        notes=["Lines dated from 2026-10-01 were checked against FY2026 codes (FY2027 not installed)."],
        meta={
            "generated_at": "2026-05-01T12:00:00+00:00",
            "tool_version": "0.1.0",
            "edit_set_version": "2026.05",
            "icd_code_set": "FY2026 (simple-icd-10-cm 1.5.0)",
            "wiser": {"version": "2026-04", "as_of": "2026-04-15", "source": "Cohere Health list (TX)"},
        },
        services=SERVICES,
        edits=[
            {
                "code": "CL001",
                "name": "Prior authorization",
                "category": "prior_auth_missing",
                "severity": "error",
                "status": "ran",
                "findings": 2,
                "basis": "verified",
            }
        ],
    )


def sample_result() -> ClaimsResult:
    """Six claims across TX, OH and CA, with hostile text in ids, messages and codes."""
    claims = [
        claim(
            "TX-1001",
            "TX",
            "Cohere Health",
            "needs_attention",
            "in_scope",
            categories="knee_arthroscopy",
            dx="M17.9",
            errors=2,
            blocking=2,
        ),
        claim(
            "TX-1002",
            "TX",
            "Cohere Health",
            "needs_attention",
            "in_scope",
            categories="skin_substitute",
            utn="A1234567890123",
            errors=2,
            blocking=2,
            lines=3,
            row=4,
        ),
        claim(
            "OH-2001",
            "OH",
            "Innovaccer",
            "ready",
            "in_scope",
            categories="epidural",
            utn="B1234567890123",
            infos=1,
            row=7,
        ),
        claim(
            "OH-2002",
            "OH",
            "Innovaccer",
            "out_of_scope",
            "out_of_scope",
            reason="date of service before 2026-01-15",
            categories="epidural",
            row=9,
        ),
        claim(
            "CA-3001",
            "CA",
            None,
            "out_of_scope",
            "out_of_scope",
            reason="state CA is not in WISeR",
            categories="knee_arthroscopy",
            row=11,
            payer="+1 Medicare",
        ),
        claim(
            HOSTILE_ID,
            "TX",
            "Cohere Health",
            "needs_attention",
            "in_scope",
            categories="knee_arthroscopy, ",
            errors=1,
            warnings=1,
            blocking=1,
            row=13,
            payer="@x",
        ),
    ]
    findings = [
        finding("TX-1001", "diagnosis_unspecified", message="M17.9 is unspecified osteoarthritis of knee"),
        finding("TX-1001", "prior_auth_missing", message="No UTN on a WISeR-scoped line"),
        finding(
            "TX-1002", "pairing_mismatch", code="15275", row=4, message="Product does not fit the procedure"
        ),
        finding(
            "TX-1002",
            "unit_mismatch",
            code="Q4101",
            row=5,
            message="Units exceed wound size",
            expected="-2+3 sq cm",
        ),
        finding(
            "OH-2001",
            "diagnosis_other",
            severity="info",
            blocks=False,
            code="64483",
            row=7,
            message="G89.29 is an 'other' code",
        ),
        finding(
            HOSTILE_ID,
            "orphan_component",
            code="+1",
            row=13,
            message=SCRIPT,
            expected="@x",
            revenue_code="0450",
        ),
        finding(
            HOSTILE_ID,
            "diagnosis_unspecified_laterality",
            severity="warning",
            blocks=False,
            row=14,
            message="=1+2 laterality",
            revenue_code="0450",
        ),
        finding(HOSTILE_ID, "prior_auth_missing", code="29877", row=13, message="waived", waived=True),
    ]
    return make_result(claims, findings)


@pytest.fixture()
def result() -> ClaimsResult:
    """The six-claim sample."""
    return sample_result()


# ---------------------------------------------------------------- summary


def test_summary_counts_claims_by_readiness_state_and_flags(result):
    """Totals and per-state rows count claims once per flag; waived findings are not counted."""
    s = build_summary(result)
    t = s["totals"]
    assert (t["claims"], t["ready"], t["needs_attention"], t["out_of_scope"], t["in_scope"]) == (
        6,
        1,
        3,
        2,
        4,
    )
    assert (t["errors"], t["warnings"], t["infos"], t["waived"], t["blocking"]) == (5, 1, 1, 1, 5)
    assert (t["unspecified_dx"], t["broken_pairs"], t["prior_auth"], t["lines"]) == (3, 2, 1, 13)
    tx = next(r for r in s["by_state"] if r["key"] == "TX")
    assert (
        tx["claims"],
        tx["needs_attention"],
        tx["unspecified_dx"],
        tx["broken_pairs"],
        tx["prior_auth"],
    ) == (3, 3, 2, 2, 1)
    assert [r["label"] for r in s["by_participant"]] == [
        "Cohere Health",
        "Innovaccer",
        "(no WISeR participant)",
    ]
    knee = next(r for r in s["by_service"] if r["key"] == "knee_arthroscopy")
    assert (knee["label"], knee["claims"], knee["out_of_scope"]) == ("Knee arthroscopy", 3, 1)
    assert sum(r["claims"] for r in s["by_service"]) == 6  # "knee_arthroscopy, " counts once, not as none
    assert s["top_reasons"] == [
        {"reason": "date of service before 2026-01-15", "claims": 1},
        {"reason": "state CA is not in WISeR", "claims": 1},
    ]
    cats = {r["category"]: r for r in s["by_category"]}
    assert "prior_auth_missing" in cats and cats["prior_auth_missing"]["total"] == 1
    assert (cats["diagnosis_other"]["info"], cats["diagnosis_other"]["blocking"]) == (1, 0)


# ---------------------------------------------------------------- helpers


class Page(HTMLParser):
    """What a test needs from a rendered page: metrics, table cells, script and style text, links, text."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.metrics: dict[str, int] = {}
        self.rows: dict[str, dict[str, dict[str, int]]] = {}
        self.scripts: list[str] = []
        self.styles: list[str] = []
        self.loads: list[tuple[str, str, str]] = []
        self.csp = ""
        self.ids: set[str] = set()
        self.items = self.hidden_items = 0
        self.text: list[str] = []
        self._in: str | None = None
        self._table: str | None = None
        self._key: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if "data-metric" in a:
            self.metrics[a["data-metric"]] = int(a["data-value"])
        if "data-item" in a:
            self.items += 1
            self.hidden_items += "hidden" in a
        if tag == "table" and "data-table" in a:
            self._table = a["data-table"]
            self.rows[self._table] = {}
        if tag == "tr" and self._table and "data-key" in a:
            self._key = a["data-key"]
            self.rows[self._table][self._key] = {}
        if tag == "td" and self._key is not None and "data-col" in a:
            self.rows[self._table][self._key][a["data-col"]] = int(a["data-value"])
        for attr in ("src", "href", "action", "srcset", "poster", "data"):
            if a.get(attr) and not a[attr].startswith("#"):
                self.loads.append((tag, attr, a[attr]))
        if tag == "link":
            self.loads.append((tag, "rel", a.get("rel") or ""))
        if tag == "meta" and a.get("http-equiv") == "Content-Security-Policy":
            self.csp = a["content"]
        if tag in ("script", "style"):
            self._in = tag
            (self.scripts if tag == "script" else self.styles).append("")

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._in = None
        if tag == "table":
            self._table = self._key = None

    def handle_data(self, data):
        if self._in == "script":
            self.scripts[-1] += data
        elif self._in == "style":
            self.styles[-1] += data
        else:
            self.text.append(data)

    @property
    def plain(self) -> str:
        """The visible text, whitespace collapsed."""
        return " ".join(" ".join(self.text).split())


def write_claims_report(result: ClaimsResult, out_dir: Path, formats: list[str]) -> dict[str, Path]:
    """The claims renderers through the registry, as the claims session calls them."""
    return write_reports(CLAIMS, ClaimsContext.of(result), formats, out_dir)


def csp_hash(text: str) -> str:
    """The CSP source a browser computes for an inline block."""
    import base64
    import hashlib

    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def read_csv(path: Path) -> list[dict]:
    """Rows of a report CSV as Excel would read its text (BOM stripped)."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def sheet_rows(ws) -> list[tuple]:
    """Every row of a worksheet as values."""
    return list(ws.iter_rows(values_only=True))


# ---------------------------------------------------------------- HTML


def test_html_counts_match_the_summary(result):
    """Cards and the three tables show the summary's numbers; hostile text stays text; nothing loads."""
    summary = build_summary(result)
    html = render_claims_html(ClaimsContext(result, summary))
    page = Page(html)
    totals = summary["totals"]
    for key in (
        "ready",
        "needs_attention",
        "out_of_scope",
        "claims",
        "in_scope",
        "unspecified_dx",
        "broken_pairs",
        "errors",
        "warnings",
        "infos",
    ):
        assert page.metrics[key] == totals[key], key
    for table in ("by_state", "by_participant", "by_service"):
        shown = page.rows[table]
        assert len(shown) == len(summary[table])
        for row in summary[table]:
            cells = shown[row["key"] or ""]
            assert {k: cells[k] for k in cells} == {k: row[k] for k in cells}, (table, row["key"])
    assert page.items == 3 + 3  # three claim blocks, three rows in the ready / out-of-scope table
    assert "Needs attention" in page.plain and "Out of scope" in page.plain
    assert "FY2026 (simple-icd-10-cm 1.5.0)" in page.plain and "as of 2026-04-15" in page.plain
    assert "Lines dated from 2026-10-01 were checked against FY2026 codes" in page.plain
    assert "ab" * 32 in page.plain
    # Hostile input: the script text is shown, never parsed as a tag; ours is the only script.
    assert SCRIPT not in html and "&lt;script&gt;alert(" in html
    assert len(page.scripts) == 1 and "alert(" not in page.scripts[0]
    assert HOSTILE_ID in page.plain
    assert "no claim id" in page.plain and SCRIPT in page.plain  # skipped line with its reason, as text


def test_html_is_self_contained_with_a_strict_csp(result):
    """No external loads; the CSP allows only the page's own inline style and script, by hash."""
    html = render_claims_html(ClaimsContext.of(result))
    page = Page(html)
    assert page.loads == []
    assert "src=" not in html and "<link" not in html and "url(" not in page.styles[0]
    assert page.csp.startswith("default-src 'none';")
    assert "unsafe-inline" not in page.csp
    assert csp_hash(page.scripts[0]) in page.csp and csp_hash(page.styles[0]) in page.csp
    assert " style=" not in html  # inline style attributes would be blocked by the hash-only CSP
    assert "@media print" in page.styles[0]


def test_claim_blocks_show_blocking_findings_and_the_policy_checklist(result):
    """A claim needing attention lists what blocks it and, in scope, what the policy asks of the record."""
    page = Page(render_claims_html(ClaimsContext.of(result)))
    text = page.plain
    block = text[text.index("TX-1001") : text.index("TX-1002")]
    assert "M17.9 is unspecified osteoarthritis of knee" in block and "No UTN on a WISeR-scoped line" in block
    assert "none on the claim" in block  # no UTN
    assert "Knee arthroscopy: what NCD 150.9 asks the record to show" in block
    assert "Confirm in the record; this tool does not read it." in block
    assert "Imaging findings supporting the indication" in block
    skin = text[text.index("TX-1002") : text.index(HOSTILE_ID)]
    assert "what LCD L35041 asks the record to show inferred" in skin  # inferred checklists say so
    # Out-of-scope claims get no checklist; they sit in the compact table.
    tail = text[text.index("Ready and out-of-scope claims") :]
    assert "state CA is not in WISeR" in tail and "Radicular pain documented" not in tail
    assert "attention-cap" not in page.ids and "table-cap" not in page.ids


def test_html_caps_claim_blocks_and_table_rows_and_says_so():
    """Past 2,000 claim blocks / 20,000 table rows / 2,000 skipped lines the page says how many it omits."""
    attention = [
        claim(
            f"NA-{i:05d}",
            "TX",
            "Cohere Health",
            "needs_attention",
            "in_scope",
            categories="knee_arthroscopy",
            errors=1,
            blocking=1,
            row=i,
        )
        for i in range(MAX_CLAIM_BLOCKS + 3)
    ]
    others = [
        claim(f"OK-{i:05d}", "OH", "Innovaccer", "ready", "in_scope", row=i)
        for i in range(MAX_TABLE_ROWS + 1)
    ]
    findings = [finding(c["claim_id"], "prior_auth_missing") for c in attention]
    skipped = [{"file": "claims.csv", "sheet": None, "row": i, "reason": "no claim id"} for i in range(2_005)]
    result = make_result(attention + others, findings, skipped)
    page = Page(render_claims_html(ClaimsContext.of(result)))
    text = page.plain
    assert page.items == MAX_CLAIM_BLOCKS + MAX_TABLE_ROWS
    assert page.hidden_items == MAX_TABLE_ROWS - PAGE_SIZE  # laid out a page at a time: the file opens fast
    assert "This page shows 2,000 of 2,003 claims that need attention" in text
    assert "3 are not shown here" in text and "The Excel and CSV reports hold every claim and finding" in text
    assert "This table shows 20,000 of 20,001 ready and out-of-scope claims; 1 is not shown here" in text
    assert "2,000 of 2,005 skipped lines are listed; 5 are not shown here" in text
    assert page.metrics["needs_attention"] == MAX_CLAIM_BLOCKS + 3  # the cards still count everything


def test_skipped_lines_accounted_for_are_listed_apart(result):
    """Credits netted into their charges and claim-level rows are not lines to fix: the page lists them apart
    ("nothing to fix"), and only the others under "fix or confirm"."""
    skipped = [
        {"file": "claims.csv", "sheet": "claims.csv", "row": 3, "reason": REVERSED},
        {"file": "claims.csv", "sheet": "claims.csv", "row": 7, "reason": "no claim id on this claim line"},
        {"file": "claims.xlsx", "sheet": "Claims", "row": 2, "reason": CLAIM_ROW},
    ]
    html = render_claims_html(ClaimsContext.of(make_result([], [], skipped)))
    todo = re.search(r'id="skipped-table">(.*?)</table>', html, re.S).group(1)
    apart = re.search(r'id="skipped-accounted">(.*?)</details>', html, re.S).group(1)
    assert todo.count("<tr>") - 1 == 1 and "no claim id" in todo
    assert "credited on this claim" in apart and "a claim-level row" in apart and "no claim id" not in apart
    assert "2 lines are accounted for" in apart and "Nothing to fix" in apart
    only_accounted = render_claims_html(ClaimsContext.of(make_result([], [], [skipped[0]])))
    assert "No line needs a look." in only_accounted and 'id="skipped-table"' not in only_accounted


def test_empty_result_writes_every_format(tmp_path):
    """A run with no claims, findings, files or skipped lines still produces readable reports."""
    empty = ClaimsResult(claims=empty_claims(), findings=empty_findings())
    written = write_claims_report(empty, tmp_path, ["text", "html", "xlsx", "json", "csv"])
    assert set(written) == {"text", "html", "xlsx", "json", "csv"}
    page = Page(written["html"].read_text(encoding="utf-8"))
    assert page.metrics["claims"] == 0 and "No claim needs attention." in page.plain
    assert "No lines were skipped." in page.plain
    wb = openpyxl.load_workbook(written["xlsx"])
    assert sheet_rows(wb["Claims"])[0][0] == "Claim ID" and wb["Claims"].max_row == 1
    doc = json.loads(written["json"].read_text(encoding="utf-8"))
    assert doc["claims"] == [] and doc["findings"] == [] and doc["summary"]["totals"]["claims"] == 0
    assert read_csv(written["csv"]) == [] and read_csv(tmp_path / "claim-findings.csv") == []
    assert "0 claims (0 lines)" in written["text"].read_text(encoding="utf-8")


# ---------------------------------------------------------------- Excel


@pytest.mark.parametrize("constant_memory", [False, True])
def test_excel_sheets_counts_and_text_cells(result, tmp_path, constant_memory):
    """Every sheet is there with its rows; counts equal the summary; hostile text and codes stay text."""
    summary = build_summary(result)
    path = write_claims_xlsx(ClaimsContext(result, summary), tmp_path, constant_memory=constant_memory)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Summary", "Claims", "Findings", "Documentation", "Skipped lines", "About"]

    claims = wb["Claims"]
    header = [c.value for c in claims[1]]
    assert header[:3] == ["Claim ID", "Readiness", "File"] and "UTN" in header and "Diagnoses" in header
    body = sheet_rows(claims)[1:]
    assert len(body) == summary["totals"]["claims"]
    readiness = [r[1] for r in body]
    assert readiness.count("Ready") == summary["totals"]["ready"]
    assert readiness.count("Needs attention") == summary["totals"]["needs_attention"]
    hostile = next(c for c in claims["A"] if c.value == HOSTILE_ID)
    assert hostile.data_type == "s"  # the text itself, not a formula
    payer = claims.cell(row=hostile.row, column=header.index("Payer") + 1)
    assert payer.value == "@x" and payer.data_type == "s"
    assert claims.freeze_panes == "A2" and claims.auto_filter.ref
    dos = claims.cell(row=2, column=header.index("DOS from") + 1)
    assert isinstance(dos.value, datetime) and dos.number_format == "yyyy-mm-dd"

    findings = wb["Findings"]
    fh = [c.value for c in findings[1]]
    for name in (
        "Claim ID",
        "Line",
        "Row",
        "Code",
        "Category",
        "Severity",
        "Blocks",
        "Message",
        "Expected",
        "Reference",
    ):
        assert name in fh
    frows = sheet_rows(findings)[1:]
    assert len(frows) == result.findings.height
    rev = [r[fh.index("Rev code")] for r in frows]
    assert "0450" in rev and all(isinstance(v, str) for v in rev)
    orphan = next(r for r in frows if r[fh.index("Category")] == "orphan_component")
    assert (orphan[fh.index("Code")], orphan[fh.index("Message")], orphan[fh.index("Expected")]) == (
        "+1",
        SCRIPT,
        "@x",
    )
    assert all(isinstance(r[fh.index("Message")], str) for r in frows)
    assert {r[fh.index("Blocks")] for r in frows} <= {"yes", "no"}
    assert not any(c.data_type == "f" for row in findings.iter_rows() for c in row)

    doc = sheet_rows(wb["Documentation"])
    assert doc[0][-2:] == ("Confirmed?", "Analyst note")
    # In scope: TX-1001 knee (3 items), TX-1002 skin (2), OH-2001 epidural (1), hostile knee (3).
    assert len(doc) - 1 == 9 and all(r[-2] is None for r in doc[1:])
    assert [r[0] for r in doc[1:]].count("TX-1002") == 2 and "OH-2002" not in [r[0] for r in doc[1:]]

    runs = sheet_rows(wb["Skipped lines"])
    assert runs[0] == ("File", "Sheet", "Row", "To row", "Rows", "Reason")
    # Each run spelt out gives back every skipped line, with its file, sheet and reason.
    listed = []
    for file, sheet, first, last, count, reason in runs[1:]:
        rows = [first] if first is None else list(range(first, last + 1))
        assert len(rows) == count
        listed += [(file, sheet, row, reason) for row in rows]
    wanted = [(s.get("file"), s.get("sheet"), s.get("row"), s.get("reason")) for s in result.skipped]
    assert sorted(listed, key=str) == sorted(wanted, key=str) and listed

    summ = {r[0]: r[1] for r in sheet_rows(wb["Summary"]) if r and isinstance(r[0], str)}
    totals = summary["totals"]
    assert (summ["Claims"], summ["Ready"], summ["Needs attention"], summ["Out of scope"]) == (
        totals["claims"],
        totals["ready"],
        totals["needs_attention"],
        totals["out_of_scope"],
    )
    assert summ["Claims with an unspecified diagnosis"] == totals["unspecified_dx"]
    assert summ["Claims with a broken pair"] == totals["broken_pairs"]
    assert summ["TX"] == 3 and summ["Cohere Health"] == 3 and summ["Knee arthroscopy"] == 3
    import zipfile

    with zipfile.ZipFile(path) as zf:
        chart = next(n for n in zf.namelist() if n.startswith("xl/charts/chart"))
        assert b"Readiness by state" in zf.read(chart)

    about = {r[0]: r[1] for r in sheet_rows(wb["About"]) if r and isinstance(r[0], str)}
    assert about["ICD-10-CM code set"] == "FY2026 (simple-icd-10-cm 1.5.0)"
    assert about["/data/claims.csv"] == "csv" and "CL001" in about


# ---------------------------------------------------------------- CSV, JSON, text


def test_csv_quote_prefixes_formula_text_and_keeps_codes(result, tmp_path):
    """Cells that start with = + - @ tab or CR get a leading quote; codes keep leading zeros."""
    written = write_claims_report(result, tmp_path, ["csv"])
    claims = read_csv(written["csv"])
    assert [c["claim_id"] for c in claims][-1] == "'" + HOSTILE_ID
    assert {c["payer"] for c in claims} == {"Medicare", "'+1 Medicare", "'@x"}
    assert written["csv"].read_bytes().startswith(b"\xef\xbb\xbf") and b"\r\n" in written["csv"].read_bytes()
    findings = read_csv(tmp_path / "claim-findings.csv")
    assert len(findings) == result.findings.height
    orphan = next(f for f in findings if f["category"] == "orphan_component")
    assert (orphan["code"], orphan["expected"], orphan["revenue_code"], orphan["message"]) == (
        "'+1",
        "'@x",
        "0450",
        SCRIPT,
    )
    assert next(f for f in findings if f["category"] == "unit_mismatch")["expected"] == "'-2+3 sq cm"
    assert {f["blocks"] for f in findings} == {"yes", "no"}


def test_csv_neutralisation_matches_the_chargemaster_csv_writer(tmp_path):
    """The claims CSV quotes exactly the cells the existing findings.csv writer quotes."""
    tricky = [
        "=1+1",
        "+1",
        "-2",
        "@SUM(A1)",
        "\tx",
        "\rx",
        " =x",
        "\n+1",
        "\u00a0@x",
        "\uff1dx",
        "a=b",
        "0450",
        "",
        "plain",
        "  padded",
        "'already",
    ]
    rows = [finding(f"C{i}", "unit_mismatch", message=m) for i, m in enumerate(tricky)]
    written = write_claims_report(make_result([], rows), tmp_path, ["csv"])
    got = [f["message"] for f in read_csv(tmp_path / "claim-findings.csv")]
    assert written["csv"].exists()
    assert got == [neutralise(m) for m in tricky]


def test_json_holds_everything_and_is_deterministic(result, tmp_path):
    """claims.json holds every claim and finding plus the summary, and is byte-identical on rewrite."""
    a = write_claims_report(result, tmp_path / "a", ["json", "csv"])
    b = write_claims_report(result, tmp_path / "b", ["json", "csv"])
    doc = json.loads(a["json"].read_text(encoding="utf-8"))
    assert list(doc) == [
        "meta",
        "summary",
        "files",
        "skipped",
        "notes",
        "services",
        "edits",
        "claims",
        "findings",
    ]
    assert len(doc["claims"]) == 6 and len(doc["findings"]) == result.findings.height
    assert doc["summary"] == json.loads(json.dumps(build_summary(result)))
    assert doc["claims"][5]["claim_id"] == HOSTILE_ID and doc["claims"][0]["dos_from"] == "2026-02-03"
    for name in ("claims.json", "claims.csv", "claim-findings.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert b["json"].exists()


def test_text_summary_and_report_paths(result, tmp_path):
    """The terminal summary gives the readiness split, top categories and where each report was written."""
    written = write_claims_report(result, tmp_path, ["html", "xlsx", "text"])
    text = written["text"].read_text(encoding="utf-8")
    assert "6 claims (13 lines), 4 in WISeR scope: 1 ready, 3 need attention, 2 out of scope" in text
    assert "5 errors, 1 warnings, 1 info, 1 waived" in text and "prior_auth_missing" in text
    assert str(written["html"]) in text and str(written["xlsx"]) in text
    assert written["html"].name == "claims-report.html" and written["xlsx"].name == "claims-report.xlsx"
    assert render_claims_summary(ClaimsContext.of(result)).startswith("cdm-audit claims 0.1.0")
    with pytest.raises(ValueError, match="docx"):
        write_claims_report(result, tmp_path, ["docx"])


# ---------------------------------------------------------------- browser


def test_browser_filters_claims(browser, result, tmp_path):
    """In chromium the page's script runs under its CSP and the filters narrow the blocks and the table."""
    path = write_claims_report(result, tmp_path, ["html"])["html"]
    errors: list[str] = []
    pg = browser.new_page(viewport={"width": 1300, "height": 900})
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.on("request", lambda r: errors.append(r.url) if not r.url.startswith(("file:", "data:")) else None)
    pg.goto(path.as_uri())
    pg.wait_for_selector("html[data-report-ready]", timeout=20_000)

    def visible(selector: str) -> list[str]:
        return pg.eval_on_selector_all(selector, "els => els.filter(e => !e.hidden).map(e => e.textContent)")

    assert len(visible("#attention-list > article")) == 3
    pg.select_option("[data-filter-for=other-claims-body] select[data-key=state]", "OH")
    rows = visible("#other-claims-body > tr")
    assert len(rows) == 2 and all("OH-" in r for r in rows)
    pg.select_option("[data-filter-for=other-claims-body] select[data-key=readiness]", "ready")
    assert len(visible("#other-claims-body > tr")) == 1
    pg.select_option("[data-filter-for=attention-list] select[data-key=category]", "unit_mismatch")
    blocks = visible("#attention-list > article")
    assert len(blocks) == 1 and "TX-1002" in blocks[0]
    pg.click("[data-filter-for=attention-list] [data-reset]")
    pg.fill("[data-filter-for=attention-list] input[type=search]", "hyperlink")
    for _ in range(100):  # the search box is debounced; the CSP forbids wait_for_function's string eval
        if len(visible("#attention-list > article")) == 1:
            break
        pg.wait_for_timeout(50)
    assert len(visible("#attention-list > article")) == 1
    assert "1 of 3 claims match" in pg.text_content("[data-filter-for=attention-list] [data-filter-status]")
    pg.close()
    assert errors == []


def test_browser_pages_the_claims_table(browser, tmp_path):
    """The ready / out-of-scope table shows 200 rows at a time, pages through the rest, filters them all."""
    rows = [
        claim(f"R-{i:04d}", "OH" if i % 2 else "TX", "Innovaccer", "ready", "in_scope", row=i)
        for i in range(450)
    ]
    path = write_claims_report(make_result(rows, []), tmp_path, ["html"])["html"]
    pg = browser.new_page(viewport={"width": 1300, "height": 900})
    pg.goto(path.as_uri())
    pg.wait_for_selector("html[data-report-ready]", timeout=20_000)

    def shown() -> list[str]:
        return pg.eval_on_selector_all(
            "#other-claims-body > tr",
            "els => els.filter(e => !e.hidden).map(e => e.firstElementChild.textContent)",
        )

    status = "[data-filter-for=other-claims-body] [data-filter-status]"
    assert shown()[0] == "R-0001" and len(shown()) == 200  # ready claims by state (OH first), then claim id
    assert pg.text_content(status) == "Showing 1–200 of 450 claims"
    pg.click("[data-filter-for=other-claims-body] [data-pager] button:has-text('Next')")
    pg.click("[data-filter-for=other-claims-body] [data-pager] button:has-text('Next')")
    assert len(shown()) == 50 and shown()[-1] == "R-0448"
    pg.select_option("[data-filter-for=other-claims-body] select[data-key=state]", "OH")
    assert len(shown()) == 200 and all(int(r[2:]) % 2 for r in shown())
    assert pg.text_content(status) == "Showing 1–200 of 225 matching claims (450 in all)"
    pg.close()


def test_browser_filter_values_containing_the_separator(browser, tmp_path):
    """A participant named 'Zyter|TruCare' does not match the filter for a participant named 'TruCare'."""
    rows = [
        claim("A-1", "AZ", "Zyter|TruCare", "needs_attention", "in_scope", errors=1, blocking=1),
        claim("A-2", "AZ", "TruCare", "needs_attention", "in_scope", errors=1, blocking=1),
    ]
    path = write_claims_report(make_result(rows, []), tmp_path, ["html"])["html"]
    pg = browser.new_page()
    pg.goto(path.as_uri())
    pg.wait_for_selector("html[data-report-ready]", timeout=20_000)
    select = "[data-filter-for=attention-list] select[data-key=participant]"
    for label, expected in (("TruCare", ["A-2"]), ("Zyter|TruCare", ["A-1"])):
        pg.select_option(select, label=label)
        shown = pg.eval_on_selector_all(
            "#attention-list > article",
            "els => els.filter(e => !e.hidden).map(e => e.querySelector('.claim-id').textContent)",
        )
        assert shown == expected, label
    pg.close()
