"""Write the sample inputs: a realistic synthetic chargemaster with planted defects, its clean twin,
an encoder pairing table, claim lines, and the list of every planted defect.

Usage: python samples/make_samples.py [--out DIR]

Deterministic: a fixed seed, fixed workbook properties, and per-line random streams keyed by a stable
line id, so adding a line does not reshuffle the others. Writes into the folder of this script unless
--out is given:

  chargemaster.xlsx         sheet "CDM": 2 title rows + blank row, header on row 4; sheet "Notes": free text
  chargemaster_clean.xlsx   the same chargemaster with every planted defect corrected
  pairing_table.csv         encoder procedure -> device/product links, some wrong
  claims.csv                claim lines for the claims issue (WISeR states, units, missing devices)
  expected_defects.json     every planted defect, machine-readable (rows as Excel shows them)
  EXPECTED.md               the same, for people

Descriptions are this hospital's own abbreviations; no CPT descriptor text is used anywhere. HCPCS
Level II descriptors (public domain) appear only in the pairing table's "Linked Description".
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gzip
import json
import random
from dataclasses import dataclass, replace
from pathlib import Path

SEED = 20260115
HERE = Path(__file__).resolve().parent
REPO = HERE.parent
TITLE = "Example Regional Medical Center \u2014 Chargemaster export"
RUN_LINE = "Run date: 2026-01-15 06:02   Facility: 0001   Extract: CDM_FULL_ACTIVE_INACTIVE   User: CDMEXPORT"
HEADER = [
    "Charge Code",
    "Charge Description",
    "Rev Code",
    "CPT/HCPCS",
    "Modifier",
    "Price",
    "Department",
    "Status",
    "Effective Date",
]
HEADER_ROW = 4  # as Excel shows it; data starts on row 5
SHEET = "CDM"
CATEGORIES = (
    "invalid_code",
    "deleted_code",
    "not_payable_in_setting",
    "revenue_code_mismatch",
    "missing_companion",
    "orphan_component",
    "pairing_mismatch",
    "description_mismatch",
    "addon_without_primary",
    "unit_mismatch",
    "modifier_issue",
    "duplicate",
    "price_outlier",
)
# Claim-only categories (ICD-10-CM quality and fit, WISeR prior authorization).
CLAIM_CATEGORIES = (
    "diagnosis_invalid",
    "diagnosis_not_billable",
    "diagnosis_unspecified",
    "diagnosis_unspecified_laterality",
    "diagnosis_other",
    "diagnosis_laterality_conflict",
    "diagnosis_not_fit",
    "prior_auth_missing",
    "prior_auth_invalid",
    "prior_auth_not_covered",
)
FIXED_CREATED = dt.datetime(2026, 1, 15, 6, 2, 0)
NOTES = [
    "CDM coordinator notes (not part of the price list)",
    "",
    "Prices effective 01/01/2026 unless a later effective date is shown on the line.",
    "Skin substitute products are billed per sq cm (HCPCS unit); see wound care policy WC-14.",
    "Neurostimulator devices: C-code review done 11/2025 (J. Alvarez, Materials Mgmt).",
    "Open item: confirm revenue code for 2026 skin substitute products (0636 vs 0278) with PFS.",
    "Questions: chargemaster@example-rmc.org  ext. 4471",
]


@dataclass
class Defect:
    """A planted defect on one line, and how the clean twin fixes it."""

    category: str
    what: str
    fix: str
    also: tuple[str, ...] = ()
    severity: str = "warning"  # suggested only; the rules decide
    findable: str = ""  # how a CDM-scope audit can see it
    related: tuple[str, ...] = ()  # keys of lines that make the defect visible


@dataclass
class Line:
    """One chargemaster line, with the cell forms it is written in."""

    key: str
    cc: str
    desc: str
    rev: str
    code: str | None
    price: float
    dept: str
    mod: str | None = None
    status: str = "Active"
    eff: dt.date | None = None
    code_cell: object = "auto"  # "auto": decided by quirks; otherwise the exact cell value
    rev_cell: object = "auto"
    price_cell: object = "auto"
    cc_cell: object = "auto"
    defect: Defect | None = None
    clean: dict | None = None  # replacements for the clean twin; {"drop": True} removes the line
    clean_only: bool = False


def rng(key: str) -> random.Random:
    """A random stream per line id (string seeds hash with SHA-512, so this is stable across runs)."""
    return random.Random(f"{SEED}:{key}")


# --------------------------------------------------------------------------------------------------
# Everyday lines: (code, description, revenue code, base price)
# --------------------------------------------------------------------------------------------------
LAB = [
    ("36415", "HC VENIPUNCTURE ROUTINE", "0300", 22),
    ("80053", "HC CMP", "0301", 265),
    ("80048", "HC BMP", "0301", 180),
    ("85025", "HC CBC W/AUTO DIFF", "0305", 95),
    ("85027", "HC CBC NO DIFF", "0305", 72),
    ("84443", "HC TSH", "0301", 160),
    ("85610", "HC PT/INR", "0305", 58),
    ("85730", "HC PTT", "0305", 78),
    ("83036", "HC HGB A1C", "0301", 120),
    ("80061", "HC LIPID PANEL", "0301", 150),
    ("84484", "HC TROPONIN I QUANT", "0301", 210),
    ("83735", "HC MAGNESIUM", "0301", 62),
    ("83605", "HC LACTIC ACID", "0301", 120),
    ("82565", "HC CREATININE BLD", "0301", 48),
    ("84132", "HC POTASSIUM SERUM", "0301", 40),
    ("82947", "HC GLUCOSE BLD QUANT", "0301", 35),
    ("81003", "HC UA AUTO W/O MICRO", "0307", 42),
    ("81025", "HC URINE HCG", "0307", 55),
    ("87086", "HC URINE CULTURE COLONY CT", "0306", 95),
    ("87040", "HC BLOOD CULTURE AEROBIC", "0306", 140),
    ("87635", "HC SARS-COV-2 NAAT", "0306", 240),
    ("87804", "HC FLU AG RAPID", "0306", 85),
    ("86850", "HC RBC ANTIBODY SCREEN", "0302", 75),
    ("86900", "HC BLOOD TYPING ABO", "0302", 45),
    ("86901", "HC BLOOD TYPING RH", "0302", 45),
    ("82803", "HC BLOOD GAS ART", "0301", 240),
    ("84100", "HC PHOSPHORUS", "0301", 44),
    ("82310", "HC CALCIUM TOTAL", "0301", 38),
    ("83690", "HC LIPASE", "0301", 70),
    ("82150", "HC AMYLASE", "0301", 66),
    ("84450", "HC AST (SGOT)", "0301", 42),
    ("84460", "HC ALT (SGPT)", "0301", 44),
    ("82040", "HC ALBUMIN SERUM", "0301", 36),
    ("84075", "HC ALK PHOS", "0301", 40),
    ("82248", "HC BILIRUBIN DIRECT", "0301", 41),
    ("82550", "HC CK TOTAL", "0301", 68),
    ("83880", "HC BNP", "0301", 310),
    ("85379", "HC D-DIMER QUANT", "0305", 180),
    ("86140", "HC CRP", "0302", 72),
    ("85651", "HC SED RATE NON-AUTO", "0305", 40),
    ("84153", "HC PSA TOTAL", "0301", 130),
    ("82728", "HC FERRITIN", "0301", 95),
    ("83540", "HC IRON", "0301", 60),
    ("82607", "HC VITAMIN B12", "0301", 110),
    ("82746", "HC FOLATE SERUM", "0301", 105),
    ("84439", "HC FREE T4", "0301", 120),
    ("87070", "HC CULTURE BACT OTHER SOURCE", "0306", 110),
    ("87880", "HC STREP A AG RAPID", "0306", 78),
    ("86592", "HC SYPHILIS TEST NON-TREP", "0302", 48),
    ("86803", "HC HEP C AB", "0302", 96),
    ("87340", "HC HEP B SURFACE AG", "0306", 82),
    ("84702", "HC HCG QUANT", "0301", 115),
    ("80076", "HC HEPATIC FUNCTION PANEL", "0301", 150),
    ("80069", "HC RENAL FUNCTION PANEL", "0301", 170),
    ("82330", "HC CALCIUM IONIZED", "0301", 88),
    ("83615", "HC LDH", "0301", 62),
    ("84550", "HC URIC ACID BLD", "0301", 46),
    ("85018", "HC HEMOGLOBIN", "0305", 30),
]
RAD = [
    ("71046", "HC XR CHEST 2V", "0320", 320),
    ("71045", "HC XR CHEST 1V", "0320", 210),
    ("73562", "HC XR KNEE 3V", "0320", 312),
    ("73030", "HC XR SHOULDER 2V+", "0320", 290),
    ("72100", "HC XR L-SPINE 2/3V", "0320", 340),
    ("73610", "HC XR ANKLE 3V+", "0320", 280),
    ("73630", "HC XR FOOT 3V+", "0320", 275),
    ("73110", "HC XR WRIST 3V+", "0320", 270),
    ("73130", "HC XR HAND 3V+", "0320", 265),
    ("74018", "HC XR ABD 1V", "0320", 230),
    ("72040", "HC XR C-SPINE 2/3V", "0320", 310),
    ("73090", "HC XR FOREARM 2V", "0320", 250),
    ("70360", "HC XR NECK SOFT TISSUE", "0320", 220),
]
CT = [
    ("70450", "HC CT HEAD W/O", "0350", 1850),
    ("74177", "HC CT ABD/PELV W/CONTRAST", "0350", 3400),
    ("74176", "HC CT ABD/PELV W/O", "0350", 2900),
    ("71250", "HC CT CHEST W/O", "0350", 2100),
    ("71260", "HC CT CHEST W/CONTRAST", "0350", 2500),
    ("70486", "HC CT MAXFACIAL W/O", "0350", 1700),
    ("70496", "HC CTA HEAD", "0350", 3100),
]
MRI = [
    ("70551", "HC MRI BRAIN W/O", "0610", 3200),
    ("70553", "HC MRI BRAIN W/O+W", "0610", 4700),
    ("72148", "HC MRI L-SPINE W/O", "0610", 3100),
    ("72141", "HC MRI C-SPINE W/O", "0610", 3050),
    ("73721", "HC MRI KNEE W/O", "0610", 2950),
]
US = [
    ("76700", "HC US ABD COMPLETE", "0402", 980),
    ("76705", "HC US ABD LTD", "0402", 620),
    ("76856", "HC US PELVIS COMPLETE", "0402", 850),
    ("76536", "HC US SOFT TISSUE HEAD/NECK", "0402", 700),
    ("93971", "HC VENOUS DUPLEX EXTREM UNILAT", "0921", 1100),
    ("93880", "HC CAROTID DUPLEX BILAT", "0921", 1350),
]
CARDIO = [
    ("93005", "HC EKG TRACING ONLY", "0730", 180),
    ("93306", "HC ECHO TTE COMPLETE W/DOPPLER", "0483", 2600),
    ("93017", "HC STRESS TEST TRACING ONLY", "0482", 880),
]
ED = [
    ("99281", "HC ED VISIT LEVEL 1", "0450", 210),
    ("99282", "HC ED VISIT LEVEL 2", "0450", 420),
    ("99283", "HC ED VISIT LEVEL 3", "0450", 780),
    ("99284", "HC ED VISIT LEVEL 4", "0450", 1350),
    ("99285", "HC ED VISIT LEVEL 5", "0450", 2400),
    ("99291", "HC CRITICAL CARE 1ST 30-74 MIN", "0450", 3900),
    ("12001", "HC LAC REPAIR SIMPLE 2.5CM OR LESS", "0450", 650),
    ("12002", "HC LAC REPAIR SIMPLE 2.6-7.5CM", "0450", 820),
    ("10060", "HC I&D ABSCESS SIMPLE", "0450", 700),
    ("51702", "HC FOLEY CATH INSERT TEMP", "0450", 310),
    ("36600", "HC ARTERIAL PUNCTURE", "0450", 190),
]
OTHER_SVC = [
    ("G0378", "HC OBSERVATION PER HR", "0762", 95, "OBSERVATION"),
    ("G0463", "HC CLINIC VISIT HOPD", "0510", 320, "CLINIC"),
    ("96360", "HC IV HYDRATION 1ST HR", "0260", 420, "IV THERAPY"),
    ("96361", "HC IV HYDRATION EA ADDL HR", "0260", 140, "IV THERAPY"),
    ("96365", "HC IV INFUSION THER 1ST HR", "0260", 520, "IV THERAPY"),
    ("96374", "HC IV PUSH INITIAL", "0260", 290, "IV THERAPY"),
    ("96375", "HC IV PUSH EA ADDL SEQ", "0260", 120, "IV THERAPY"),
    ("94640", "HC NEBULIZER TREATMENT", "0410", 140, "RESPIRATORY"),
    ("94760", "HC PULSE OX SINGLE", "0410", 35, "RESPIRATORY"),
    ("97110", "HC PT THER EXERCISE EA 15MIN", "0420", 120, "PHYSICAL THERAPY"),
    ("97116", "HC PT GAIT TRAINING EA 15MIN", "0420", 115, "PHYSICAL THERAPY"),
    ("97140", "HC PT MANUAL THERAPY EA 15MIN", "0420", 125, "PHYSICAL THERAPY"),
    ("97530", "HC PT THER ACTIVITIES EA 15MIN", "0420", 130, "PHYSICAL THERAPY"),
    ("97161", "HC PT EVAL LOW COMPLEXITY", "0424", 280, "PHYSICAL THERAPY"),
    ("97162", "HC PT EVAL MOD COMPLEXITY", "0424", 320, "PHYSICAL THERAPY"),
    ("G0283", "HC E-STIM UNATTENDED", "0420", 60, "PHYSICAL THERAPY"),
]
DRUGS_J = [
    ("J2405", "RX ONDANSETRON INJ PER 1MG", "0636", 18),
    ("J1100", "RX DEXAMETHASONE SOD PHOS INJ 1MG", "0636", 9),
    ("J0690", "RX CEFAZOLIN INJ 500MG", "0636", 38),
    ("J0696", "RX CEFTRIAXONE INJ 250MG", "0636", 42),
    ("J1885", "RX KETOROLAC INJ 15MG", "0636", 22),
    ("J3010", "RX FENTANYL INJ 0.1MG", "0636", 19),
    ("J2270", "RX MORPHINE INJ 10MG", "0636", 24),
    ("J1644", "RX HEPARIN INJ PER 1000U", "0636", 12),
    ("J1642", "RX HEPARIN LOCK FLUSH PER 10U", "0636", 5),
    ("J2704", "RX PROPOFOL INJ 10MG", "0636", 11),
    ("J2250", "RX MIDAZOLAM INJ PER 1MG", "0636", 14),
    ("J2550", "RX PROMETHAZINE INJ 50MG", "0636", 28),
    ("J1815", "RX INSULIN REGULAR PER 5U", "0636", 8),
    ("J1650", "RX ENOXAPARIN INJ 10MG", "0636", 26),
    ("J0131", "RX ACETAMINOPHEN IV 10MG", "0636", 4.5),
    ("J2795", "RX ROPIVACAINE INJ 1MG", "0636", 2.8),
    ("J2710", "RX NEOSTIGMINE INJ 0.5MG", "0636", 35),
    ("Q9967", "RX LOCM 300-399MG/ML PER ML", "0636", 6),
    ("A9579", "RX GADOLINIUM CONTRAST PER ML", "0636", 14),
    ("J7050", "RX SODIUM CHLORIDE 0.9% 250ML", "0258", 48),
    ("J7120", "RX LACTATED RINGERS 1000ML", "0258", 65),
]
DRUGS_NOCODE = [
    "RX ACETAMINOPHEN 325MG TAB",
    "RX IBUPROFEN 600MG TAB",
    "RX OXYCODONE 5MG TAB",
    "RX DOCUSATE 100MG CAP",
    "RX ASPIRIN 81MG CHEW TAB",
    "RX LISINOPRIL 10MG TAB",
    "RX METOPROLOL TART 25MG TAB",
    "RX PANTOPRAZOLE 40MG TAB",
    "RX ATORVASTATIN 40MG TAB",
    "RX SENNA 8.6MG TAB",
    "RX LIDOCAINE 1% 5ML VIAL",
    "RX BACITRACIN OINT 1GM PKT",
    "RX AMLODIPINE 5MG TAB",
    "RX FUROSEMIDE 20MG TAB",
    "RX PREDNISONE 10MG TAB",
    "RX CEPHALEXIN 500MG CAP",
    "RX GABAPENTIN 300MG CAP",
    "RX POTASSIUM CHLORIDE 20MEQ TAB",
]
OR_TIME = [
    ("HC OR LEVEL 1 1ST 30MIN", "0360", 2800),
    ("HC OR LEVEL 1 EA ADDL 15MIN", "0360", 950),
    ("HC OR LEVEL 2 1ST 30MIN", "0360", 3400),
    ("HC OR LEVEL 2 EA ADDL 15MIN", "0360", 1150),
    ("HC OR LEVEL 3 1ST 30MIN", "0360", 4100),
    ("HC OR LEVEL 3 EA ADDL 15MIN", "0360", 1400),
    ("HC ANESTHESIA GENERAL 1ST 30MIN", "0370", 1100),
    ("HC ANESTHESIA EA ADDL 15MIN", "0370", 310),
    ("HC PACU PHASE I 1ST 30MIN", "0710", 780),
    ("HC PACU PHASE I EA ADDL 15MIN", "0710", 260),
    ("HC PACU PHASE II 1ST HR", "0710", 420),
]
SUPPLIES = [
    "HC DRESSING FOAM 4X4",
    "HC SUTURE VICRYL 2-0 CT-1",
    "HC TRAY FOLEY 16FR",
    "HC GLOVE SURG STERILE 7.5",
    "HC DRAPE SPLIT SHEET",
    "HC CATHETER IV 20G",
    "HC SYRINGE 10ML LUER LOCK",
    "HC GAUZE KERLIX ROLL",
    "HC TUBING SUCTION 12FT",
    "HC ELECTRODE ESU PAD ADULT",
    "HC BLADE SCALPEL #15",
    "HC STAPLER SKIN 35W",
    "HC SPONGE LAP 18X18 5PK",
    "HC TOURNIQUET CUFF 34IN",
    "HC ARTHRO SHAVER BLADE 4.5MM",
    "HC ARTHRO TUBING INFLOW",
    "HC WAND ABLATION ARTHRO 90DEG",
    "HC SLING ARM PADDED MED",
    "HC KNEE IMMOBILIZER 20IN",
    "HC NEG PRESSURE DRSG KIT MED",
    "HC SUTURE ETHILON 4-0 PS-2",
    "HC SUTURE MONOCRYL 3-0 PS-1",
    "HC DRESSING TEGADERM 4X4.75",
    "HC DRESSING XEROFORM 5X9",
    "HC BANDAGE COBAN 4IN",
    "HC PACK BASIC SURGICAL",
    "HC PACK ARTHROSCOPY KNEE",
    "HC GOWN SURG XL",
    "HC SPLINT PLASTER 4X15",
    "HC CAST PADDING 4IN",
    "HC SUCTION CANISTER 3000ML",
    "HC TRAY LUMBAR PUNCTURE",
    "HC TRAY CENTRAL LINE TRIPLE",
    "HC NEEDLE SPINAL 22G 3.5IN",
    "HC NEEDLE TUOHY 14G",
    "HC TRAY EPIDURAL",
    "HC LEAD ANCHOR SILICONE",
    "HC TUNNELER 35CM",
    "HC SKIN PREP CHG 26ML",
    "HC WOUND CLOSURE STRIPS 1/2IN",
    "HC COLLAGEN ALGINATE 4X4",
    "HC SILVER ALGINATE ROPE 12IN",
    "HC HYDROCOLLOID 4X4",
    "HC COMPRESSION WRAP 4-LAYER",
    "HC CATHETER SUCTION 14FR",
    "HC MASK OXYGEN NON-REBREATHER",
    "HC CANNULA NASAL ADULT",
    "HC BAG URINE DRAINAGE 2000ML",
    "HC ELECTRODE ECG FOAM 5PK",
    "HC PAD ABD 8X10",
    "HC DRAIN JP 10FR FLAT",
    "HC RESERVOIR JP 100ML",
    "HC BLADE CLIPPER SURG",
    "HC NEEDLE HYPO 18G 1.5IN",
    "HC SET IV PRIMARY 15DROP",
    "HC STOCKINETTE 4IN",
]


def _everyday() -> list[Line]:
    """Lines with nothing wrong: labs, imaging, ED, drugs, supplies, OR time."""
    out: list[Line] = []

    def add(
        prefix: str, seq: int, key: str, desc: str, rev: str, code: str | None, price: float, dept: str, **kw
    ) -> None:
        r = rng(key)
        out.append(Line(key, f"{prefix}{seq:05d}", desc, rev, code, _price(r, price), dept, **kw))

    for i, (code, desc, rev, p) in enumerate(LAB):
        add("300", 100 + i * 7, f"lab.{code}", desc, rev, code, p, "LABORATORY")
    for i, (code, desc, rev, p) in enumerate(RAD):
        add("320", 100 + i * 11, f"rad.{code}", desc, rev, code, p, "RADIOLOGY")
    for i, (code, desc, rev, p) in enumerate(CT):
        add("350", 100 + i * 11, f"ct.{code}", desc, rev, code, p, "CT SCAN")
    for i, (code, desc, rev, p) in enumerate(MRI):
        add("610", 100 + i * 11, f"mri.{code}", desc, rev, code, p, "MRI")
    for i, (code, desc, rev, p) in enumerate(US):
        add("402", 100 + i * 11, f"us.{code}", desc, rev, code, p, "ULTRASOUND")
    for i, (code, desc, rev, p) in enumerate(CARDIO):
        add("730", 100 + i * 11, f"card.{code}", desc, rev, code, p, "CARDIOLOGY")
    for i, (code, desc, rev, p) in enumerate(ED):
        add("450", 100 + i * 9, f"ed.{code}", desc, rev, code, p, "EMERGENCY")
    for i, (code, desc, rev, p, dept) in enumerate(OTHER_SVC):
        prefix = {
            "OBSERVATION": "762",
            "CLINIC": "510",
            "IV THERAPY": "260",
            "RESPIRATORY": "410",
            "PHYSICAL THERAPY": "420",
        }[dept]
        add(prefix, 100 + i * 13, f"svc.{code}", desc, rev, code, p, dept)
    for i, (code, desc, rev, p) in enumerate(DRUGS_J):
        add("636" if rev == "0636" else "258", 1000 + i * 17, f"rxj.{code}", desc, rev, code, p, "PHARMACY")
    for i, desc in enumerate(DRUGS_NOCODE):
        add("250", 2000 + i * 17, f"rx.{i}", desc, "0250", None, rng(f"rxp{i}").uniform(1.5, 24), "PHARMACY")
    for i, (desc, rev, p) in enumerate(OR_TIME):
        dept = {"0360": "OPERATING ROOM", "0370": "ANESTHESIA", "0710": "RECOVERY"}[rev]
        add(rev[1:], 10 + i * 10, f"ortime.{i}", desc, rev, None, p, dept)
    for i, desc in enumerate(SUPPLIES):
        r = rng(f"sup{i}")
        out.append(
            Line(
                f"sup.{i}",
                f"0272{1000 + i * 23:04d}",
                desc,
                "0272",
                None,
                round(r.lognormvariate(4.2, 0.9), 2),
                "STERILE SUPPLY",
                status="Inactive" if i in (7, 31) else "Active",
            )
        )
    # Everyday OR / clinic procedures and implants that go with them.
    add("360", 500, "or.27447", "HC KNEE ARTHROPLASTY TOTAL", "0360", "27447", 41000, "OPERATING ROOM")
    add("360", 510, "or.29888", "HC KNEE SCOPE ACL RECONSTRUCTION", "0360", "29888", 16800, "OPERATING ROOM")
    add(
        "360", 520, "or.29880", "HC KNEE SCOPE MENISCECTOMY MED+LAT", "0360", "29880", 11200, "OPERATING ROOM"
    )
    add(
        "278",
        300,
        "imp.c1776",
        "HC KNEE SYSTEM TOTAL PRIMARY CEMENTED",
        "0278",
        "C1776",
        9800,
        "SUPPLIES IMPLANTS",
    )
    anchors = [
        ("HC ANCHOR SUTURE 2.9MM PEEK", 640),
        ("HC ANCHOR SUTURE 4.75MM SWIVEL", 910),
        ("HC SCREW INTERFERENCE 8X25 BIOCOMP", 780),
        ("HC SCREW CANNULATED 6.5MM TI", 520),
        ("HC ANCHOR KNOTLESS 3.0MM", 860),
        ("HC SCREW CORTICAL 3.5X30", 410),
    ]
    for i, (desc, p) in enumerate(anchors):
        add("278", 400 + i * 10, f"imp.c1713.{i}", desc, "0278", "C1713", p, "SUPPLIES IMPLANTS")
    # Glued modifier on an everyday line (format quirk, not a defect).
    add(
        "510",
        900,
        "clinic.20610",
        "HC ARTHROCENTESIS MAJOR JOINT",
        "0510",
        "20610",
        640,
        "CLINIC",
        code_cell="20610-RT",
        mod=None,
    )
    # Wound care services and products that are set up correctly.
    add("761", 100, "wc.97597", "HC DEBRIDE SELECTIVE 1ST 20SQCM", "0761", "97597", 390, "WOUND CARE")
    add("761", 110, "wc.11042", "HC DEBRIDE SUBQ 1ST 20SQCM", "0761", "11042", 620, "WOUND CARE")
    return out


def _price(r: random.Random, base: float) -> float:
    """A chargemaster price near base (hospital prices are not round)."""
    return round(base * r.uniform(0.93, 1.07), 2)


# --------------------------------------------------------------------------------------------------
# The three families and the generic defects
# --------------------------------------------------------------------------------------------------
def _families() -> list[Line]:
    L: list[Line] = []
    base = {ln.key: ln for ln in _everyday()}
    anchor_prices = sorted(ln.price for k, ln in base.items() if k.startswith("imp.c1713."))
    knee_xr = base["rad.73562"].price
    WC, IMP, OR = "WOUND CARE", "SUPPLIES IMPLANTS", "OPERATING ROOM"
    d = dt.date

    # ---- skin substitutes: application procedures (0761) ----
    L.append(
        Line(
            "skin.15271",
            "76100200",
            "HC SKIN SUB APPL TRUNK 1ST 25SQCM",
            "0761",
            "15271",
            1850.00,
            WC,
            code_cell=15271,
            eff=d(2023, 1, 1),
        )
    )
    L.append(
        Line(
            "skin.15272",
            "76100210",
            "HC SKIN SUB APPL TRUNK EA ADDL 25SQCM",
            "0761",
            "15272",
            420.00,
            WC,
            eff=d(2023, 1, 1),
        )
    )
    L.append(
        Line(
            "skin.15274",
            "76100230",
            "HC SKIN SUB APPL TRUNK EA ADDL 100SQCM",
            "0761",
            "15274",
            1310.00,
            WC,
            eff=d(2023, 1, 1),
            defect=Defect(
                "addon_without_primary",
                "add-on 15274 is built but no line anywhere in the CDM carries its primary 15273 "
                "(trunk/arm/leg, 100 sq cm or more, first 100 sq cm)",
                "add a 15273 line (clean: HC SKIN SUB APPL TRUNK 1ST 100SQCM)",
                severity="error",
                findable="CDM-wide: code set contains 15274 and not 15273",
            ),
        )
    )
    L.append(
        Line(
            "skin.15273",
            "76100220",
            "HC SKIN SUB APPL TRUNK 1ST 100SQCM",
            "0761",
            "15273",
            2480.00,
            WC,
            eff=d(2026, 1, 1),
            clean_only=True,
        )
    )
    L.append(
        Line(
            "skin.15275",
            "76100240",
            "HC SKIN SUB APPL FACE/HAND/FT 1ST 25SQCM",
            "0761",
            "15275",
            2050.00,
            WC,
            eff=d(2023, 1, 1),
        )
    )
    L.append(
        Line(
            "skin.15276",
            "76100250",
            "HC SKIN SUB APPL FACE/HAND/FT EA ADDL 25SQCM",
            "0761",
            "15276",
            480.00,
            WC,
            eff=d(2023, 1, 1),
        )
    )
    L.append(
        Line(
            "skin.c5271",
            "76100300",
            "HC LOW COST SKIN SUB APPL TRUNK 1ST 25SQCM",
            "0761",
            "C5271",
            1650.00,
            WC,
            eff=d(2019, 1, 1),
            clean={"drop": True},
            defect=Defect(
                "deleted_code",
                "C5271 (low-cost group application) is deleted for 2026 dates of service; "
                "absent from Jan and Apr 2026 Addendum B",
                "line retired (apply with 15271 + product)",
                severity="error",
                findable="code absent from the audit quarter's Addendum B (I/OCE edit 6)",
            ),
        )
    )
    L.append(
        Line(
            "skin.c5275",
            "76100310",
            "HC LOW COST SKIN SUB APPL FACE/HAND/FT 1ST 25",
            "0761",
            "C5275",
            1720.00,
            WC,
            eff=d(2019, 1, 1),
            clean={"drop": True},
            defect=Defect(
                "deleted_code",
                "C5275 is deleted for 2026 (low-cost group codes C5271-C5278 gone)",
                "line retired (apply with 15275 + product)",
                severity="error",
                findable="code absent from the audit quarter's Addendum B",
            ),
        )
    )

    # ---- skin substitutes: products (0636, per sq cm) ----
    def prod(key, seq, desc, code, price, **kw):
        L.append(
            Line(
                key,
                f"761{seq:05d}",
                desc,
                kw.pop("rev", "0636"),
                code,
                price,
                WC,
                eff=kw.pop("eff", d(2024, 7, 1)),
                **kw,
            )
        )

    prod(
        "skin.q4101",
        500,
        "HC APLIGRAF PER SQCM",
        "Q4101",
        148.00,
        rev="0278",
        rev_cell="0278",
        clean={"rev": "0636", "rev_cell": "0636"},
        defect=Defect(
            "revenue_code_mismatch",
            "skin substitute product under revenue code 0278 while every other "
            "product on the sheet uses 0636 (revenue code for products is a hospital setting)",
            "revenue code 0636",
            severity="warning",
            findable="product family's revenue code differs from the configured/majority revenue code",
        ),
    )
    prod("skin.q4102", 510, "HC OASIS WOUND MATRIX PER SQCM", "Q4102", 148.50)
    prod("skin.q4110", 520, "HC PRIMATRIX PER SQCM", "Q4110", 162.00)
    prod(
        "skin.q4121",
        530,
        "HC THERASKIN PER SQCM",
        "Q4121",
        156.00,
        mod="JZ",
        clean={"mod": None},
        defect=Defect(
            "modifier_issue",
            "JZ modifier built onto a skin substitute product line; MACs reject JZ "
            "on skin substitutes (JW only, for wastage)",
            "modifier removed",
            severity="warning",
            findable="modifier column holds JZ on a Q41xx-Q44xx/A20xx/C9363 line",
        ),
    )
    prod("skin.q4133", 540, "HC GRAFIX PRIME PER SQCM", "Q4133", 262.00)
    prod("skin.q4151", 550, "HC AMNIOBAND GUARDIAN PER SQCM", "Q4151", 214.00)
    prod(
        "skin.q4186",
        560,
        "HC EPIFIX MEMBRANE 2X3CM EACH",
        "Q4186",
        2450.00,
        clean={"desc": "HC EPIFIX MEMBRANE PER SQCM", "price": 196.00},
        defect=Defect(
            "unit_mismatch",
            "Q4186 is billed per sq cm but the line is built per 6 sq cm sheet ('2X3CM EACH', "
            "priced as a whole sheet): claims would report 1 unit for 6 sq cm",
            "per-sq-cm description and price",
            also=("description_mismatch", "price_outlier"),
            findable="description says EACH/sheet size on a per-sq-cm HCPCS; price ~10x the product siblings",
        ),
    )
    prod("skin.c9363", 570, "HC INTEGRA MESHED BILAYER MATRIX PER SQCM", "C9363", 146.00)
    prod(
        "skin.q4100",
        580,
        "HC SKIN SUBSTITUTE NOS PER SQCM",
        "Q4100",
        150.00,
        eff=d(2018, 1, 1),
        clean={"drop": True},
        defect=Defect(
            "deleted_code",
            "Q4100 (skin substitute NOS) is absent from 2026 Addendum B",
            "line retired (use the product's own code, or Q4431-Q4433 with a narrative)",
            severity="error",
            findable="code absent from the audit quarter's Addendum B",
        ),
    )
    prod(
        "skin.q4106",
        590,
        "HC DERMAGRAFT PER SQCM",
        "Q4106",
        132.00,
        eff=d(2018, 1, 1),
        clean={"drop": True},
        defect=Defect(
            "deleted_code",
            "Q4106 (Dermagraft) is absent from 2026 Addendum B",
            "line retired",
            severity="error",
            findable="code absent from the audit quarter's Addendum B",
        ),
    )
    prod(
        "skin.q4431",
        600,
        "HC SKIN SUB PMA NOS PER SQCM",
        "Q4431",
        140.00,
        eff=d(2026, 1, 1),
        clean={"drop": True},
        defect=Defect(
            "description_mismatch",
            "Q4431 (unlisted PMA product, new Jan 2026) needs a claim narrative "
            "(product, package size, amount applied, wasted); the line names no product and the CDM has no "
            "narrative/notes column to carry one",
            "NOS line retired (build one line per named product instead)",
            also=("missing_companion",),
            findable="Q4431/Q4432/Q4433/A4100 line with no narrative column and no product name in the "
            "description",
        ),
    )
    # Non-sheet product set up with an application line: adjacent charge codes, product named on the
    # application line.
    prod(
        "skin.q4114",
        700,
        "HC INTEGRA FLOWABLE WOUND MATRIX PER CC",
        "Q4114",
        1450.00,
        defect=Defect(
            "pairing_mismatch",
            "non-sheet product (Q4114 flowable, SI N in 2026) set up with a 15271 application "
            "line: the application line 76100701 names this product and shares its charge-code "
            "family; non-sheet "
            "products must not be billed with 15271-15278",
            "application line unlinked from the product (its description no longer names it); product kept",
            findable="application line in the same charge-code family (7610070x) whose description names the "
            "non-sheet product; pairing table would be the firm evidence",
            related=("skin.15271.flow",),
        ),
    )
    L.append(
        Line(
            "skin.15271.flow",
            "76100701",
            "HC SKIN SUB APPL TRUNK 1ST 25SQCM INTEGRA FLOW",
            "0761",
            "15271",
            1850.00,
            WC,
            code_cell="15271-RT",
            eff=d(2024, 7, 1),
            clean={"desc": "HC SKIN SUB APPL TRUNK 1ST 25SQCM OR"},
        )
    )

    # ---- neurostimulator procedures (0360) ----
    def proc(key, seq, desc, code, price, **kw):
        L.append(
            Line(key, f"360{seq:05d}", desc, "0360", code, price, OR, eff=kw.pop("eff", d(2022, 1, 1)), **kw)
        )

    proc("ns.63650", 700, "HC SCS LEAD PERC IMPLANT EPIDURAL", "63650", 18500.00)
    proc("ns.63655", 710, "HC SCS PADDLE LEAD IMPL VIA LAMINECTOMY", "63655", 29000.00)
    proc("ns.63685", 720, "HC SCS GENERATOR INSERT/REPLACE", "63685", 36000.00)
    proc("ns.63661", 730, "HC SCS PERC LEAD REMOVAL", "63661", 6800.00)
    proc("ns.64561", 740, "HC SACRAL NEUROSTIM LEAD PERC", "64561", 14200.00)
    proc("ns.64581", 750, "HC SACRAL NEUROSTIM LEAD OPEN", "64581", 21500.00)
    proc("ns.64590", 760, "HC PERIPH/SACRAL NEUROSTIM GEN INSERT", "64590", 31000.00)
    proc(
        "ns.64568",
        770,
        "HC VNS CRANIAL NERVE STIM IMPL W/GEN",
        "64568",
        48000.00,
        defect=Defect(
            "missing_companion",
            "64568 needs a non-rechargeable generator (C1767, or C1827 for paired VNS) plus a lead "
            "(C1778); the CDM's only C1767 line is the patient programmer and the only "
            "non-rechargeable generator is built as L8686 (E1), so no valid generator line exists",
            "fixed by recoding the L8686 generator to C1767 and the programmer to C1787",
            severity="warning",
            findable="no line with a generator C-code of the type 64568 needs, once lines whose description "
            "contradicts their code (PROGRAMMER coded C1767) are discounted; a naive 'code present' "
            "check sees C1767 and misses it",
            related=("ns.prog", "ns.l8686"),
        ),
    )
    proc(
        "ns.61867",
        780,
        "HC DBS ELECTRODE IMPL W/MICROELECTRODE REC",
        "61867",
        52000.00,
        clean={"drop": True},
        defect=Defect(
            "not_payable_in_setting",
            "DBS electrode implant 61867 is inpatient-only (SI C) under OPPS",
            "line retired from the outpatient CDM (billed on the inpatient side)",
            severity="error",
            findable="SI C in the audit quarter's Addendum B",
        ),
    )
    proc(
        "ns.33276",
        790,
        "HC PHRENIC NERVE STIM SYSTEM INSERT",
        "33276",
        61000.00,
        eff=d(2024, 1, 1),
        defect=Defect(
            "missing_companion",
            "phrenic nerve stimulator system 33276 expects C1823 (generator with transvenous "
            "sensing and stimulation leads); no C1823 line exists anywhere in the CDM",
            "add a C1823 line (clean: HC PHRENIC STIM GEN W/TRANSVENOUS LEADS)",
            severity="warning",
            findable="CDM-wide: procedure present, its only expected device code absent",
        ),
    )

    # ---- neurostimulator devices (0278) ----
    def dev(key, seq, desc, code, price, **kw):
        L.append(
            Line(
                key,
                f"278{seq:05d}",
                desc,
                kw.pop("rev", "0278"),
                code,
                price,
                IMP,
                eff=kw.pop("eff", d(2022, 1, 1)),
                **kw,
            )
        )

    dev("ns.gen.a", 1000, "HC NEUROSTIM GEN RECHARGEABLE SCS 16CH", "C1820", 31500.00, rev_cell=278)
    dev("ns.gen.b", 1010, "HC NEUROSTIM GEN RECHARGEABLE SACRAL", "C1820", 28900.00)
    dev(
        "ns.gen.rev",
        1020,
        "HC NEUROSTIM GEN RECHARGEABLE SCS 32CH",
        "C1820",
        34200.00,
        rev="0275",
        rev_cell="0275",
        clean={"rev": "0278", "rev_cell": "0278"},
        defect=Defect(
            "revenue_code_mismatch",
            "neurostimulator generator under revenue code 0275 (pacemaker); generators belong under 0278",
            "revenue code 0278",
            findable="device C-code under a revenue code outside the configured implant range",
        ),
    )
    dev("ns.gen.hf", 1030, "HC NEUROSTIM GEN HF RECHARGEABLE 10KHZ", "C1822", 38500.00)
    dev("ns.lead.a", 1100, "HC NEUROSTIM LEAD PERC 8 CONTACT 60CM", "C1778", 5400.00)
    dev("ns.lead.b", 1110, "HC NEUROSTIM LEAD PERC 8 CONTACT 90CM", "C1778", 5650.00, code_cell=" c1778 ")
    dev("ns.lead.c", 1120, "HC NEUROSTIM LEAD PADDLE 16 CONTACT", "C1778", 7600.00)
    dev("ns.lead.d", 1130, "HC NEUROSTIM LEAD SACRAL TINED 4 CONTACT", "C1778", 4950.00)
    dev("ns.lead.e", 1140, "HC NEUROSTIM LEAD VNS HELICAL", "C1778", 6200.00)
    dev(
        "ns.trial",
        1150,
        "HC NEUROSTIM LEAD TRIAL PERC 8 CONTACT",
        "C1778",
        2950.00,
        clean={"code": "C1897"},
        defect=Defect(
            "description_mismatch",
            "trial lead coded C1778 (permanent lead); a trial lead kit is C1897",
            "coded C1897",
            also=("pairing_mismatch",),
            findable="description says TRIAL, code is C1778",
        ),
    )
    dev(
        "ns.intro",
        1160,
        "HC NEUROSTIM INTRODUCER KIT 14G",
        "C1778",
        385.00,
        clean={"code": "C1894"},
        defect=Defect(
            "description_mismatch",
            "introducer kit coded C1778 (neurostimulator lead)",
            "coded C1894 (introducer/sheath, non-laser)",
            also=("price_outlier",),
            findable="description says INTRODUCER, code is C1778; price far below the C1778 leads",
        ),
    )
    dev("ns.testkit", 1170, "HC NEUROSTIM LEAD TEST KIT SACRAL PNE", "C1897", 2100.00)
    dev("ns.ext", 1180, "HC NEUROSTIM LEAD EXTENSION 60CM", "C1883", 2650.00)
    dev(
        "ns.prog",
        1200,
        "HC NEUROSTIM PROGRAMMER PATIENT HANDHELD",
        "C1767",
        3850.00,
        clean={"code": "C1787"},
        defect=Defect(
            "description_mismatch",
            "patient programmer coded C1767 (non-rechargeable generator); a patient programmer is C1787",
            "coded C1787",
            also=("price_outlier",),
            findable="description says PROGRAMMER, code is a generator C-code",
        ),
    )
    dev(
        "ns.charger",
        1210,
        "HC NEUROSTIM CHARGER WIRELESS RECHARGER KIT",
        "C1820",
        4900.00,
        clean={"drop": True},
        defect=Defect(
            "description_mismatch",
            "external charger coded C1820 (rechargeable generator, which already "
            "includes its charging system)",
            "line retired (charger is part of the C1820 system; "
            "replacement chargers are DME L8689, not an OPPS charge)",
            also=("price_outlier",),
            findable="description says CHARGER/RECHARGER, code is a generator C-code",
        ),
    )
    dev(
        "ns.l8680",
        1300,
        "HC NEUROSTIM ELECTRODE EACH",
        "L8680",
        4800.00,
        eff=d(2017, 7, 1),
        clean={"code": "C1778", "desc": "HC NEUROSTIM LEAD PERC 4 CONTACT"},
        defect=Defect(
            "not_payable_in_setting",
            "L8680 is SI E1 under OPPS; hospital outpatient claims report the lead as C1778",
            "recoded C1778",
            severity="error",
            findable="SI E1 in the audit quarter's Addendum B",
        ),
    )
    dev(
        "ns.l8686",
        1310,
        "HC NEUROSTIM PULSE GEN SGL ARRAY NON-RECHG",
        "L8686",
        22500.00,
        eff=d(2017, 7, 1),
        clean={"code": "C1767", "desc": "HC NEUROSTIM GEN NON-RECHARGEABLE SGL ARRAY"},
        defect=Defect(
            "not_payable_in_setting",
            "L8686 is SI E1 under OPPS; the generator should be C1767",
            "recoded C1767",
            severity="error",
            findable="SI E1 in the audit quarter's Addendum B",
        ),
    )
    dev(
        "ns.e0752",
        1320,
        "HC NEUROSTIM ELECTRODE GROUP OF 4",
        "E0752",
        5100.00,
        eff=d(2006, 1, 1),
        clean={"drop": True},
        defect=Defect(
            "invalid_code",
            "E0752 is an obsolete neurostimulator code (deleted before 2019; in no Addendum B on file)",
            "line retired",
            also=("deleted_code",),
            severity="error",
            findable="code unknown to every quarter of the code set",
        ),
    )
    dev(
        "ns.c1825",
        1400,
        "HC BAROREFLEX GEN CAROTID SINUS",
        "C1825",
        32000.00,
        eff=d(2024, 1, 1),
        clean={"drop": True},
        defect=Defect(
            "orphan_component",
            "baroreflex generator C1825 but no baroreflex procedure (64654/64656) in the CDM",
            "line retired",
            findable="device present, none of the procedures that use it present",
        ),
    )
    dev(
        "ns.c1823",
        1410,
        "HC PHRENIC STIM GEN W/TRANSVENOUS LEADS",
        "C1823",
        41000.00,
        eff=d(2026, 1, 1),
        clean_only=True,
    )

    # ---- knee arthroscopy (0360) ----
    proc(
        "knee.29877",
        600,
        "HC KNEE SCOPE CHONDROPLASTY",
        "29877",
        9800.00,
        eff=d(2020, 1, 1),
        defect=Defect(
            "pairing_mismatch",
            "29877 is built beside 29880/29881 but the CDM has no G0289 line: for Medicare, "
            "chondroplasty in a separate compartment with 29880/29881 is G0289, so the CDM can only "
            "bill 29877",
            "G0289 line added (29877 kept for payers that accept it)",
            also=("missing_companion",),
            findable="CDM-wide: 29877 and 29880/29881 present, G0289 absent",
            related=("or.29880", "knee.29881"),
        ),
    )
    proc(
        "knee.g0289",
        605,
        "HC KNEE SCOPE CHONDRO/LOOSE BODY ADDL COMPART",
        "G0289",
        2600.00,
        eff=d(2026, 1, 1),
        clean_only=True,
    )
    proc(
        "knee.29881",
        610,
        "HC KNEE SCOPE MENISCECTOMY MED OR LAT LT",
        "29881",
        10400.00,
        mod="RT",
        eff=d(2020, 1, 1),
        clean={"desc": "HC KNEE SCOPE MENISCECTOMY MED OR LAT", "mod": None},
        defect=Defect(
            "modifier_issue",
            "laterality hard-coded on a CDM line, and wrong: modifier RT on a line whose "
            "description says LT (side belongs on the claim, not the charge item)",
            "side removed from description and modifier",
            also=("description_mismatch",),
            findable="modifier RT/LT on the line contradicts the side in the description",
        ),
    )
    proc(
        "knee.29870",
        620,
        "HC KNEE SCOPE DX W/SURG SCOPE ADD-ON",
        "29870",
        4900.00,
        eff=d(2020, 1, 1),
        clean={"desc": "HC KNEE SCOPE DIAGNOSTIC"},
        defect=Defect(
            "pairing_mismatch",
            "diagnostic arthroscopy 29870 built as an add-on to surgical knee scopes; it is "
            "bundled into 29866-29889 and is only billable alone",
            "description: stand-alone diagnostic scope",
            also=("description_mismatch",),
            findable="description says W/SURG / ADD-ON on a code that is bundled into the surgical scopes",
        ),
    )

    # ---- generic defects ----
    L.append(
        Line(
            "gen.dup",
            "32000300",
            "HC XR KNEE 3V ORTHO CLINIC",
            "0320",
            "73562",
            3120.00,
            "RADIOLOGY",
            eff=d(2025, 3, 1),
            clean={"drop": True},
            defect=Defect(
                "duplicate",
                f"73562 built twice: this line at $3,120.00 and 'HC XR KNEE 3V' at ${knee_xr:,.2f} "
                "(~10x apart)",
                "second line retired",
                also=("price_outlier",),
                findable="same code on two lines at very different prices",
                related=("rad.73562",),
            ),
        )
    )
    L.append(
        Line(
            "gen.outlier",
            "27800460",
            "HC ANCHOR ALL-SUTURE 1.8MM",
            "0278",
            "C1713",
            96850.00,
            "SUPPLIES IMPLANTS",
            clean={"price": 968.50},
            defect=Defect(
                "price_outlier",
                f"C1713 anchor priced $96,850.00; the {len(anchor_prices)} other C1713 lines are "
                f"${anchor_prices[0]:,.2f}-${anchor_prices[-1]:,.2f} (decimal slip)",
                "price 968.50",
                findable="price > 10x the median of lines with the same code",
            ),
        )
    )
    L.append(
        Line(
            "gen.shape4",
            "36000900",
            "HC DRESSING CHANGE UNDER ANES",
            "0360",
            "1527",
            1450.00,
            "OPERATING ROOM",
            code_cell="1527",
            clean={"code": "15852", "code_cell": "15852"},
            defect=Defect(
                "invalid_code",
                "code '1527' has 4 digits (truncated 15852); NOTE the reader zero-pads "
                "3-4 digit numbers as anesthesia codes, so it reaches the rules as '01527' (code_raw "
                "'1527'), "
                "which is in no code set either",
                "coded 15852",
                severity="error",
                findable="code_raw not CPT/HCPCS-shaped, or canonical code not in code set",
            ),
        )
    )
    L.append(
        Line(
            "gen.shapex",
            "02721500",
            "HC SURGICAL TRAY CUSTOM ORTHO",
            "0272",
            "XYZ12",
            310.00,
            "STERILE SUPPLY",
            code_cell="XYZ12",
            clean={"code": None, "code_cell": None},
            defect=Defect(
                "invalid_code",
                "'XYZ12' is not a CPT or HCPCS shape (placeholder left in the code field)",
                "code cleared (supply billed under 0272 without HCPCS)",
                severity="error",
                findable="code does not match the CPT/HCPCS shape",
            ),
        )
    )
    L.append(
        Line(
            "gen.desccode",
            "27800470",
            "HC ANCHOR SUTURE 5.5MM TI C1713",
            "0278",
            None,
            840.00,
            "SUPPLIES IMPLANTS",
            clean={"code": "C1713"},
            defect=Defect(
                "description_mismatch",
                "CPT/HCPCS blank but the description names C1713: the device will go "
                "out without its C-code (edit 92 risk for the procedure it is used with)",
                "C1713 in the CPT/HCPCS column",
                also=("missing_companion",),
                findable="blank code, HCPCS-shaped token in the description",
            ),
        )
    )
    return L


# --------------------------------------------------------------------------------------------------
# Cell forms and workbook writing
# --------------------------------------------------------------------------------------------------
def _cells(line: Line) -> list:
    """The 9 cell values of a line, with realistic type quirks decided per line id."""
    r = rng("cells:" + line.key)
    # Charge code: text, ~10% numeric cells (never for codes with a leading zero: those stay text).
    cc = line.cc if line.cc_cell == "auto" else line.cc_cell
    if line.cc_cell == "auto" and not cc.startswith("0") and r.random() < 0.10:
        cc = int(cc)
    # Revenue code: '0278' text most of the time, the number 278 sometimes, '278' text rarely.
    if line.rev_cell != "auto":
        rev = line.rev_cell
    else:
        q = r.random()
        rev = line.rev if q < 0.75 else (int(line.rev) if q < 0.95 else line.rev.lstrip("0"))
    # CPT/HCPCS: numeric CPTs stored as numbers ~40% of the time; HCPCS always text.
    if line.code_cell != "auto":
        code = line.code_cell
    elif line.code and line.code.isdigit() and r.random() < 0.40:
        code = int(line.code)
    else:
        code = line.code
    # Price: a number, ~3% text like '$1,234.56'.
    if line.price_cell != "auto":
        price = line.price_cell
    else:
        price = f"${line.price:,.2f}" if r.random() < 0.03 else line.price
    eff = line.eff or dt.date(2019, 1, 1) + dt.timedelta(days=r.randint(0, 6 * 365))
    return [cc, line.desc, rev, code, line.mod, price, line.dept, line.status, eff]


def build(clean: bool) -> list[Line]:
    """All lines of one variant, sorted by charge code as the export is."""
    out = []
    for line in _everyday() + _families():
        if line.clean_only and not clean:
            continue
        if clean and line.clean:
            if line.clean.get("drop"):
                continue
            line = replace(line, **line.clean)
        out.append(line)
    keys = [ln.key for ln in out]
    assert len(keys) == len(set(keys)), "duplicate line ids"
    ccs = [ln.cc for ln in out]
    assert len(ccs) == len(set(ccs)), "duplicate charge codes"
    # Force a few price cells to text money so both files show the quirk on known lines.
    forced = {"lab.80053", "ct.74177", "ns.lead.a", "skin.q4133"}
    out = [
        replace(ln, price_cell=f"${ln.price:,.2f}") if ln.key in forced and ln.price_cell == "auto" else ln
        for ln in out
    ]
    return sorted(out, key=lambda ln: ln.cc)


def write_workbook(path: Path, lines: list[Line]) -> dict[str, int]:
    """Write the workbook; return {line key: Excel row number}."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_urls": False})
    wb.set_properties(
        {
            "title": "Chargemaster export",
            "author": "CDMEXPORT",
            "company": "Example Regional Medical Center",
            "created": FIXED_CREATED,
        }
    )
    ws = wb.add_worksheet(SHEET)
    bold = wb.add_format({"bold": True, "bottom": 1})
    title = wb.add_format({"bold": True, "font_size": 14})
    date_fmt = wb.add_format({"num_format": "m/d/yyyy"})
    money = wb.add_format({"num_format": "#,##0.00"})
    ws.write_string(0, 0, TITLE, title)
    ws.write_string(1, 0, RUN_LINE)
    ws.write_row(HEADER_ROW - 1, 0, HEADER, bold)
    rows = {}
    for i, line in enumerate(lines):
        r = HEADER_ROW + i  # zero-based row index; Excel row = r + 1
        rows[line.key] = r + 1
        for c, v in enumerate(_cells(line)):
            if v is None or v == "":
                continue
            if isinstance(v, dt.date):
                ws.write_datetime(r, c, dt.datetime(v.year, v.month, v.day), date_fmt)
            elif isinstance(v, (int, float)):
                ws.write_number(r, c, v, money if c == 5 else None)
            else:
                ws.write_string(r, c, v)
    for c, w in enumerate([12, 46, 9, 11, 9, 12, 20, 9, 13]):
        ws.set_column(c, c, w)
    ws.freeze_panes(HEADER_ROW, 0)
    ws.autofilter(HEADER_ROW - 1, 0, HEADER_ROW - 1 + len(lines), len(HEADER) - 1)
    notes = wb.add_worksheet("Notes")
    for i, text in enumerate(NOTES):
        if text:
            notes.write_string(i, 0, text)
    notes.set_column(0, 0, 100)
    wb.close()
    return rows


