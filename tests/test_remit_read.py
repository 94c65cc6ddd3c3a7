"""835 remittance reading through pyx12: statuses, adjustments, line numbers and dates; refused files."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest

from auditor.denials.model import REMIT_SCHEMA
from auditor.denials.remit import looks_like_835, read_835
from auditor.errors import InputError

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples"


def seg(*elements: str) -> str:
    """One segment; trailing empty elements dropped as X12 requires."""
    return "*".join(elements).rstrip("*")


def remit(claims: list[list[str]], version: str = "005010X221A1", group: str = "HP") -> str:
    """A whole 835 interchange around one transaction holding `claims` (each a list of 2100/2110 segments)."""
    body = [
        seg("ST", "835", "0001"),
        seg("BPR", "I", "10.00", "C", "ACH", "CCP", "01", "011000015", "DA", "1", "1512345678")
        + "**01*011000015*DA*2*20260415",
        seg("TRN", "1", "T1", "1512345678"),
        seg("N1", "PR", "MEDICARE NOVITAS"),
        seg("N3", "PO BOX 1"),
        seg("N4", "DALLAS", "TX", "75201"),
        seg("PER", "BL", "HELP", "TE", "5555550199"),
        seg("N1", "PE", "EXAMPLE HOSPITAL", "XX", "1234567893"),
        seg("LX", "1"),
    ]
    for claim in claims:
        body += claim
    body.append(seg("SE", str(len(body) + 1), "0001"))
    isa = f"ISA*00*{'':10}*00*{'':10}*ZZ*{'PAYER':15}*ZZ*{'HOSP':15}*260415*1200*^*00501*000000001*0*T*:"
    gs = seg("GS", group, "PAYER", "HOSP", "20260415", "1200", "1", "X", version)
    return "~\n".join([isa, gs, *body, seg("GE", "1", "1"), seg("IEA", "1", "000000001")]) + "~\n"


def clp(cid: str, status: str, charge: str, paid: str, *rest: str, start: str = "20260203") -> list[str]:
    """A CLP with its patient and statement date; `rest` is claim-level CAS/MOA, then the SVC loops."""
    head = [seg("CLP", cid, status, charge, paid, "", "MA", f"ICN{cid}", "13", "1")]
    first_svc = next((i for i, s in enumerate(rest) if s.startswith("SVC")), len(rest))
    claim_level, lines = rest[:first_svc], list(rest[first_svc:])
    cas = [s for s in claim_level if s.startswith("CAS")]
    moa = [s for s in claim_level if s.startswith("MOA")]
    dtm = [seg("DTM", "232", start)] if start else []
    return head + cas + [seg("NM1", "QC", "1", "DOE", "JANE", "", "", "", "MI", "X1")] + moa + dtm + lines


def write(tmp_path: Path, text: str, name: str = "r.835") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="ascii")
    return path


def read(tmp_path: Path, claims: list[list[str]]) -> pl.DataFrame:
    errors: list[str] = []
    frame = read_835(write(tmp_path, remit(claims)), errors)
    assert errors == [], errors
    return frame


PAID = [
    seg("SVC", "HC:29881:RT", "100.00", "60.00", "360", "1"),
    seg("DTM", "472", "20260204"),
    seg("CAS", "CO", "45", "30.00"),
    seg("CAS", "PR", "2", "10.00"),
    seg("REF", "6R", "1"),
]


@pytest.mark.parametrize(
    ("status", "paid", "reversal"),
    [
        ("1", "60.00", False),
        ("2", "60.00", False),
        ("3", "60.00", False),
        ("4", "0", False),
        ("22", "-60.00", True),
    ],
)
def test_claim_statuses_read_as_text_and_reversal_flagged(tmp_path, status, paid, reversal):
    """CLP02 1/2/3/4/22 is kept as text; only 22 is a reversal."""
    frame = read(tmp_path, [clp("C1", status, "100.00", paid, *PAID)])
    row = frame.row(0, named=True)
    assert (row["claim_status"], row["reversal"], row["source"], row["payer"]) == (
        status,
        reversal,
        "835",
        "MEDICARE NOVITAS",
    )
    assert row["paid_date"] == dt.date(2026, 4, 15)
    assert frame.schema == pl.Schema(REMIT_SCHEMA)


def test_service_line_fields(tmp_path):
    """SVC composite, revenue code zero-padded, REF*6R line number, line DTM*472, CAS codes and amounts."""
    frame = read(tmp_path, [clp("C1", "1", "100.00", "60.00", *PAID)])
    row = frame.row(0, named=True)
    assert row == row | {
        "claim_id": "C1",
        "payer_claim_id": "ICNC1",
        "line": "1",
        "line_ordinal": 1,
        "code": "29881",
        "modifiers": "RT",
        "revenue_code": "0360",
        "units": "1",
        "dos": dt.date(2026, 2, 4),
        "charge": 100.0,
        "paid": 60.0,
        "group_codes": "CO,PR",
        "carcs": "45,2",
        "adjusted": 40.0,
        "row": 15,  # ISA = 1: the SVC's segment number
    }


def test_cas_with_several_triplets_and_remarks(tmp_path):
    """One CAS holds up to six reason/amount triplets; LQ*HE remarks and MOA remarks are kept in order."""
    svc = [
        seg("SVC", "HC:15276", "100.00", "0", "0761", "1"),
        seg("DTM", "472", "20260204"),
        seg(
            "CAS",
            "CO",
            "15",
            "50.00",
            "",
            "50",
            "20.00",
            "",
            "197",
            "10.00",
            "",
            "16",
            "5",
            "",
            "4",
            "5",
            "",
            "96",
            "10",
        ),
        seg("REF", "6R", "2"),
        seg("LQ", "HE", "N54"),
        seg("LQ", "HE", "N115"),
    ]
    frame = read(tmp_path, [clp("C1", "1", "100.00", "0", seg("MOA", "", "", "MA01"), *svc)])
    row = frame.row(0, named=True)
    assert (row["group_codes"], row["carcs"], row["adjusted"]) == ("CO", "15,50,197,16,4,96", 100.0)
    assert row["rarcs"] == "N54,N115,MA01"


def test_claim_level_cas_fills_lines_without_their_own(tmp_path):
    """A line with no CAS takes the claim's CAS codes but not its amounts; a CLP with no SVC is one row."""
    bare_line = [seg("SVC", "HC:99213", "100.00", "0", "0510", "1"), seg("REF", "6R", "1")]
    frame = read(
        tmp_path,
        [
            clp("C1", "4", "100.00", "0", seg("CAS", "CO", "50", "100.00"), *bare_line),
            clp("C2", "4", "250.00", "0", seg("CAS", "CO", "29", "250.00")),
        ],
    )
    first, second = frame.rows(named=True)
    assert (first["carcs"], first["group_codes"], first["adjusted"], first["line_ordinal"]) == (
        "50",
        "CO",
        None,
        1,
    )
    assert (second["line_ordinal"], second["code"], second["line"], second["carcs"]) == (0, None, None, "29")
    assert (second["charge"], second["paid"], second["adjusted"]) == (250.0, 0.0, 250.0)


