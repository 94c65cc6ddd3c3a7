"""Normalise claim-line text (from a sheet, a CSV chunk or an 837 file) into canonical claim lines."""

from __future__ import annotations

import datetime as dt

import polars as pl

from auditor.ingest import normalize as nz

# Canonical claim-line columns; everything is text except row, units_n, charges and dx (a list).
LINE_SCHEMA = {
    "file": pl.String,
    "sheet": pl.String,
    "row": pl.Int64,
    "claim_id": pl.String,
    "line": pl.String,
    "dos": pl.String,
    "bill_type": pl.String,
    "pos": pl.String,
    "state": pl.String,
    "payer": pl.String,
    "revenue_code": pl.String,
    "revenue_code_raw": pl.String,
    "code": pl.String,
    "code_raw": pl.String,
    "modifiers": pl.String,
    "units": pl.String,
    "units_n": pl.Float64,
    "charges": pl.Float64,
    "dx": pl.List(pl.String),
    "utn": pl.String,
}
RAW_FIELDS = (
    "claim_id",
    "line",
    "dos",
    "bill_type",
    "pos",
    "state",
    "payer",
    "revenue_code",
    "cpt",
    "hcpcs",
    "modifiers",
    "units",
    "charges",
    "diagnoses",
    "utn",
)
_STATES = {
    "ALABAMA": "AL",
    "ALASKA": "AK",
    "ARIZONA": "AZ",
    "ARKANSAS": "AR",
    "CALIFORNIA": "CA",
    "COLORADO": "CO",
    "CONNECTICUT": "CT",
    "DELAWARE": "DE",
    "DISTRICT OF COLUMBIA": "DC",
    "FLORIDA": "FL",
    "GEORGIA": "GA",
    "HAWAII": "HI",
    "IDAHO": "ID",
    "ILLINOIS": "IL",
    "INDIANA": "IN",
    "IOWA": "IA",
    "KANSAS": "KS",
    "KENTUCKY": "KY",
    "LOUISIANA": "LA",
    "MAINE": "ME",
    "MARYLAND": "MD",
    "MASSACHUSETTS": "MA",
    "MICHIGAN": "MI",
    "MINNESOTA": "MN",
    "MISSISSIPPI": "MS",
    "MISSOURI": "MO",
    "MONTANA": "MT",
    "NEBRASKA": "NE",
    "NEVADA": "NV",
    "NEW HAMPSHIRE": "NH",
    "NEW JERSEY": "NJ",
    "NEW MEXICO": "NM",
    "NEW YORK": "NY",
    "NORTH CAROLINA": "NC",
    "NORTH DAKOTA": "ND",
    "OHIO": "OH",
    "OKLAHOMA": "OK",
    "OREGON": "OR",
    "PENNSYLVANIA": "PA",
    "RHODE ISLAND": "RI",
    "SOUTH CAROLINA": "SC",
    "SOUTH DAKOTA": "SD",
    "TENNESSEE": "TN",
    "TEXAS": "TX",
    "UTAH": "UT",
    "VERMONT": "VT",
    "VIRGINIA": "VA",
    "WASHINGTON": "WA",
    "WEST VIRGINIA": "WV",
    "WISCONSIN": "WI",
    "WYOMING": "WY",
    "PUERTO RICO": "PR",
}
# Traditional (GPO) abbreviations, as older systems print them ('Tex.', 'Okla.'), dots taken off.
_ABBREVIATED = {
    "ALA": "AL",
    "ARIZ": "AZ",
    "ARK": "AR",
    "CALIF": "CA",
    "COLO": "CO",
    "CONN": "CT",
    "DEL": "DE",
    "FLA": "FL",
    "ILL": "IL",
    "IND": "IN",
    "KANS": "KS",
    "KAN": "KS",
    "MASS": "MA",
    "MICH": "MI",
    "MINN": "MN",
    "MISS": "MS",
    "MONT": "MT",
    "NEBR": "NE",
    "NEB": "NE",
    "NEV": "NV",
    "N MEX": "NM",
    "N DAK": "ND",
    "S DAK": "SD",
    "OKLA": "OK",
    "OREG": "OR",
    "ORE": "OR",
    "TENN": "TN",
    "TEX": "TX",
    "WASH": "WA",
    "WIS": "WI",
    "WISC": "WI",
    "W VA": "WV",
    "WYO": "WY",
}


# Where a state's two letters sit in longer text: 'TEXAS (TX)', 'TX - TEXAS', 'HOUSTON, TX 77030', 'TX 77030'.
_STATE_IN_TEXT = r"\(([A-Z]{2})\)|^([A-Z]{2})\s*[-–:]\s|,\s*([A-Z]{2})(?:\s+[0-9]{5}(?:-[0-9]{4})?)?$|^([A-Z]{2})\s+[0-9]{5}"


