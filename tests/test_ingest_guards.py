"""Workbooks the reader could not hold are refused before calamine allocates; one bad file fails alone.

Far cells, references beyond Excel's grid, sheets sharing a part and stray cells far right of a table are
written as real xlsx files; the web server is shown answering and auditing after such uploads.
"""

from __future__ import annotations

import json
import struct
import sys
import urllib.request
from pathlib import Path

import openpyxl
import pytest
from conftest import run_cli, run_cli_process, write_xls, write_xlsb

sys.path.insert(0, str(Path(__file__).parent / "fuzz"))

import mutants  # noqa: E402

SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "chargemaster.xlsx"


def base(tmp_path: Path, rows: int = 20) -> Path:
    """A small valid chargemaster workbook (inline strings, written by openpyxl)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "CDM"
    ws.append(["Charge Code", "Description", "Revenue Code", "CPT/HCPCS", "Price"])
    for i in range(rows):
        ws.append([f"10{i:04d}", "APPLICATION SKIN SUB 25 SQ CM", "0361", "15271", 850.0])
    path = tmp_path / "base.xlsx"
    wb.save(path)
    return path


def moved(tmp_path: Path, name: str, old: bytes, new: bytes) -> Path:
    """The base workbook with one piece of its sheet XML replaced."""
    data = mutants.rezip(base(tmp_path).read_bytes(), mutants.sheet_xml(lambda b: b.replace(old, new, 1)))
    path = tmp_path / name
    path.write_bytes(data)
    return path


def refused_alone(got, *says: str, out: Path | None = None) -> None:
    """Exit 2 with one `error:` line saying each of `says`, and (for an audit) no findings.json in `out`."""
    assert got.exit_code == 2, got.stderr
    line = got.stderr.strip()
    assert line.startswith("error: ") and "\n" not in line, line
    for text in says:
        assert text in line, (text, line)
    if out is not None:
        assert not (out / "findings.json").exists()


def max_cells_is_the_users_limit(path: Path) -> None:
    """Read under the default cell limit, refused naming sheet CDM under --max-cells 1,000,000."""
    got = run_cli("inspect", path)
    assert got.exit_code == 0, got.stderr
    refused_alone(
        run_cli("inspect", path, "--max-cells", "1000000"), "over the 1,000,000-cell limit", "sheet 'CDM'"
    )


def test_a_far_cell_is_refused_naming_it(tmp_path):
    """One cell at XFD1048576 would make a 17-billion-cell grid: refused with the cell and the way out."""
    path = moved(tmp_path, "far.xlsx", b'<c r="E21"', b'<c r="XFD1048576"')
    refused_alone(run_cli("inspect", path), "sheet 'CDM'", "XFD1048576", "--max-cells")


def test_a_far_cell_on_a_later_sheet_is_refused_naming_that_sheet(tmp_path):
    """Sheets are checked one after another while calamine reads the ones already checked: a far cell on
    the third sheet still refuses the workbook, naming that sheet, and the process lives to say so."""
    wb = openpyxl.Workbook()
    wb.active.title = "Notes"
    wb.active.append(["Prices effective 1/1/2026"])
    cdm = wb.create_sheet("CDM")
    cdm.append(["Charge Code", "Description", "Revenue Code", "CPT/HCPCS", "Price"])
    cdm.append(["100001", "APPLICATION SKIN SUB 25 SQ CM", "0361", "15271", 850.0])
    stray = wb.create_sheet("Old")
    stray.cell(row=1, column=1, value="x")
    stray.cell(row=1_048_576, column=16_384, value="far")
    path = tmp_path / "three.xlsx"
    wb.save(path)
    got = run_cli("audit", path, "--format", "json", "--out", tmp_path / "out", "--no-history")
    refused_alone(got, "sheet 'Old'", "XFD1048576", out=tmp_path / "out")


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        (b'<c r="E21"', b'<c r="ZZZZ300"', "cell ZZZZ300 lies beyond Excel's limits"),
        (b'<c r="E21"', b'<c r="A2000000"', "cell A2000000 lies beyond Excel's limits"),
        (b'<row r="21"', b'<row r="9999999"', "row 9999999 lies beyond Excel's limits"),
        (b'<dimension ref="A1:E21"', b'<dimension ref="A1:ZZZZ9"', "dimension A1:ZZZZ9 lies beyond"),
    ],
)
def test_references_beyond_excels_grid_are_refused(tmp_path, old, new, says):
    """References no spreadsheet program writes: one clean line, exit 2, before any reader runs."""
    path = moved(tmp_path, "bad.xlsx", old, new)
    got = run_cli("inspect", path)
    assert got.exit_code == 2 and says in got.stderr and "unexpected" not in got.stderr


def test_max_cells_is_the_users_limit(tmp_path):
    """A cell at A1048576 spans 5.2M cells: read under the default limit, refused under a lower one."""
    max_cells_is_the_users_limit(moved(tmp_path, "tall.xlsx", b'<c r="E21"', b'<c r="A1048576"'))


def test_sheets_sharing_one_part_are_refused(tmp_path):
    """A thousand sheets pointing at one worksheet part: refused at once, not read a thousand times."""

    def share(name: str, body: bytes) -> bytes:
        if name != "xl/workbook.xml":
            return body
        sheets = b"".join(b'<sheet name="S%d" sheetId="%d" r:id="rId1"/>' % (i, i + 1) for i in range(1000))
        start, end = body.index(b"<sheets>"), body.index(b"</sheets>")
        return body[:start] + b"<sheets>" + sheets + body[end:]

    path = tmp_path / "shared.xlsx"
    path.write_bytes(mutants.rezip(base(tmp_path).read_bytes(), share))
    got = run_cli("inspect", path)
    assert got.exit_code == 2 and "point to the same worksheet part" in got.stderr


def test_a_stray_cell_far_right_is_left_out_and_the_table_read(tmp_path):
    """A typo at XFD3 beside a 5-column table: the table's rows are all read and audited as before."""
    path = moved(tmp_path, "stray.xlsx", b'<c r="E3"', b'<c r="XFD3"')
    got = run_cli("inspect", path, "--json")
    assert got.exit_code == 0
    sheet = json.loads(got.stdout)["files"][0]["sheets"][0]
    assert sheet["rows_read"] == 20 and sheet["rows_audited"] + sheet["rows_skipped"] == 20
    assert sheet["columns"]["cpt"] == "CPT/HCPCS"
    assert (
        sheet["stray_cells"] == [{"cell": "XFD3", "text": "850"}] or sheet["stray_cells"][0]["cell"] == "XFD3"
    )


