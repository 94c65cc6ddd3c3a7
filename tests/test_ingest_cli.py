"""`cdm-audit inspect`: column overrides, saved profiles, and one-line errors for overrides that match nothing."""

from __future__ import annotations

import json
import tomllib

from conftest import run_cli, run_cli_process, write_text, write_xlsx

# The charge code and description headers are recognised; the other three are this hospital's own words,
# which detection reads from the columns' content.
UNUSUAL = ["Charge Code", "Description", "Rev Ctr", "Proc", "Amt"]
ROWS = [["1001", "SKIN SUB GRAFT", 278, "Q4101", 137], ["1002", "APPLICATION", "0361", 15271, 850]]


def inspect_json(*args: str) -> dict:
    """Run `inspect --json` and return the document."""
    res = run_cli("inspect", "--json", *args)
    assert res.exit_code == 0, res.stderr
    return json.loads(res.stdout)


def test_unusual_headers_are_read_by_content_and_overrides_still_win(tmp_path):
    """'Rev Ctr', 'Proc', 'Amt' are read from what their cells hold; --column moves a role where the user says."""
    path = write_xlsx(tmp_path / "odd.xlsx", {"CDM": [UNUSUAL] + ROWS})
    plain = inspect_json(str(path))["files"][0]["sheets"][0]
    assert {k: plain["columns"][k] for k in ("revenue_code", "cpt", "price")} == {
        "revenue_code": "Rev Ctr",
        "cpt": "Proc",
        "price": "Amt",
    }
    assert plain["column_index"] == {
        "charge_code": 1,
        "description": 2,
        "revenue_code": 3,
        "cpt": 4,
        "price": 5,
    }
    assert [(r["row"], r["revenue_code"], r["code"]) for r in plain["sample_rows"]] == [
        (2, "0278", "Q4101"),
        (3, "0361", "15271"),
    ]
    doc = inspect_json(str(path), "--column", "charge_code=Proc")
    sheet = doc["files"][0]["sheets"][0]
    assert sheet["columns"]["charge_code"] == "Proc" and "cpt" not in sheet["columns"]
    assert sheet["confidence"]["charge_code"] == 1.0


def test_override_moves_a_field_to_another_column(tmp_path):
    """Two revenue-code headers: content picks the column of real revenue codes; --column moves it back."""
    header = ["Charge Code", "Description", "Revenue Code", "UB CODE", "CPT"]
    rows = [header, ["1001", "SKIN SUB", "0000", 278, "Q4101"], ["1002", "APPL", "0000", 361, "15271"]]
    path = write_text(tmp_path / "two-rev.csv", rows)
    auto = inspect_json(str(path))["files"][0]["sheets"][0]
    assert auto["columns"]["revenue_code"] == "UB CODE"
    assert auto["sample_rows"][0]["revenue_code"] == "0278"
    forced = inspect_json(str(path), "--column", 'revenue_code="Revenue Code"')["files"][0]["sheets"][0]
    assert forced["columns"]["revenue_code"] == "Revenue Code"
    assert forced["sample_rows"][0]["revenue_code"] == "0000"


def test_column_named_by_letter_or_number(tmp_path):
    """--column description=B and --column price=5 name spreadsheet columns, for headers nobody can match."""
    path = write_xlsx(tmp_path / "odd.xlsx", {"CDM": [UNUSUAL] + ROWS})
    sheet = inspect_json(str(path), "--column", "price=C", "--column", "revenue_code=5")["files"][0][
        "sheets"
    ][0]
    assert sheet["columns"]["price"] == "Rev Ctr" and sheet["columns"]["revenue_code"] == "Amt"
    assert sheet["column_index"]["price"] == 3 and sheet["column_index"]["revenue_code"] == 5


def test_saved_profile_is_reused_on_a_second_file(tmp_path):
    """--save-profile writes the overrides; --profile applies them to next quarter's file, flags still win."""
    q1 = write_xlsx(tmp_path / "q1.xlsx", {"CDM": [["Run 2026-01-01"], UNUSUAL] + ROWS})
    q2 = write_text(
        tmp_path / "q2.csv", [["Run 2026-04-01"], UNUSUAL, ["2001", "LEAD", "278", "C1778", "5000"]]
    )
    profile = tmp_path / "profiles" / "hospital.toml"
    profile.parent.mkdir()
    res = run_cli(
        "inspect",
        str(q1),
        "--column",
        "revenue_code=Rev Ctr",
        "--column",
        "cpt=Proc",
        "--column",
        "price=Amt",
        "--save-profile",
        str(profile),
    )
    assert res.exit_code == 0, res.stderr
    assert res.stderr.strip() == f"saved column profile to {profile}"
    saved = tomllib.loads(profile.read_text(encoding="utf-8"))
    assert saved["columns"] == {"revenue_code": "Rev Ctr", "cpt": "Proc", "price": "Amt"}

    sheet = inspect_json(str(q2), "--profile", str(profile))["files"][0]["sheets"][0]
    assert sheet["header_row"] == 2
    assert {k: sheet["columns"][k] for k in ("revenue_code", "cpt", "price")} == {
        "revenue_code": "Rev Ctr",
        "cpt": "Proc",
        "price": "Amt",
    }
    assert [
        (r["row"], r["charge_code"], r["revenue_code"], r["code"], r["price"]) for r in sheet["sample_rows"]
    ] == [(3, "2001", "0278", "C1778", 5000.0)]
    # A flag overrides the profile's choice for the same field.
    sheet = inspect_json(str(q2), "--profile", str(profile), "--column", "price=Description")["files"][0][
        "sheets"
    ][0]
    assert sheet["columns"]["price"] == "Description"


