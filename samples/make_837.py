"""Write the sample X12 claim files: an 837I built from claims.csv and a small hand-made 837P.

Usage: python samples/make_837.py [--csv samples/claims.csv] [--out-i FILE] [--out-p FILE]

Deterministic: fixed control numbers, dates and identifiers, so reruns are byte-identical. The 837I has
one CLM per claim id of the CSV (in first-seen order), one LX/SV2 per CSV line with a line-level DTP*472,
HI with ABK (first code) and ABF (the rest), REF*G1 when a UTN is given and SBR09 from the payer (see
filing_indicator). The billing provider sits in the first claim's state; a claim in another state gets a
2310E service facility in its own state. The CSV has no charge column, so a line is charged 100.00 per
unit unless a "Charges" column is present.

An 837I carries state, payer, bill type, diagnoses and the prior authorization (REF*G1) once per claim.
When a claim's lines disagree, the claim takes the first non-blank value in CSV order (diagnoses: every
code of every line, first-seen order) and the script says which claims it had to flatten.
"""

from __future__ import annotations

import argparse
import csv
import sys
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
INSTITUTIONAL = "005010X223A2"
PROFESSIONAL = "005010X222A1"
CREATED = ("20260401", "1200")  # CCYYMMDD, HHMM of the interchange
SUBMITTER = "CDMAUDIT"
RECEIVER = "MEDICAREMAC"
PROVIDER = "EXAMPLE REGIONAL MEDICAL CENTER"
PROVIDER_NPI = "1234567893"  # the check-digit-valid NPI used in CMS examples, not a real provider
# A city and ZIP+4 per state so N4 looks like an address; unknown states get a generic one.
PLACES = {
    "AZ": ("PHOENIX", "850040001"),
    "CA": ("SACRAMENTO", "958140001"),
    "MD": ("BALTIMORE", "212010001"),
    "NJ": ("TRENTON", "086080001"),
    "OH": ("COLUMBUS", "432150001"),
    "OK": ("OKLAHOMA CITY", "731020001"),
    "TX": ("AUSTIN", "787010001"),
    "WA": ("OLYMPIA", "985010001"),
    "FL": ("TALLAHASSEE", "323010001"),
    "NY": ("ALBANY", "122070001"),
}
# Payer text -> SBR09 claim filing indicator and the NM1*PR payer name/id; other payers are commercial (CI).
PAYERS = {
    "MEDICARE": ("MA", "MEDICARE", "00000"),
    "MEDICARE ADVANTAGE": ("16", "MEDICARE ADVANTAGE PLAN", "00001"),
    "MEDICAID": ("MC", "MEDICAID", "00002"),
}

Segment = list[str]


@dataclass
class Line:
    """One service line: a revenue code and/or a procedure code with up to four modifiers."""

    date: str  # YYYY-MM-DD, or "YYYY-MM-DD/YYYY-MM-DD" for an RD8 range
    code: str = ""
    modifiers: list[str] = field(default_factory=list)
    units: str = "1"
    charge: str = "100.00"
    revenue_code: str = ""
    pos: str = ""  # 837P SV105, only when it differs from the claim's place of service
    utn: str = ""  # 837P line-level REF*G1


@dataclass
class Claim:
    """One claim: the values an 837 carries once per CLM."""

    claim_id: str
    state: str
    payer: str  # SBR09 claim filing indicator
    payer_name: str
    payer_id: str
    diagnoses: list[str]  # dotless, principal first
    lines: list[Line]
    bill_type: str = ""  # 837I, e.g. "131"
    pos: str = ""  # 837P CLM05-1
    utn: str = ""  # claim-level REF*G1