# ------------------------------------------------------------------------------------------------- xlsb
TABLE = [
    ["Charge Code", "Description", "Revenue Code", "CPT/HCPCS", "Price"],
    ["100001", "APPLICATION SKIN SUB 25 SQ CM", "0361", "15271", 850.0],
    ["100002", "HC ALLODERM 4X4 16SQCM", "0278", "Q4116", 170.0],
]


def test_an_xlsb_chargemaster_is_read_with_codes_as_text(tmp_path):
    """A binary workbook clears the checks and is read like an xlsx: revenue code 0361 stays text."""
    path = write_xlsb(tmp_path / "cdm.xlsb", {"CDM": TABLE, "Notes": [["Prices effective 1/1/2026"]]})
    got = run_cli("inspect", path, "--json")
    assert got.exit_code == 0, got.stderr
    doc = json.loads(got.stdout)["files"][0]
    assert doc["format"] == "xlsb"
    sheet = doc["sheets"][0]
    assert sheet["rows_audited"] == 2 and sheet["columns"]["revenue_code"] == "Revenue Code"
    assert "revenue_code='0361'" in run_cli("inspect", path).stdout


def test_a_far_cell_in_an_xlsb_is_refused_before_the_reader_aborts(tmp_path):
    """A stray cell at XFD1048576 of an xlsb's third sheet: calamine would allocate half a terabyte and abort
    the process (exit 134, a Rust backtrace); refused in one line naming the sheet, no report written."""
    path = write_xlsb(
        tmp_path / "far.xlsb",
        {"Notes": [["Prices effective 1/1/2026"]], "CDM": TABLE, "Old": [["x"]]},
        far={"Old": (1_048_575, 16_383)},
    )
    got = run_cli_process("audit", path, "--format", "json", "--out", tmp_path / "out", "--no-history")
    refused_alone(got, "sheet 'Old'", "A1:XFD1048576", "--max-cells", out=tmp_path / "out")


