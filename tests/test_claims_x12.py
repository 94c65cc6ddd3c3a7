"""837I/837P reading through pyx12: raw claim-line fields, recoverable validation messages, refused files."""

from __future__ import annotations

import csv
import functools
import importlib.util
import logging
import re
import sys
from pathlib import Path

import pytest
import pyx12.params
import pyx12.x12n_document

from auditor.claims.x12 import COLUMNS, looks_like_x12, read_837
from auditor.errors import InputError

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples"
INST, PROF = "005010X223A2", "005010X222A1"


# ---- small builders: a segment is its elements joined by '*', a file is segments joined by '~' ----


def seg(*elements: str) -> str:
    """One segment; trailing empty elements dropped as X12 requires."""
    return "*".join(elements).rstrip("*")


def x12(version: str, body: list[str], group: str = "HC", st: str = "837") -> str:
    """A whole interchange around one transaction whose detail is `body`."""
    head = [
        seg("ST", st, "0001", version),
        seg("BHT", "0019", "00", "T1", "20260401", "1200", "CH"),
        seg("NM1", "41", "2", "TEST SUBMITTER", "", "", "", "", "46", "SUB1"),
        seg("PER", "IC", "DESK", "TE", "5555550100"),
        seg("NM1", "40", "2", "TEST RECEIVER", "", "", "", "", "46", "REC1"),
    ]
    isa = seg(
        "ISA",
        "00",
        " " * 10,
        "00",
        " " * 10,
        "ZZ",
        "SUB1".ljust(15),
        "ZZ",
        "REC1".ljust(15),
        "260401",
        "1200",
        "^",
        "00501",
        "000000001",
        "0",
        "T",
        ":",
    )
    segs = [
        isa,
        seg("GS", group, "SUB1", "REC1", "20260401", "1200", "1", "X", version),
        *head,
        *body,
        seg("SE", str(len(head) + len(body) + 1), "0001"),
        seg("GE", "1", "1"),
        seg("IEA", "1", "000000001"),
    ]
    return "~\n".join(segs) + "~\n"


def billing(state: str = "TX") -> list[str]:
    """2000A and 2010AA."""
    return [
        "HL*1**20*1",
        "NM1*85*2*TEST HOSPITAL*****XX*1234567893",
        "N3*1 MAIN ST",
        f"N4*AUSTIN*{state}*787010001",
        "REF*EI*123456789",
    ]


def subscriber(hl: int, payer: str = "MA", name: str = "MEDICARE", patient_below: bool = False) -> list[str]:
    """2000B, 2010BA, 2010BB; with patient_below the claim sits in a 2000C patient loop."""
    return [
        seg("HL", str(hl), "1", "22", "1" if patient_below else "0"),
        seg("SBR", "P", "" if patient_below else "18", "", "", "", "", "", "", payer),
        "NM1*IL*1*DOE*JANE****MI*1EG4TE5MK73",
        "N3*1 ELM ST",
        "N4*AUSTIN*TX*787010001",
        "DMG*D8*19480101*F",
        seg("NM1", "PR", "2", name, "", "", "", "", "PI", "00000"),
    ]


def patient(hl: int, parent: int) -> list[str]:
    """2000C and 2010CA: a patient who is not the subscriber."""
    return [
        f"HL*{hl}*{parent}*23*0",
        "PAT*01",
        "NM1*QC*1*DOE*JOHN",
        "N3*1 ELM ST",
        "N4*AUSTIN*TX*787010001",
        "DMG*D8*19500101*M",
    ]


def facility(state: str) -> list[str]:
    """Service facility location (2310E on an 837I, 2310C on an 837P)."""
    return ["NM1*77*2*TEST CLINIC*****XX*1234567893", "N3*2 OAK ST", f"N4*TRENTON*{state}*086080001"]


