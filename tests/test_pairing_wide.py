"""Encoder pairing tables in the shapes they come in: long, wide ('Device 1', 'Device 2' ... on the procedure's
row), or linking charge numbers whose codes the chargemaster gives."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from conftest import run_cli, write_text, write_xlsx

from auditor.audit import AuditRequest, run_audit

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
# One procedure a row, its devices across: a generator insertion linked to a lead only (NS006 flags it), a lead
# implant linked to a lead and a trial lead, a skin substitute application linked to its product.
WIDE = [
    ["CPT", "Procedure Description", "Device 1", "Device 2", "Device 3"],
    ["63685", "INSJ/RPLCMT SPINAL NPGR", "C1778", "", ""],
    ["63650", "PERQ IMPLTJ NEUROELECTRODE", "C1778", "C1897", ""],
    ["15271", "SKIN SUB GRFT TRNK", "Q4101", "", ""],
    ["64590", "INSJ/RPLCMT PERPH SAC/GASTR NPGR", "", "", "C1820"],
]
LONG = [["Procedure Code", "Procedure Description", "Linked Code"]] + [
    [row[0], row[1], code] for row in WIDE[1:] for code in row[2:] if code
]


def _pairing_findings(table: Path) -> tuple[list[tuple[str, str, int]], object]:
    """(edit, code, row) of the findings on the pairing table, and its sheet report."""
    result = run_audit(
        [SAMPLES / "chargemaster.xlsx"], AuditRequest(as_of=dt.date(2026, 4, 1), pairing_tables=[table])
    )
    on_table = sorted((f.edit, f.code, f.row) for f in result.findings if f.file == str(table))
    (sheet,) = result.pairing.files[0].sheets
    return on_table, sheet


def test_every_device_column_of_a_wide_table_is_read(tmp_path):
    """All of a row's device columns are links (only 'Device 1' was read: 64590's C1820 in 'Device 3' was lost,
    and a generator listed second would have looked missing)."""
    wide, sheet = _pairing_findings(write_xlsx(tmp_path / "wide.xlsx", {"Links": WIDE}))
    assert sheet.columns["linked_code"] == "Device 1 + Device 2 + Device 3"
    assert sheet.rows_audited == 4 and sheet.rows_skipped == 0
    long, _ = _pairing_findings(write_text(tmp_path / "long.csv", LONG))
    # The same links give the same findings; a wide row's findings sit on its one table row.
    assert [(e, c) for e, c, _ in wide] == [(e, c) for e, c, _ in long]
    assert ("NS006", "63685", 2) in wide
    # Neither table has a description of its links: no link is flagged for 'naming no item' (DD005 flagged all).
    assert not any(edit.startswith("DD") for edit, _, _ in wide + long)


def test_a_pairing_table_without_a_procedure_column_is_refused_as_a_pairing_table(tmp_path):
    """Device codes with no procedure beside them: the refusal speaks of a pairing table and the columns it needs,
    not of a chargemaster's charge code, CPT/HCPCS or description columns."""
    table = write_text(
        tmp_path / "links.csv", [["Device Code", "Device Description"], ["C1820", "HC NEUROSTIM GEN"]]
    )
    res = run_cli("audit", str(SAMPLES / "chargemaster.xlsx"), "--pairing-table", str(table), "--no-history")
    assert res.exit_code == 2
    assert "links.csv to audit as a pairing table" in res.stderr
    assert (
        "no header naming a procedure code column or a procedure charge code column, such as 'Procedure Code', "
        "'Procedure Charge Code'"
    ) in res.stderr
    assert "charge code, CPT/HCPCS or description" not in res.stderr


def test_a_table_linking_charge_numbers_is_read_through_the_chargemaster(tmp_path):
    """'Procedure CDM' -> 'Device CDM': each charge number's code comes from the chargemaster line that carries
    it, so the links are checked like coded ones; a number the chargemaster lacks is skipped with its reason,
    not taken for a procedure without links or a device without a procedure."""
    table = write_text(
        tmp_path / "links.csv",
        [
            ["Procedure CDM", "Procedure Description", "Device CDM", "Device Description"],
            ["36000700", "HC SCS LEAD PERC IMPLANT", "27801100", "HC NEUROSTIM LEAD PERC 8 CONTACT"],
            ["36000700", "HC SCS LEAD PERC IMPLANT", "27801000", "HC NEUROSTIM GEN RECHARGEABLE"],
            ["99999999", "HC OLD PROCEDURE", "27801100", "HC NEUROSTIM LEAD PERC 8 CONTACT"],
        ],
    )
    found, sheet = _pairing_findings(table)
    # 63650 (36000700, a lead implant) linked to a C1820 generator (27801000): a device of the wrong type.
    assert found == [("NS006", "63650", 2)]
    assert sheet.rows_audited == 2 and sheet.rows_skipped == 1
    assert sheet.skipped == [
        {
            "row": 4,
            "reason": "procedure charge number '99999999' is not in the chargemaster: no code to check",
        }
    ]