def test_an_xlsb_wider_than_max_cells_is_the_users_call(tmp_path):
    """A stray cell at column 2,000 of row 2,001 spans 4M cells: read under the default limit (the stray
    left out), refused under a lower one."""
    max_cells_is_the_users_limit(
        write_xlsb(tmp_path / "wide.xlsb", {"CDM": TABLE}, far={"CDM": (2_000, 1_999)})
    )


def test_xlsb_sheets_sharing_one_part_are_refused(tmp_path):
    """The xlsb sheet list is read from its binary records, so a shared part is caught there too."""
    path = write_xlsb(tmp_path / "shared.xlsb", {"A": TABLE, "B": TABLE}, share_part=True)
    got = run_cli("inspect", path)
    assert got.exit_code == 2 and "point to the same worksheet part" in got.stderr


# -------------------------------------------------------------------------------------------------- xls
def _xls_with_cell_at(tmp_path: Path, row: int, col: int) -> Path:
    """A real BIFF8 .xls (xlwt) whose marker number cell is moved to 0-based (row, col) in its record: xlwt
    cannot write past column 256, a damaged or crafted file can."""
    marker = 12345.678
    path = write_xls(tmp_path / "book.xls", {"CDM": [*TABLE, [marker]]})
    data = bytearray(path.read_bytes())
    at = data.find(struct.pack("<d", marker))
    assert at > 0
    struct.pack_into("<HH", data, at - 6, row, col)  # the NUMBER record: row, column, format, value
    out = tmp_path / "moved.xls"
    out.write_bytes(bytes(data))
    return out


def test_a_cell_past_the_xls_grid_is_refused_before_the_reader_aborts(tmp_path):
    """Column 65,001 of an .xls: calamine would lay out a 137 GB grid on opening the file and abort the process
    (exit 134); refused in one line naming the sheet, no report written."""
    path = _xls_with_cell_at(tmp_path, 65_000, 65_000)
    got = run_cli_process("audit", path, "--format", "json", "--out", tmp_path / "out", "--no-history")
    says = ("sheet 'CDM'", "column 65,001", "beyond the .xls format's limits")
    refused_alone(got, *says, out=tmp_path / "out")


def test_an_xls_within_its_grid_is_read_and_max_cells_still_applies(tmp_path):
    """A cell in the last column an .xls holds (IV20000, 5.1M cells from A1) is within the format: read; under
    a lower --max-cells it is the user's limit that refuses it."""
    path = _xls_with_cell_at(tmp_path, 19_999, 255)
    assert "revenue_code='0361'" in run_cli("inspect", path).stdout
    max_cells_is_the_users_limit(path)


# ------------------------------------------------------------------------------------------------- text
def test_a_line_of_stray_delimiters_is_refused_at_once(tmp_path):
    """A csv with one line of 300,000 commas: every column step of the read ran 300,000 times (4.5 minutes,
    9 GB); refused in one line naming the row, before polars lays out the columns."""
    path = tmp_path / "cdm.csv"
    path.write_text(
        "Charge Code,Description,CPT,Price\n1,HC CT HEAD,70450,900\n" + "," * 300_000 + "\n2,HC X,15272,50\n",
        encoding="utf-8",
    )
    refused_alone(run_cli("inspect", path), "row 3", "300,001 fields", "16,384-column limit")


def test_a_line_of_stray_delimiters_past_the_sampled_head_is_refused_too(tmp_path):
    """The width is first read from the file's head; a wider line further down is found on the second look."""
    rows = ["Charge Code,Description,CPT,Price", *(f"{i},HC ITEM {i},70450,900" for i in range(12_000))]
    path = tmp_path / "cdm.csv"
    path.write_text("\n".join(rows) + "\n" + "," * 30_000 + "\n1,HC X,15272,50\n", encoding="utf-8")
    refused_alone(run_cli("inspect", path), "row 12002", "30,001 fields")