# The professional sample: Part B claims in an office (11) and an ASC (24), one with a line-level UTN,
# one with a service facility in another state, one Medicare Advantage claim with a claim-level UTN.
PROFESSIONAL_CLAIMS = [
    Claim(
        "PB26000201",
        "TX",
        "MB",
        "MEDICARE PART B",
        "04412",
        ["M1711", "E11621"],
        pos="11",
        lines=[
            Line("2026-02-05", "99214", ["25"], charge="150.00"),
            Line("2026-02-05", "20610", ["RT", "59", "XS", "GA"], charge="95.00"),
            Line("2026-02-05", "J7325", ["RT", "JZ"], units="48", charge="480.00"),
        ],
    ),
    Claim(
        "PB26000202",
        "NJ",
        "MB",
        "MEDICARE PART B",
        "12502",
        ["L97212", "E11622"],
        pos="24",
        lines=[
            Line("2026-03-02", "15271", ["RT", "59", "XS"], charge="410.00", utn="N3B9C2D7E4F6G1"),
            Line(
                "2026-03-02/2026-03-04", "Q4186", ["JC"], units="20", charge="2000.00", utn="N3B9C2D7E4F6G1"
            ),
        ],
    ),
    Claim(
        "PB26000203",
        "TX",
        "16",
        "MEDICARE ADVANTAGE PLAN",
        "99726",
        ["G8929", "M5416"],
        pos="11",
        utn="T7Q2W9E4R1T6Y3",
        lines=[
            Line("2026-02-18", "62323", charge="600.00", pos="24"),
            Line("2026-02-18", "J1100", units="10", charge="25.00"),
        ],
    ),
]


def dotless(code: str) -> str:
    """An ICD-10-CM code as X12 writes it: no dot, upper case."""
    return code.replace(".", "").strip().upper()


def split_list(text: str) -> list[str]:
    """Split a cell holding several codes on ';', ',' or spaces."""
    return [p for p in text.replace(";", " ").replace(",", " ").split() if p]


def filing_indicator(payer: str) -> tuple[str, str, str]:
    """SBR09 code, payer name and payer id for the CSV's payer text."""
    text = payer.strip().upper()
    if text in PAYERS:
        return PAYERS[text]
    return ("BL" if "BLUE" in text else "CI", text or "UNKNOWN PAYER", "99999")


