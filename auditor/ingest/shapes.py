"""What a cell value looks like: the code, money, date and label shapes that column roles are read from."""

from __future__ import annotations

import polars as pl

# Patterns here and across the package write digits as [0-9], not \d: codes are ASCII digits, and polars compiles a
# pattern once per thread, a Unicode \d costing up to a millisecond each time (a small audit compiles ~100).
# CPT: 5 digits, or 4 digits + F (performance), T (emerging), U (lab PLA), M (MAAA), A (vaccine administration).
CPT = r"[0-9]{4}[0-9FTUMA]"
# HCPCS Level II: a letter A-V + 4 digits.
LEVEL2 = r"[A-V][0-9]{4}"
CPT_OR_LEVEL2 = rf"^(?:{CPT}|{LEVEL2})$"
# The same, with modifiers glued on: '15271-RT', '63650 52', '76645TC'.
CODE_WITH_MODS = rf"^(?:{CPT}|{LEVEL2})(?:(?:[\s\-]+[0-9A-Z]{{2}})+|(?:[A-Z][0-9A-Z]|[0-9][A-Z])+)?$"
# Payer-local codes: Medi-Cal level III (X/Y/Z + 4 digits) and state workers' compensation (4 digits + a letter
# that no CPT category uses, e.g. 0130C).
LOCAL = r"^(?:[W-Z][0-9]{4}|[0-9]{4}[B-EG-LN-SV-Z])$"
# National Drug Codes: 10 or 11 digits, or the labeller-product-package forms 4-4-2, 5-3-2, 5-4-1, 5-4-2.
NDC = r"^(?:[0-9]{10,11}|[0-9]{4}-[0-9]{4}-[0-9]{2}|[0-9]{5}-[0-9]{3}-[0-9]{2}|[0-9]{5}-[0-9]{4}-[0-9]{1,2})$"
# Revenue codes: 3-4 digits inside NUBC's ranges, bare or written inside a label ('OTHER IMPLANT [0278]').
REVENUE = r"^(?:0?[1-9][0-9]{2}|10[0-9]{2}|2[01][0-9]{2}|3[01][0-9]{2})$"
REVENUE_IN_TEXT = r"[\[\(]0?[1-9][0-9]{2}[\]\)]|^0[1-9][0-9]{2}\b"
MONEY = r"^\(?-?\$?\s*-?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)?(?:\.[0-9]+)?\)?$"
DATE = r"^(?:[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[ T][0-9]{2}:[0-9]{2}(?::[0-9]{2})?)?|[0-9]{1,2}/[0-9]{1,2}/[0-9]{2,4})$"
MODIFIER = r"^(?:[0-9A-Z]{2})(?:[\s,;/\-]+[0-9A-Z]{2}){0,4}$"
DRG = r"^[0-9]{3}$"
CODE_LIKE = r"^[0-9A-Z][0-9A-Z_\-\./]{2,39}$"
# A long number Excel saved in scientific notation ('1.23457E+13'): its digits are lost, many codes turn into one.
EXCEL_SCIENTIFIC = r"(?i)^[0-9](?:\.[0-9]+)?E\+[0-9]+$"
RULE_LINE = r"^[\-=_~\*\s\.]{3,}$"

SETTING_LABELS = (
    "INPATIENT",
    "OUTPATIENT",
    "IP",
    "OP",
    "I",
    "O",
    "BOTH",
    "IP/OP",
    "IP OP",
    "INPATIENT/OUTPATIENT",
    "OUTPATIENT/INPATIENT",
    "ALL",
    "INPT",
    "OUTPT",
    "IP AND OP",
)
STATUS_LABELS = (
    "ACTIVE",
    "INACTIVE",
    "A",
    "I",
    "Y",
    "N",
    "YES",
    "NO",
    "TRUE",
    "FALSE",
    "DELETED",
    "DISCONTINUED",
    "RETIRED",
    "OBSOLETE",
)
# What a code-type column says, normalised, and what the audit does with it.
CODE_TYPES = {
    "CPT": "CPT",
    "CPT4": "CPT",
    "CPT 4": "CPT",
    "CPT-4": "CPT",
    "CPT®": "CPT",
    "HCPCS": "HCPCS",
    "HCPC": "HCPCS",
    "HCPCS LEVEL II": "HCPCS",
    "HCPCS II": "HCPCS",
    "CPT/HCPCS": "CPT",
    "HCPCS/CPT": "CPT",
    "NDC": "NDC",
    "NDC11": "NDC",
    "DRG": "DRG",
    "MS-DRG": "MS-DRG",
    "MSDRG": "MS-DRG",
    "APR-DRG": "APR-DRG",
    "APRDRG": "APR-DRG",
    "APR DRG": "APR-DRG",
    "TRIS-DRG": "DRG",
    "EAPG": "EAPG",
    "APC": "APC",
    "CDM": "CDM",
    "LOCAL": "LOCAL",
    "RC": "RC",
    "REV": "RC",
    "REVENUE": "RC",
    "REVENUE CODE": "RC",
    "ICD": "ICD",
    "ICD-10": "ICD",
    "ICD10": "ICD",
    "ICD-10-PCS": "ICD",
    "HIPPS": "HIPPS",
    "CDT": "CDT",
    "CMG": "CMG",
    "CUSTOM": "LOCAL",
    "OTHER": "LOCAL",
    "PANEL": "PANEL",
    "MS DRG": "MS-DRG",
}
AUDITED_TYPES = ("CPT", "HCPCS")
_DRUG_WORDS = (
    r"\b(?:MG|MCG|ML|G|GM|MEQ|UNITS?|TAB|TABS|TABLET|CAP|CAPS|CAPSULE|INJ|VIAL|VL|SYR|SOLN|SOLUTION|SUSP|"
    r"SUPP|CREAM|OINT|PATCH|AMP|INHALER|NEB|DOSE|ORAL|IV|IVPB|ELIXIR|[0-9]+(?:\.[0-9]+)?\s?(?:MG|MCG|ML|%))\b"
)
DRUG = r"(?i)" + _DRUG_WORDS


def clean(col: str | pl.Expr) -> pl.Expr:
    """Trimmed, upper-cased text with Excel's '.0' on whole numbers removed; blank is null."""
    e = pl.col(col) if isinstance(col, str) else col
    # One chain (replace "" by null) rather than when(s == "")...otherwise(s), which computes `s` twice.
    return e.str.strip_chars().str.to_uppercase().str.replace(r"^([0-9]+)\.0+$", "${1}").replace("", None)


def known_among(codes: pl.Series) -> pl.Series:
    """Those of `codes` (a few distinct ones) the code table ever listed: a content signal for the header
    search, not validity."""
    from auditor.codeset.known import known_codes  # the audit loads the same table anyway
    from auditor.codeset.table import CodeTableError

    try:
        known = known_codes()
    except CodeTableError:  # the validity table reports a missing file itself; here it only weakens a signal
        return codes.clear()
    if known.is_empty():
        return codes.clear()
    # Bisection into the sorted codes: a hash table of all ~20k would be built for each sample.
    at = known.search_sorted(codes).clip(0, known.len() - 1)
    return codes.filter(known.gather(at) == codes)