def test_a_claims_file_with_a_line_of_stray_delimiters_is_refused(tmp_path):
    """The claims reader streams its text in blocks, with the width read from the first megabyte: the same
    refusal, naming the row."""
    path = tmp_path / "claims.csv"
    path.write_text(
        "Claim ID,Line,Date of Service,HCPCS\nC1,1,2026-03-02,29881\n"
        + "," * 20_000
        + "\nC2,1,2026-03-02,29881\n",
        encoding="utf-8",
    )
    got = run_cli("claims", path, "--format", "json", "--out", tmp_path / "out")
    refused_alone(got, "row 3", "20,001 fields")
    assert not (tmp_path / "out" / "claims.json").exists()


def test_a_wide_standard_charges_csv_is_still_read(tmp_path):
    """A CMS wide file with 3,000 payer columns is within the limit: read, its prices found."""
    plans = [f"standard_charge|Plan{i}|negotiated_dollar" for i in range(3_000)]
    header = ",".join(["description", "code|1", "code|1|type", "standard_charge|gross", *plans])
    row = ",".join(["HC CT HEAD", "70450", "CPT", "900", *["" for _ in plans]])
    path = tmp_path / "wide.csv"
    path.write_text(header + "\n" + row + "\n", encoding="utf-8")
    got = run_cli("inspect", path)
    assert got.exit_code == 0, got.stderr
    assert "code='70450'" in got.stdout


# ----------------------------------------------------------------------------------------------- batches
def test_one_unreadable_file_fails_alone(tmp_path):
    """Three inputs, one with no table and one refused: the good one is audited, every report lists the
    other two with their reason, and the run exits 2 after writing the reports."""
    far = moved(tmp_path, "far.xlsx", b'<c r="E21"', b'<c r="XFD1048576"')
    notes = tmp_path / "notes.csv"
    notes.write_text("just some text\nno header here\n", encoding="utf-8")
    out = tmp_path / "out"
    got = run_cli(
        "audit", SAMPLE, notes, far, "--format", "json,html,xlsx,csv,text", "--out", out, "--no-history"
    )
    assert got.exit_code == 2
    errors = [ln for ln in got.stderr.splitlines() if ln.startswith("error:")]
    assert len(errors) == 2 and "notes.csv" in errors[0] and "far.xlsx" in errors[1]
    doc = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    inputs = {Path(i["path"]).name: i for i in doc["run"]["inputs"]}
    assert inputs["chargemaster.xlsx"]["error"] is None and inputs["chargemaster.xlsx"]["sheets"]
    assert "no table found" in inputs["notes.csv"]["error"] and inputs["notes.csv"]["sha256"]
    assert "XFD1048576" in inputs["far.xlsx"]["error"]
    assert doc["summary"]["rows_audited"] > 0 and doc["findings"]
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Incomplete audit: 2 of 3 input files could not be read" in html
    summary = openpyxl.load_workbook(out / "report.xlsx")["Summary"]
    cells = [c.value for row in summary.iter_rows() for c in row if c.value]
    assert "Input not read (incomplete audit)" in cells
    assert any(isinstance(v, str) and v.startswith("NOT READ:") and "notes.csv" in v for v in cells)
    assert "INCOMPLETE: 2 of 3 input files could not be read" in got.stdout
    run_csv = (out / "findings-run.csv").read_text(encoding="utf-8-sig")
    assert "input.2.error" in run_csv and "input.3.error" in run_csv and "input.1.error" not in run_csv


def test_inspect_shows_the_readable_files_and_fails(tmp_path):
    """inspect prints every readable file, names the unreadable one, and exits 2."""
    notes = tmp_path / "notes.csv"
    notes.write_text("just some text\n", encoding="utf-8")
    got = run_cli("inspect", SAMPLE, notes)
    assert got.exit_code == 2
    assert "chargemaster.xlsx" in got.stdout and "NOT READ" in got.stdout
    assert got.stderr.count("error:") == 1


def test_when_no_file_can_be_read_nothing_is_written(tmp_path):
    """Every input unreadable: the first one's error, exit 2, and no report that could pass for an audit."""
    notes = tmp_path / "notes.csv"
    notes.write_text("just some text\n", encoding="utf-8")
    out = tmp_path / "out"
    got = run_cli("audit", notes, "--format", "json", "--out", out, "--no-history")
    assert got.exit_code == 2 and got.stderr.startswith("error: ") and not (out / "findings.json").exists()