def test_profile_with_header_row_for_a_table_detection_cannot_find(tmp_path):
    """Headers nobody's synonym list holds: --header-row and --column together, saved and reused."""
    rows = [["Run 2026-01-01"], ["Nbr", "Text", "Ctr", "Proc"], ["1001", "SKIN SUB", "278", "Q4101"]]
    q1 = write_xlsx(tmp_path / "q1.xlsx", {"CDM": rows})
    # Detection reads even these headers from the one line of data below them.
    auto = inspect_json(str(q1))["files"][0]["sheets"][0]
    assert auto["header_row"] == 2 and auto["column_index"]["hcpcs"] == 4
    profile = tmp_path / "p.toml"
    args = [
        "--header-row",
        "2",
        "--column",
        "charge_code=Nbr",
        "--column",
        "description=Text",
        "--column",
        "revenue_code=Ctr",
        "--column",
        "cpt=Proc",
    ]
    assert run_cli("inspect", str(q1), *args, "--save-profile", str(profile)).exit_code == 0
    assert tomllib.loads(profile.read_text(encoding="utf-8"))["header_row"] == 2
    q2 = write_text(tmp_path / "q2.csv", rows[:2] + [["2001", "LEAD", "0278", "C1778"]])
    sheet = inspect_json(str(q2), "--profile", str(profile))["files"][0]["sheets"][0]
    assert [(r["row"], r["charge_code"], r["revenue_code"], r["code"]) for r in sheet["sample_rows"]] == [
        (3, "2001", "0278", "C1778")
    ]


def test_override_naming_a_missing_header_is_one_line_error(tmp_path):
    """Exit 2 and one `error:` line naming the file, the sheet and the headers that do exist."""
    path = write_xlsx(
        tmp_path / "cdm.xlsx",
        {
            "CDM": [
                ["Charge Code", "Description", "Revenue Code", "CPT"],
                ["1001", "SKIN SUB", "0278", "Q4101"],
            ]
        },
    )
    res = run_cli("inspect", str(path), "--column", 'revenue_code="UB CODE"')
    assert res.exit_code == 2
    assert res.stdout == ""
    lines = res.stderr.splitlines()
    assert len(lines) == 1
    line = lines[0]
    assert line.startswith(f"error: {path}, sheet 'CDM'")
    assert "no column headed 'UB CODE'" in line
    assert "headers are: 'Charge Code', 'Description', 'Revenue Code', 'CPT'" in line


def test_override_error_in_a_real_process(tmp_path):
    """The same through the installed entry point in a separate Python process: no traceback, one line."""
    path = write_text(tmp_path / "cdm.csv", [["Charge Code", "CPT"], ["1001", "Q4101"]])
    res = run_cli_process("inspect", path, "--column", "revenue_code=UB CODE")
    assert res.exit_code == 2
    assert res.stdout == ""
    assert res.stderr.count("\n") == 1 and res.stderr.startswith(f"error: {path}")
    assert "headers are: 'Charge Code', 'CPT'" in res.stderr


def test_unknown_field_name_is_refused(tmp_path):
    path = write_text(tmp_path / "cdm.csv", [["Charge Code", "CPT"], ["1001", "Q4101"]])
    res = run_cli("inspect", str(path), "--column", "rev_code=UB CODE")
    assert res.exit_code == 2
    assert res.stderr.startswith("error: --column: unknown field 'rev_code'")
    assert len(res.stderr.splitlines()) == 1


def test_inspect_json_accounts_for_every_row(tmp_path):
    """The JSON account: header row, counts that add up, and each skipped row with its reason."""
    rows = [
        ["Chargemaster"],
        ["Charge Code", "Description", "CPT", "Price"],
        ["1001", "SKIN", "Q4101", "10"],
        [],
        ["Charge Code", "Description", "CPT", "Price"],
        ["1002", "APPL", "15271", "20"],
        ["End of report"],
    ]
    path = write_xlsx(tmp_path / "cdm.xlsx", {"CDM": rows, "Notes": [["see policy 12"]]})
    doc = inspect_json(str(path))
    (f,) = doc["files"]
    assert f["format"] == "xlsx" and len(f["sha256"]) == 64 and f["size"] == path.stat().st_size
    cdm, notes = f["sheets"]
    assert (cdm["header_row"], cdm["rows_read"], cdm["rows_audited"], cdm["rows_skipped"]) == (2, 4, 2, 2)
    assert [s["row"] for s in cdm["skipped"]] == [5, 7]
    assert (notes["header_row"], notes["rows_skipped"], notes["sample_rows"]) == (None, 1, [])
    text = run_cli("inspect", str(path))
    assert text.exit_code == 0
    assert "sheet 'Notes': summary, not audited" in text.stdout
    assert "skipped row 5: repeated header row" in text.stdout