def test_dos_falls_back_to_claim_statement_date(tmp_path):
    """No DTM*472 on the line: the claim's DTM*232; neither: null."""
    line = [
        seg("SVC", "HC:G0289", "100.00", "60.00", "0360", "1"),
        seg("CAS", "CO", "45", "40"),
        seg("REF", "6R", "3"),
    ]
    frame = read(
        tmp_path,
        [clp("C1", "1", "100.00", "60.00", *line), clp("C2", "1", "100.00", "60.00", *line, start="")],
    )
    assert frame["dos"].to_list() == [dt.date(2026, 2, 3), None]
    assert frame["line"].to_list() == ["3", "3"]


def test_codes_stay_text(tmp_path):
    """Leading zeros survive: revenue-only lines (NU), '0278T', revenue code '0278', line numbers as written."""
    lines = [
        seg("SVC", "NU:278", "100.00", "60.00", "", "2"),
        seg("CAS", "CO", "45", "40"),
        seg("REF", "6R", "007"),
        seg("SVC", "HC:0275T:59:RT", "100.00", "60.00", "0278", "1"),
        seg("CAS", "CO", "45", "40"),
        seg("REF", "6R", "8"),
    ]
    frame = read(tmp_path, [clp("00123", "1", "200.00", "120.00", *lines)])
    assert frame["claim_id"].to_list() == ["00123", "00123"]
    assert frame["code"].to_list() == [None, "0275T"]
    assert frame["revenue_code"].to_list() == ["0278", "0278"]
    assert frame["modifiers"].to_list() == [None, "59,RT"]
    assert frame["line"].to_list() == ["007", "8"]
    assert frame["units"].to_list() == ["2", "1"]


