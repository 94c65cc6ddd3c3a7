"""Remittance lines joined to audited claims: reversals and corrections, claim statuses, partial payments,
claim ids reused across claim files, lines and codes missing from the claim (table-driven, real claims files)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from auditor.claims.pipeline import ClaimsRequest, run_claims
from auditor.claims.wiser import load_scope
from auditor.denials.analytics import analyse
from auditor.denials.join import join
from auditor.denials.model import REMIT_SCHEMA
from auditor.denials.run import _claim_lines
from auditor.denials.settle import settle

HEADER = "Claim ID,Line,Date of Service,State,Payer,Bill Type,Revenue Code,HCPCS,Modifiers,Units,Diagnosis Codes,UTN\n"


def _claims(tmp_path: Path, name: str, rows: list[str]) -> Path:
    path = tmp_path / name
    path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def _remit(rows: list[dict]) -> pl.DataFrame:
    """Remittance rows: defaults for what a test does not care about."""
    base = {
        "file": "r.835",
        "sheet": None,
        "source": "835",
        "payer": "MEDICARE",
        "paid_date": dt.date(2026, 4, 15),
        "payer_claim_id": "P1",
        "claim_status": "1",
        "modifiers": None,
        "revenue_code": None,
        "units": "1",
        "dos": dt.date(2026, 3, 2),
        "charge": 100.0,
        "paid": 80.0,
        "group_codes": "CO",
        "carcs": "45",
        "rarcs": None,
        "adjusted": 20.0,
        "reversal": False,
    }
    out = []
    for i, r in enumerate(rows, start=1):
        row = {**base, "row": i * 5, **r}
        row["reversal"] = row["claim_status"] == "22"
        out.append(row)
    return pl.DataFrame(out, schema=REMIT_SCHEMA)


CLAIM_ROWS = [
    "NJ1,1,2026-03-02,NJ,MEDICARE,131,0360,15271,,1,L97.522;E11.621,A1B2C3D4E5F6G7",
    "NJ1,2,2026-03-02,NJ,MEDICARE,131,0360,15272,,1,L97.522;E11.621,A1B2C3D4E5F6G7",
    "NJ1,3,2026-03-02,NJ,MEDICARE,131,0636,Q4101,,50,L97.522;E11.621,A1B2C3D4E5F6G7",
]


def _run(tmp_path, remit_rows, claim_files=None):
    files = claim_files or [_claims(tmp_path, "claims.csv", CLAIM_ROWS)]
    result = run_claims(files, ClaimsRequest(today=dt.date(2026, 12, 5)))
    standing, superseded = settle(_remit(remit_rows))
    joined = join(standing, result, _claim_lines(files), load_scope())
    return joined, superseded, analyse(joined.lines, load_scope())


def line(n: str, code: str, **kw) -> dict:
    return {"claim_id": "NJ1", "line": n, "line_ordinal": int(n), "code": code, **kw}


DENIED = {"paid": 0.0, "carcs": "50", "adjusted": 100.0}


@pytest.mark.parametrize(
    ("case", "remit_rows", "denied_claims", "denied_lines", "superseded"),
    [
        ("paid in full, status 1", [line("1", "15271"), line("2", "15272")], 0, 0, 0),
        ("secondary payer, status 2", [line("1", "15271", claim_status="2")], 0, 0, 0),
        ("tertiary payer, status 3", [line("1", "15271", claim_status="3")], 0, 0, 0),
        ("denied whole, status 4", [line("1", "15271", claim_status="4", **DENIED)], 1, 1, 0),
        (
            "partial payment: contractual and patient share are not denials",
            [line("1", "15271", paid=40.0, group_codes="CO,PR", carcs="45,2")],
            0,
            0,
            0,
        ),
        (
            "paid nothing, only bundled into another line (CARC 97): not a denial",
            [line("1", "15271"), line("2", "15272", paid=0.0, carcs="97")],
            0,
            0,
            0,
        ),
        (
            "one line denied under a paid claim",
            [line("1", "15271"), line("2", "15272", **DENIED)],
            1,
            1,
            0,
        ),
        (
            "reversal (22) of a denial, then a corrected payment: the correction stands",
            [
                line("1", "15271", claim_status="4", **DENIED, paid_date=dt.date(2026, 4, 1)),
                line("1", "15271", claim_status="22", paid=0.0, charge=-100.0, paid_date=dt.date(2026, 5, 1)),
                line("1", "15271", claim_status="1", paid_date=dt.date(2026, 6, 1)),
            ],
            0,
            0,
            2,
        ),
        (
            "a later adjudication replaces an earlier one without a reversal",
            [
                line("1", "15271", **DENIED, paid_date=dt.date(2026, 4, 1)),
                line("1", "15271", paid_date=dt.date(2026, 6, 1), row=99),
            ],
            0,
            0,
            1,
        ),
        (
            "reversal with nothing after it: no standing adjudication, not a denial",
            [
                line("1", "15271", paid_date=dt.date(2026, 4, 1)),
                line("1", "15271", claim_status="22", paid=-80.0, paid_date=dt.date(2026, 5, 1)),
            ],
            0,
            0,
            2,
        ),
    ],
)
def test_settle_and_count(tmp_path, case, remit_rows, denied_claims, denied_lines, superseded):
    joined, sup, analytics = _run(tmp_path, remit_rows)
    # What stands is never a reversal.
    assert "22" not in joined.lines.get_column("claim_status").to_list(), case
    assert analytics["totals"]["denied_claims"] == denied_claims, case
    assert analytics["totals"]["denied_lines"] == denied_lines, case
    assert sup.height == superseded, case
    assert joined.unjoined == [], case


@pytest.mark.parametrize(
    ("remit_row", "reason"),
    [
        (
            {"claim_id": "ZZ9", "line": "1", "line_ordinal": 1, "code": "15271"},
            "claim id not in the claims given",
        ),
        (line("7", "15271"), None),  # line 7 is not on the claim, but 15271 is: joined by code
        (line("7", "15275"), "code not on the claim"),
        (line("2", "15273"), "the claim's line 2 bills 15272"),
        (line("9", None), "line not on the claim"),
    ],
)
def test_unjoined_lines_say_why(tmp_path, remit_row, reason):
    joined, _, _ = _run(tmp_path, [remit_row])
    assert [u["reason"] for u in joined.unjoined] == ([reason] if reason else [])


def test_claim_id_reused_across_claim_files_joins_by_date(tmp_path):
    """Two claims files reuse NJ1 for different visits: the remitted date of service picks the claim, and its
    lines (not the other visit's) are the ones the remittance line is checked against."""
    first = _claims(tmp_path, "march.csv", CLAIM_ROWS)
    june = [r.replace("2026-03-02", "2026-06-10").replace(",15272,", ",15275,") for r in CLAIM_ROWS]
    later = _claims(tmp_path, "june.csv", june)
    joined, _, _ = _run(tmp_path, [line("2", "15275", dos=dt.date(2026, 6, 10))], [first, later])
    assert joined.unjoined == []
    assert joined.lines.get_column("claim_file").to_list() == [str(later)]
    assert joined.lines.get_column("claim_line").to_list() == ["2"]
    # A date neither claim holds cannot pick one: said, not guessed.
    joined, _, _ = _run(tmp_path, [line("1", "15271", dos=dt.date(2026, 8, 1))], [first, later])
    assert [u["reason"] for u in joined.unjoined] == [
        "claim id used by more than one claim in the claims given, none or several on this date"
    ]


def test_denial_predicted_by_a_blocking_readiness_finding(tmp_path):
    """A WISeR claim without a UTN is flagged by the claims run; its denial is counted as predicted."""
    rows = [r.replace(",A1B2C3D4E5F6G7", ",") for r in CLAIM_ROWS]
    files = [_claims(tmp_path, "claims.csv", rows)]
    joined, _, analytics = _run(
        tmp_path, [line("1", "15271", claim_status="4", carcs="197", paid=0.0)], files
    )
    assert analytics["totals"]["predicted_denials"] == 1
    assert "WS001" in joined.lines.get_column("predicted_by").first()


def test_worklist_rows_of_one_claim_are_one_adjudication(tmp_path):
    """A worklist lists a claim's lines apart and with a remit date each: none of them is superseded."""
    rows = [
        {**line("1", "15271", **DENIED), "source": "worklist", "paid_date": dt.date(2026, 4, 15)},
        {"claim_id": "ZZ9", "line": "1", "line_ordinal": 1, "code": "15271", "source": "worklist"},
        {**line("2", "15272", **DENIED), "source": "worklist", "paid_date": dt.date(2026, 4, 16)},
    ]
    joined, sup, analytics = _run(tmp_path, rows)
    assert sup.height == 0
    assert analytics["totals"]["denied_lines"] == 2
