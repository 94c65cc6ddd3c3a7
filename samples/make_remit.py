"""Write the sample remittances for samples/claims.csv: an X12 835, a denial worklist and what they plant.

Usage: python samples/make_remit.py [--csv samples/claims.csv] [--out-dir samples]

Deterministic (seeded amounts, fixed dates and control numbers, no network): reruns are byte-identical.

samples/remit.835 is one ISA and one GS (005010X221A1) holding one ST per monthly Medicare payment run: an
835 has one BPR per transaction, so payment dates spread over several months need several transactions.
Every Original Medicare claim of claims.csv with a date of service before 2026-08-25 is remitted in the run
of the month after its date of service plus 30 days; later ones and non-Medicare claims are not remitted.
Charges follow make_837.py (100.00 per unit), so CLP03 matches the 837I's CLM02. CLP01 is the claim id,
REF*6R the CSV line number, DTM*472 the date of service, CLP07 a unique payer claim number per CLP.

Paid lines are partial payments, never denials: allowed is 55-75% of the charge (CO-45 for the rest),
the patient owes 20% coinsurance (PR-2) and, on some claims, a deductible (PR-1). Planted on top:

- participant pattern: every skin-substitute claim in NJ (WISeR participant Genzeon) has its application
  lines (15271-15278) denied CO-50 with RARC N115; skin-substitute claims in TX, OK, OH, WA and AZ are paid
  on their application primaries. NJ26000106 (an add-on billed alone, plus its product) is wholly denied.
- add-on pattern: WA27000066 and AZ27000147 have the primary 15275 paid and the add-on 15276 denied CO-15
  (authorization not applicable to the service) with RARC N54; both claims carry a UTN.
- predicted denials: CO-197 on the WISeR line of TX26000101 and AZ26000124 (no UTN on the claim) and
  AZ26000109 (a 12-character UTN): the claims run reports blocking prior-authorization findings on them.
  claims.csv has only these two UTN-less in-scope claims, so the third is the invalid-UTN claim.
- unpredicted denial: TX27000061 (a clean vagus nerve stimulator claim with its UTN) denied CO-50 on every
  line, CLP02 4.
- reversal: OH26000115 is paid in one run with G0289 denied CO-16 (MA130); a later run reverses it
  (CLP02 22, negative amounts) and then re-adjudicates it (CLP02 1) fully paid: not denied after correction.
- statuses 2 and 3: FL27000003 and NY27000054 processed as secondary, CA27000024 as tertiary.
- unjoinable: TX26009999 is not in claims.csv (a claim-level denial, CLP02 4, CO-29, no SVC).
- code not on the claim: CA26000110 line 2 is remitted as 29877 although the claim billed G0289.

samples/remit_worklist.csv lists the same denied lines (final adjudication only) as a billing system's
denial worklist would; samples/remit_expected.json says what is planted, claim by claim.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 20260835
VERSION = "005010X221A1"
SENDER, RECEIVER = "MEDICAREMAC", "CDMAUDIT"
PAYER = "MEDICARE"
PAYEE, PAYEE_NPI = "EXAMPLE REGIONAL MEDICAL CENTER", "1234567893"
LAST_REMITTED_DOS = dt.date(2026, 8, 24)
WISER_STATES = ("TX", "OK", "NJ", "OH", "WA", "AZ")
SKIN = tuple(f"1527{i}" for i in range(1, 9))
UNJOINABLE = "TX26009999"
PREDICTED = {"TX26000101": 2, "AZ26000124": 2, "AZ26000109": 1}  # claim -> WISeR line denied CO-197
ADDON = {"WA27000066": 2, "AZ27000147": 2}  # claim -> add-on line denied CO-15
UNPREDICTED = "TX27000061"
REVERSED = "OH26000115"
SECONDARY, TERTIARY = ("FL27000003", "NY27000054"), ("CA27000024",)
RECODED = ("CA26000110", 2, "29877")  # claim, line, code the payer remits instead of the billed one
# Denial reason per plant: (group, CARC, RARC or "").
CO50, CO15, CO197 = ("CO", "50", "N115"), ("CO", "15", "N54"), ("CO", "197", "")
CO16, CO29 = ("CO", "16", "MA130"), ("CO", "29", "")


@dataclass
class Line:
    """One claims.csv line and how it is adjudicated: denial None means paid."""

    number: str
    revenue_code: str
    code: str
    modifiers: str
    units: int
    dos: str
    denial: tuple[str, str, str] | None = None

    @property
    def charge(self) -> float:
        """make_837.py's charge: 100.00 per unit."""
        return 100.0 * self.units