def state_code(col: str) -> pl.Expr:
    """'TX', 'Texas', 'Tex.', 'T.X.', 'TEXAS (TX)', 'HOUSTON, TX 77030' -> 'TX'; other text stays as written (and
    the claim's scope reason names it)."""
    state = pl.col(col).str.strip_chars().str.to_uppercase()
    plain = state.str.replace_all(".", "", literal=True).str.strip_chars()
    found = state.str.extract_groups(_STATE_IN_TEXT)
    inside = pl.coalesce(*(found.struct.field(str(i)) for i in range(1, 5)))
    known = set(_STATES.values())
    return (
        pl.when(plain.str.len_chars() == 2)
        .then(plain)
        .when(plain.is_in(list(_STATES)))
        .then(plain.replace_strict(_STATES, default=None, return_dtype=pl.String))
        .when(plain.is_in(list(_ABBREVIATED)))
        .then(plain.replace_strict(_ABBREVIATED, default=None, return_dtype=pl.String))
        .when(inside.is_in(list(known)))
        .then(inside)
        .otherwise(state)
    )


def _whole(col: str) -> pl.Expr:
    """Trimmed text with a float tail dropped ('1.0' -> '1', '131.0' -> '131')."""
    return nz.clean_text(pl.col(col).str.replace(r"^([0-9]+)\.0+$", "${1}"))


# Between the two dates of a from-thru cell ('03/02/2026 - 03/05/2026', '2026-03-02 thru 2026-03-05').
_DATE_RANGE = r"(?i)\s+(?:-|–|TO|THRU|THROUGH)\s+"
_ISO = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


def service_date(col: str) -> pl.Expr:
    """ISO date text; an Excel serial day number (a date cell without a date format) becomes its date too, and
    a from-thru range its from date."""
    serial = (
        pl.col(col).str.strip_chars().str.extract(r"^([0-9]{5})(?:\.0+)?$", 1).cast(pl.Int64, strict=False)
    )
    as_date = (pl.lit(dt.date(1899, 12, 30)) + pl.duration(days=serial)).dt.strftime("%Y-%m-%d")
    # The three readings (the whole cell, the range's from and thru dates) are struct fields, each worked out once.
    f = pl.field
    steps = pl.struct(ends=_range_ends(col))
    steps = steps.struct.with_fields(
        whole=nz.iso_date(col),
        start=nz.iso_date(f("ends").list.first()),
        end=nz.iso_date(f("ends").list.last()),
    )
    # A range was 'not a date' and its lines skipped; it is read only when both ends are dates, in order.
    start, end = f("start"), f("end")
    ranged = (f("ends").list.len() == 2) & start.str.contains(_ISO) & end.str.contains(_ISO) & (start <= end)
    read = pl.when(serial.is_between(20000, 80000)).then(as_date).when(ranged.fill_null(False)).then(start)
    return steps.struct.with_fields(date=read.otherwise(f("whole"))).struct.field("date")


def _range_ends(col: str) -> pl.Expr:
    """A from-thru cell's two ends ('03/02/2026 - 03/04/2026'), else the cell alone, as a list."""
    return pl.col(col).str.replace(_DATE_RANGE, "\x1f").str.split("\x1f")


# A label before the number ('UTN: ...', 'PA# ...'); a separator is required, so a UTN that starts 'PA' keeps it.
_UTN_LABEL = r"^(?:UTN|PA|AUTH(?:ORI[SZ]ATION)?|PRIORAUTH(?:ORI[SZ]ATION)?)(?:NO|NUM(?:BER)?)?[:#\-]+"


def utn(col: str) -> pl.Expr:
    """The prior authorization's unique tracking number, upper-case without blanks or a label; a placeholder
    ('N/A', 'PENDING', 'NONE', '0') is no UTN: the claim has none, which WS001 reports, not a malformed one."""
    u = pl.col(col).str.to_uppercase().str.replace_all(r"\s+", "").str.replace(_UTN_LABEL, "")
    # Every UTN a review contractor issues has digits; words without one say there is none yet.
    return pl.when(u.str.contains(r"[0-9]") & ~u.str.contains(r"^0+$")).then(u).otherwise(None)


# Entries of a diagnosis list; within one, blanks or dashes part a code from its words.
_DX_ENTRY = r"[;,|\r\n]+"
_DX_PLACEHOLDER = r"^(?:NONE|NULL|N/?A|UNKNOWN|BLANK)$"