def claims_from_csv(path: Path) -> list[Claim]:
    """Group claims.csv lines into claims, in first-seen order; claim-level values from the first line."""
    with path.open(newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    claims: dict[str, Claim] = {}
    flattened: dict[str, set[str]] = {}
    for row in rows:
        units = row["Units"].strip() or "1"
        charge = (row.get("Charges") or "").strip() or f"{Decimal(units) * 100:.2f}"
        line = Line(
            row["Date of Service"].strip(),
            row["HCPCS"].strip().upper(),
            split_list(row["Modifiers"].upper()),
            units,
            charge,
            row["Revenue Code"].strip(),
        )
        sbr09, payer_name, payer_id = filing_indicator(row["Payer"])
        seen = Claim(
            row["Claim ID"].strip(),
            row["State"].strip().upper(),
            sbr09,
            payer_name,
            payer_id,
            [dotless(c) for c in split_list(row["Diagnosis Codes"])],
            [],
            bill_type=row["Bill Type"].strip(),
            utn=row["UTN"].strip(),
        )
        claim = claims.setdefault(seen.claim_id, seen)
        for name in ("state", "payer", "bill_type", "utn"):
            if getattr(claim, name) != getattr(seen, name):
                flattened.setdefault(claim.claim_id, set()).add(name)
                if not getattr(claim, name):
                    setattr(claim, name, getattr(seen, name))
        claim.diagnoses += [c for c in seen.diagnoses if c not in claim.diagnoses]
        claim.lines.append(line)
    for claim_id, names in flattened.items():
        print(
            f"note: claim {claim_id}: lines differ in {', '.join(sorted(names))}; the 837I carries one "
            "value per claim",
            file=sys.stderr,
        )
    return list(claims.values())


def d8(date: str) -> str:
    """YYYY-MM-DD as CCYYMMDD."""
    return date.replace("-", "")


def date_segment(qualifier: str, date: str) -> Segment:
    """A DTP with D8 for one date or RD8 for a 'from/to' range."""
    if "/" in date:
        start, end = date.split("/")
        return ["DTP", qualifier, "RD8", f"{d8(start)}-{d8(end)}"]
    return ["DTP", qualifier, "D8", d8(date)]


def address(state: str, street: str) -> list[Segment]:
    """N3 and N4 for a made-up address in the state."""
    city, zip9 = PLACES.get(state, ("CAPITAL CITY", "000010001"))
    return [["N3", street], ["N4", city, state, zip9]]


def total(claim: Claim) -> str:
    """CLM02: the sum of the line charges."""
    return f"{sum(Decimal(line.charge) for line in claim.lines):.2f}"


def procedure(line: Line) -> str:
    """The HC composite: qualifier, code and modifiers."""
    return ":".join(["HC", line.code, *line.modifiers[:4]])


def subscriber(n: int, claim: Claim, hl: int) -> list[Segment]:
    """2000B, 2010BA and 2010BB: the patient is the subscriber."""
    return [
        ["HL", str(hl), "1", "22", "0"],
        ["SBR", "P", "18", "", "", "", "", "", "", claim.payer],
        ["NM1", "IL", "1", f"PATIENT{n:04d}", "SAMPLE", "", "", "", "MI", f"1EG4TE5MK{n:03d}"],
        *address(claim.state, f"{n} ELM ST"),
        ["DMG", "D8", "19480101", "F" if n % 2 else "M"],
        ["NM1", "PR", "2", claim.payer_name, "", "", "", "", "PI", claim.payer_id],
    ]


def facility(claim: Claim, billing_state: str) -> list[Segment]:
    """Service facility location (2310E/2310C) when the claim is not in the billing provider's state."""
    if claim.state == billing_state:
        return []
    return [
        ["NM1", "77", "2", f"{PROVIDER} {claim.state}", "", "", "", "", "XX", PROVIDER_NPI],
        *address(claim.state, "200 CAMPUS DR"),
    ]


def diagnosis_segments(codes: list[str], professional: bool) -> list[Segment]:
    """HI: ABK for the principal code, ABF for the others; 837P keeps them in one HI (12 at most)."""
    if not codes:
        return []
    tagged = [f"ABK:{codes[0]}", *(f"ABF:{c}" for c in codes[1:])]
    if professional:
        return [["HI", *tagged[:12]]]
    rest = tagged[1:]
    return [["HI", tagged[0]], *(["HI", *rest[i : i + 12]] for i in range(0, len(rest), 12))]


def institutional_claim(n: int, claim: Claim, billing_state: str) -> list[Segment]:
    """2300 and its 2400 lines for an 837I claim."""
    dates = sorted(d for line in claim.lines for d in line.date.split("/"))
    bill = claim.bill_type or "131"
    segs: list[Segment] = [
        ["CLM", claim.claim_id, total(claim), "", "", f"{bill[:2]}:A:{bill[2:] or '1'}", "", "A", "Y", "Y"],
        ["DTP", "434", "RD8", f"{d8(dates[0])}-{d8(dates[-1])}"],
        ["CL1", "", "", "01"],
    ]
    if claim.utn:
        segs.append(["REF", "G1", claim.utn])
    segs += diagnosis_segments(claim.diagnoses, professional=False)
    segs.append(["NM1", "71", "1", "ATTENDING", "SAMPLE", "", "", "", "XX", PROVIDER_NPI])
    segs += facility(claim, billing_state)
    for i, line in enumerate(claim.lines, start=1):
        composite = procedure(line) if line.code else ""
        segs += [
            ["LX", str(i)],
            ["SV2", line.revenue_code, composite, line.charge, "UN", line.units],
            date_segment("472", line.date),
        ]
    return segs


def professional_claim(n: int, claim: Claim, billing_state: str) -> list[Segment]:
    """2300 and its 2400 lines for an 837P claim."""
    clm = ["CLM", claim.claim_id, total(claim), "", "", f"{claim.pos}:B:1", "Y", "A", "Y", "Y"]
    segs: list[Segment] = [clm]
    if claim.utn:
        segs.append(["REF", "G1", claim.utn])
    segs += diagnosis_segments(claim.diagnoses, professional=True)
    segs.append(["NM1", "82", "1", "RENDERING", "SAMPLE", "", "", "", "XX", PROVIDER_NPI])
    segs += facility(claim, billing_state)
    pointers = ":".join(str(i) for i in range(1, min(len(claim.diagnoses), 4) + 1))
    for i, line in enumerate(claim.lines, start=1):
        segs += [
            ["LX", str(i)],
            ["SV1", procedure(line), line.charge, "UN", line.units, line.pos, "", pointers],
            date_segment("472", line.date),
        ]
        if line.utn:
            segs.append(["REF", "G1", line.utn])
    return segs


def interchange(version: str, control: int, claims: list[Claim]) -> list[Segment]:
    """ISA to IEA around one 837 transaction holding every claim."""
    date, time = CREATED
    billing_state = claims[0].state if claims else "TX"
    body: list[Segment] = [
        ["BHT", "0019", "00", f"CDM{control:06d}", date, time, "CH"],
        ["NM1", "41", "2", PROVIDER, "", "", "", "", "46", SUBMITTER],
        ["PER", "IC", "BILLING OFFICE", "TE", "5555550100"],
        ["NM1", "40", "2", "MEDICARE ADMINISTRATIVE CONTRACTOR", "", "", "", "", "46", RECEIVER],
        ["HL", "1", "", "20", "1"],
        ["NM1", "85", "2", PROVIDER, "", "", "", "", "XX", PROVIDER_NPI],
        *address(billing_state, "100 MAIN ST"),
        ["REF", "EI", "123456789"],
    ]
    build = institutional_claim if version == INSTITUTIONAL else professional_claim
    for n, claim in enumerate(claims, start=1):
        body += subscriber(n, claim, n + 1)
        body += build(n, claim, billing_state)
    st = ["ST", "837", "0001", version]
    return [
        [
            "ISA",
            "00",
            " " * 10,
            "00",
            " " * 10,
            "ZZ",
            SUBMITTER.ljust(15),
            "ZZ",
            RECEIVER.ljust(15),
            date[2:],
            time,
            "^",
            "00501",
            f"{control:09d}",
            "0",
            "T",
            ":",
        ],
        ["GS", "HC", SUBMITTER, RECEIVER, date, time, str(control), "X", version],
        st,
        *body,
        ["SE", str(len(body) + 2), "0001"],
        ["GE", "1", str(control)],
        ["IEA", "1", f"{control:09d}"],
    ]


def render(segments: list[Segment]) -> str:
    """Segments as X12 text, one segment a line; trailing empty elements dropped as X12 requires."""
    out = []
    for seg in segments:
        elements = list(seg)
        while seg[0] != "ISA" and elements and elements[-1] == "":
            elements.pop()
        out.append("*".join(elements) + "~\n")
    return "".join(out)


def main(argv: list[str] | None = None) -> None:
    """Write the 837I from the CSV and the fixed 837P."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--csv", type=Path, default=HERE / "claims.csv")
    ap.add_argument("--out-i", type=Path, default=HERE / "claims_837i.x12")
    ap.add_argument("--out-p", type=Path, default=HERE / "claims_837p.x12")
    args = ap.parse_args(argv)
    claims = claims_from_csv(args.csv)
    args.out_i.write_text(render(interchange(INSTITUTIONAL, 101, claims)), encoding="ascii", newline="\n")
    args.out_p.write_text(
        render(interchange(PROFESSIONAL, 102, PROFESSIONAL_CLAIMS)), encoding="ascii", newline="\n"
    )
    print(f"wrote {args.out_i} ({len(claims)} claims) and {args.out_p} ({len(PROFESSIONAL_CLAIMS)} claims)")


if __name__ == "__main__":
    main()
