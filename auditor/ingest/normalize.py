"""Normalise raw cell text into canonical codes, money and dates, as polars expressions."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

# CPT (5 digits, or 4 digits + F/T/U/M) and HCPCS Level II (letter + 4 digits).
CODE_SHAPE = r"^(?:[0-9]{4}[0-9FTUM]|[A-V][0-9]{4})$"
_GLUED = r"^([0-9A-Z]{5})((?:[\s\-]+[0-9A-Z]{2})+)$"
# '76645TC', '73030TCRT': no separator, but a valid code shape followed by whole 2-character modifiers.
_GLUED_TIGHT = r"^([0-9]{4}[0-9FTUM]|[A-V][0-9]{4})((?:[A-Z0-9]{2})+)$"
_MOD_TOKEN = r"[0-9A-Z]{2}"
_MOD_WORDS = r"\b(?:NONE|NULL|NA|MODS?|MODIFIERS?|LEFT|RIGHT|BOTH|SIDE|BILATERAL|BLANK)\b"
_SHAPE = r"(?:[0-9]{4}[0-9FTUMA]|[A-V][0-9]{4})"
# One such code, or several: alternatives a cell lists ('|', code_list) or a wide row's columns (',').
ANY_CODES_SHAPE = "^" + _SHAPE + "(?:[|,]" + _SHAPE + ")*$"
# A report's label before the code: 'CPT 80048', 'HCPCS: A6212', 'CPT® 99213', 'CPT-4 CODE 15271'.
_LABELLED = r"^(?:CPT(?:\s*-?\s*4)?|HCPCS?)\s*®?\s*(?:CODE)?\s*[:#\-]?\s*(" + _SHAPE + r"\b.*)$"
# The code, then its words: '15271 - SKIN SUB GRAFT', '80048 (BMP)'. Words have a run of three letters;
# glued modifiers ('27447 RT LT') have two.
_WORDED = r"^(" + _SHAPE + r")(?:\s*[\-–:]\s*|\s+)[^A-Z0-9]*[A-Z0-9]*[A-Z]{3}.*$"
# A report's marks after the code: 'Q4101*', '29881#'.
_MARKED = r"^(" + _SHAPE + r")[\*#\+]+$"


def _e(col: str | pl.Expr) -> pl.Expr:
    """A column name or an expression, as an expression."""
    return pl.col(col) if isinstance(col, str) else col


def clean_text(col: str | pl.Expr) -> pl.Expr:
    """Trim and collapse blanks to null."""
    s = _e(col).str.strip_chars()
    return pl.when(s == "").then(None).otherwise(s)


def code_parts(col: str | pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """Split a CPT/HCPCS cell into (code, glued modifiers): '15271-RT' -> ('15271', 'RT')."""
    # Each part is one chain of string steps: polars evaluates a sub-expression once per use, so a shared
    # `s` read in five places made this pair 20x slower than the regexes themselves.
    s = (
        _e(col)
        .str.strip_chars()
        .str.to_uppercase()
        .str.replace(r"\.0+$", "")
        .str.replace(_LABELLED, "${1}")
        .str.replace(_WORDED, "${1}")
        .str.replace(_MARKED, "${1}")
    )
    # The two glued shapes never both match ('-'/' ' between vs nothing), so applying both is a coalesce.
    code = (
        s.str.replace(_GLUED, "${1}")
        .str.replace(_GLUED_TIGHT, "${1}")
        # Anesthesia CPTs 00100-01999 lose their leading zeros when stored as numbers: 100-999 and 1000-1999.
        # Text that still has a leading zero ('0278', a revenue code in the code column) lost none, and
        # '2780' was never one of them: padded, each would read as a code the cell does not hold.
        .str.replace(r"^([1-9][0-9]{2})$", "00${1}")
        .str.replace(r"^(1[0-9]{3})$", "0${1}")
        .replace("", None)
    )
    glued = (
        pl.coalesce(s.str.extract(_GLUED, 2), s.str.extract(_GLUED_TIGHT, 2))
        .str.extract_all(_MOD_TOKEN)
        .list.join(",")
        .replace("", None)
    )
    return code, glued


# Between codes listed in one cell: commas, slashes, semicolons, pipes, '&', or the words OR / AND.
_LIST_SEPARATOR = r"(?:\s*(?:[,;/|&]|\bOR\b|\bAND\b)\s*)+"
_CODE_LIST = "^" + _SHAPE + "(?:" + _LIST_SEPARATOR + _SHAPE + ")+$"


def code_list(col: str | pl.Expr) -> pl.Expr:
    """A cell listing two or more codes ('C1767 or C1820', 'C1778/C1897', 'C1820, C1822') -> 'C1767|C1820';
    null for anything else (one code, or codes among words)."""
    s = _e(col).str.strip_chars().str.to_uppercase()
    return pl.when(s.str.contains(_CODE_LIST)).then(s.str.extract_all(_SHAPE).list.join("|"))


def revenue_code(col: str | pl.Expr) -> pl.Expr:
    """'278', '278.0', '0278', 'REV 278', 'OTHER IMPLANT [0278]' -> '0278'; two codes in one cell ('0360/0361')
    and other unparseable text stay as written."""
    s = _e(col).str.strip_chars()
    bracket = s.str.extract(r"[\[\(]([0-9]{3,4})[\]\)]", 1)
    numeric = s.str.extract(r"^([0-9]{1,4})(?:\.0+)?$", 1)
    labelled = s.str.extract(r"(?i)^(?:REV(?:ENUE)?|RC|UB)\s*(?:CODE)?\s*[:#\-]?\s*([0-9]{3,4})$", 1)
    # A second number beside the first is a second code ('0360/0361', '0360, 0361'): picking either would
    # audit a code the line may not bill, so the cell stays as written (RC001 says it is no revenue code).
    one = s.str.count_matches(r"\b[0-9]{3,4}\b") < 2
    leading = pl.when(one).then(s.str.extract(r"^([0-9]{3,4})\b", 1))
    embedded = pl.when(one).then(s.str.extract(r"\b(0[0-9]{3})\b", 1))
    digits = pl.coalesce(bracket, numeric, labelled, leading, embedded)
    digits = digits.str.replace(r"^0+([0-9]{3,})$", "${1}")
    out = pl.when(digits.is_not_null()).then(digits.str.zfill(4)).otherwise(s.str.to_uppercase())
    return pl.when(s == "").then(None).otherwise(out)


def unit_count(col: str | pl.Expr) -> pl.Expr:
    """'2', '2.000', '25 SQ CM', '1 UN' -> 2.0, 2.0, 25.0, 1.0: the number of units a cell bills; null otherwise."""
    return (
        _e(col)
        .str.strip_chars()
        .str.extract(r"^(-?[0-9]+(?:\.[0-9]+)?)(?:\s*[A-Za-z][A-Za-z .]*)?$", 1)
        .cast(pl.Float64, strict=False)
    )


def money(col: str) -> pl.Expr:
    """'$1,351.73 ' -> 1351.73; '(12.00)', '-12' or '12.00-' -> -12.0; '45,10' or '1.250,00' -> 45.1, 1250.0;
    'N/A' or a range ('$100 - $200') -> null."""
    # Each step is a field of one struct, worked out once and read by name: as plain sub-expressions polars
    # worked each out once per use, the cleaned text a dozen times over (4x the time on a 100k-line price column).
    f = pl.field
    steps = pl.struct(bare=pl.col(col).str.replace_all(r"USD|\$|\s", ""))
    # The sign sits at either end (a trailing minus is how mainframe reports print a credit); a dash inside
    # is no sign: '$100 - $200' is a range, not 100,200.
    steps = steps.struct.with_fields(
        neg=f("bare").str.contains(r"^\(.*\)$|^-|-$"), number=f("bare").str.strip_chars("()-")
    )
    # A comma before one or two final digits is a decimal comma (a sheet saved under a European locale):
    # thousands groups have three digits, so '45,10' is never 4,510. Left as it was, 45.10 read as 4,510.
    decimal_comma = f("number").str.contains(r"^(?:[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]+),[0-9]{1,2}$")
    text = (
        pl.when(decimal_comma)
        .then(f("number").str.replace_all(".", "", literal=True).str.replace(",", ".", literal=True))
        .otherwise(f("number").str.replace_all(",", "", literal=True))
    )
    steps = steps.struct.with_fields(digits=text.cast(pl.Float64, strict=False))
    # "inf", "NaN" and numbers past a float's range are no price: null, as text that is no amount.
    steps = steps.struct.with_fields(digits=pl.when(f("digits").is_finite()).then(f("digits")))
    signed = pl.when(f("neg")).then(-f("digits")).otherwise(f("digits"))
    return steps.struct.with_fields(amount=signed).struct.field("amount").alias(col)


def modifiers(cols: list[str]) -> pl.Expr:
    """Join modifier cells into 'RT,59' (2-character tokens, upper-case, in order, no repeats)."""
    if not cols:
        return pl.lit(None, dtype=pl.String)
    parts = [pl.col(c).str.to_uppercase().str.replace(r"\.0+$", "") for c in cols]
    # concat_list turns the whole row null when one list is null (an empty MOD2 cell); concat_str skips nulls.
    text = pl.concat_str(parts, separator=" ", ignore_nulls=True)
    # Words are not modifiers: 'NONE' read as NO and NE, 'MOD: RT' as MO and RT, 'LEFT' as LE and FT (a real
    # modifier). A word of odd length cannot be glued pairs ('59RT', 'RTLT' can), and placeholders and labels
    # of even length are named.
    text = text.str.replace_all(_MOD_WORDS, " ").str.replace_all(r"\b[0-9A-Z](?:[0-9A-Z]{2})*\b", " ")
    tokens = text.str.extract_all(_MOD_TOKEN)
    joined = tokens.list.unique(maintain_order=True).list.join(",")
    return pl.when(joined == "").then(None).otherwise(joined)


def merge_modifiers(a: pl.Expr, b: pl.Expr) -> pl.Expr:
    """Union of two comma-joined modifier lists, order kept."""
    # concat_str with ignore_nulls keeps one side when the other is null (concat_list would null the row).
    joined = (
        pl.concat_str([a, b], separator=",", ignore_nulls=True)
        .str.split(",")
        .list.unique(maintain_order=True)
        .list.join(",")
    )
    return pl.when(joined == "").then(None).otherwise(joined)


# US date layouts of billing-system and spreadsheet exports, each tried only on text of its exact shape: '%Y'
# takes any digit count, so '1/15/26' read as '%m/%d/%Y' was the year 26 (every claim dated 1,900 years early).
_DATE_SHAPES = (
    (r"^[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}$", "%m/%d/%Y"),
    (r"^[0-9]{1,2}/[0-9]{1,2}/[0-9]{2}$", "%m/%d/%y"),  # Excel's short date saved as CSV
    (r"^[0-9]{1,2}-[0-9]{1,2}-[0-9]{4}$", "%m-%d-%Y"),
    (r"^[0-9]{4}/[0-9]{1,2}/[0-9]{1,2}$", "%Y/%m/%d"),
    (r"^[0-9]{8}$", "%Y%m%d"),  # X12's CCYYMMDD in a flattened extract
    (r"^[0-9]{1,2}-[A-Za-z]{3}-[0-9]{4}$", "%d-%b-%Y"),  # Oracle's DD-MON-YYYY
    (r"^[0-9]{1,2}-[A-Za-z]{3}-[0-9]{2}$", "%d-%b-%y"),  # Oracle's default DD-MON-YY
    (r"^[A-Za-z]{3} [0-9]{1,2},? [0-9]{4}$", "%b %d %Y"),
)
# A time after the date ('1/15/2026 12:00:00 AM', '2026-01-15T00:00:00'): the day is what is audited.
_TIME_TAIL = r"(?:[ T][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?(?:\s*[AaPp][Mm])?)$"


def iso_date(col: str | pl.Expr) -> pl.Expr:
    """Excel '2025-11-26 00:00:00', CSV '11/26/2025', '11/26/25', '26-NOV-25' or '2025-11-26' -> '2025-11-26';
    other text kept. A column is read day first ('26/11/2025') only on its own evidence (see _day_first)."""
    # Each step is a field of one struct, worked out once and read by name: as plain sub-expressions polars
    # worked the cleaned text out once per use, some thirty times (a claims chunk's dates took 50 ms, any size).
    f = pl.field
    steps = pl.struct(s=_e(col).str.strip_chars())
    steps = steps.struct.with_fields(
        day=f("s").str.replace(_TIME_TAIL, "").str.replace(",", "", literal=True)
    )
    steps = steps.struct.with_fields(first=_day_first(f("day")))
    parsed = pl.coalesce(
        f("s").str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False),
        *(
            pl.when(f("day").str.contains(shape)).then(
                pl.when(f("first"))
                .then(f("day").str.to_date(_DAY_FIRST.get(fmt, fmt), strict=False))
                .otherwise(f("day").str.to_date(fmt, strict=False))
            )
            for shape, fmt in _DATE_SHAPES
        ),
    )
    text = parsed.dt.strftime("%Y-%m-%d").fill_null(pl.when(f("s") == "").then(None).otherwise(f("s")))
    return steps.struct.with_fields(iso=text).struct.field("iso")


# Month-first layouts and their day-first twins ('13/02/2026' in an export from a day-first locale).
_DAY_FIRST = {"%m/%d/%Y": "%d/%m/%Y", "%m/%d/%y": "%d/%m/%y", "%m-%d-%Y": "%d-%m-%Y"}
_NUMERIC = r"^([0-9]{1,2})[/-]([0-9]{1,2})[/-][0-9]{2}(?:[0-9]{2})?$"


def _day_first(day: pl.Expr) -> pl.Expr:
    """Whether a column's numeric dates are written day first: a tenth or more of them (and at least two) have a
    first number above 12 and none a second above 12. US exports are month first, and a column whose every day
    is 12 or less cannot tell, so it is read month first; one stray '13/01/2026' among month-first dates does not
    turn the column (it stays text, and the line says its date is not a date)."""
    first = day.str.extract(_NUMERIC, 1).cast(pl.Int32, strict=False)
    second = day.str.extract(_NUMERIC, 2).cast(pl.Int32, strict=False)
    over = (first > 12).sum()
    return (over >= 2) & (over >= 0.1 * first.count()) & ((second > 12).sum() == 0)


def inferred_code(desc_col: str) -> pl.Expr:
    """A HCPCS Level II code written inside a description ('HC OPTIME SHELL 278 C1820' -> 'C1820')."""
    return (
        pl.col(desc_col).str.to_uppercase().str.extract(r"(?:^|[^A-Z0-9])([A-V][0-9]{4})(?:$|[^A-Z0-9])", 1)
    )


def by_distinct(
    data: pl.LazyFrame, exprs: dict[str, pl.Expr], stages: Sequence[dict[str, pl.Expr]] = ()
) -> pl.LazyFrame:
    """A plan evaluating expressions once per distinct combination of the columns they read, in data's row order.

    Files repeat a few hundred codes, dates and payers over many lines: regex-heavy normalisation runs on the
    distinct values and is joined back. `stages` are helper columns computed first, stage by stage, that later
    stages and `exprs` read by name (polars evaluates a sub-expression once per use, so a shared part is staged).
    """
    helpers = {name for stage in stages for name in stage}
    read = {name for part in (*stages, exprs) for e in part.values() for name in e.meta.root_names()}
    cols = sorted(read - helpers)
    # Outputs are named apart from the keys: 'charges' text in, 'charges' money out.
    named = {f"_out_{k}": v for k, v in exprs.items()}
    back = [pl.col(f"_out_{k}").alias(k) for k in exprs]
    if not cols:  # literals only: broadcast to the data's height
        return data.with_columns(**named).select(back)
    keys = data.select(cols)
    uniq = keys.unique()
    for stage in stages:
        uniq = uniq.with_columns(**stage)
    uniq = uniq.select(*cols, **named)
    return keys.join(uniq, on=cols, how="left", nulls_equal=True, maintain_order="left").select(back)


def distinct_columns(data: pl.DataFrame, groups: Sequence[dict[str, pl.Expr]]) -> list[pl.Series]:
    """The output columns of by_distinct for each group, all groups run as one collect_all."""
    lazy = data.lazy()
    parts = pl.collect_all([by_distinct(lazy, g) for g in groups], engine="in-memory")
    return [s for part in parts for s in part.get_columns()]
