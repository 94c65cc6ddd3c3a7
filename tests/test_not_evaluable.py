"""Edits that need a column the input lacks are reported not-evaluable, with the reason, in every output."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from conftest import run_cli, write_text, write_xlsx

from auditor.audit import AuditRequest, run_audit
from auditor.engine import load_edits
from auditor.engine.lists import CatalogError
from auditor.engine.needs import FIELDS, available_fields, needed_fields, sheet_fields
from auditor.ingest.reader import CANONICAL, FileReport, Ingested, SheetReport

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
AS_OF = "2026-04-01"
# NS004 compares a neurostimulator device's description with its code (description-vs-code);
# CV001 (deleted code) and RC001 (revenue code format) each read one column only.
DESC_EDIT, CODE_EDIT, REV_EDIT = "NS004", "CV001", "RC001"
NO_DESC = "not evaluable: no description column"
NO_CODE = "not evaluable: no CPT/HCPCS column"

# C1820 described as a recharger trips NS004 when descriptions are there; C5271 is deleted in 2026.
FULL = [
    ["Charge Code", "Description", "CPT/HCPCS", "Rev Code", "Price"],
    ["1001", "NEUROSTIM RECHARGER", "C1820", "0278", 100],
    ["1002", "SKIN SUB APPL TRUNK", "C5271", "0361", 200],
    ["1003", "KNEE SCOPE MENISCECTOMY", "29881", "0360", 300],
]


def _drop(rows: list[list], header: str) -> list[list]:
    """The rows without one column."""
    i = rows[0].index(header)
    return [r[:i] + r[i + 1 :] for r in rows]


def _audit(tmp: Path, name: str, rows: list[list], *extra: str) -> tuple[Path, str]:
    """Write a CSV, audit it through the CLI in every format; return the report folder and the text output."""
    src = write_text(tmp / f"{name}.csv", rows)
    out = tmp / f"{name}-report"
    res = run_cli(
        "audit",
        src,
        "--as-of",
        AS_OF,
        "--no-history",
        "--format",
        "text,html,xlsx,json",
        "--out",
        out,
        *extra,
    )
    assert res.exit_code in (0, 1), res.stderr
    return out, res.stdout


def _edits(out: Path) -> dict[str, dict]:
    """findings.json run.edits by code."""
    doc = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    return {e["code"]: e for e in doc["run"]["edits"]}


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, tuple[Path, str]]:
    """Reports for: everything, no description column, no CPT/HCPCS column (descriptions only name codes)."""
    tmp = tmp_path_factory.mktemp("not-evaluable")
    return {
        "full": _audit(tmp, "full", FULL),
        "no_desc": _audit(tmp, "no_desc", _drop(FULL, "Description")),
        "no_code": _audit(tmp, "no_code", _drop(_drop(FULL, "CPT/HCPCS"), "Rev Code")),
    }


# -- findings.json --------------------------------------------------------------------------------------


def test_json_marks_description_edit_not_evaluable_without_descriptions(reports):
    edits = _edits(reports["no_desc"][0])
    assert edits[DESC_EDIT]["status"] == "not-evaluable"
    assert edits[DESC_EDIT]["note"] == NO_DESC
    assert edits[DESC_EDIT]["findings"] == 0


def test_json_description_edit_runs_and_finds_with_descriptions(reports):
    edits = _edits(reports["full"][0])
    assert edits[DESC_EDIT]["status"] == "ran"
    assert edits[DESC_EDIT]["findings"] >= 1
    # The input has no units and no NDC column: only the edits reading them cannot run.
    assert {c for c, e in edits.items() if e["status"] == "not-evaluable"} == {"SS009", "RC005"}


def test_json_code_only_edits_still_run_without_descriptions(reports):
    edits = _edits(reports["no_desc"][0])
    assert edits[CODE_EDIT]["status"] == "ran" and edits[CODE_EDIT]["findings"] >= 1  # C5271 is deleted
    assert edits[REV_EDIT]["status"] == "ran"


def test_json_codes_written_in_descriptions_do_not_count_as_a_code_column(reports):
    edits = _edits(reports["no_code"][0])
    assert edits[CODE_EDIT]["status"] == "not-evaluable" and edits[CODE_EDIT]["note"] == NO_CODE
    assert edits[DESC_EDIT]["note"] == NO_CODE  # the description is there, the code is not
    assert edits[REV_EDIT]["note"] == "not evaluable: no revenue code column"
    assert edits["RC002"]["note"] == "not evaluable: no revenue code or CPT/HCPCS column"
    assert edits["PR003"]["status"] == "ran"  # duplicate charge codes need only the charge code


def test_json_not_for_scope_and_not_in_force_win_over_not_evaluable(reports):
    edits = _edits(reports["no_code"][0])
    assert edits["KN001"]["status"] == "not-for-scope"  # pairing and claims only
    assert edits["DX001"]["status"] == "not-for-scope"


# -- text, HTML, Excel ----------------------------------------------------------------------------------


def test_text_summary_names_edits_that_could_not_run(reports):
    text = reports["no_desc"][1]
    assert "could not run (not evaluable" in text
    line = next(ln for ln in text.splitlines() if ln.strip().startswith("no description column:"))
    assert DESC_EDIT in line and CODE_EDIT not in line


def test_text_summary_of_full_input_does_not_list_description_edits(reports):
    text = reports["full"][1]
    assert "no description column" not in text and "no CPT/HCPCS column" not in text


def test_html_edits_section_shows_status_and_reason(reports):
    html = (reports["no_desc"][0] / "report.html").read_text(encoding="utf-8")
    edits = html[html.index('<section id="edits"') :]
    edits = edits[: edits.index("</section>")]
    card = edits[edits.index(f'id="edit-{DESC_EDIT}"') :]
    card = card[: card.index("</article>")]
    assert 'data-edit-status="not-evaluable"' in card
    assert f"status not-evaluable ({NO_DESC})" in card
    code_card = edits[edits.index(f'id="edit-{CODE_EDIT}"') :]
    assert "status ran" in code_card[: code_card.index("</article>")]
    summary = html[html.index('id="not-evaluable"') :]
    assert f'href="#edit-{DESC_EDIT}"' in summary[: summary.index("</div>")]


def test_html_of_full_input_has_no_not_evaluable_description_edit(reports):
    html = (reports["full"][0] / "report.html").read_text(encoding="utf-8")
    card = html[html.index(f'id="edit-{DESC_EDIT}"') :]
    assert "not-evaluable" not in card[: card.index("</article>")]


def test_excel_edits_sheet_has_status_and_note(reports):
    book = openpyxl.load_workbook(reports["no_desc"][0] / "report.xlsx", read_only=True)
    rows = list(book["Edits"].iter_rows(values_only=True))
    head = list(rows[0])
    by_code = {r[head.index("Code")]: r for r in rows[1:]}
    assert by_code[DESC_EDIT][head.index("Status")] == "not-evaluable"
    assert by_code[DESC_EDIT][head.index("Note")] == NO_DESC
    assert by_code[CODE_EDIT][head.index("Status")] == "ran"
    summary = [v for r in book["Summary"].iter_rows(values_only=True) for v in r if isinstance(v, str)]
    assert "Edits not evaluable" in summary
    assert any("no description column" in v and DESC_EDIT in v for v in summary)


def test_excel_of_full_input_shows_description_edit_ran(reports):
    book = openpyxl.load_workbook(reports["full"][0] / "report.xlsx", read_only=True)
    rows = list(book["Edits"].iter_rows(values_only=True))
    head = list(rows[0])
    row = next(r for r in rows[1:] if r[head.index("Code")] == DESC_EDIT)
    assert row[head.index("Status")] == "ran" and not row[head.index("Note")]


# -- other inputs: header forced, several sheets, a pairing table --------------------------------------


def test_description_and_price_only(tmp_path):
    # A priced list long enough to read as a chargemaster, not a summary table.
    rows = [["Description", "Price"]] + [[f"SUPPLY ITEM {i}", 10 + i] for i in range(15)]
    out, text = _audit(tmp_path, "desc_price", rows, "--header-row", "1")
    edits = _edits(out)
    assert edits["PR003"]["note"] == "not evaluable: no charge code column"
    assert edits["PR001"]["note"] == NO_CODE
    assert edits[CODE_EDIT]["status"] == "not-evaluable"
    assert "no charge code column: PR003" in text


def test_multi_sheet_workbook_names_the_sheet_an_edit_could_not_see(tmp_path):
    supplies = [["Charge Code", "Description", "Price"], ["2001", "GAUZE 4X4", 3]]
    src = write_xlsx(tmp_path / "cdm.xlsx", {"CDM": FULL, "Supplies": supplies})
    result = run_audit([src], AuditRequest(as_of=dt.date.fromisoformat(AS_OF)))
    edits = {s.code: s for s in result.summaries()}
    assert edits[CODE_EDIT].status == "ran"
    assert edits[CODE_EDIT].note == "not evaluated on sheet 'Supplies': no CPT/HCPCS column"
    assert edits[REV_EDIT].note == "not evaluated on sheet 'Supplies': no revenue code column"
    assert edits["PR003"].note == ""  # both sheets have charge codes


def test_pairing_table_run_keeps_ran_and_names_the_chargemaster_gap(tmp_path):
    src = write_text(tmp_path / "nodesc.csv", _drop(FULL, "Description"))
    request = AuditRequest(as_of=dt.date.fromisoformat(AS_OF), pairing_tables=[SAMPLES / "pairing_table.csv"])
    edits = {s.code: s for s in run_audit([src], request).summaries()}
    assert edits[DESC_EDIT].status == "ran"
    assert edits[DESC_EDIT].note == "not evaluated on the chargemaster: no description column"
    assert edits["PR001"].status == "ran" and edits["PR001"].note == ""


# -- the needs table and the available fields -----------------------------------------------------------


def test_needed_fields_by_check_kind():
    es = load_edits()
    need = {e.code: needed_fields(e) for e in es.edits}
    assert need["CV001"] == need["CV003"] == need["CV005"] == need["NS001"] == need["SS004"] == ("code",)
    assert need["NS004"] == need["CV007"] == need["KN006"] == ("description", "code")
    assert need["PR001"] == need["PR002"] == ("price", "code")
    assert need["PR003"] == ("charge_code",)
    assert need["RC001"] == ("revenue_code",)
    # RC002 judges only lines whose description reads as an implant.
    assert need["RC002"] == ("revenue_code", "code", "description")
    assert need["SS009"] == ("units", "code")
    # SS007 declares `needs: [code]`: a chargemaster without a narrative column is the defect it reports.
    assert need["SS007"] == ("code",)
    # `unless` on modifiers (NS001) and setting (CV006) are conditions, not needs.
    assert need["CV006"] == ("code",)
    assert all(set(n) <= set(FIELDS) for n in need.values())


def test_fields_are_chargemaster_frame_columns():
    assert set(FIELDS) <= set(CANONICAL)


def test_yaml_needs_overrides_the_derivation(tmp_path):
    folder = tmp_path / "edits"
    (folder / "lists").mkdir(parents=True)
    for p in (SAMPLES.parent / "edits" / "lists").glob("*.csv"):
        (folder / "lists" / p.name).write_bytes(p.read_bytes())
    # PR002 follows from SS015 (implied_by), so the skin substitute edits come along.
    (folder / "skin-substitute.yaml").write_bytes(
        (SAMPLES.parent / "edits" / "skin-substitute.yaml").read_bytes()
    )
    text = (SAMPLES.parent / "edits" / "pricing.yaml").read_text(encoding="utf-8")
    marker = "  - code: PR003\n"
    assert marker in text
    (folder / "pricing.yaml").write_text(
        text.replace(marker, marker + "    needs: [charge_code, price]\n"), encoding="utf-8"
    )
    assert needed_fields(load_edits(folder).get("PR003")) == ("charge_code", "price")
    (folder / "pricing.yaml").write_text(
        text.replace(marker, marker + "    needs: [cpt]\n"), encoding="utf-8"
    )
    with pytest.raises(CatalogError, match="needs must be"):
        load_edits(folder)


def _ingested(*sheets):
    """A real Ingested result with one file holding these sheet reports (no rows needed here)."""
    return Ingested(pl.DataFrame(), [FileReport("x.xlsx", "xlsx", "0" * 64, 1, sheets=list(sheets))])


def _sheet(name, columns, rows=5, header_row=1, **extra):
    """A real SheetReport with these roles mapped."""
    return SheetReport(
        name, header_row, columns=dict.fromkeys(columns, "h"), rows_read=rows, rows_audited=rows, **extra
    )


def test_available_fields_from_sheet_reports():
    assert available_fields(_ingested(_sheet("CDM", ["charge_code", "hcpcs", "price"]))) == {
        "charge_code",
        "code",
        "modifiers",
        "price",
    }
    # A CMS standard-charges file's code|N pairs feed the code, charge code and revenue code, and the NDC where
    # some pair holds one (no NDC column stands empty in such a file).
    pairs = [["code|1", "code|1|type"]]
    cms = available_fields(_ingested(_sheet("s", ["description", "cpt", "code_type"], code_pairs=pairs)))
    assert {"code", "charge_code", "revenue_code", "description"} <= cms and "ndc" not in cms
    with_ndc = _sheet("s", ["cpt"], code_pairs=pairs, code_types={"HCPCS": 4, "NDC": 2})
    assert "ndc" in available_fields(_ingested(with_ndc))
    # A sheet without a table does not count.
    plain = _sheet("CDM", ["description"])
    assert available_fields(_ingested(plain, _sheet("Notes", ["cpt"], header_row=None))) == {"description"}
    # Sheets another reader classified as price views or summaries are not audited chargemaster lines.
    kinds = _ingested(_sheet("A", ["cpt"], kind="price_view"), _sheet("B", ["description"], kind="pharmacy"))
    assert available_fields(kinds) == {"description"}
    # A sheet with a header but no rows says nothing, unless no sheet has rows.
    assert available_fields(_ingested(_sheet("A", ["cpt"], rows=0), _sheet("B", ["description"]))) == {
        "description"
    }
    assert sheet_fields(_ingested(_sheet("A", ["cpt"], rows=0))) == {"sheet 'A'": {"code", "modifiers"}}


def test_html_groups_the_edits_that_could_not_run_by_missing_column(reports):
    # A file without a CPT/HCPCS column blocks some 35 edits: one line per missing column, not 35 lines.
    html = (reports["no_desc"][0] / "report.html").read_text(encoding="utf-8")
    block = html[html.index('id="not-evaluable"') :]
    block = block[: block.index("</div>")]
    items = block[block.index("<ul") : block.index("</ul>")].split("<li>")[1:]
    reasons = [item.split(" (")[0] for item in items]
    assert len(reasons) == len(set(reasons)) and f"{NO_DESC.replace('not evaluable: ', '')}" in reasons
    (desc,) = [item for item in items if item.startswith(NO_DESC.replace("not evaluable: ", ""))]
    assert f'href="#edit-{DESC_EDIT}"' in desc


def test_reports_speak_of_a_lone_edit_that_could_not_run_in_the_singular(tmp_path, reports):
    # The full input lacks an NDC and a units column: two edits blocked. Adding units leaves one, said as "it".
    rows = [r + [u] for r, u in zip(FULL, ["Units", "1", "1", "1"], strict=True)]
    out, _ = _audit(tmp_path, "units", rows)
    assert [e["code"] for e in _edits(out).values() if e["status"] == "not-evaluable"] == ["RC005"]
    html = " ".join((out / "report.html").read_text(encoding="utf-8").split())
    block = html[html.index('id="not-evaluable"') :]
    assert "1 edit could not run" in block
    assert "a column it needs is missing from the input, so it checked nothing. Its 0 findings" in block
    many = " ".join((reports["full"][0] / "report.html").read_text(encoding="utf-8").split())
    assert "2 edits could not run" in many
    assert "a column they need is missing from the input, so they checked nothing. Their 0 findings" in many
    # The Excel summary says the same, in the same number.
    for folder, said in (
        (out, "1 edit could not run, a column it needs"),
        (reports["full"][0], "2 edits could not run"),
    ):
        book = openpyxl.load_workbook(folder / "report.xlsx", read_only=True)
        summary = [v for r in book["Summary"].iter_rows(values_only=True) for v in r if isinstance(v, str)]
        assert any(v.startswith(said) for v in summary), summary