@dataclass
class Claim:
    """One claim's adjudication: CLP02 status, lines, dates."""

    claim_id: str
    state: str
    dos: str
    lines: list[Line]
    status: str = "1"
    run: dt.date | None = None
    deductible: float = 0.0
    claim_cas: tuple[str, str, str] | None = None
    icn: str = ""
    sign: int = 1
    notes: list[str] = field(default_factory=list)


def load_claims(path: Path) -> dict[str, Claim]:
    """claims.csv grouped by claim id, first-seen order; only Original Medicare claims."""
    out: dict[str, Claim] = {}
    with path.open(newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if r["Payer"] != "MEDICARE":
                continue
            claim = out.setdefault(r["Claim ID"], Claim(r["Claim ID"], r["State"], r["Date of Service"], []))
            claim.lines.append(
                Line(
                    r["Line"],
                    r["Revenue Code"],
                    r["HCPCS"],
                    r["Modifiers"],
                    int(r["Units"]),
                    r["Date of Service"],
                )
            )
    return out


def run_date(dos: str) -> dt.date:
    """The monthly payment run (15th) of the month after the date of service plus 30 days."""
    due = dt.date.fromisoformat(dos) + dt.timedelta(days=30)
    return dt.date(due.year + due.month // 12, due.month % 12 + 1, 15)


def plan(claims: dict[str, Claim]) -> tuple[list[Claim], dict]:
    """The adjudications in file order, and the expected-plants document."""
    r = random.Random(SEED)
    remitted = [c for c in claims.values() if dt.date.fromisoformat(c.dos) <= LAST_REMITTED_DOS]
    nj_skin, skin_paid = [], []
    for c in remitted:
        c.run = run_date(c.dos)
        c.deductible = r.choice([0.0, 0.0, 0.0, 25.0, 50.0])
        if any(ln.code in SKIN for ln in c.lines) and c.state in WISER_STATES:
            if c.state == "NJ":
                nj_skin.append(c.claim_id)
                for ln in c.lines:
                    ln.denial = CO50 if ln.code in SKIN else None
            elif not any("ET" in ln.modifiers.split(",") for ln in c.lines):
                skin_paid.append(c.claim_id)
    # An NJ claim billing an add-on alone is refused whole: the product without an application is not paid.
    for ln in claims["NJ26000106"].lines:
        ln.denial = CO50
    claims["NJ26000106"].status = "4"
    for cid, n in ADDON.items():
        claims[cid].lines[n - 1].denial = CO15
    for cid, n in PREDICTED.items():
        claims[cid].lines[n - 1].denial = CO197
    for ln in claims[UNPREDICTED].lines:
        ln.denial = CO50
    claims[UNPREDICTED].status = "4"
    for cid in SECONDARY:
        claims[cid].status = "2"
    for cid in TERTIARY:
        claims[cid].status = "3"
    recoded = claims[RECODED[0]].lines[RECODED[1] - 1]
    recoded.code = RECODED[2]
    order = list(remitted)
    # The reversal: first run pays with one line denied; a later run takes it back and pays in full.
    first = claims[REVERSED]
    second = Claim(first.claim_id, first.state, first.dos, [_copy(ln) for ln in first.lines])
    reversal = Claim(first.claim_id, first.state, first.dos, [_copy(ln) for ln in first.lines], status="22")
    first.lines[1].denial = CO16
    reversal.lines[1].denial = CO16
    reversal.run = second.run = run_date(first.run.isoformat())
    reversal.sign, reversal.deductible, second.deductible = -1, first.deductible, first.deductible
    unjoinable = Claim(UNJOINABLE, "TX", "2026-03-10", [], status="4", run=run_date("2026-03-10"))
    unjoinable.claim_cas = CO29
    order += [reversal, second, unjoinable]
    order.sort(key=lambda c: (c.run, c.dos, c.claim_id, c is second))
    for i, c in enumerate(order, start=1):
        c.icn = f"{c.run:%y%j}{i:08d}"
    final = {c.claim_id: c for c in order}  # the last adjudication of each claim wins
    denied = sorted(cid for cid, c in final.items() if c.claim_cas or any(ln.denial for ln in c.lines))
    expected = {
        "patterns": [
            {
                "kind": "participant_category",
                "state": "NJ",
                "participant": "Genzeon",
                "service": "skin-substitutes",
                "carc": "CO-50",
                "rarc": "N115",
                "claims": nj_skin,
                "paid_elsewhere": skin_paid,
                "notes": "application lines 15271-15278 denied; NJ26000106 (add-on and product only) wholly "
                "denied, CLP02 4",
            },
            {
                "kind": "addon_under_affirmed_primary",
                "carc": "CO-15",
                "rarc": "N54",
                "claims": list(ADDON),
                "codes": sorted({claims[c].lines[n - 1].code for c, n in ADDON.items()}),
                "primary_paid": sorted({claims[c].lines[0].code for c in ADDON}),
            },
            {
                "kind": "predicted_prior_auth",
                "carc": "CO-197",
                "claims": list(PREDICTED),
                "lines": {c: n for c, n in PREDICTED.items()},
                "notes": "TX26000101 and AZ26000124 have no UTN on a WISeR line; AZ26000109 has a 12-character UTN",
            },
            {
                "kind": "unpredicted",
                "carc": "CO-50",
                "claims": [UNPREDICTED],
                "notes": "clean claim, CLP02 4",
            },
            {
                "kind": "reversal_corrected",
                "claims": [REVERSED],
                "notes": "paid with G0289 denied CO-16, reversed (22) and re-adjudicated fully paid (1) a month "
                "later: not denied after correction",
            },
            {"kind": "code_not_on_claim", "claims": [RECODED[0]], "line": RECODED[1], "code": RECODED[2]},
            {
                "kind": "partial_payment",
                "claims": sorted(
                    c.claim_id for c in final.values() if c.lines and not any(ln.denial for ln in c.lines)
                ),
                "notes": "paid below charge with only CO-45 and PR-1/PR-2: not denials",
            },
        ],
        "denied_claims": denied,
        "unjoinable_claims": [UNJOINABLE],
        "statuses": dict(sorted(Counter(c.status for c in order).items(), key=lambda kv: int(kv[0]))),
        "remitted_claims": len(final) - 1,
        "not_remitted_claims": None,  # filled in by main(): claims.csv has non-Medicare claims too
        "payment_runs": sorted({c.run.isoformat() for c in order}),
        "notes": "statuses count CLP segments (OH26000115 has three: 1, 22, 1); denied_claims is after "
        "reversals and corrections; one ST per monthly payment run (BPR16), all in one ISA/GS",
    }
    return order, expected


def _copy(ln: Line) -> Line:
    """The same claim line, not yet adjudicated."""
    return Line(ln.number, ln.revenue_code, ln.code, ln.modifiers, ln.units, ln.dos)


def money(x: float) -> str:
    """An X12 amount with two decimals."""
    return f"{x:.2f}"


def adjudicate(c: Claim) -> list[dict]:
    """Per line: charge, paid and CAS triplets [(group, reason, amount)], before the reversal sign."""
    out, deductible = [], c.deductible
    r = random.Random(f"{SEED}-{c.claim_id}")
    for ln in c.lines:
        if ln.denial:
            out.append({"paid": 0.0, "cas": [(ln.denial[0], ln.denial[1], ln.charge)], "rarc": ln.denial[2]})
            continue
        allowed = round(ln.charge * r.choice([0.55, 0.6, 0.65, 0.7, 0.75]), 2)
        ded = min(deductible, allowed)
        deductible -= ded
        coins = round((allowed - ded) * 0.2, 2)
        cas = [("CO", "45", round(ln.charge - allowed, 2))]
        cas += [("PR", "1", ded)] * (ded > 0) + [("PR", "2", coins)] * (coins > 0)
        out.append({"paid": round(allowed - ded - coins, 2), "cas": cas, "rarc": ""})
    return out


def seg(*elements: str) -> str:
    """One segment with its terminator; trailing empty elements dropped as X12 requires."""
    return "*".join(elements).rstrip("*") + "~"


def clp_segments(c: Claim) -> tuple[list[str], float, list[dict]]:
    """The 2100/2110 segments of one claim, its paid total (signed) and the adjudicated lines."""
    s = c.sign
    lines = adjudicate(c)
    charge = sum(ln.charge for ln in c.lines) or 1500.0
    paid = sum(x["paid"] for x in lines)
    patient = sum(a for x in lines for g, _, a in x["cas"] if g == "PR")
    out = [
        seg(
            "CLP",
            c.claim_id,
            c.status,
            money(s * charge),
            money(s * paid),
            money(s * patient) if patient else "",
            "MA",
            c.icn,
            "13",
            "1",
        ),
    ]
    if c.claim_cas:
        out.append(seg("CAS", c.claim_cas[0], c.claim_cas[1], money(s * charge)))
    out.append(
        seg(
            "NM1",
            "QC",
            "1",
            f"PATIENT{c.claim_id[-4:]}",
            "SAMPLE",
            "",
            "",
            "",
            "MI",
            f"1EG4TE5MK{c.claim_id[-3:]}",
        )
    )
    if c.status == "4" or any(x["cas"][0][0] == "CO" and x["cas"][0][1] != "45" for x in lines):
        out.append(seg("MOA", "", "", "MA01"))
    out.append(seg("DTM", "232", c.dos.replace("-", "")))
    for ln, x in zip(c.lines, lines, strict=True):
        composite = (
            ":".join(["HC", ln.code, *[m for m in ln.modifiers.split(",") if m]])
            if ln.code
            else f"NU:{ln.revenue_code}"
        )
        out.append(
            seg(
                "SVC",
                composite,
                money(s * ln.charge),
                money(s * x["paid"]),
                ln.revenue_code if ln.code else "",
                str(ln.units),
            )
        )
        out.append(seg("DTM", "472", ln.dos.replace("-", "")))
        for group in dict.fromkeys(g for g, _, _ in x["cas"]):
            triplets = [v for g, reason, a in x["cas"] if g == group for v in (reason, money(s * a), "")]
            out.append(seg("CAS", group, *triplets))
        out.append(seg("REF", "6R", ln.number))
        if x["rarc"]:
            out.append(seg("LQ", "HE", x["rarc"]))
    return out, s * paid, lines


def write_835(path: Path, order: list[Claim]) -> dict[str, list]:
    """Write the interchange; return the adjudicated lines per claim (final adjudication last)."""
    isa = f"ISA*00*{'':10}*00*{'':10}*ZZ*{SENDER:15}*ZZ*{RECEIVER:15}*260101*0600*^*00501*000000835*0*T*:~"
    body, adjudicated = [], {}
    runs = sorted({c.run for c in order})
    for n, run in enumerate(runs, start=1):
        st = f"{n:04d}"
        claims_segments, total = [], 0.0
        for c in (c for c in order if c.run == run):
            segs, paid, lines = clp_segments(c)
            claims_segments += segs
            total += paid
            adjudicated[c.claim_id] = (c, lines)
        d = f"{run:%Y%m%d}"
        method = (
            ("I", money(total), "C", "ACH", "CCP")
            if total > 0
            else ("H", money(max(total, 0)), "C", "NON", "")
        )
        bpr = (
            seg(
                "BPR",
                *method,
                "01",
                "011000015",
                "DA",
                "123456",
                "1512345678",
                "",
                "01",
                "011000015",
                "DA",
                "654321",
                d,
            )
            if total > 0
            else seg("BPR", *method, "", "", "", "", "", "", "", "", "", d)
        )
        tx = [
            seg("ST", "835", st),
            bpr,
            seg("TRN", "1", f"EFT{run:%Y%m}", "1512345678"),
            seg("DTM", "405", d),
            seg("N1", "PR", PAYER),
            seg("N3", "PO BOX 1000"),
            seg("N4", "BALTIMORE", "MD", "212440001"),
            seg("PER", "BL", "PROVIDER SERVICES", "TE", "5555550199"),
            seg("N1", "PE", PAYEE, "XX", PAYEE_NPI),
            seg("LX", "1"),
            *claims_segments,
        ]
        tx.append(seg("SE", str(len(tx) + 1), st))
        body += tx
    gs = seg("GS", "HP", SENDER, RECEIVER, "20260101", "0600", "835", "X", VERSION)
    text = "\n".join([isa, gs, *body, seg("GE", str(len(runs)), "835"), seg("IEA", "1", "000000835")]) + "\n"
    path.write_text(text, encoding="ascii", newline="")
    return adjudicated


def write_worklist(path: Path, order: list[Claim]) -> int:
    """The denied lines of each claim's final adjudication, as a denial worklist export; returns rows."""
    header = [
        "Patient Account #",
        "Payer ICN",
        "Ln",
        "CPT/HCPCS",
        "Mods",
        "Rev Cd",
        "Qty",
        "Service Date",
        "Billed Amt",
        "Paid Amt",
        "Reason Code(s)",
        "Remark",
        "Denial Date",
        "Payer",
        "Claim Status",
        "Assigned To",
    ]
    final = {c.claim_id: c for c in order}
    rows = []
    for c in sorted(final.values(), key=lambda c: (c.run, c.claim_id)):
        date = f"{c.run:%m/%d/%Y}"
        status = "Denied" if c.status == "4" else c.status
        if c.claim_cas:
            reason = f"{c.claim_cas[0]}-{c.claim_cas[1]}"
            rows.append(
                [
                    c.claim_id,
                    c.icn,
                    "",
                    "",
                    "",
                    "",
                    "",
                    _us(c.dos),
                    "1500.00",
                    "0.00",
                    reason,
                    "",
                    date,
                    PAYER,
                    status,
                    "Denials team",
                ]
            )
        for ln in c.lines:
            if not ln.denial:
                continue
            reason = f"{ln.denial[0]}-{ln.denial[1]}"
            rows.append(
                [
                    c.claim_id,
                    c.icn,
                    ln.number,
                    ln.code,
                    ln.modifiers,
                    ln.revenue_code,
                    str(ln.units),
                    _us(ln.dos),
                    money(ln.charge),
                    "0.00",
                    reason,
                    ln.denial[2],
                    date,
                    PAYER,
                    status,
                    "Denials team",
                ]
            )
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\r\n")
        w.writerow(["Denial worklist export", "", "Run 2026-10-20"])
        w.writerow(header)
        w.writerows(rows)
    return len(rows)


def _us(iso: str) -> str:
    """YYYY-MM-DD as MM/DD/YYYY, the way worklist exports write dates."""
    y, m, d = iso.split("-")
    return f"{m}/{d}/{y}"


def main() -> None:
    """Write remit.835, remit_worklist.csv and remit_expected.json from claims.csv."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--csv", type=Path, default=HERE / "claims.csv")
    ap.add_argument("--out-dir", type=Path, default=HERE)
    args = ap.parse_args()
    claims = load_claims(args.csv)
    with args.csv.open(newline="", encoding="utf-8") as fh:
        all_ids = {r["Claim ID"] for r in csv.DictReader(fh)}
    order, expected = plan(claims)
    write_835(args.out_dir / "remit.835", order)
    expected["not_remitted_claims"] = len(all_ids) - expected["remitted_claims"]
    expected["worklist_rows"] = write_worklist(args.out_dir / "remit_worklist.csv", order)
    (args.out_dir / "remit_expected.json").write_text(json.dumps(expected, indent=2) + "\n", encoding="utf-8")
    print(
        f"wrote remit.835 ({len(order)} CLP), remit_worklist.csv ({expected['worklist_rows']} rows), "
        f"remit_expected.json ({len(expected['denied_claims'])} denied claims)"
    )


if __name__ == "__main__":
    main()