# --------------------------------------------------------------------------------------------------
# Pairing table and claims
# --------------------------------------------------------------------------------------------------
PAIRING_HEADER = ["Procedure Code", "Procedure Description", "Linked Code", "Linked Description", "Link Type"]
# (procedure, procedure description, linked code, linked description (HCPCS, public domain), link type,
#  defect)
PAIRING = [
    (
        "15271",
        "HC SKIN SUB APPL TRUNK 1ST 25SQCM",
        "Q4101",
        "Apligraf, per square centimeter",
        "Product",
        None,
    ),
    ("15271", "HC SKIN SUB APPL TRUNK 1ST 25SQCM", "Q4186", "Epifix, per square centimeter", "Product", None),
    (
        "15271",
        "HC SKIN SUB APPL TRUNK 1ST 25SQCM",
        "Q4133",
        "Grafix prime, per square centimeter",
        "Product",
        None,
    ),
    (
        "15271",
        "HC SKIN SUB APPL TRUNK 1ST 25SQCM",
        "C5271",
        "Low cost skin substitute app",
        "Alt procedure",
        Defect(
            "deleted_code",
            "link to C5271, deleted for 2026 (the high/low-cost grouping is gone)",
            "link removed",
            severity="error",
            findable="linked code absent from the audit quarter's Addendum B",
        ),
    ),
    (
        "15272",
        "HC SKIN SUB APPL TRUNK EA ADDL 25SQCM",
        "Q4101",
        "Apligraf, per square centimeter",
        "Product",
        None,
    ),
    (
        "15275",
        "HC SKIN SUB APPL FACE/HAND/FT 1ST 25SQCM",
        "Q4151",
        "Amnioband or guardian, per square centimeter",
        "Product",
        None,
    ),
    (
        "15275",
        "HC SKIN SUB APPL FACE/HAND/FT 1ST 25SQCM",
        "Q4100",
        "Skin substitute, not otherwise specified",
        "Product",
        Defect(
            "deleted_code",
            "15275 linked to Q4100, deleted for 2026",
            "link to a current product code",
            severity="error",
            findable="linked code absent from the audit quarter's Addendum B",
        ),
    ),
    (
        "63650",
        "HC SCS LEAD PERC IMPLANT EPIDURAL",
        "C1778",
        "Lead, neurostimulator (implantable)",
        "Device",
        None,
    ),
    (
        "63650",
        "HC SCS LEAD PERC IMPLANT EPIDURAL",
        "C1897",
        "Lead, neurostimulator test kit (implantable)",
        "Device",
        None,
    ),
    (
        "63655",
        "HC SCS PADDLE LEAD IMPL VIA LAMINECTOMY",
        "C1778",
        "Lead, neurostimulator (implantable)",
        "Device",
        None,
    ),
    (
        "63685",
        "HC SCS GENERATOR INSERT/REPLACE",
        "C1778",
        "Lead, neurostimulator (implantable)",
        "Device",
        Defect(
            "pairing_mismatch",
            "generator procedure 63685 is linked only to a lead (C1778); it needs a generator "
            "C-code (C1767/C1820/C1822/C1826)",
            "links to C1820 and C1822 added",
            also=("missing_companion",),
            findable="every link of 63685 is a lead code; no generator code linked",
        ),
    ),
    (
        "64561",
        "HC SACRAL NEUROSTIM LEAD PERC",
        "C1897",
        "Lead, neurostimulator test kit (implantable)",
        "Device",
        None,
    ),
    (
        "64581",
        "HC SACRAL NEUROSTIM LEAD OPEN",
        "C1778",
        "Lead, neurostimulator (implantable)",
        "Device",
        None,
    ),
    (
        "64581",
        "HC SACRAL NEUROSTIM LEAD OPEN",
        "C1883",
        "Adapter/extension, pacing lead or neurostimulator lead (implantable)",
        "Device",
        None,
    ),
    (
        "64590",
        "HC PERIPH/SACRAL NEUROSTIM GEN INSERT",
        "",
        "",
        "",
        Defect(
            "missing_companion",
            "device-intensive generator procedure 64590 has no device link at all "
            "(I/OCE edit 92 on every claim)",
            "links to C1767 and C1820 added",
            severity="error",
            findable="procedure row with an empty link",
        ),
    ),
    (
        "64568",
        "HC VNS CRANIAL NERVE STIM IMPL W/GEN",
        "C1767",
        "Generator, neurostimulator (implantable), non-rechargeable",
        "Device",
        None,
    ),
    (
        "64568",
        "HC VNS CRANIAL NERVE STIM IMPL W/GEN",
        "C1778",
        "Lead, neurostimulator (implantable)",
        "Device",
        None,
    ),
]

