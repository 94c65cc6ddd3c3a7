"""Generic test factories: write small workbooks and text files, run the CLI, find the shared data."""

from __future__ import annotations

import csv
import io
import json
import struct
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(__file__).resolve().parents[2] / "shared"
REAL_CDM = SHARED / "data" / "real-cdm"

# A cell is written as it is typed: int/float -> a number cell, str -> a text cell (even "0278"), None -> no cell.
Rows = list[list[object]]


def write_xlsx(path: Path, sheets: dict[str, Rows], origin: tuple[int, int] = (0, 0)) -> Path:
    """An .xlsx (or .xlsm-named) workbook; each sheet's rows start at `origin` (0-based row, column)."""
    import xlsxwriter

    # Keep text text: never let xlsxwriter turn "0278" into a number or "http..." into a link.
    wb = xlsxwriter.Workbook(
        str(path), {"strings_to_numbers": False, "strings_to_urls": False, "strings_to_formulas": False}
    )
    for name, rows in sheets.items():
        ws = wb.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    ws.write_number(origin[0] + r, origin[1] + c, value)
                else:
                    ws.write_string(origin[0] + r, origin[1] + c, str(value))
    wb.close()
    return path


def write_xlsm(path: Path, sheets: dict[str, Rows], origin: tuple[int, int] = (0, 0)) -> Path:
    """A macro-enabled workbook: xlsx parts with the macroEnabled content type, as Excel saves it."""
    write_xlsx(path, sheets, origin)
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    members["[Content_Types].xml"] = members["[Content_Types].xml"].replace(
        b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def _biff12(kind: int, payload: bytes = b"") -> bytes:
    """One xlsb record: its type and size as 7-bit varints, then the payload."""
    head = bytes([kind]) if kind < 0x80 else bytes([(kind & 0x7F) | 0x80, kind >> 7])
    n, size = len(payload), b""
    while True:
        n, low = n >> 7, n & 0x7F
        size += bytes([low | (0x80 if n else 0)])
        if not n:
            return head + size + payload


def _wide(text: str) -> bytes:
    """An xlsb XLWideString: a character count, then UTF-16LE."""
    return struct.pack("<I", len(text)) + text.encode("utf-16-le")


def write_xlsb(
    path: Path,
    sheets: dict[str, Rows],
    far: dict[str, tuple[int, int]] | None = None,
    share_part: bool = False,
) -> Path:
    """A binary .xlsb workbook as Excel lays it out (no library writes xlsb): each sheet's records open with
    the dimension record covering every cell. `far` puts one text cell at a 0-based (row, column) of a sheet
    (a stray cell); `share_part` points every sheet at the first sheet's part (a damaged workbook)."""
    parts: dict[str, bytes] = {}
    rels, bundle = [], b""
    for i, (name, rows) in enumerate(sheets.items(), start=1):
        rels.append(
            f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            f'relationships/worksheet" Target="worksheets/sheet{i}.bin"/>'
        )
        rid = "rId1" if share_part else f"rId{i}"
        bundle += _biff12(0x9C, struct.pack("<II", 0, i) + _wide(rid) + _wide(name))  # BrtBundleSh
        cells = [(r, c, v) for r, row in enumerate(rows) for c, v in enumerate(row) if v is not None]
        if far and name in far:
            cells.append((*far[name], "far"))
        last_row = max((r for r, _, _ in cells), default=0)
        last_col = max((c for _, c, _ in cells), default=0)
        # BrtBeginSheet, BrtWsDim (rows and columns, first and last), BrtBeginSheetData
        body = _biff12(0x81) + _biff12(0x94, struct.pack("<IIII", 0, last_row, 0, last_col)) + _biff12(0x91)
        row_at = None
        for r, c, value in sorted(cells):
            if r != row_at:
                body += _biff12(0x00, struct.pack("<IIH", r, 0, 0x12C) + bytes(8))  # BrtRowHdr
                row_at = r
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                body += _biff12(0x05, struct.pack("<IId", c, 0, float(value)))  # BrtCellReal
            else:
                body += _biff12(0x06, struct.pack("<II", c, 0) + _wide(str(value)))  # BrtCellSt
        parts[f"xl/worksheets/sheet{i}.bin"] = body + _biff12(0x92) + _biff12(0x82)
    # BrtBeginBook, BrtBeginBundleShs, the sheets, BrtEndBundleShs, BrtCalcProp, BrtEndBook
    parts["xl/workbook.bin"] = (
        _biff12(0x83) + _biff12(0x8F) + bundle + _biff12(0x90) + _biff12(0x9D, bytes(26)) + _biff12(0x84)
    )
    rel_ns = "http://schemas.openxmlformats.org/package/2006/relationships"
    parts["xl/_rels/workbook.bin.rels"] = (
        f'<Relationships xmlns="{rel_ns}">{"".join(rels)}</Relationships>'.encode()
    )
    parts["_rels/.rels"] = (
        f'<Relationships xmlns="{rel_ns}"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.bin"/></Relationships>'
    ).encode()
    parts["[Content_Types].xml"] = (
        b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        b'<Default Extension="bin" ContentType="application/vnd.ms-excel.sheet.binary.macroEnabled.main"/>'
        b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        b"</Types>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for member, data in parts.items():
            zf.writestr(member, data)
    return path


def write_xls(path: Path, sheets: dict[str, Rows], origin: tuple[int, int] = (0, 0)) -> Path:
    """A legacy BIFF8 .xls workbook (needs xlwt; the test is skipped without it)."""
    xlwt = pytest.importorskip("xlwt")
    wb = xlwt.Workbook()
    for name, rows in sheets.items():
        ws = wb.add_sheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is not None:
                    ws.write(origin[0] + r, origin[1] + c, value)
    wb.save(str(path))
    return path


def write_text(
    path: Path,
    rows: Rows,
    delimiter: str = ",",
    encoding: str = "utf-8",
    newline: str = "\r\n",
    quote_all: bool = False,
) -> Path:
    """A delimited text file; None cells are written empty."""
    buf = io.StringIO()
    writer = csv.writer(
        buf,
        delimiter=delimiter,
        lineterminator=newline,
        quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL,
    )
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def write_json(path: Path, doc: object) -> Path:
    """A JSON document."""
    path.write_text(json.dumps(doc, indent=1), encoding="utf-8")
    return path


@dataclass
class CliResult:
    """What one CLI run left behind."""

    exit_code: int
    stdout: str
    stderr: str


def run_cli(*args: str) -> CliResult:
    """Run `cdm-audit ARGS` in process through click's CliRunner (stdout and stderr kept apart)."""
    from auditor.cli import main

    result = CliRunner().invoke(main, [str(a) for a in args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return CliResult(result.exit_code, result.stdout, result.stderr)


def run_cli_process(*args: str, timeout: float = 60) -> CliResult:
    """Run `python -m auditor.cli ARGS` as a real process, from the repository root."""
    proc = subprocess.run(
        [sys.executable, "-m", "auditor.cli", *map(str, args)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture(scope="session")
def real_cdm() -> Path:
    """The folder of real hospital files; the test is skipped where shared data is not laid out."""
    if not REAL_CDM.is_dir():
        pytest.skip(f"shared data not found at {REAL_CDM} (CI has it)")
    return REAL_CDM


@pytest.fixture(scope="session")
def sample_reports(tmp_path_factory):
    """Reports of the sample audit (all formats, one waiver), written once per test session."""
    from test_report_fixtures import build_sample_reports

    return build_sample_reports(tmp_path_factory.mktemp("sample-reports"))


@pytest.fixture(scope="session")
def hostile_reports(tmp_path_factory):
    """Reports of the hostile chargemaster, written once per test session."""
    from test_report_fixtures import build_hostile_reports

    return build_hostile_reports(tmp_path_factory.mktemp("hostile-reports"))


@pytest.fixture(autouse=True, scope="session")
def _isolated_home(tmp_path_factory):
    """Keep the run history and imported quarters of every test out of the user's data directory."""
    import os

    old = os.environ.get("CDM_AUDIT_HOME")
    os.environ["CDM_AUDIT_HOME"] = str(tmp_path_factory.mktemp("cdm-audit-home"))
    yield
    if old is None:
        os.environ.pop("CDM_AUDIT_HOME", None)
    else:
        os.environ["CDM_AUDIT_HOME"] = old


# Debian chromium driven by Playwright, shared by the report and web browser tests.
CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
INSTALL = "apt-get install -y --no-install-recommends chromium && pip install playwright==1.65.2"


def _in_ci() -> bool:
    """CI runs set CI (CI=true); there every browser test must run."""
    import os

    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="module")
def browser():
    """Headless Debian chromium driven by Playwright (never `playwright install`)."""
    # Module scope, not session: a live sync Playwright keeps an event loop that later asyncio.run() calls trip on.
    if not CHROMIUM.exists():
        if _in_ci():
            pytest.fail(f"{CHROMIUM} is not installed and CI is set, so the browser test must run: {INSTALL}")
        pytest.skip(f"{CHROMIUM} is not installed (the browser test runs only with it); {INSTALL}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail(f"{CHROMIUM} is installed but the playwright package is not: {INSTALL}")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield b
        b.close()


# -- the web app in a real browser: shared by tests/test_web_browser.py and tests/test_web_claims.py --


def _serve(max_upload_mb: int, tmp: Path):
    """A uvicorn server on a free 127.0.0.1 port, with a private CDM_AUDIT_HOME."""
    from auditor.web import WebSettings, create_app
    from auditor.web.server import BackgroundServer

    mp = pytest.MonkeyPatch()
    mp.setenv("CDM_AUDIT_HOME", str(tmp))
    srv = BackgroundServer(create_app(WebSettings(max_upload_mb=max_upload_mb))).start()
    return srv, mp


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The app with the default 100 MB cap."""
    srv, mp = _serve(100, tmp_path_factory.mktemp("web-home"))
    yield srv
    srv.stop()
    mp.undo()


@pytest.fixture(scope="module")
def small_server(tmp_path_factory):
    """The app with a 1 MB cap, for the too-large upload."""
    srv, mp = _serve(1, tmp_path_factory.mktemp("web-home-small"))
    yield srv
    srv.stop()
    mp.undo()


@pytest.fixture()
def open_page(browser):
    """New pages that fail the test on script errors, console errors or any request off the local server."""
    contexts, errors = [], []

    def _open(base: str, javascript: bool = True):
        ctx = browser.new_context(
            viewport={"width": 1280, "height": 900}, java_script_enabled=javascript, accept_downloads=True
        )
        contexts.append(ctx)
        pg = ctx.new_page()
        pg.set_default_timeout(60_000)
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.on(
            "console",
            lambda m: errors.append(m.text) if m.type == "error" and "status of 4" not in m.text else None,
        )
        pg.on(
            "request",
            lambda r: (
                errors.append(f"request off the server: {r.url}")
                if not r.url.startswith((base, "data:"))
                else None
            ),
        )
        pg.goto(base + "/")
        return pg

    yield _open
    for ctx in contexts:
        ctx.close()
    assert not errors, errors
