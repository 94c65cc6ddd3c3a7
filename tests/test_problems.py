"""Findings fold into problems (per code, per charge code, per file) ranked by severity, then money at stake."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

from conftest import run_cli, write_xlsx

from auditor.audit import AuditRequest, run_audit
from auditor.engine.findings import Finding
from auditor.problems import Amounts, rank_findings

AS_OF = dt.date(2026, 4, 1)
HEADER = ["Charge Code", "Description", "CPT/HCPCS", "Rev Code", "Price"]


def _finding(edit: str, row: int, code: str = "C5271", charge: str | None = None, **kw) -> Finding:
    """A finding as an edit would raise it on row `row` of cdm.xlsx."""
    base = dict(
        edit=edit,
        name=edit.lower(),
        family="code-validity",
        category="deleted_code",
        severity="error",
        message=f"{edit} on {code}",
        file="cdm.xlsx",
        sheet="CDM",
        row=row,
        charge_code=charge if charge is not None else f"CC{row}",
        code=code,
        revenue_code="0278",
        description=f"ITEM {row}",
        expected=None,
        reference={},
    )
    return Finding(**{**base, **kw})


def test_a_code_level_fact_on_many_lines_is_one_problem():
    found = [_finding("CV001", r) for r in (5, 9, 2)] + [_finding("CV001", 7, code="Q4100")]
    ordered, problems = rank_findings(found, {"CV001": "code"}, Amounts())
    by_subject = {p.subject: p for p in problems}
    assert by_subject["C5271"].lines == 3 and by_subject["Q4100"].lines == 1
    # A problem's findings sit together, in row order, and point back into the reordered list.
    rows = [ordered[i].row for i in by_subject["C5271"].findings]
    assert rows == [2, 5, 9]
    assert all(ordered[i].code == "C5271" for i in by_subject["C5271"].findings)


def test_a_line_level_fact_groups_by_charge_code_across_sheets_and_files():
    found = [
        _finding("NS004", 3, code="C1820", charge="1001", category="description_mismatch"),
        _finding("NS004", 8, code="C1820", charge="1001", sheet="OP prices", category="description_mismatch"),
        _finding("NS004", 4, code="C1820", charge="1001", file="other.xlsx", category="description_mismatch"),
        _finding("NS004", 6, code="C1820", charge="1002", category="description_mismatch"),
    ]
    _, problems = rank_findings(found, {}, Amounts())
    assert sorted(p.lines for p in problems) == [1, 3]
    three = next(p for p in problems if p.lines == 3)
    assert three.group == "charge_code" and three.subject == "1001"
    assert set(three.files) == {"cdm.xlsx", "other.xlsx"}


def test_lines_without_charge_codes_group_by_description_or_stand_alone():
    found = [
        _finding("NS004", 3, charge="", description="HC SCS  GENERATOR"),
        _finding("NS004", 4, charge="", description="hc scs generator"),
        _finding("NS004", 5, charge="", description=""),
        _finding("NS004", 6, charge="", description=""),
    ]
    _, problems = rank_findings(found, {}, Amounts())
    assert sorted(p.lines for p in problems) == [1, 1, 2]


def test_severity_ranks_first_then_money_then_lines():
    found = [
        _finding("CV005", 2, code="A", severity="info"),
        _finding("CV001", 3, code="B"),
        _finding("CV001", 4, code="C"),
        _finding("CV001", 5, code="C"),
        _finding("RC002", 6, code="D", severity="warning"),
    ]
    rates = {"B": 5000.0}  # one line of B outweighs two lines of C at their charge
    charges = {("cdm.xlsx", "CDM", r): 100.0 for r in range(2, 7)}
    _, problems = rank_findings(
        found, {"CV001": "code", "CV005": "code", "RC002": "code"}, Amounts("2026Q2", rates, charges)
    )
    assert [(p.severity, p.subject) for p in problems] == [
        ("error", "B"),
        ("error", "C"),
        ("warning", "D"),
        ("info", "A"),
    ]
    assert [p.rank for p in problems] == [1, 2, 3, 4]
    first, second = problems[0], problems[1]
    assert first.amount == 5000.0 and first.rate == 5000.0 and first.rate_quarter == "2026Q2"
    assert first.basis == "OPPS rate $5,000.00 (2026Q2) × 1 line"
    assert second.amount == 200.0 and second.rate is None and second.charge == 100.0
    assert second.basis == "line charge $100.00 × 2 lines"


def test_an_info_problem_puts_no_money_at_stake():
    # CV010 says a Medicare-excluded lens is fine for other payers: 600 lens lines priced $3,000 are not
    # $1.8M at risk, and an "At stake" column saying so would send an analyst after nothing.
    found = [_finding("CV010", r, code="V2788", severity="info") for r in range(2, 5)]
    found.append(_finding("CV001", 5, code="C5271"))
    charges = {("cdm.xlsx", "CDM", r): 3000.0 for r in range(2, 6)}
    _, problems = rank_findings(
        found, {"CV010": "code", "CV001": "code"}, Amounts("2026Q2", {"V2788": 9.0}, charges)
    )
    error, info = problems
    assert error.amount == 3000.0
    assert (info.severity, info.lines) == ("info", 3)
    assert info.amount is None and info.rate is None and info.charge is None and info.rate_quarter is None
    assert info.basis == "information only: no money at stake"


def test_a_wholly_waived_problem_ranks_last_and_says_so():
    found = [_finding("CV001", 2, code="B", waived=True), _finding("CV005", 3, code="A", severity="info")]
    _, problems = rank_findings(found, {"CV001": "code", "CV005": "code"}, Amounts())
    assert [p.subject for p in problems] == ["A", "B"]
    assert problems[1].waived and not problems[0].waived


def test_problem_ids_stay_the_same_from_run_to_run():
    one = rank_findings([_finding("CV001", 2)], {"CV001": "code"}, Amounts())[1][0]
    again = rank_findings([_finding("CV001", 40), _finding("CV001", 3)], {"CV001": "code"}, Amounts())[1][0]
    assert one.id == again.id and len(one.id) == 12


def test_an_audit_ranks_by_the_opps_rate_and_findings_json_lists_problems(tmp_path):
    # C5271 (deleted for 2026) on three lines is one problem; its lines are ranked by their charges
    # (a deleted code has no 2026 rate) while Q4101's (an active product, rate in Addendum B) is known.
    rows = [
        HEADER,
        ["2001", "HC LOW COST SKIN SUB APPL", "C5271", "0361", 300],
        ["2002", "HC LOW COST SKIN SUB APPL FACE", "C5271", "0361", 200],
        ["2003", "HC LOW COST SKIN SUB APPL FOOT", "C5271", "0361", 100],
        ["2004", "HC SKIN SUB APPL TRUNK 1ST 25", "15271", "0361", 900],
        ["2005", "HC APLIGRAF PER SQ CM", "Q4101", "0636", 80],
    ]
    src = write_xlsx(tmp_path / "cdm.xlsx", {"CDM": rows})
    result = run_audit([src], AuditRequest(as_of=AS_OF))
    deleted = [p for p in result.problems if p.edit == "CV001"]
    assert len(deleted) == 1 and deleted[0].lines == 3 and deleted[0].subject == "C5271"
    assert deleted[0].amount == 600.0 and "average line charge $200.00 × 3 lines" in deleted[0].basis
    # Findings come problem by problem: every problem's indices are one contiguous run.
    for p in result.problems:
        assert list(p.findings) == list(range(p.findings[0], p.findings[-1] + 1))
        assert {result.findings[i].edit for i in p.findings} == {p.edit}
    out = tmp_path / "out"
    cli = run_cli("audit", str(src), "--as-of", "2026-04-01", "--out", str(out), "--format", "json")
    assert cli.exit_code in (0, 1), cli.stderr
    doc = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    assert len(doc["problems"]) == len(result.problems)
    for p in doc["problems"]:
        assert {doc["findings"][i]["edit"] for i in p["findings"]} == {p["edit"]}
    assert doc["problems"][0]["severity"] == "error"


def test_rates_come_from_the_audit_quarter_of_addendum_b():
    import polars as pl

    from auditor.codeset.table import CodeTable

    table = CodeTable.load()
    rates = table.rates(pl.Series(["63685", "Q4101", "C1820", "NOPE1"]), "2026Q2").to_list()
    # 63685 (neurostimulator generator insertion) is paid under OPPS; C1820 is packaged (no rate).
    assert rates[0] is not None and rates[0] > 10000
    assert rates[1] is not None and rates[2] is None and rates[3] is None


def test_with_findings_ranks_again():
    found = [_finding("CV001", 2, code="B"), _finding("CV001", 3, code="C"), _finding("CV001", 4, code="C")]
    ordered, problems = rank_findings(found, {"CV001": "code"}, Amounts())
    assert problems[0].subject == "C"  # more lines first when no money is known
    waived = [dataclasses.replace(f, waived=True) if f.code == "C" else f for f in ordered]
    _, again = rank_findings(waived, {"CV001": "code"}, Amounts())
    assert again[0].subject == "B"


def test_the_terminal_summary_says_an_info_problem_is_information_only(tmp_path):
    text = _terminal(
        tmp_path,
        ["3001", "LENS IOL TORIC +18.5", "V2787", "0276", 3000],
        ["3002", "LENS IOL TORIC +19.0", "V2787", "0276", 3000],
    )
    lens = [line for line in text.splitlines() if "CV010 code V2787: 2 lines" in line]
    assert lens == [lens[0]] and lens[0].endswith("information only (no money at stake)"), text
    assert "$6,000.00" not in text


def test_a_charge_code_priced_two_ways_puts_the_price_spread_at_stake(tmp_path):
    # Seen on a real 2018 chargemaster: charge codes on two lines close in price ranked by their whole charge
    # above codes priced $1,358 and $4,812 under one number. Billing the wrong line of a pair costs the spread,
    # so that is what is at stake and what ranks them.
    result = _audited(
        tmp_path,
        ["36100373", "HC SKIN TISSUE REARRANGEMENT", "", "0360", 4571],
        ["36100373", "HC SKIN TISSUE REARRANGEMENT", "", "0360", 4400],
        ["48300003", "HC TTE CONG ABN LIMITED", "", "0483", 1358],
        ["48300003", "HC TTE CONG ABN LIMITED", "", "0483", 4812],
    )
    pairs = [(p.subject, p.amount, p.basis, p.lines) for p in result.problems if p.edit == "PR003"]
    # One spread per pair, and both lines of each pair are lines of the problem (its message says "2 lines").
    assert pairs == [
        ("48300003", 3454.0, "price spread $3,454.00", 2),
        ("36100373", 171.0, "price spread $171.00", 2),
    ]
    messages = sorted(f.message for f in result.findings if f.edit == "PR003")
    assert (
        messages[0]
        == "charge code 36100373 appears on 2 lines with different prices ($4,400.00 to $4,571.00)"
    )


def test_a_charge_below_the_opps_rate_puts_its_shortfall_at_stake(tmp_path):
    # P9037 (whole apheresis platelets) charged $511 against a $680.61 rate is $169.61 short, not $680.61 at risk;
    # the problem still shows the rate it is measured against.
    result = _audited(tmp_path, ["41100015", "HCHG PLATELETS PHER L/R IRRAD EA UNIT", "P9037", "0390", 511])
    (below,) = [p for p in result.problems if p.edit == "PR004"]
    assert below.rate is not None and below.rate > 511 and below.rate_quarter == "2026Q2"
    assert below.amount == round(below.rate - 511, 2)
    assert below.basis == f"shortfall under the OPPS rate ${below.amount:,.2f} × 1 line"


def _terminal(tmp_path, *rows: list) -> str:
    """What `cdm-audit audit` prints (as of AS_OF) for a one-sheet chargemaster with these rows under HEADER."""
    src = write_xlsx(tmp_path / "cdm.xlsx", {"CDM": [HEADER, *rows]})
    cli = run_cli(
        "audit", str(src), "--as-of", "2026-04-01", "--out", str(tmp_path / "out"), "--format", "text,json"
    )
    assert cli.exit_code in (0, 1), cli.stderr
    return cli.stdout


def _audited(tmp_path, *rows: list):
    """The audit (as of AS_OF) of a one-sheet chargemaster with these rows under HEADER."""
    return run_audit([write_xlsx(tmp_path / "cdm.xlsx", {"CDM": [HEADER, *rows]})], AuditRequest(as_of=AS_OF))


def test_a_code_priced_apart_in_several_groups_is_one_problem_with_every_line(tmp_path):
    # Seen on a real chargemaster: C1789 priced apart in 22 pairs of lines was one problem of "22 lines" whose
    # message named its first pair alone ("set up on 2 lines"). Each pair's lines are the problem's lines, and the
    # message says there are more pairs like it.
    result = _audited(
        tmp_path,
        ["1", "IMPLANT BREAST 450", "C1789", "0278", 1710],
        ["2", "IMPLANT BREAST 450", "C1789", "0278", 2790],
        ["3", "IMPLANT BREAST 390", "C1789", "0278", 900],
        ["4", "IMPLANT BREAST 390", "C1789", "0278", 1530],
    )
    (problem,) = [p for p in result.problems if p.edit == "PR001"]
    assert problem.lines == 4 and len(problem.findings) == 2
    assert problem.message.endswith("; and 1 more like it on this code"), problem.message
    assert problem.message.startswith("C1789 is set up on 2 lines at different prices")


def test_the_terminal_lists_a_duplicate_groups_other_lines_under_its_problem(tmp_path):
    text = _terminal(
        tmp_path,
        ["48300003", "HC TTE CONG ABN LIMITED", "", "0483", 1358],
        ["48300003", "HC TTE CONG ABN LIMITED", "", "0483", 4812],
    )
    assert "PR003 charge code 48300003: 2 lines, $3,454.00" in text, text
    assert "lines: CDM!2, CDM!3" in text, text