CLAIMS_HEADER = [
    "Claim ID",
    "Line",
    "Date of Service",
    "State",
    "Payer",
    "Bill Type",
    "Revenue Code",
    "HCPCS",
    "Modifiers",
    "Units",
    "Diagnosis Codes",
    "UTN",
]
# claim id, DOS, state, payer, bill type, dx (principal first, ';'), UTN, [(rev, hcpcs, mods, units)],
# expected findings [(category, line number, what)]
CLAIMS = [
    (
        "TX26000101",
        "2026-02-03",
        "TX",
        "MEDICARE",
        "131",
        "M17.9",
        "",
        [("0360", "29881", "RT", 1), ("0360", "29877", "RT", 1), ("0370", "", "", 4), ("0272", "", "", 1)],
        [
            (
                "diagnosis_unspecified",
                1,
                "M17.9 is knee osteoarthritis, unspecified (no side, no type) on a WISeR "
                "knee-arthroscopy request in TX",
            ),
            (
                "prior_auth_missing",
                2,
                "29877 is on the WISeR list (TX, DOS >= 2026-01-15, Original Medicare, 13X) and "
                "the claim has no UTN",
            ),
            ("pairing_mismatch", 2, "29877 with 29881 on a Medicare claim: G0289 expected"),
            (
                "diagnosis_not_fit",
                1,
                "osteoarthritis is the only knee diagnosis for the arthroscopy (NCD 150.9 non-coverage risk)",
            ),
        ],
    ),
    (
        "OH26000102",
        "2026-02-10",
        "OH",
        "MEDICARE",
        "131",
        "M54.5",
        "A2K7F39QX1R2M8",
        [("0360", "62323", "", 1), ("0636", "J1100", "", 10), ("0250", "", "", 1)],
        [
            (
                "diagnosis_not_billable",
                1,
                "M54.5 is a header since FY2022 (use M54.50/M54.51/M54.59): not a billable code "
                "on a WISeR epidural steroid injection in OH",
            )
        ],
    ),
    (
        "NJ26000103",
        "2026-03-02",
        "NJ",
        "MEDICARE",
        "131",
        "L97.212;E11.622",
        "N3B9C2D7E4F6G1",
        [("0761", "15271", "", 1), ("0761", "15272", "", 2), ("0636", "Q4101", "", 1)],
        [
            (
                "unit_mismatch",
                3,
                "Q4101 billed as 1 unit (per sq cm) while 15271 + 15272 x2 report 51-75 sq cm applied: "
                "product units must be the sq cm used",
            )
        ],
    ),
    (
        "NJ26000104",
        "2026-03-09",
        "NJ",
        "MEDICARE",
        "131",
        "L97.212;E11.622",
        "N3B9C2D7E4F6G1",
        [("0761", "15271", "", 3), ("0636", "Q4186", "", 20)],
        [
            (
                "unit_mismatch",
                1,
                "15271 is the first 25 sq cm and is billed once; 3 units should be 15271 x1 + 15272 x2",
            )
        ],
    ),
    (
        "TX26000105",
        "2026-02-18",
        "TX",
        "MEDICARE",
        "131",
        "G89.4;M54.16",
        "T7Q2W9E4R1T6Y3",
        [("0360", "63685", "", 1), ("0370", "", "", 6), ("0710", "", "", 2)],
        [
            (
                "missing_companion",
                1,
                "device-intensive 63685 with no neurostimulator device line on the claim "
                "(I/OCE edit 92, W7092)",
            )
        ],
    ),
    (
        "NJ26000106",
        "2026-02-26",
        "NJ",
        "MEDICARE",
        "131",
        "L97.212;E11.622",
        "N8H2J5K9L3M7P1",
        [("0761", "15272", "", 2), ("0636", "Q4151", "", 40)],
        [
            ("addon_without_primary", 1, "add-on 15272 billed without 15271 on the claim"),
            ("orphan_component", 2, "product Q4151 with no primary application code on the claim"),
        ],
    ),
    (
        "TX26000107",
        "2026-03-20",
        "TX",
        "MEDICARE",
        "131",
        "M23.221",
        "T2G8H4J6K1L9Z5",
        [("0360", "29881", "", 1), ("0272", "", "", 1)],
        [("modifier_issue", 1, "knee arthroscopy without RT/LT")],
    ),
    (
        "OK26000108",
        "2026-03-03",
        "OK",
        "MEDICARE",
        "131",
        "R32",
        "K5P3Q8R2S6T4U9",
        [("0360", "64561", "", 1), ("0278", "C1897", "", 1)],
        [
            (
                "diagnosis_unspecified",
                1,
                "R32 (unspecified urinary incontinence) on a WISeR sacral neuromodulation request in OK",
            )
        ],
    ),
    (
        "AZ26000109",
        "2026-03-12",
        "AZ",
        "MEDICARE",
        "131",
        "G40.219",
        "Z4R8T2Y6U1I5",
        [("0360", "64568", "", 1), ("0278", "C1767", "", 1), ("0278", "C1778", "", 1)],
        [("prior_auth_invalid", 1, "UTN has 12 characters; a UTN is 14")],
    ),
    (
        "WA26000117",
        "2026-04-14",
        "WA",
        "MEDICARE",
        "131",
        "M17.99",
        "",
        [("0360", "29881", "LT", 1), ("0370", "", "", 3)],
        [("diagnosis_invalid", 1, "M17.99 is not an ICD-10-CM code (M17.9 exists; M17.99 does not)")],
    ),
    (
        "OH26000118",
        "2026-04-21",
        "OH",
        "MEDICARE",
        "131",
        "M17.10",
        "",
        [("0360", "29881", "RT", 1)],
        [
            (
                "diagnosis_unspecified_laterality",
                1,
                "M17.10 is primary osteoarthritis of an unspecified knee",
            ),
            (
                "diagnosis_not_fit",
                1,
                "osteoarthritis is the only knee diagnosis for the meniscectomy (NCD 150.9)",
            ),
        ],
    ),
    (
        "TX26000119",
        "2026-05-05",
        "TX",
        "MEDICARE",
        "131",
        "M23.222",
        "",
        [("0360", "29881", "RT", 1)],
        [
            (
                "diagnosis_laterality_conflict",
                1,
                "diagnosis M23.222 is the left knee; the meniscectomy is billed RT",
            )
        ],
    ),
    (
        "OH26000120",
        "2026-05-12",
        "OH",
        "MEDICARE",
        "131",
        "G47.31",
        "H4J8K2L6Z1X5C9",
        [("0360", "64582", "", 1), ("0278", "C1767", "", 1), ("0278", "C1778", "", 1)],
        [
            (
                "diagnosis_not_fit",
                1,
                "G47.31 is central sleep apnea; hypoglossal stimulation treats obstructive apnea",
            )
        ],
    ),
    (
        "OK26000121",
        "2026-05-19",
        "OK",
        "MEDICARE",
        "131",
        "N39.3",
        "K7P1Q5R9S3T8U2",
        [("0360", "64561", "", 1), ("0278", "C1897", "", 1)],
        [
            (
                "diagnosis_not_fit",
                1,
                "N39.3 is stress incontinence, which NCD 230.18 excludes from sacral stimulation",
            )
        ],
    ),
    (
        "NJ26000122",
        "2026-05-26",
        "NJ",
        "MEDICARE",
        "131",
        "L97.412",
        "N5B1C7D3E9F2G4",
        [("0761", "15275", "", 1), ("0636", "Q4186", "", 20)],
        [
            (
                "diagnosis_not_fit",
                1,
                "L97.412 (heel ulcer) with no underlying condition coded first (e.g. E11.621)",
            )
        ],
    ),
    (
        "NJ26000123",
        "2026-06-02",
        "NJ",
        "MEDICARE",
        "131",
        "L97.212;E11.622",
        ("N3B9C2D7E4F6G1", "N3B9C2D7E4F6G9", ""),
        [("0761", "15271", "", 1), ("0761", "15272", "", 1), ("0636", "Q4186", "", 45)],
        [("prior_auth_not_covered", 2, "add-on 15272 carries another UTN than its primary 15271")],
    ),
    (
        "AZ26000124",
        "2026-06-09",
        "AZ",
        "MEDICARE",
        "131",
        "M23.221;M23.222",
        "",
        [("0360", "29881", "RT", 1), ("0360", "29877", "LT", 1)],
        [
            (
                "prior_auth_missing",
                2,
                "29877 (left knee) is a WISeR service in AZ and the claim has no UTN; 29881 is on the other knee, "
                "so 29877 is not bundled",
            )
        ],
    ),
    # Controls: nothing should be reported.
    (
        "CA26000110",
        "2026-02-18",
        "CA",
        "MEDICARE",
        "131",
        "M23.221;M17.11",
        "",
        [("0360", "29880", "RT", 1), ("0360", "G0289", "RT", 1)],
        [],
    ),
    ("TX26000111", "2026-01-14", "TX", "MEDICARE", "131", "M23.222", "", [("0360", "29877", "LT", 1)], []),
    (
        "TX26000112",
        "2026-02-11",
        "TX",
        "MEDICARE ADVANTAGE",
        "131",
        "M23.222;M17.12",
        "",
        [("0360", "29877", "LT", 1)],
        [],
    ),
    (
        "OK26000113",
        "2026-02-14",
        "OK",
        "MEDICARE",
        "131",
        "S81.811A",
        "",
        [("0450", "99284", "", 1), ("0450", "15271", "ET", 1), ("0636", "Q4186", "", 16)],
        [],
    ),
    (
        "WA26000114",
        "2026-03-12",
        "WA",
        "MEDICARE",
        "131",
        "L97.522;E11.621",
        "W6E3R9T1Y5U2I8",
        [("0761", "15275", "", 1), ("0761", "15276", "", 1), ("0636", "Q4186", "", 40)],
        [],
    ),
    (
        "OH26000115",
        "2026-03-19",
        "OH",
        "MEDICARE",
        "131",
        "M23.221;M17.11",
        "H1J7K3L9Z5X2C6",
        [("0360", "29880", "RT", 1), ("0360", "G0289", "RT", 1), ("0272", "", "", 1)],
        [],
    ),
    (
        "TX26000116",
        "2026-03-24",
        "TX",
        "MEDICARE",
        "131",
        "G89.4;M54.16",
        "T9Y3U7I1O5P2A8",
        [("0360", "63650", "", 1), ("0278", "C1778", "", 2)],
        [],
    ),
]