def claim_i(
    claim_id: str,
    lines: list[list[str]],
    tob: str = "13:A:1",
    statement: str | None = "RD8*20260203-20260205",
    utn: str | None = None,
    dx: tuple[str, ...] = ("M1711", "E11621"),
    state: str | None = None,
) -> list[str]:
    """An 837I 2300 loop with its lines."""
    segs = [seg("CLM", claim_id, "100", "", "", tob, "", "A", "Y", "Y")]
    segs += [f"DTP*434*{statement}"] if statement else []
    segs.append("CL1***01")
    segs += [f"REF*G1*{utn}"] if utn else []
    segs.append(f"HI*ABK:{dx[0]}")
    segs += ["HI*" + "*".join(f"ABF:{c}" for c in dx[1:])] if dx[1:] else []
    segs.append("NM1*71*1*DOC*ANN****XX*1234567893")
    segs += facility(state) if state else []
    return segs + [s for n, line in enumerate(lines, 1) for s in [f"LX*{n}", *line]]


def sv2(
    rev: str, proc: str = "", mods: str = "", units: str = "1", date: str | None = "D8*20260204"
) -> list[str]:
    """SV2 (and its DTP*472) of an 837I line; `mods` is ':'-joined."""
    composite = ":".join(p for p in ("HC", proc, mods) if p) if proc else ""
    return [seg("SV2", rev, composite, "100", "UN", units), *([f"DTP*472*{date}"] if date else [])]


def claim_p(
    claim_id: str,
    lines: list[list[str]],
    pos: str = "11",
    utn: str | None = None,
    dx: tuple[str, ...] = ("M1711", "E11621"),
    state: str | None = None,
) -> list[str]:
    """An 837P 2300 loop with its lines."""
    segs = [seg("CLM", claim_id, "100", "", "", f"{pos}:B:1", "Y", "A", "Y", "Y")]
    segs += [f"REF*G1*{utn}"] if utn else []
    segs.append("HI*" + "*".join([f"ABK:{dx[0]}", *(f"ABF:{c}" for c in dx[1:])]))
    segs.append("NM1*82*1*DOC*ANN****XX*1234567893")
    segs += facility(state) if state else []
    return segs + [s for n, line in enumerate(lines, 1) for s in [f"LX*{n}", *line]]


def sv1(
    proc: str,
    mods: str = "",
    units: str = "1",
    pos: str = "",
    date: str | None = "D8*20260204",
    utn: str | None = None,
) -> list[str]:
    """SV1 (and its DTP*472 and REF*G1) of an 837P line."""
    composite = ":".join(p for p in ("HC", proc, mods) if p)
    return [
        seg("SV1", composite, "100", "UN", units, pos, "", "1"),
        *([f"DTP*472*{date}"] if date else []),
        *([f"REF*G1*{utn}"] if utn else []),
    ]


def write(tmp_path: Path, text: str, name: str = "claims.x12") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="ascii", newline="")
    return path


def pyx12_valid(path: Path) -> bool:
    """pyx12's own full validator (what its x12valid script runs)."""
    logging.disable(logging.CRITICAL)  # it logs every finding; the bool is what we want
    try:
        return pyx12.x12n_document.x12n_document(pyx12.params.params(), str(path), None, None)
    finally:
        logging.disable(logging.NOTSET)


# ---- reading: one case per shape of claim; expected values for the columns that matter to the case ----