def test_validation_messages_are_collected_not_raised(tmp_path):
    """A bad element value is pyx12's message naming the segment; the file is still read."""
    text = remit([clp("C1", "1", "ABC", "60.00", *PAID)])
    errors: list[str] = []
    frame = read_835(write(tmp_path, text), errors)
    assert frame.height == 1
    assert errors and errors[0].startswith("segment 12 (CLP):")


def _cut(text: str) -> str:
    return text[: text.index("CAS*PR")]


@pytest.mark.parametrize(
    ("name", "make", "says"),
    [
        ("truncated.835", lambda: _cut(remit([clp("C1", "1", "100", "60", *PAID)])), "truncated"),
        ("no_se.835", lambda: remit([clp("C1", "1", "100", "60", *PAID)]).replace("SE*", "XX*"), "SE"),
        ("old.835", lambda: remit([clp("C1", "1", "100", "60", *PAID)], "004010X091A1"), "only 005010X221A1"),
        ("claims.835", lambda: (SAMPLES / "claims_837i.x12").read_text(), "this is an 837 claim file"),
        ("status.835", lambda: remit([clp("C1", "1", "100", "60", *PAID)], group="HN"), "277 claim status"),
        ("remit.835", lambda: "%PDF-1.7\n%\xe2\xe3\n1 0 obj\n", "a PDF"),
        ("notes.835", lambda: "Remittance for April\nclaim C1 paid 60.00\n", "not an X12 835"),
    ],
)
def test_malformed_835_is_one_input_error_naming_the_file(tmp_path, name, make, says):
    path = tmp_path / name
    path.write_text(make(), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_835(path)
    message = str(caught.value)
    assert message.startswith(str(path)), message
    assert "\n" not in message
    assert says in message


def test_looks_like_835(tmp_path):
    assert looks_like_835(write(tmp_path, remit([clp("C1", "1", "100", "60", *PAID)])))
    assert not looks_like_835(SAMPLES / "claims_837i.x12")
    assert not looks_like_835(write(tmp_path, "Claim ID,Line\n", "w.csv"))


def test_sample_remit_reads_clean_and_matches_expected():
    """samples/remit.835 passes pyx12 without a message; CLP statuses and denied claims are as planted."""
    expected = json.loads((SAMPLES / "remit_expected.json").read_text())
    errors: list[str] = []
    frame = read_835(SAMPLES / "remit.835", errors)
    assert errors == []
    clps = frame.unique("payer_claim_id")
    assert dict(clps.group_by("claim_status").len().iter_rows()) == expected["statuses"]
    assert clps.filter(pl.col("reversal"))["claim_status"].to_list() == ["22"]
    assert frame["paid_date"].dt.month().n_unique() >= 3
    # Last adjudication of each claim wins: a CO/PR denial reason other than 45, 1, 2 marks a denied claim.
    last = frame.filter(pl.col("payer_claim_id") == pl.col("payer_claim_id").last().over("claim_id"))
    denied = last.filter(pl.col("carcs").str.split(",").list.set_difference(["45", "1", "2"]).list.len() > 0)
    assert sorted(denied["claim_id"].unique()) == expected["denied_claims"]
