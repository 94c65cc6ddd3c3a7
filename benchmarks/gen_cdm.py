"""Generate realistic synthetic chargemaster workbooks (and CSV twins) for benchmarks.

Usage: python benchmarks/gen_cdm.py ROWS [ROWS ...] [--out benchmarks/data]

Modelled on `gen.py` in the perf notes (appendix A): strings go in the shared-strings table as Excel
writes them, and cell types are mixed the way real exports mix them:
  charge code   text, ~10% numeric cells, some text with leading zeros
  revenue code  '0278' text 80%, the number 278 15%, the text '278' 5%
  CPT/HCPCS     numeric CPTs stored as numbers ~40% of the time; HCPCS text; some '27447-RT' glued
                modifiers; some padded/lower-case; supplies and pharmacy often blank
  modifier      RT/LT/TC/59 text; 26/50 sometimes numeric
  price         float; ~2% text like '$1,234.56'
  effective     real date cells
  NDC           pharmacy rows: 11-digit text, or a number (zeros lost)
Every workbook has 2 title rows and a blank row above the header (header on row 4), like an export.
The CSV twin is what Excel's "Save as CSV" writes: title rows padded with commas, dates as m/d/yyyy.

`ensure(rows, out_dir)` returns (xlsx, csv) paths, regenerating only when a file is missing or was
made by another generator version.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import random
from pathlib import Path

GEN_VERSION = 1
SEED = 20260115
DATA_DIR = Path(__file__).resolve().parent / "data"
HEADER = [
    "Charge Code",
    "Charge Description",
    "Revenue Code",
    "CPT/HCPCS",
    "Modifier",
    "Price",
    "Department",
    "Status",
    "Effective Date",
    "NDC",
]
TITLE = [
    ["Example Regional Medical Center - Charge Description Master"],
    ["Extract date: 2026-01-15   Facility: 0001"],
    [],
]

DEPTS = [
    ("0278", "SUPPLIES IMPLANTS"),
    ("0272", "STERILE SUPPLY"),
    ("0250", "PHARMACY"),
    ("0636", "PHARMACY DRUGS DETAIL CODE"),
    ("0350", "CT SCAN"),
    ("0320", "RADIOLOGY DX"),
    ("0610", "MRI"),
    ("0300", "LABORATORY"),
    ("0301", "LAB CHEMISTRY"),
    ("0305", "LAB HEMATOLOGY"),
    ("0450", "EMERGENCY ROOM"),
    ("0360", "OR SERVICES"),
    ("0420", "PHYSICAL THERAPY"),
    ("0730", "EKG/ECG"),
    ("0510", "CLINIC"),
    ("0762", "OBSERVATION"),
    ("0921", "PERIPHERAL VASCULAR LAB"),
]
SUPPLY_WORDS = [
    "SYRINGE",
    "CATHETER",
    "SUTURE",
    "STENT",
    "SCREW",
    "PLATE",
    "ANCHOR",
    "GRAFT",
    "MESH",
    "LEAD",
    "SHEATH",
    "GUIDEWIRE",
    "DRESSING",
    "TRAY",
    "KIT",
    "PUMP",
]
SUPPLY_ADJ = [
    "10ML",
    "LUER LOCK",
    "4.5MM",
    "TITANIUM",
    "ABSORBABLE",
    "DES 3.0X18",
    "SILICONE",
    "STERILE",
    "DISP",
    "PED",
    "ADULT",
    "20FR",
    "2-0 VICRYL",
    "LG",
    "SM",
    "MED",
]
DRUGS = [
    "ONDANSETRON 4MG INJ",
    "CEFAZOLIN 1GM VIAL",
    "HEPARIN 5000 UNIT",
    "KETOROLAC 30MG INJ",
    "DEXAMETHASONE 4MG",
    "PROPOFOL 200MG/20ML",
    "INSULIN REGULAR 100U/ML",
    "CEFTRIAXONE 1GM",
    "ACETAMINOPHEN 325MG TAB",
    "SODIUM CHLORIDE 0.9% 1000ML",
    "ENOXAPARIN 40MG SYR",
]
HCPCS_DRUG = ["J2405", "J0690", "J1644", "J1885", "J1100", "J2704", "J1815", "J0696", "J7050", "J1650"]
# Hospital-style short labels (never CPT descriptor text).
PROCS = {
    "CT SCAN": [
        ("70450", "HC CT HEAD W/O"),
        ("74177", "HC CT ABD/PELV W/CONTRAST"),
        ("71250", "HC CT CHEST W/O"),
    ],
    "RADIOLOGY DX": [
        ("71046", "HC XR CHEST 2V"),
        ("73030", "HC XR SHOULDER 2V+"),
        ("73562", "HC XR KNEE 3V"),
    ],
    "MRI": [("70551", "HC MRI BRAIN W/O"), ("72148", "HC MRI L-SPINE W/O")],
    "LABORATORY": [("80053", "HC CMP"), ("85025", "HC CBC W/AUTO DIFF"), ("87635", "HC SARS-COV-2 NAAT")],
    "LAB CHEMISTRY": [("82947", "HC GLUCOSE BLD QUANT"), ("84443", "HC TSH")],
    "LAB HEMATOLOGY": [("85610", "HC PT/INR"), ("85730", "HC PTT")],
    "EMERGENCY ROOM": [
        ("99283", "HC ED VISIT LEVEL 3"),
        ("99285", "HC ED VISIT LEVEL 5"),
        ("G0378", "HC OBSERVATION PER HR"),
    ],
    "OR SERVICES": [
        ("27447", "HC KNEE ARTHROPLASTY TOTAL"),
        ("15271", "HC SKIN SUB APPL TRUNK 1ST 25SQCM"),
        ("29881", "HC KNEE SCOPE MENISCECTOMY"),
        ("63685", "HC SCS GENERATOR INSERT"),
    ],
    "PHYSICAL THERAPY": [("97110", "HC PT THER EXERCISE EA 15MIN"), ("97161", "HC PT EVAL LOW COMPLEXITY")],
    "EKG/ECG": [("93005", "HC EKG TRACING ONLY")],
    "CLINIC": [("G0463", "HC CLINIC VISIT HOPD"), ("20610", "HC ARTHROCENTESIS MAJOR JOINT")],
    "OBSERVATION": [("G0378", "HC OBSERVATION PER HR")],
    "PERIPHERAL VASCULAR LAB": [("93970", "HC VENOUS DUPLEX BILAT"), ("93880", "HC CAROTID DUPLEX BILAT")],
}
SUPPLY_HCPCS = ["C1713", "C1776", "C1781", "C1874", "C1778", "C1767", "Q4101", "C1889", "", ""]
MODS = ["", "", "", "", "", "", "RT", "LT", "TC", "59", "26", "50", "XU", "25"]


def make_rows(n: int, seed: int = SEED) -> list[list]:
    """n chargemaster rows with mixed cell types (int/float/str/date/None)."""
    rnd = random.Random(seed)
    base_date = dt.date(2019, 1, 1)
    rows = []
    for _ in range(n):
        rev, dept = rnd.choice(DEPTS)
        ndc = None
        if dept.startswith("SUPPLIES") or dept == "STERILE SUPPLY":
            desc = f"HC {rnd.choice(SUPPLY_WORDS)} {rnd.choice(SUPPLY_ADJ)} {rnd.choice(SUPPLY_ADJ)}"
            cpt = rnd.choice(SUPPLY_HCPCS)
            price = round(rnd.lognormvariate(4.5, 1.6), 2)
        elif dept.startswith("PHARMACY"):
            desc = "RX " + rnd.choice(DRUGS)
            cpt = rnd.choice(HCPCS_DRUG) if rnd.random() < 0.6 else ""
            ndc = f"{rnd.randint(0, 99999):05d}{rnd.randint(0, 9999):04d}{rnd.randint(0, 99):02d}"
            price = round(rnd.lognormvariate(3.5, 1.4), 2)
        else:
            cpt, d = rnd.choice(PROCS[dept])
            desc = d + (f" {rnd.randint(1, 99)}" if rnd.random() < 0.5 else "")
            price = round(rnd.lognormvariate(6, 1.1), 2)
        mod = rnd.choice(MODS) if cpt and cpt[0].isdigit() else ""
        if cpt:
            q = rnd.random()
            if cpt.isdigit() and q < 0.40:
                cpt_cell = int(cpt)
            elif q < 0.45 and mod:
                cpt_cell = f"{cpt}-{mod}"
            elif q < 0.50:
                cpt_cell = f" {cpt.lower()} "
            else:
                cpt_cell = cpt
        else:
            cpt_cell = None
        rq = rnd.random()
        rev_cell = rev if rq < 0.80 else (int(rev) if rq < 0.95 else rev.lstrip("0"))
        cc = f"{rnd.randint(1000000, 99999999):08d}"
        cq = rnd.random()
        cc_cell = int(cc) if cq < 0.10 else (("00" + cc[2:]) if cq < 0.15 else cc)
        mod_cell = int(mod) if (mod.isdigit() and rnd.random() < 0.5) else (mod or None)
        price_cell = f"${price:,.2f}" if rnd.random() < 0.02 else price
        status = rnd.choice(["Active"] * 8 + ["Inactive", "A", "I"])
        eff = base_date + dt.timedelta(days=rnd.randint(0, 2600))
        ndc_cell = (int(ndc) if rnd.random() < 0.3 else ndc) if ndc else None
        rows.append([cc_cell, desc, rev_cell, cpt_cell, mod_cell, price_cell, dept, status, eff, ndc_cell])
    return rows


def _csv_val(v):
    if v is None:
        return ""
    if isinstance(v, dt.date):
        return f"{v.month}/{v.day}/{v.year}"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return v


def write(n: int, out_dir: Path) -> tuple[Path, Path]:
    """Write cdm_<n>.xlsx and cdm_<n>.csv; return their paths."""
    import xlsxwriter

    out_dir.mkdir(parents=True, exist_ok=True)
    rows = make_rows(n)
    xlsx, csv_path = out_dir / f"cdm_{n}.xlsx", out_dir / f"cdm_{n}.csv"
    wb = xlsxwriter.Workbook(str(xlsx), {"strings_to_numbers": False, "strings_to_urls": False})
    wb.set_properties({"created": dt.datetime(2026, 1, 15)})
    ws = wb.add_worksheet("CDM")
    date_fmt = wb.add_format({"num_format": "m/d/yyyy"})
    for r, title in enumerate(TITLE):
        for c, v in enumerate(title):
            ws.write_string(r, c, v)
    r0 = len(TITLE)
    ws.write_row(r0, 0, HEADER)
    for i, row in enumerate(rows, start=r0 + 1):
        for j, v in enumerate(row):
            if v is None:
                continue
            if isinstance(v, dt.date):
                ws.write_datetime(i, j, dt.datetime(v.year, v.month, v.day), date_fmt)
            elif isinstance(v, (int, float)):
                ws.write_number(i, j, v)
            else:
                ws.write_string(i, j, v)
    wb.close()
    with csv_path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\r\n")
        width = len(HEADER)
        for title in TITLE:
            w.writerow(title + [""] * (width - len(title)))
        w.writerow(HEADER)
        for row in rows:
            w.writerow([_csv_val(v) for v in row])
    (out_dir / f"cdm_{n}.json").write_text(json.dumps({"gen_version": GEN_VERSION, "seed": SEED, "rows": n}))
    return xlsx, csv_path


def ensure(n: int, out_dir: Path = DATA_DIR) -> tuple[Path, Path]:
    """Paths of the n-row workbook and CSV, generating them if absent or stale."""
    xlsx, csv_path, meta = out_dir / f"cdm_{n}.xlsx", out_dir / f"cdm_{n}.csv", out_dir / f"cdm_{n}.json"
    try:
        info = json.loads(meta.read_text())
        if (
            info.get("gen_version") == GEN_VERSION
            and info.get("seed") == SEED
            and xlsx.exists()
            and csv_path.exists()
        ):
            return xlsx, csv_path
    except (OSError, ValueError):
        pass
    return write(n, out_dir)


def main() -> None:
    ap = argparse.ArgumentParser(description="Generate synthetic chargemaster workbooks for benchmarks.")
    ap.add_argument("rows", type=int, nargs="+")
    ap.add_argument("--out", type=Path, default=DATA_DIR)
    args = ap.parse_args()
    for n in args.rows:
        x, c = ensure(n, args.out)
        print(f"{x} ({x.stat().st_size / 1e6:.1f} MB), {c} ({c.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