READS = {
    "837I line dates, claim-level UTN, MA payer": (
        INST,
        billing()
        + subscriber(2)
        + claim_i("C1", [sv2("0360", "29881", "RT"), sv2("0272", units="2")], utn="A2K7F39QX1R2M8"),
        [
            {
                "claim_id": "C1",
                "line": "1",
                "dos": "2026-02-04",
                "bill_type": "131",
                "pos": None,
                "state": "TX",
                "payer": "MA",
                "payer_name": "MEDICARE",
                "revenue_code": "0360",
                "cpt": "29881",
                "modifiers": "RT",
                "units": "1",
                "charges": "100",
                "diagnoses": "M1711;E11621",
                "utn": "A2K7F39QX1R2M8",
                "sheet": None,
            },
            {
                "line": "2",
                "revenue_code": "0272",
                "cpt": None,
                "modifiers": None,
                "units": "2",
                "utn": "A2K7F39QX1R2M8",
            },
        ],
    ),
    "837I claim-level statement date when lines have none": (
        INST,
        billing() + subscriber(2) + claim_i("C2", [sv2("0360", "64561", date=None)]),
        [{"claim_id": "C2", "dos": "2026-02-03", "cpt": "64561"}],
    ),
    "837I RD8 line range takes the from-date": (
        INST,
        billing() + subscriber(2) + claim_i("C3", [sv2("0636", "Q4186", date="RD8*20260302-20260304")]),
        [{"dos": "2026-03-02", "cpt": "Q4186"}],
    ),
    "837I modifiers one to four, bill type frequency": (
        INST,
        billing()
        + subscriber(2)
        + claim_i("C4", [sv2("0360", "29880", "RT:59:XS:GA"), sv2("0360", "G0289", "RT:59")], tob="85:A:7"),
        [{"modifiers": "RT,59,XS,GA", "bill_type": "857"}, {"modifiers": "RT,59", "cpt": "G0289"}],
    ),
    "837I service facility state wins over billing state": (
        INST,
        billing("TX") + subscriber(2) + claim_i("C5", [sv2("0761", "15271")], state="NJ"),
        [{"state": "NJ"}],
    ),
    "837I missing optional segments": (
        INST,
        billing("OK")
        + subscriber(2, "16", "MEDICARE ADVANTAGE PLAN")
        + claim_i("C6", [sv2("0450", "99284", date=None)], dx=("S81811A",)),
        [
            {
                "dos": "2026-02-03",
                "utn": None,
                "state": "OK",
                "diagnoses": "S81811A",
                "payer": "16",
                "payer_name": "MEDICARE ADVANTAGE PLAN",
            }
        ],
    ),
    "837I claim in a 2000C patient loop keeps the subscriber's payer": (
        INST,
        billing() + subscriber(2, patient_below=True) + patient(3, 2) + claim_i("C7", [sv2("0360", "62323")]),
        [{"claim_id": "C7", "payer": "MA", "cpt": "62323"}],
    ),
    "837P line UTN, RD8 line date, POS from the claim or the line, MB payer": (
        PROF,
        billing()
        + subscriber(2, "MB", "MEDICARE PART B")
        + claim_p(
            "P1",
            [
                sv1("15271", "RT", utn="N3B9C2D7E4F6G1"),
                sv1("Q4186", "JC", "20", "24", date="RD8*20260302-20260304"),
            ],
            utn="T7Q2W9E4R1T6Y3",
        ),
        [
            {
                "claim_id": "P1",
                "line": "1",
                "dos": "2026-02-04",
                "bill_type": None,
                "pos": "11",
                "payer": "MB",
                "payer_name": "MEDICARE PART B",
                "revenue_code": None,
                "cpt": "15271",
                "modifiers": "RT",
                "utn": "N3B9C2D7E4F6G1",
            },
            {"line": "2", "dos": "2026-03-02", "pos": "24", "units": "20", "utn": "T7Q2W9E4R1T6Y3"},
        ],
    ),
    "837P four modifiers, no UTN, service facility 2310C": (
        PROF,
        billing("TX")
        + subscriber(2, "MB", "MEDICARE PART B")
        + claim_p("P2", [sv1("20610", "RT:59:XS:GA"), sv1("99214")], pos="24", state="NJ"),
        [
            {"modifiers": "RT,59,XS,GA", "utn": None, "state": "NJ", "pos": "24"},
            {"modifiers": None, "cpt": "99214"},
        ],
    ),
    "837P line-level service facility 2420C wins over the claim's": (
        PROF,
        billing("TX")
        + subscriber(2, "MB", "MEDICARE PART B")
        + claim_p("P3", [sv1("99213") + facility("FL"), sv1("99214")], state="NJ"),
        [{"cpt": "99213", "state": "FL"}, {"cpt": "99214", "state": "NJ"}],
    ),
    "837I reason-for-visit codes follow the other diagnoses, without repeats": (
        INST,
        billing()
        + subscriber(2)
        + [
            s
            for s in claim_i("C8", [sv2("0450", "99284")])
            for s in ([s, "HI*APR:M1711*APR:R52"] if s.startswith("HI*ABK") else [s])
        ],
        [{"diagnoses": "M1711;E11621;R52"}],
    ),
}