def write_pairing(path: Path) -> list[dict]:
    """Write the pairing table; return its defects with rows as Excel shows them (header = row 1)."""
    defects = []
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\r\n")
        w.writerow(PAIRING_HEADER)
        for i, (proc, pdesc, code, cdesc, kind, defect) in enumerate(PAIRING):
            w.writerow([proc, pdesc, code, cdesc, kind])
            if defect:
                defects.append(
                    _defect_record(
                        path.name,
                        None,
                        i + 2,
                        None,
                        proc if not code else code,
                        defect,
                        procedure=proc,
                        linked=code or None,
                    )
                )
    return defects


def write_claims(path: Path) -> tuple[list[dict], list[dict]]:
    """Write the claim lines; return (expected claim findings, control claims)."""
    for c in CLAIMS:
        utns = c[6] if isinstance(c[6], tuple) else (c[6],)
        assert all(u == "" or len(u) == 14 for u in utns) or c[0] == "AZ26000109", c
    findings, controls = [], []
    row = 1
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\r\n")
        w.writerow(CLAIMS_HEADER)
        for cid, dos, state, payer, tob, dx, utn, lines, expect in CLAIMS + clean_claims():
            first = row + 1
            for n, (rev, hcpcs, mods, units) in enumerate(lines, start=1):
                row += 1
                line_utn = utn[n - 1] if isinstance(utn, tuple) else utn
                w.writerow([cid, n, dos, state, payer, tob, rev, hcpcs, mods, units, dx, line_utn])
            for category, line_no, what in expect:
                findings.append(
                    {
                        "file": path.name,
                        "row": first + line_no - 1,
                        "claim_id": cid,
                        "line": line_no,
                        "code": lines[line_no - 1][1],
                        "category": category,
                        "category_provisional": category not in CATEGORIES + CLAIM_CATEGORIES,
                        "what": what,
                    }
                )
            if not expect:
                controls.append(
                    {
                        "file": path.name,
                        "claim_id": cid,
                        "rows": [first, row],
                        "why_clean": _control_reason(cid),
                    }
                )
    return findings, controls