def diagnosis_list(col: str) -> pl.Expr:
    """'M17.11; e11621, L97.522' -> ['M17.11', 'E11.621', 'L97.522'] (upper-case, dotted, no repeats); words
    beside a code in its entry are left out."""
    entries = pl.col(col).str.to_uppercase().str.replace_all(_DX_ENTRY, ";").str.split(";")
    # In an entry with a digit, a word of letters alone is the code's description or label ('E11.621 - Type 2
    # diabetes ...', 'ABK: E11.621', '(POA: Y)'), each of whose words was a DX001 'invalid diagnosis' before.
    # An entry of one word and no digit ('ABC') is a bad diagnosis in the list and stays for DX001; a placeholder
    # ('NONE', 'N/A') or words alone (a description after a comma) are no diagnosis. Each word is padded on both
    # sides so that neighbouring words match one by one.
    e = pl.element().str.strip_chars()
    spaced = pl.lit(" ") + e.str.replace_all(r"[^A-Z0-9.]+", " ").str.replace_all(" ", "  ") + pl.lit(" ")
    kept = (
        pl.when(e.str.contains(r"[0-9]"))
        .then(spaced.str.replace_all(r" [A-Z.]+ ", " "))
        .when(e.str.contains(_DX_PLACEHOLDER) | e.str.contains(r"[A-Z]\s+[A-Z]"))
        .then(pl.lit(""))
        .otherwise(spaced)
    )
    tokens = (
        entries.list.eval(kept).list.join(" ").str.replace_all(r"\s+", " ").str.strip_chars().str.split(" ")
    )
    bare = pl.element().str.replace_all(".", "", literal=True)
    dotted = (
        pl.when(bare.str.len_chars() > 3).then(bare.str.slice(0, 3) + "." + bare.str.slice(3)).otherwise(bare)
    )
    return (
        tokens.list.eval(dotted.filter(bare.str.len_chars() >= 3))
        .list.unique(maintain_order=True)
        .fill_null([])
    )


def project(raw: pl.DataFrame, path: str, sheet: str | None) -> pl.DataFrame:
    """Canonical claim lines from text columns named after the claim fields (missing fields are null)."""
    missing = [f for f in (*RAW_FIELDS, "row") if f not in raw.columns]
    raw = raw.with_columns(
        [pl.lit(None, dtype=pl.Int64 if f == "row" else pl.String).alias(f) for f in missing]
    )
    code_a, glued_a = nz.code_parts("cpt")
    code_b, glued_b = nz.code_parts("hcpcs")
    state = state_code("state")
    # Claim extracts repeat a few hundred codes, dates and payers over millions of lines: the regex-heavy
    # normalisation runs once per distinct raw value (or combination) and is mapped back by a join.
    groups = [
        {"line": _whole("line")},
        {"dos": service_date("dos")},
        {"bill_type": _whole("bill_type").str.replace(r"^0([0-9]{3})$", "${1}")},
        {"pos": _whole("pos").str.zfill(2)},
        {"state": nz.clean_text(state)},
        {"payer": nz.clean_text("payer")},
        {"revenue_code": nz.revenue_code("revenue_code"), "revenue_code_raw": nz.clean_text("revenue_code")},
        {
            "code": pl.coalesce(code_a, code_b),
            "code_raw": pl.coalesce(nz.clean_text("cpt"), nz.clean_text("hcpcs")),
            "modifiers": nz.merge_modifiers(
                nz.merge_modifiers(glued_a, glued_b), nz.modifiers(["modifiers"])
            ),
        },
        {
            "units": _whole("units"),
            "units_n": nz.unit_count("units"),
        },
        {"charges": nz.money("charges")},
        {"dx": diagnosis_list("diagnoses")},
        {"utn": utn("utn")},
    ]
    head = raw.select(
        file=pl.lit(path, dtype=pl.String),
        sheet=pl.lit(sheet, dtype=pl.String),
        row=pl.col("row").cast(pl.Int64),
        claim_id=nz.clean_text("claim_id"),
    )
    out = head.hstack(nz.distinct_columns(raw, groups))
    return out.select(list(LINE_SCHEMA))


def project_sheet(path: str, sheet: str, data: pl.DataFrame, match, kind) -> pl.DataFrame:
    """Reader hook: mapped sheet columns -> field-named text -> canonical claim lines."""
    cols = {"row": pl.col("_row")}
    for spec in kind.fields:
        idx = match.mapping.get(spec.name, [])
        if not idx:
            continue
        if spec.multi:
            # Modifier 1-4 or Dx 1-12 columns, in sheet order, read as one list.
            cols[spec.name] = pl.concat_str(
                [pl.col(f"c{i}") for i in sorted(idx)], separator=" ", ignore_nulls=True
            )
        else:
            cols[spec.name] = pl.col(f"c{idx[0]}")
    return project(data.select(**cols), path, sheet)