@pytest.mark.parametrize("case", READS, ids=list(READS))
def test_read_837_gives_the_raw_fields(tmp_path, case):
    version, body, expected = READS[case]
    path = write(tmp_path, x12(version, body))
    got = read_837(path)
    assert got.format == ("x12-837i" if version == INST else "x12-837p")
    assert got.errors == [] and got.skipped == []
    assert got.frame.columns == list(COLUMNS)
    rows = got.frame.to_dicts()
    assert len(rows) == len(expected)
    for row, want in zip(rows, expected, strict=True):
        assert {k: row[k] for k in want} == want
        assert row["file"] == str(path)


def test_row_is_the_ordinal_of_the_service_segment(tmp_path):
    text = x12(INST, billing() + subscriber(2) + claim_i("C1", [sv2("0360", "29881"), sv2("0272")]))
    segments = [s.strip() for s in text.split("~")]
    got = read_837(write(tmp_path, text))
    assert [segments[r - 1][:3] for r in got.frame["row"]] == ["SV2", "SV2"]


def test_837p_without_a_line_date_reads_the_line_and_reports_the_missing_date(tmp_path):
    body = billing() + subscriber(2, "MB") + claim_p("P1", [sv1("99213", date=None)])
    got = read_837(write(tmp_path, x12(PROF, body)))
    assert got.frame["dos"].to_list() == [None] and got.frame["cpt"].to_list() == ["99213"]
    assert any("DTP" in e and "missing" in e for e in got.errors)


def test_bom_whitespace_and_crlf_do_not_matter(tmp_path):
    text = x12(INST, billing() + subscriber(2) + claim_i("C1", [sv2("0360", "29881")]))
    path = tmp_path / "bom.x12"
    path.write_bytes(b"\xef\xbb\xbf \r\n" + text.replace("\n", "\r\n").encode())
    assert looks_like_x12(path)
    assert read_837(path).frame["cpt"].to_list() == ["29881"]


# ---- recoverable problems: pyx12's messages come back in `errors`, the rest of the file is read ----


def test_segment_errors_are_reported_not_raised(tmp_path):
    body = billing() + subscriber(2) + claim_i("C1", [sv2("0360", "29881", date="D8*20261303"), sv2("0272")])
    body.insert(body.index("CL1***01") + 1, "ZZZ*1")
    body = [s.replace("SV2*0272**100", "SV2*0272**1X0") for s in body]
    path = write(tmp_path, x12(INST, body))
    assert not pyx12_valid(path)
    got = read_837(path)
    assert got.frame.height == 2
    assert got.frame["dos"].to_list()[0] == "2026-13-03"  # kept for the pipeline to flag, not dropped
    assert any(e.startswith("segment ") and "(ZZZ)" in e and "not found" in e for e in got.errors)
    assert any("(DTP)" in e and "invalid date" in e for e in got.errors)
    assert any("(SV2)" in e and "SV203" in e for e in got.errors)


def test_errors_are_capped(tmp_path):
    lines = [sv2("0360", "29881", date="D8*20261399") for _ in range(80)]
    got = read_837(write(tmp_path, x12(INST, billing() + subscriber(2) + claim_i("C1", lines))))
    assert got.frame.height == 80
    assert len(got.errors) == 51 and got.errors[-1] == "30 more validation messages not shown"


@pytest.mark.parametrize(
    "line, reason",
    [
        (["SV1*HC:*100*UN*1***1", "DTP*472*D8*20260204"], "neither a procedure code nor a revenue code"),
        (["DTP*472*D8*20260204"], "no SV1/SV2 service segment"),
    ],
    ids=["no procedure code", "no SV1 at all"],
)
def test_unusable_service_lines_are_skipped_with_a_reason(tmp_path, line, reason):
    body = billing() + subscriber(2, "MB") + claim_p("P1", [line, sv1("99213")])
    got = read_837(write(tmp_path, x12(PROF, body)))
    assert got.frame["cpt"].to_list() == ["99213"]
    assert len(got.skipped) == 1 and reason in got.skipped[0]["reason"]
    assert isinstance(got.skipped[0]["row"], int)


# ---- files that cannot be read: one InputError sentence, never a traceback ----