def test_a_column_of_charge_numbers_beside_the_device_hcpcs_is_no_second_link(tmp_path):
    """'Device Code' holding charge numbers beside 'Device HCPCS': both headers name a linked code, but only the
    HCPCS values are links (the charge numbers were read as codes and flagged CV003 'not shaped like a code')."""
    table = write_text(
        tmp_path / "links.csv",
        [
            ["Procedure Code", "Procedure Description", "Device Code", "Device HCPCS"],
            ["63685", "INSJ/RPLCMT SPINAL NPGR", "27801000", "C1820"],
            ["63650", "PERQ IMPLTJ NEUROELECTRODE", "27801100", "C1778"],
        ],
    )
    found, sheet = _pairing_findings(table)
    assert found == []
    assert sheet.rows_audited == 2


def test_codes_a_cell_lists_are_each_a_link(tmp_path):
    """'C1767 or C1820', 'C1778/C1897', 'C1820, C1822' in one linked-code cell: each code is a link carrying the
    row's description. The cell was one malformed code (CV003), its procedure then looked unpaired (NS001/NS002),
    and a comma list split into ' C1822' (CV003 again)."""
    listed = [
        ["Procedure Code", "Procedure Description", "Linked Code", "Linked Description"],
        ["64568", "INCJ VAGUS NRV NEUROSTIM ARRAY", "C1767 or C1820", "VNS pulse generator"],
        ["64568", "INCJ VAGUS NRV NEUROSTIM ARRAY", "C1778/C1897", "VNS lead"],
        ["63685", "INSJ/RPLCMT SPINAL NPGR", "C1820, C1822", "SCS generator"],
    ]
    found, sheet = _pairing_findings(write_text(tmp_path / "listed.csv", listed))
    assert sheet.rows_audited == 3
    assert found == [], found
    # The same links as one a row: the same (no) findings.
    long = [listed[0]] + [
        [r[0], r[1], code, r[3]]
        for r in listed[1:]
        for code in r[2].replace(" or ", ",").replace("/", ",").split(",")
    ]
    assert (
        _pairing_findings(write_text(tmp_path / "long.csv", [[c.strip() for c in r] for r in long]))[0] == []
    )


def test_a_wide_row_with_one_description_judges_no_link_by_it(tmp_path):
    """One description beside several device columns names no single link: no link is judged by it, and none is
    flagged for a description it does not have (DD005 'names no item' on each before)."""
    table = [
        ["CPT", "Procedure Description", "Device 1", "Device 2", "Device Description"],
        ["63685", "INSJ/RPLCMT SPINAL NPGR", "C1820", "C1778", "SCS generator and leads"],
        ["15271", "SKIN SUB GRFT TRNK", "Q4101", "", "Apligraf"],
    ]
    found, _ = _pairing_findings(write_xlsx(tmp_path / "wide.xlsx", {"Links": table}))
    assert not any(edit.startswith("DD") for edit, _, _ in found), found


def test_implant_and_supply_headers_name_the_links(tmp_path):
    """An encoder table headed 'Proc Cd', 'Implant HCPCS', 'Implant Description': the implant column is the link
    (its codes alone cannot say which code column is the procedure's), and the findings are those of the long table."""
    table = [["Proc Cd", "Procedure Description", "Implant HCPCS", "Implant Description"]] + [
        [row[0], row[1], row[2], "DEVICE"] for row in LONG[1:]
    ]
    found, sheet = _pairing_findings(write_text(tmp_path / "implants.csv", table))
    assert sheet.columns["procedure_code"] == "Proc Cd" and sheet.columns["linked_code"] == "Implant HCPCS"
    long, _ = _pairing_findings(write_text(tmp_path / "long.csv", LONG))
    assert [(e, c) for e, c, _ in found if not e.startswith("DD")] == [(e, c) for e, c, _ in long]
