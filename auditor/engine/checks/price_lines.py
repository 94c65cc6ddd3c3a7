"""Which chargemaster lines price the same item: the keys, exclusions and tolerance the pricing checks share.

Two lines are compared only when they bill the same item the same way: same code, modifiers, NDC,
fee type (professional or facility), care setting (inpatient and outpatient twins are priced apart on purpose), one
side or both (a bilateral line is priced for two) and the same numbers in the
description (strengths, sizes and counts name different products under one drug or supply code).
Catch-all codes (a `skip` selector, e.g. the catch_all_codes list), codes the code set does not know
(local codes) and research lines (`skip_description`) are never compared: one code there covers many
unrelated items, and study lines are sponsor-paid.
"""

from __future__ import annotations

import polars as pl

from auditor.engine.lists import resolve_selector

# Professional-fee lines in a mixed chargemaster: Epic-style 'HP'/'PR' prefixes, 'PRO FEE', 'PROFESSIONAL'.
_PRO = r"^(HP|PR|PRO|PROF)\s|\bPRO\.? ?FEE\b|\bPROFESSIONAL\b"
# Inpatient/outpatient markers in descriptions and charge codes ("IP_SUP-...", "HC CT HEAD OP").
_IP = r"(?i)(^|[^A-Z])(IP|INPT|INPATIENT|I/P)([^A-Z]|$)"
_OP = r"(?i)(^|[^A-Z])(OP|OUTPT|OUTPATIENT|O/P)([^A-Z]|$)"
# A bilateral line ('FUNDUS PHOTOGRAPHY BIL', 'MRI TM JOINT BILATERAL') bills both sides: priced for two by design.
_BILATERAL = r"(?i)(^|[^A-Z])(BILAT|BILATERAL|BILATERALLY|BIL|B/L)([^A-Z]|$)"


def prepare(edit, lists) -> None:
    """Resolve the `skip` (never compared), `wide` (compared only far apart) and `products` selectors."""
    edit.params["_skip"] = resolve_selector(edit.params.get("skip"), lists)
    edit.params["_wide"] = resolve_selector(edit.params.get("wide"), lists)
    edit.params["_products"] = resolve_selector(edit.params.get("products"), lists)


def value(ctx, raw):
    """A literal or a `$config.` reference."""
    if isinstance(raw, str) and raw.startswith("$config."):
        return ctx.config.lookup(raw[len("$config.") :])
    return raw


def _text(frame: pl.DataFrame, name: str) -> pl.Expr:
    """A text column, or blanks when the frame has none (built test frames, claim-shaped inputs)."""
    if name in frame.columns:
        return pl.col(name).cast(pl.String)
    return pl.lit(None, dtype=pl.String)


def setting(frame: pl.DataFrame) -> pl.Expr:
    """'IP', 'OP' or '' per line: the setting column when filled, else a marker in the description or charge code."""
    marked = pl.concat_str(
        [_text(frame, "description"), _text(frame, "charge_code")], separator=" ", ignore_nulls=True
    )
    column = _text(frame, "setting").str.to_uppercase().str.strip_chars()
    return (
        pl.when(column.str.starts_with("I"))
        .then(pl.lit("IP"))
        .when(column.str.starts_with("O"))
        .then(pl.lit("OP"))
        .when(marked.str.contains(_IP))
        .then(pl.lit("IP"))
        .when(marked.str.contains(_OP))
        .then(pl.lit("OP"))
        .otherwise(pl.lit(""))
    )


def hospital_prefix(frame: pl.DataFrame) -> pl.Expr:
    """Whether the description starts with Epic's 'HC' (hospital charge) marker."""
    return _text(frame, "description").str.contains(r"(?i)^\s*HC\b").fill_null(False)


def fee_type(frame: pl.DataFrame) -> pl.Expr:
    """'PRO' for professional-fee lines (a professional fee sheet, or an 'HP'/'PR'/'PRO FEE' description), else ''.

    A professional fee and the facility charge for one code are two prices by design, like 26 and TC lines.
    """
    desc = _text(frame, "description").str.to_uppercase()
    pro = desc.str.contains(_PRO).fill_null(False)
    if "sheet_kind" in frame.columns:
        pro = pro | (pl.col("sheet_kind") == "professional_fee").fill_null(False)
    return pl.when(pro).then(pl.lit("PRO")).otherwise(pl.lit(""))


