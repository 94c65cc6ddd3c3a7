"""The web app in a real browser (Debian chromium via Playwright): upload, mapping review, report, downloads, errors."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CDM = REPO / "samples" / "chargemaster.xlsx"
PAIRING = REPO / "samples" / "pairing_table.csv"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
# UPDATE_SCREENSHOTS=1 also refreshes the README pictures (docs/screenshots/upload.png and report.png).
SCREENSHOTS = REPO / "docs" / "screenshots"
ROWS = "#findings-body > tr:not(.group)"


def _shot(pg, name: str, readme: str | None = None) -> None:
    """Screenshot into tests/artifacts (and into docs/screenshots when UPDATE_SCREENSHOTS is set)."""
    ARTIFACTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / name))
    if readme and os.environ.get("UPDATE_SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ARTIFACTS / name, SCREENSHOTS / readme)


def test_upload_review_mapping_report_and_excel(open_page, server, tmp_path):
    import openpyxl

    pg = open_page(server.url)
    assert pg.inner_text("h1") == "Audit a chargemaster"
    with pg.expect_file_chooser() as chooser:
        pg.click("#drop")
    chooser.value.set_files(str(CDM))
    with pg.expect_file_chooser() as chooser:
        pg.click("#pairing")
    chooser.value.set_files(str(PAIRING))
    assert "chargemaster.xlsx" in pg.inner_text("#file-list")
    pg.fill("#as-of", "2026-04-01")
    pg.check("#review")
    _shot(pg, "web-upload.png", "upload.png")
    pg.click("#submit")

    pg.wait_for_selector("#review-form")
    assert pg.inner_text("h1") == "Check the column mapping"
    sheet = pg.locator("section[data-sheet='CDM']")
    assert sheet.locator("tbody tr").count() == 5
    dept = sheet.locator("select[data-detected='department']")
    assert dept.input_value() == "department"
    dept.select_option("narrative")
    assert "changed" in (
        sheet.locator("th:has(select[data-detected='department'])").get_attribute("class") or ""
    )
    _shot(pg, "web-review.png")
    pg.click("#run-audit")

    pg.wait_for_selector("html[data-report-ready]")
    assert pg.inner_text("h1") == "Chargemaster audit: chargemaster.xlsx"
    rows = pg.locator(ROWS).count()
    assert rows > 10
    assert "narrative ← “Department”" in pg.inner_text("#run-record")
    _shot(pg, "web-report.png", "report.png")
    with pg.expect_download() as download:
        pg.click("#dl-xlsx")
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name == "chargemaster-report.xlsx"
    wb = openpyxl.load_workbook(saved, read_only=True)
    assert {"Summary", "Findings", "Edits", "Skipped rows"} <= set(wb.sheetnames)
    assert wb["Findings"].max_row - 1 == rows

    pg.click("text=Past audits")
    assert pg.locator("#runs-table tbody tr").count() == 1
    pg.click("#runs-table >> text=Report")
    pg.wait_for_selector("html[data-report-ready]")
    assert pg.locator(ROWS).count() == rows


def test_too_large_and_corrupt_uploads_show_the_error(open_page, small_server, tmp_path):
    big = tmp_path / "big.csv"
    big.write_bytes(b"Charge Code,Description,CPT\n" + b"1,x,99213\n" * 150_000)
    corrupt = tmp_path / "corrupt.xlsx"
    corrupt.write_bytes(b"PK\x03\x04" + b"\x00not really a workbook" * 100)

    pg = open_page(small_server.url)
    pg.set_input_files("#files", str(big))
    pg.click("#submit")
    assert pg.inner_text("#form-error").startswith("big.csv is 1.4 MB, larger than the 1 MB upload limit")
    assert pg.url == small_server.url + "/"

    pg.set_input_files("#files", str(corrupt))
    assert pg.is_hidden("#form-error")
    pg.click("#submit")
    pg.wait_for_selector("#form-error:not([hidden])")
    assert pg.inner_text("#form-error").startswith(
        "corrupt.xlsx: damaged workbook: the zip container is corrupt"
    )
    _shot(pg, "web-corrupt.png")

    # Without script the form posts natively: the server refuses past the cap with its own page.
    plain = open_page(small_server.url, javascript=False)
    plain.set_input_files("#files", str(big))
    plain.click("#submit")
    assert plain.inner_text("h1") == "Upload too large"
    assert plain.inner_text("#error-message") == (
        "big.csv: the upload is larger than the 1 MB limit; split the "
        "file or ask for a higher --max-upload-mb"
    )
    _shot(plain, "web-too-large.png")


HEADERLESS = [
    ("HC OFFICE VISIT EST LVL 3", "99213", "125.00"),
    ("HC OFFICE VISIT EST LVL 4", "99214", "180.00"),
    ("HC CT HEAD W/O CONTRAST", "70450", "950.00"),
    ("HC XR CHEST 2 VIEWS", "71046", "210.00"),
    ("HC CBC AUTOMATED", "85025", "45.00"),
    ("HC BASIC METABOLIC PANEL", "80048", "60.00"),
    ("HC ECG 12 LEAD", "93005", "130.00"),
    ("HC VENIPUNCTURE", "36415", "18.00"),
    ("HC INFUSION IV 1ST HR", "96365", "420.00"),
    ("HC KNEE ARTHROSCOPY MENISCECTOMY", "29881", "5400.00"),
    ("HC APLIGRAF PER SQ CM", "Q4101", "95.00"),
    ("HC US ABDOMEN COMPLETE", "76700", "780.00"),
]


def test_headerless_csv_is_read_from_line_one(open_page, server, tmp_path):
    import httpx

    name = "Mercy CDM 2026Q2.csv"
    cdm = tmp_path / name
    cdm.write_text("".join(",".join(r) + "\n" for r in HEADERLESS), encoding="utf-8")
    pg = open_page(server.url)
    pg.set_input_files("#files", str(cdm))
    pg.fill("#as-of", "2026-04-01")
    pg.check("#review")
    pg.click("#submit")

    pg.wait_for_selector("#review-form")
    assert "read without a header row" in pg.inner_text("#review-reasons")
    assert "input-" not in pg.content()
    sheet = pg.locator(f"section[data-sheet='{name}']")
    assert sheet.locator("h2").inner_text() == name  # the file as uploaded, not a stored name
    box = sheet.locator("input.no-header")
    assert "This sheet has no header row" in sheet.inner_text()
    assert box.is_checked() and sheet.locator("input.header-row").is_disabled()
    # Line 1 is data: it is the first preview row, under column letters.
    assert sheet.locator("tbody tr").first.locator("td.rowno").inner_text() == "1"
    assert sheet.locator("thead th[data-letter='B'] select").input_value() == "cpt"
    box.uncheck()
    assert sheet.locator("input.header-row").is_enabled()
    box.check()  # the analyst confirms: no header row
    _shot(pg, "web-review-headerless.png")
    pg.click("#run-audit")

    pg.wait_for_selector("html[data-report-ready]")
    assert pg.inner_text("h1") == f"Chargemaster audit: {name}"
    assert f"{name}: chargemaster, no header row: 12 audited, 0 skipped" in pg.inner_text("body")
    # Every line of the file is accounted for: 12 data rows read, 12 audited, none lost to a header.
    run_id = pg.url.rsplit("/", 2)[-2]
    doc = httpx.get(f"{server.url}/api/audits/{run_id}/findings").json()
    (sheet,) = doc["run"]["inputs"][0]["sheets"]
    assert (sheet["name"], sheet["header_row"]) == (name, 0)
    assert (sheet["rows_read"], sheet["rows_audited"], sheet["rows_skipped"]) == (12, 12, 0)
    _shot(pg, "web-report-headerless.png")
