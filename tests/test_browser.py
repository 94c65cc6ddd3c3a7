"""A real browser (Debian chromium via Playwright) opens the HTML report, filters it, pages it, and prints it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_report_fixtures import audit_reports, load_doc, sample_inputs

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
ROWS = "#findings-body > tr:not(.group)"


@pytest.fixture()
def open_report(browser):
    """Open a report.html in a fresh page; fail the test on any script error or console error."""
    pages, errors = [], []

    def _open(path: Path, width: int = 1400):
        pg = browser.new_page(viewport={"width": width, "height": 1000})
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        pg.on(
            "request",
            lambda r: (
                errors.append(f"network request {r.url}")
                if not r.url.startswith(("file:", "data:"))
                else None
            ),
        )
        pg.goto(path.resolve().as_uri())
        pg.wait_for_selector("html[data-report-ready]", timeout=30_000)
        pages.append(pg)
        return pg

    yield _open
    for pg in pages:
        pg.close()
    assert not errors, errors


@pytest.fixture(scope="module")
def sample_out(tmp_path_factory) -> Path:
    """Reports of the bundled sample (samples/chargemaster.xlsx + pairing_table.csv, as of 2026-04-01)."""
    tmp = tmp_path_factory.mktemp("browser")
    cdm, pairing = sample_inputs(tmp)
    return audit_reports(tmp / "out", cdm, pairing)


def wait_rows(pg, ok, timeout_ms: int = 5000) -> int:
    """Poll until ok(row count) holds (the search box is debounced); the page's CSP forbids string eval."""
    for _ in range(timeout_ms // 50):
        n = len(attrs(pg, "data-edit"))
        if ok(n):
            return n
        pg.wait_for_timeout(50)
    raise AssertionError(f"row count {n} never satisfied the condition")


def attrs(pg, name: str) -> list[str]:
    """One attribute of every finding row on screen."""
    return pg.eval_on_selector_all(ROWS, f"rows => rows.map(r => r.getAttribute('{name}'))")


def test_filter_to_one_category(open_report, sample_out):
    doc = load_doc(sample_out)
    pg = open_report(sample_out / "report.html")
    assert len(attrs(pg, "data-edit")) == len(doc["findings"])
    category = "revenue_code_mismatch"
    want = [f for f in doc["findings"] if f["category"] == category]
    assert want, "the sample has no revenue code mismatch"
    pg.select_option("#f-category", category)
    assert attrs(pg, "data-category") == [category] * len(want)
    assert sorted(attrs(pg, "data-edit")) == sorted(f["edit"] for f in want)
    assert f"of {len(want)} findings" in pg.inner_text("#f-status")
    ARTIFACTS.mkdir(exist_ok=True)
    pg.eval_on_selector("#findings", "e => e.scrollIntoView()")
    pg.screenshot(path=str(ARTIFACTS / "report-filtered-category.png"))
    pg.click("#f-reset")
    pg.screenshot(path=str(ARTIFACTS / "report-findings.png"))
    pg.eval_on_selector("body", "b => window.scrollTo(0, 0)")
    pg.screenshot(path=str(ARTIFACTS / "report-top.png"))
    assert len(attrs(pg, "data-edit")) == len(doc["findings"])


def test_queue_tabs_search_sort_and_edit_links(open_report, sample_out):
    doc = load_doc(sample_out)
    pg = open_report(sample_out / "report.html")
    pg.click(".tab[data-queue='invalid']")
    cats = set(attrs(pg, "data-category"))
    assert cats and cats <= {"invalid_code", "deleted_code", "not_payable_in_setting"}
    pg.click(".tab[data-queue='']")
    target = next(f for f in doc["findings"] if f["charge_code"])
    pg.fill("#f-text", target["charge_code"])
    wait_rows(pg, lambda n: 0 < n < len(doc["findings"]))
    texts = pg.eval_on_selector_all(ROWS, "rows => rows.map(r => r.textContent)")
    assert texts and all(target["charge_code"] in t for t in texts)
    pg.fill("#f-text", "")
    wait_rows(pg, lambda n: n == len(doc["findings"]))
    pg.select_option("#f-severity", "error")
    assert set(attrs(pg, "data-severity")) == {"error"}
    pg.select_option("#f-severity", "")
    pg.click("th[data-sort='edit']")
    edits = attrs(pg, "data-edit")
    assert edits == sorted(edits)
    pg.click("th[data-sort='edit']")
    assert attrs(pg, "data-edit") == sorted(edits, reverse=True)
    pg.click(f"#findings-body a[href='#edit-{edits[0]}']")
    assert pg.evaluate("location.hash") == f"#edit-{edits[0]}"
    assert pg.is_visible(f"#edit-{edits[0]}")


def test_large_report_pages_and_prints(open_report, sample_out, tmp_path):
    """Over 2,000 findings: 100 rows a page, paging works, filtering spans all pages; print hides the controls."""
    from auditor.report.context import ReportContext
    from auditor.report.html import write_html

    doc = load_doc(sample_out)
    base = doc["findings"]
    doc["findings"] = [dict(f, row=(f["row"] or 0) + 1000 * k) for k in range(50) for f in base]
    doc["summary"]["findings"] = len(doc["findings"])
    pg = open_report(write_html(ReportContext(doc), tmp_path))
    assert len(attrs(pg, "data-edit")) == 100
    pages = -(-len(doc["findings"]) // 100)
    assert f"Page 1 of {pages}" in pg.inner_text("#pager-top")
    first = pg.inner_text("#findings-body")
    pg.click("#pager-bottom button:has-text('Next')")
    assert f"Page 2 of {pages}" in pg.inner_text("#pager-top") and pg.inner_text("#findings-body") != first
    pg.select_option("#f-category", "duplicate")
    n = sum(1 for f in doc["findings"] if f["category"] == "duplicate")
    assert set(attrs(pg, "data-category")) == {"duplicate"} and len(attrs(pg, "data-edit")) == min(n, 100)
    assert f"of {n:,} findings" in pg.inner_text("#f-status")
    pg.emulate_media(media="print")
    assert not pg.is_visible(".filter-row") and not pg.is_visible("nav.toc")
    data = json.loads(pg.inner_text("#audit-data"))
    assert data["total"] == len(doc["findings"])