# --------------------------------------------------------------------------------------------------- web
def _post(base_url: str, *files: tuple[str, bytes]) -> tuple[int, dict]:
    """POST files to /api/audits?wait=true as one multipart form; (status, JSON body)."""
    boundary = "fuzzboundary7d1"
    body = b""
    for name, data in files:
        body += (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n"
            ).encode()
            + data
            + b"\r\n"
        )
    req = urllib.request.Request(
        f"{base_url}/api/audits?wait=true",
        data=body + f"--{boundary}--\r\n".encode(),
        method="POST",
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    try:
        with urllib.request.urlopen(req, timeout=120) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


def _still_serving(base_url: str) -> None:
    """The server answers its page and audits the sample."""
    with urllib.request.urlopen(f"{base_url}/", timeout=30) as resp:
        assert resp.status == 200
    status, body = _post(base_url, ("chargemaster.xlsx", SAMPLE.read_bytes()))
    assert status in (200, 201) and body["status"] == "done", body


def test_web_server_keeps_answering_and_auditing_after_hostile_workbooks(server, tmp_path):
    """A far-cell and a bad-reference upload get 400 with the reason; the same server then audits a real file."""
    far = moved(tmp_path, "far.xlsx", b'<c r="E21"', b'<c r="XFD1048576"')
    status, body = _post(server.url, ("far.xlsx", far.read_bytes()))
    assert status == 400 and "XFD1048576" in json.dumps(body)
    bad = moved(tmp_path, "bad.xlsx", b'<c r="E21"', b'<c r="ZZZZ300"')
    status, body = _post(server.url, ("bad.xlsx", bad.read_bytes()))
    assert status == 400 and "beyond Excel's limits" in json.dumps(body)
    _still_serving(server.url)


def test_web_run_with_an_unreadable_file_says_it_is_incomplete(server):
    """Two uploads, one without a table: the run is done for the other, and says which file was not read."""
    status, body = _post(
        server.url, ("chargemaster.xlsx", SAMPLE.read_bytes()), ("notes.csv", b"just text\nmore\n")
    )
    assert status in (200, 201) and body["status"] == "done"
    assert "1 of 2 files not read (incomplete audit)" in body["detail"]
    assert len(body["unreadable"]) == 1 and "notes.csv" in body["unreadable"][0]
    assert body["summary"]["rows_audited"] > 0


def test_a_workbook_that_breaks_the_reader_fails_alone_in_its_child(tmp_path, monkeypatch):
    """A workbook within the cell limit but too big for the reader's memory: the probe's child dies, the
    upload gets 400 saying so, and the same server answers and audits the next upload."""
    from auditor.web import WebSettings, create_app
    from auditor.web.server import BackgroundServer

    monkeypatch.setenv("CDM_AUDIT_HOME", str(tmp_path / "home"))
    # 30 columns x 1,048,576 rows: 31M cells, under the 40M limit, ~1 GB for the reader: over an 800 MB child.
    tall = moved(tmp_path, "tall.xlsx", b'<c r="E21"', b'<c r="AD1048576"')
    with BackgroundServer(create_app(WebSettings(probe_memory_mb=800))) as srv:
        status, body = _post(srv.url, ("tall.xlsx", tall.read_bytes()))
        assert status == 400 and "the spreadsheet reader failed on this workbook" in json.dumps(body)
        _still_serving(srv.url)


def test_a_batch_with_reader_memory_audits_around_a_workbook_that_breaks_the_reader(tmp_path):
    """--reader-memory: the 31M-cell workbook fails in its child, and the sample beside it is audited."""
    tall = moved(tmp_path, "tall.xlsx", b'<c r="E21"', b'<c r="AD1048576"')
    out = tmp_path / "out"
    got = run_cli_process(
        "audit", SAMPLE, tall, "--reader-memory", "800", "--format", "json", "--out", out, "--no-history"
    )
    assert got.exit_code == 2 and "Traceback" not in got.stderr
    assert "tall.xlsx: the spreadsheet reader failed on this workbook" in got.stderr
    inputs = {
        Path(i["path"]).name: i for i in json.loads((out / "findings.json").read_text())["run"]["inputs"]
    }
    assert inputs["chargemaster.xlsx"]["error"] is None and inputs["tall.xlsx"]["error"]