def sizes(frame: pl.DataFrame) -> pl.Expr:
    """The numbers in the description, sorted ('0.4|2' for '0.4MG/2ML'): different numbers, different item."""
    nums = _text(frame, "description").fill_null("").str.extract_all(r"[0-9]+(?:\.[0-9]+)?")
    return nums.list.sort().list.join("|")


def wording(frame: pl.DataFrame) -> pl.Expr:
    """The description reduced to its words: case, punctuation, an 'HC' prefix and IP/OP markers ignored."""
    text = _text(frame, "description").fill_null("").str.to_uppercase()
    text = text.str.replace_all(r"[^A-Z0-9.]+", " ").str.strip_chars()
    return (
        text.str.replace(r"^HC\s+", "")
        .str.replace_all(r"\b(IP|OP|INPT|OUTPT|INPATIENT|OUTPATIENT)\b", "")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )


def bilateral(frame: pl.DataFrame) -> pl.Expr:
    """Whether the description says the line bills both sides ('BIL', 'BILATERAL', 'B/L')."""
    return _text(frame, "description").str.contains(_BILATERAL).fill_null(False)


def item_keys(frame: pl.DataFrame) -> dict[str, pl.Expr]:
    """Columns that, with scope and code, say two lines are billed the same way: modifiers, NDC, setting, fee type,
    and whether the description says both sides (a bilateral line is priced for two, like modifier 50).

    duplicate-price adds what the item is (`_item`): for a product code (the edit's `products` selector:
    devices, supplies, drugs, lenses, where one code covers many catalogue items) the description's wording,
    for any other code the description's numbers (strengths, sizes, counts).
    """
    return {
        "_mods": _text(frame, "modifiers").fill_null(""),
        "_ndc": _text(frame, "ndc").fill_null(""),
        "_setting": setting(frame),
        "_fee": fee_type(frame),
        "_bilateral": bilateral(frame),
    }


def with_siblings(lines: pl.LazyFrame, at_least: int) -> pl.LazyFrame:
    """The lines whose code has at least `at_least` lines in their file: the only ones a price comparison can
    judge, so the item keys (descriptions read by regexes) are worked out for them alone."""
    return lines.with_columns(_k=pl.len().over("_scope", "code")).filter(pl.col("_k") >= at_least).drop("_k")


def wide(edit) -> pl.Expr:
    """Lines whose code is in the edit's `wide` selector: one code for many products, sizes or packages."""
    selector = edit.params.get("_wide")
    return selector.expr() if selector is not None else pl.lit(False)


def comparable(edit, frame: pl.DataFrame) -> pl.Expr:
    """Lines that may be price-compared: a code that is neither skipped (`skip`, e.g. catch-all codes) nor
    a local code unknown to the code set, and a description that is not a research line (`skip_description`)."""
    cond = pl.col("code").is_not_null() & pl.col("price").is_not_null()
    if edit.params.get("_skip") is not None:
        cond = cond & ~edit.params["_skip"].expr()
    if "cs_status" in frame.columns:
        cond = cond & (pl.col("cs_status") != "invalid").fill_null(True)
    if edit.params.get("skip_description") and "description" in frame.columns:
        cond = cond & ~pl.col("description").str.contains(edit.params["skip_description"]).fill_null(False)
    return cond


def differ(ctx, edit, lo: pl.Expr, hi: pl.Expr) -> pl.Expr:
    """Whether two prices differ by more than the tolerance: both the relative and the absolute one."""
    rel = float(value(ctx, edit.params.get("tolerance_pct", 0)) or 0) / 100
    gap = float(value(ctx, edit.params.get("tolerance_abs", 0)) or 0)
    return (hi > lo) & (hi - lo > gap) & (hi > lo * (1 + rel))


def dollars(amount: pl.Expr) -> pl.Expr:
    """An amount as the reports write money, '$1,234.50' (null stays null), for finding messages."""
    cents = (amount.abs() * 100).round(0).cast(pl.Int64)
    # Thousands separators: group the reversed digits by three (polars' regex has no look-ahead).
    whole = (
        (cents // 100)
        .cast(pl.String)
        .str.reverse()
        .str.replace_all(r"([0-9]{3})", "${1},")
        .str.reverse()
        .str.strip_chars_start(",")
    )
    sign = pl.when(amount < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    return sign + pl.lit("$") + whole + pl.lit(".") + (cents % 100).cast(pl.String).str.zfill(2)