# Clean claim templates: (service, revenue/code/modifier/unit lines, diagnoses, needs a UTN when in scope).
_CLEAN = [
    (
        "knee meniscectomy, side matches the diagnosis",
        [("0360", "29881", "{side}", 1), ("0370", "", "", 3), ("0272", "", "", 1)],
        "M23.22{n}",
        False,
    ),
    (
        "medial and lateral meniscectomy with G0289 on the same knee",
        [("0360", "29880", "{side}", 1), ("0360", "G0289", "{side}", 1)],
        "M23.22{n};M17.1{n}",
        False,
    ),
    (
        "epidural steroid injection with its drug",
        [("0360", "62323", "", 1), ("0636", "J1100", "", 10)],
        "M54.16",
        True,
    ),
    (
        "skin substitute on the foot: primary, add-on, product in sq cm",
        [("0761", "15275", "", 1), ("0761", "15276", "", 1), ("0636", "Q4186", "", 40)],
        "E11.621;L97.52{n}",
        True,
    ),
    (
        "percutaneous spinal cord stimulator leads",
        [("0360", "63650", "", 1), ("0278", "C1778", "", 2)],
        "G89.4;M54.16",
        False,
    ),
    (
        "sacral nerve stimulation test with its lead kit",
        [("0360", "64561", "", 1), ("0278", "C1897", "", 1)],
        "N39.41",
        True,
    ),
    (
        "hypoglossal nerve stimulator with generator and lead",
        [("0360", "64582", "", 1), ("0278", "C1767", "", 1), ("0278", "C1778", "", 1)],
        "G47.33",
        True,
    ),
    (
        "vagus nerve stimulator for intractable epilepsy",
        [("0360", "64568", "", 1), ("0278", "C1767", "", 1), ("0278", "C1778", "", 1)],
        "G40.219",
        True,
    ),
    ("office visit", [("0510", "99213", "", 1)], "I10", False),
]
_STATES = ["TX", "OK", "NJ", "OH", "WA", "AZ", "CA", "FL", "NY"]
_PAYERS = ["MEDICARE", "MEDICARE", "MEDICARE", "MEDICARE ADVANTAGE", "BLUE CROSS PPO", "MEDICAID"]
N_CLEAN = 160
_CLEAN_REASONS: dict[str, str] = {}


