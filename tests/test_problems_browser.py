"""The largest visible real chargemaster's report in chromium: Fix first comes first, opens to lines, page stays short."""

from __future__ import annotations

from pathlib import Path

import pytest
import test_browser
from conftest import REAL_CDM
from test_report_fixtures import audit_reports, load_doc

HARBORVIEW = REAL_CDM / "uw-harborview-2021" / "HMC_Fees_20211001.xlsx"  # 45,036 lines, one sheet
ARTIFACTS = test_browser.ARTIFACTS
open_report = (
    test_browser.open_report
)  # the fixture: a page that fails the test on any script or network error
# The stated bound: the whole page, at 1280 px wide, with everything folded as it opens.
MAX_PAGE_HEIGHT = 25_000


@pytest.fixture(scope="module")
def harborview(tmp_path_factory) -> Path:
    """Reports of uw-harborview-2021 as of 2026-04-01 (skipped without ../shared)."""
    if not HARBORVIEW.is_file():
        pytest.skip(f"{HARBORVIEW} is not here (the real files live in ../shared/data)")
    return audit_reports(tmp_path_factory.mktemp("harborview") / "out", HARBORVIEW, [])


def test_largest_real_report_opens_on_fix_first_and_stays_short(open_report, harborview):
    doc = load_doc(harborview)
    pg = open_report(harborview / "report.html", width=1280)
    sections = pg.eval_on_selector_all("section.section", "s => s.map(e => e.id)")
    assert sections[:3] == ["summary", "fix-first", "problems"], sections
    assert sections.index("findings") > sections.index("problems")
    live = [p for p in doc["problems"] if not p["waived"]]
    problems = pg.locator("#fix-first-list > li > details")
    assert problems.count() == min(25, len(live)) == 25
    height = pg.evaluate("document.documentElement.scrollHeight")
    assert height < MAX_PAGE_HEIGHT, f"report.html is {height:,} px tall at 1280 px wide"
    # The first problem with several lines opens to them, and says where the rest are.
    first = next(p for p in live[:25] if p["lines"] > 1)
    box = pg.locator(f"#problem-{first['rank']}")
    assert not pg.is_visible(f"#problem-{first['rank']} .p-items")
    box.locator("summary").click()
    assert pg.is_visible(f"#problem-{first['rank']} .p-items")
    rows = box.locator(".p-items tbody tr")
    assert rows.count() == min(len(first["findings"]), 50)
    charge_codes = {doc["findings"][i]["charge_code"] for i in first["findings"][:50]}
    assert {t.strip() for t in rows.locator("td:nth-child(2)").all_inner_texts()} == charge_codes
    ARTIFACTS.mkdir(exist_ok=True)
    pg.eval_on_selector("body", "b => window.scrollTo(0, 0)")
    pg.screenshot(path=str(ARTIFACTS / "report-harborview-top.png"))
    # "All problems": a severity group lists its problems when opened, 200 at a time.
    infos = [p for p in live if p["severity"] == "info"]
    pg.click("#problems-info > summary")
    # The rows are drawn by the toggle handler: wait for them (a loaded machine draws them late).
    from playwright.sync_api import expect

    expect(pg.locator("#problems-info tbody tr")).to_have_count(min(200, len(infos)))
    assert pg.inner_text("#problems-info tbody tr:first-child td:nth-child(1)") == f"{infos[0]['rank']:,}"
    # "show in the findings table" filters the table to that problem's lines.
    box.locator("[data-show-problem]").click()
    shown = pg.eval_on_selector_all("#findings-body > tr:not(.group)", "rows => rows.length")
    assert shown == len(first["findings"])