GOOD_I = x12(INST, billing() + subscriber(2) + claim_i("C1", [sv2("0360", "29881"), sv2("0272")]))
REFUSED = {
    "an 835 remittance": (x12("005010X221A1", billing(), group="HP", st="835"), "835", 2),
    "a 4010 837": (GOOD_I.replace(INST, "004010X096A1"), "version 004010X096A1", 2),
    "an unknown 837 version": (GOOD_I.replace(INST, "005010X999A9"), "version 005010X999A9", 2),
    "truncated mid-segment": (GOOD_I[: GOOD_I.index("SV2*0272") + 6], "truncated", None),
    "truncated at a segment end": (GOOD_I[: GOOD_I.index("GE*")], "truncated", None),
    "a CSV renamed .x12": ("Claim ID,Line,HCPCS\nC1,1,29881\n", "not an X12 file", None),
    "an empty file": ("", "not an X12 file", None),
    "an ISA cut short": ("ISA*00*          *00~\n", "ISA", 1),
    "an ISA with 15 elements": (GOOD_I.replace("*T*:~", "*T~  ", 1), "16 elements", 1),
    "an empty segment": (GOOD_I.replace("LX*2~", "LX*2~\n~"), "empty", None),
}


@pytest.mark.parametrize("case", REFUSED, ids=list(REFUSED))
def test_unreadable_files_raise_one_input_error(tmp_path, case):
    text, phrase, row = REFUSED[case]
    path = write(tmp_path, text)
    with pytest.raises(InputError) as info:
        read_837(path)
    err = info.value
    assert err.path == str(path) and phrase in err.reason
    assert "\n" not in str(err)
    if row is not None:
        assert err.row == row
    if "truncated" in phrase or "empty" in phrase:
        assert err.row is not None and err.row > 10


def test_looks_like_x12_only_for_isa_files(tmp_path):
    assert looks_like_x12(write(tmp_path, GOOD_I, "a.txt"))
    assert not looks_like_x12(write(tmp_path, "Claim ID,Line\n", "b.x12"))
    assert not looks_like_x12(tmp_path / "missing.x12")


# ---- the sample files: current, valid, and a faithful copy of claims.csv ----