def clean_claims() -> list[tuple]:
    """Seeded clean claims (no finding expected) across states, payers and services."""
    out = []
    utn_chars = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
    for i in range(N_CLEAN):
        r = rng(f"claim-{i}")
        label, lines, dx, needs_utn = _CLEAN[i % len(_CLEAN)]
        state, payer = r.choice(_STATES), r.choice(_PAYERS)
        dos = dt.date(2026, 1, 20) + dt.timedelta(days=r.randrange(0, 230))
        side, n = r.choice([("RT", "1"), ("LT", "2")])
        filled = [(rev, code, mods.format(side=side), units) for rev, code, mods, units in lines]
        in_wiser_state = state in ("TX", "OK", "NJ", "OH", "WA", "AZ") and payer == "MEDICARE"
        utn = "".join(r.choice(utn_chars) for _ in range(14)) if needs_utn and in_wiser_state else ""
        cid = f"{state}27{i:06d}"
        _CLEAN_REASONS[cid] = f"generated clean claim: {label} ({payer.lower()}, {state})"
        out.append((cid, dos.isoformat(), state, payer, "131", dx.format(n=n), utn, filled, []))
    return out


def _control_reason(cid: str) -> str:
    if cid in _CLEAN_REASONS:
        return _CLEAN_REASONS[cid]
    return {
        "CA26000110": "CA is not a WISeR state; G0289 used correctly with 29880",
        "TX26000111": "29877 on 2026-01-14, the day before the first WISeR date of service",
        "TX26000112": "Medicare Advantage, not Original Medicare: WISeR does not apply",
        "OK26000113": "emergency (revenue 045X and modifier ET): WISeR does not apply",
        "WA26000114": "specific diagnoses, primary + add-on, product units in sq cm, UTN present",
        "OH26000115": "specific diagnoses, G0289 with 29880, laterality, UTN present",
        "TX26000116": "63650 with C1778 device lines, UTN present",
    }[cid]


# --------------------------------------------------------------------------------------------------
# Expected-defects documents
# --------------------------------------------------------------------------------------------------
def _defect_record(file, sheet, row, charge_code, code, defect: Defect, **extra) -> dict:
    assert defect.category in CATEGORIES, defect.category
    assert all(a in CATEGORIES for a in defect.also), defect.also
    rec = {
        "file": file,
        "sheet": sheet,
        "row": row,
        "charge_code": charge_code,
        "code": code,
        "category": defect.category,
        "also_acceptable": list(defect.also),
        "suggested_severity": defect.severity,
        "what": defect.what,
        "fix": defect.fix,
        "findable_at_cdm_scope": defect.findable,
    }
    rec.update(extra)
    return rec


def canonical_code(line: Line) -> str | None:
    """The code as the reader reports it (the reader zero-pads 3-4 digit numbers, strips glued modifiers)."""
    cell = line.code_cell if line.code_cell != "auto" else line.code
    if cell is None:
        return None
    s = str(cell).strip().upper()
    if "-" in s:
        s = s.split("-")[0]
    if s.isdigit() and len(s) in (3, 4):
        s = s.zfill(5)
    return s


def cdm_defects(lines: list[Line], rows: dict[str, int], clean_rows: dict[str, int], file: str) -> list[dict]:
    out = []
    for line in lines:
        if not line.defect:
            continue
        rec = _defect_record(
            file,
            SHEET,
            rows[line.key],
            line.cc,
            canonical_code(line),
            line.defect,
            code_raw=None if line.code_cell == "auto" else str(line.code_cell),
            description=line.desc,
            revenue_code=line.rev,
            key=line.key,
            related_rows={k: rows[k] for k in line.defect.related},
            clean_row=clean_rows.get(line.key),
        )
        out.append(rec)
    return sorted(out, key=lambda r: r["row"])