@functools.cache
def load_maker():
    """samples/make_837.py as a module (it is a script, not part of the package)."""
    spec = importlib.util.spec_from_file_location("make_837", SAMPLES / "make_837.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while being defined
    spec.loader.exec_module(module)
    return module


def test_samples_are_deterministic_and_current(tmp_path):
    maker = load_maker()
    for run in ("a", "b"):
        maker.main(["--out-i", str(tmp_path / f"{run}i.x12"), "--out-p", str(tmp_path / f"{run}p.x12")])
    for kind in ("i", "p"):
        fresh = (tmp_path / f"a{kind}.x12").read_bytes()
        assert fresh == (tmp_path / f"b{kind}.x12").read_bytes()
        assert fresh == (SAMPLES / f"claims_837{kind}.x12").read_bytes(), "rerun python samples/make_837.py"


@pytest.mark.parametrize("name", ["claims_837i.x12", "claims_837p.x12"])
def test_samples_pass_pyx12_validation(name):
    assert pyx12_valid(SAMPLES / name)
    assert read_837(SAMPLES / name).errors == []


def test_837i_sample_carries_every_csv_line():
    """Line values exactly as in the CSV; claim-level ones as an 837I must carry them (once per claim)."""
    with (SAMPLES / "claims.csv").open(newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    claim_utn: dict[str, str | None] = {}
    claim_dx: dict[str, list[str]] = {}
    for r in rows:
        claim_utn[r["Claim ID"]] = claim_utn.get(r["Claim ID"]) or r["UTN"] or None
        dx = claim_dx.setdefault(r["Claim ID"], [])
        dx += [c.replace(".", "") for c in r["Diagnosis Codes"].split(";") if c.replace(".", "") not in dx]
    filing = load_maker().filing_indicator
    expected = sorted(
        (
            r["Claim ID"],
            r["Line"],
            r["Date of Service"],
            r["State"],
            filing(r["Payer"])[0],
            r["Bill Type"],
            r["Revenue Code"],
            r["HCPCS"] or None,
            ",".join(re.split(r"[,; ]+", r["Modifiers"].strip())) or None,
            r["Units"],
            ";".join(claim_dx[r["Claim ID"]]),
            claim_utn[r["Claim ID"]],
        )
        for r in rows
    )
    got = read_837(SAMPLES / "claims_837i.x12")
    assert got.format == "x12-837i" and got.skipped == []
    cols = [
        "claim_id",
        "line",
        "dos",
        "state",
        "payer",
        "bill_type",
        "revenue_code",
        "cpt",
        "modifiers",
        "units",
        "diagnoses",
        "utn",
    ]
    assert sorted(got.frame.select(cols).iter_rows()) == expected
    assert {"MA", "16"} <= set(got.frame["payer"])


def test_837p_sample_carries_the_professional_claims():
    maker = load_maker()
    expected = sorted(
        (
            c.claim_id,
            str(n),
            line.date.split("/")[0],
            line.pos or c.pos,
            c.state,
            c.payer,
            line.code,
            ",".join(line.modifiers) or None,
            line.units,
            ";".join(c.diagnoses),
            line.utn or c.utn or None,
        )
        for c in maker.PROFESSIONAL_CLAIMS
        for n, line in enumerate(c.lines, 1)
    )
    got = read_837(SAMPLES / "claims_837p.x12")
    assert got.format == "x12-837p"
    cols = [
        "claim_id",
        "line",
        "dos",
        "pos",
        "state",
        "payer",
        "cpt",
        "modifiers",
        "units",
        "diagnoses",
        "utn",
    ]
    assert sorted(got.frame.select(cols).iter_rows()) == expected
    assert set(got.frame["pos"]) == {"11", "24"}


# ---- the streaming segment reader (files over VALIDATE_BYTES) ----------------------------------------------
SAMPLES = Path(__file__).resolve().parents[1] / "samples"


@pytest.mark.parametrize("case", READS, ids=list(READS))
def test_streaming_reader_gives_the_same_lines_as_pyx12(tmp_path, case):
    """Every read case: the same service lines, fields and skipped lines from both readers."""
    version, body, _expected = READS[case]
    path = write(tmp_path, x12(version, body))
    checked, streamed = read_837(path, validate=True), read_837(path, validate=False)
    assert streamed.format == checked.format
    assert streamed.frame.equals(checked.frame) and streamed.skipped == checked.skipped
    assert "not validated" in streamed.errors[0]


@pytest.mark.parametrize("name", ["claims_837i.x12", "claims_837p.x12"])
def test_streaming_reader_reads_the_samples_line_for_line(name):
    """The bundled 837I (429 lines) and 837P twins read the same through both readers."""
    checked, streamed = read_837(SAMPLES / name, validate=True), read_837(SAMPLES / name, validate=False)
    assert streamed.frame.height == checked.frame.height > 0 and streamed.frame.equals(checked.frame)


def test_large_files_stream_and_say_so(tmp_path, monkeypatch):
    """Past VALIDATE_BYTES the streaming reader runs; the claims run's notes say it did not validate."""
    from auditor.claims import x12 as x12_module
    from auditor.claims.pipeline import run_claims

    monkeypatch.setattr(x12_module, "VALIDATE_BYTES", 0)
    streamed = run_claims([SAMPLES / "claims_837i.x12"])
    monkeypatch.setattr(x12_module, "VALIDATE_BYTES", 10**12)
    checked = run_claims([SAMPLES / "claims_837i.x12"])
    assert any("streaming segment reader" in n for n in streamed.notes)
    assert (
        streamed.findings.drop("file")
        .sort(["row", "edit"])
        .equals(checked.findings.drop("file").sort(["row", "edit"]))
    )


@pytest.mark.parametrize(
    ("cut", "says"),
    [(lambda t: t[: t.rindex("IEA")], "truncated"), (lambda t: t.replace("ST*837*", "ST*835*"), "835")],
)
def test_streaming_reader_refuses_cleanly(tmp_path, cut, says):
    """A file cut before its trailer, or another transaction: one InputError, as through pyx12."""
    path = write(tmp_path, cut((SAMPLES / "claims_837p.x12").read_text(encoding="utf-8")))
    with pytest.raises(InputError, match=says):
        read_837(path, validate=False)