def write_expected_md(
    path: Path,
    cdm: list[dict],
    pairing: list[dict],
    claims: list[dict],
    controls: list[dict],
    n_lines: int,
    n_clean: int,
) -> None:
    def esc(s):
        return str(s if s is not None else "").replace("|", "\\|")

    out = [
        "# Planted defects in the samples",
        "",
        f"Generated by `samples/make_samples.py` (seed {SEED}) together with `expected_defects.json`, which "
        "holds the same data for tests. Do not edit by hand: change the script and rerun it "
        "(`python samples/make_samples.py`).",
        "",
        f"* `chargemaster.xlsx`: sheet `{SHEET}`, 2 title rows and a blank row, header on row {HEADER_ROW}, "
        f"{n_lines} lines on rows {HEADER_ROW + 1}-{HEADER_ROW + n_lines}; sheet `Notes` is free "
        "text (no table).",
        "* `chargemaster_clean.xlsx`: the same chargemaster with every defect below corrected "
        f"({n_clean} lines; "
        "retired lines removed, missing lines added, so row numbers differ: see `clean_row` in the JSON).",
        "* Rows are as Excel shows them (the `row` value the reader reports). Codes are the reader's "
        "canonical "
        "`code` (glued modifiers split off, 3-4 digit numbers zero-padded).",
        "* `also` lists other categories a rule set may reasonably use for the same line; tests "
        "should accept "
        "`category` or any of `also`. `sev.` is a suggestion from the research notes ([V]/[D] facts → error, "
        "[U] pairings and configurable settings → warning); the rules decide.",
        "* Audit quarter assumed: 2026Q1 or 2026Q2 (both give the same result for these lines).",
        "",
        "## chargemaster.xlsx",
        "",
        "| # | row | charge code | code | description | what is wrong | category | also | sev. | fix "
        "in clean |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for i, d in enumerate(cdm, 1):
        code = d["code"] if d["code"] else "(blank)"
        if d.get("code_raw") and d["code_raw"].strip().upper() != d["code"]:
            code += f" (cell `{d['code_raw']}`)"
        what = d["what"]
        if d["related_rows"]:
            rel = list(d["related_rows"].values())
            what += (" [see row " if len(rel) == 1 else " [see rows ") + ", ".join(str(r) for r in rel) + "]"
        out.append(
            f"| {i} | {d['row']} | {d['charge_code']} | {esc(code)} | {esc(d['description'])} | "
            f"{esc(what)} | "
            f"`{d['category']}` | {', '.join(d['also_acceptable'])} | {d['suggested_severity']} | "
            f"{esc(d['fix'])} |"
        )
    out += [
        "",
        "### How each defect is visible at CDM scope",
        "",
        "A chargemaster has no claim context and no explicit links, so a defect is only findable if the CDM "
        "itself shows it. For each line:",
        "",
    ]
    for i, d in enumerate(cdm, 1):
        out.append(f"{i}. row {d['row']} ({d['code'] or 'blank'}): {d['findable_at_cdm_scope']}.")
    out += [
        "",
        "Format quirks on purpose (not defects, present in both files): numeric code cells (e.g. "
        "15271 on the "
        "main application line), revenue codes as numbers (278) and as '0278' text, '$1,234.56' text "
        "prices, a "
        "glued modifier ('20610-RT', and '15271-RT' on the application line in the 7610070x family), "
        "a padded "
        "lower-case code (' c1778 '), leading-zero charge codes ('0272…'), two Inactive supply lines "
        "(skipped as not live, with their status as the reason).",
        "",
        "## pairing_table.csv",
        "",
        "Header on row 1. Columns: " + ", ".join(PAIRING_HEADER) + ".",
        "",
        "| # | row | procedure | linked code | what is wrong | category | also | sev. | fix |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for i, d in enumerate(pairing, 1):
        out.append(
            f"| {i} | {d['row']} | {d['procedure']} | {d['linked'] or '(none)'} | {esc(d['what'])} | "
            f"`{d['category']}` | {', '.join(d['also_acceptable'])} | {d['suggested_severity']} | "
            f"{esc(d['fix'])} |"
        )
    out += [
        "",
        "## claims.csv (for the claims issue)",
        "",
        "Header on row 1; one row per claim line. `Diagnosis Codes` are ';'-separated, principal first. "
        "Categories marked * are provisional (not in the CDM category list).",
        "",
        "| # | row | claim | line | code | what is wrong | category |",
        "|---|---|---|---|---|---|---|",
    ]
    for i, d in enumerate(claims, 1):
        star = "*" if d["category_provisional"] else ""
        out.append(
            f"| {i} | {d['row']} | {d['claim_id']} | {d['line']} | {d['code'] or '(none)'} | "
            f"{esc(d['what'])} | `{d['category']}`{star} |"
        )
    out += ["", "Control claims (no finding expected):", ""]
    for c in controls:
        a, b = c["rows"]
        span = f"row {a}" if a == b else f"rows {a}-{b}"
        out.append(f"* {c['claim_id']} ({span}): {c['why_clean']}")
    out.append("")
    path.write_text("\n".join(out), encoding="utf-8")


# --------------------------------------------------------------------------------------------------
# Self-check against the project's OPPS status table (when present)
# --------------------------------------------------------------------------------------------------
def check_clean_codes(lines: list[Line]) -> None:
    """Every code in the clean file must be listed with a payable OPPS status in 2026Q1 and 2026Q2."""
    table = REPO / "auditor" / "data" / "opps_status.csv.gz"
    if not table.exists():
        print("note: auditor/data/opps_status.csv.gz not found; clean-code check skipped")
        return
    with gzip.open(table, "rt", encoding="utf-8") as fh:
        status = {r["code"]: (r["2026Q1"], r["2026Q2"]) for r in csv.DictReader(fh)}
    bad = []
    for ln in lines:
        if not ln.code:
            continue
        si = status.get(ln.code)
        if si is None or "" in si or any(s in ("E1", "E2", "C", "D", "B", "M") for s in si):
            bad.append((ln.key, ln.code, si))
    if bad:
        raise SystemExit(f"clean chargemaster has codes that are not valid/payable in 2026: {bad}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=HERE)
    args = ap.parse_args()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)

    defective, clean = build(clean=False), build(clean=True)
    check_clean_codes(clean)
    rows = write_workbook(out / "chargemaster.xlsx", defective)
    clean_rows = write_workbook(out / "chargemaster_clean.xlsx", clean)
    cdm = cdm_defects(defective, rows, clean_rows, "chargemaster.xlsx")
    pairing = write_pairing(out / "pairing_table.csv")
    claims, controls = write_claims(out / "claims.csv")
    doc = {
        "generated_by": "samples/make_samples.py",
        "seed": SEED,
        "categories": list(CATEGORIES),
        "chargemaster": {
            "file": "chargemaster.xlsx",
            "sheet": SHEET,
            "header_row": HEADER_ROW,
            "first_data_row": HEADER_ROW + 1,
            "lines": len(defective),
            "other_sheets": {"Notes": "free text, no table"},
        },
        "chargemaster_clean": {
            "file": "chargemaster_clean.xlsx",
            "sheet": SHEET,
            "header_row": HEADER_ROW,
            "lines": len(clean),
        },
        "defects": cdm + pairing,
        "claims": claims,
        "claims_controls": controls,
    }
    (out / "expected_defects.json").write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    write_expected_md(out / "EXPECTED.md", cdm, pairing, claims, controls, len(defective), len(clean))
    print(
        f"wrote {out}: chargemaster.xlsx ({len(defective)} lines, {len(cdm)} defects), "
        f"chargemaster_clean.xlsx ({len(clean)} lines), pairing_table.csv ({len(PAIRING)} links, "
        f"{len(pairing)} defects), claims.csv ({sum(len(c[7]) for c in CLAIMS + clean_claims())} lines, {len(claims)} "
        "findings, "
        f"{len(controls)} control claims)"
    )


if __name__ == "__main__":
    main()
