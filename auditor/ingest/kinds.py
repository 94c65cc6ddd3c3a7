"""Decide what each sheet is (live chargemaster, pharmacy, price view, professional fees, removed, summary)."""

from __future__ import annotations

import re

import polars as pl

from auditor.ingest import shapes as sh
from auditor.ingest.fields import norm_header
from auditor.ingest.header import HeaderMatch

KINDS = ("cdm", "pharmacy", "price_view", "professional_fee", "removed", "summary")
_SUMMARY_NAME = re.compile(
    r"\b(index|information|info|notes?|disclosures?|statements?|summary|summaries|forms?|instructions?|read ?me|"
    r"cover|contents|legend|glossary|definitions?|faq|estimates?|ab ?1045|top ?[0-9]+|ms-?drgs?|apr-?drgs?|drgs?)\b"
    r"|%\s*change|percent(age)?\s+change",
    re.I,
)
_REMOVED_NAME = re.compile(
    r"\b(removed|deleted|inactive|discontinued|obsolete|retired|terminated|deactivated|"
    r"inactivated|deletions?)\b",
    re.I,
)
_PRO_NAME = re.compile(r"professional|physician|pro[ _-]?fees?|profee|(^|[^a-z])pb([^a-z]|$)", re.I)
_PHARMACY_NAME = re.compile(
    r"pharm|drugs?\b|(^|[^a-z])rx([^a-z]|$)|medications?|(^|[^a-z])meds?([^a-z]|$)|"
    r"formulary|^pha$",
    re.I,
)
_OTHER_ITEMS = re.compile(r"service|supply|supplies|procedure|lab|room|surg|radiology|imaging", re.I)
_STATS_HEADER = re.compile(r"\b(CASES|VISITS?|RANK|DISCHARGES|VOLUME|ENCOUNTERS)\b")
_DRG_WORDS = {"MS", "APR", "DRG", "MSDRG", "APRDRG", "CODE", "NUMBER", "NO", "NBR", "ID"}
OVERLAP = 0.85  # share of a sheet's items found in another sheet for it to be a price view of that sheet


def sheet_signature(audited: pl.DataFrame, match: HeaderMatch, retired: int = 0) -> dict:
    """What a sheet's own rows say of it: its item keys, facility, drug and professional shares, statistics.

    `retired`: the lines its status column took out of `audited` (a sheet of nothing else lists removed items).
    """
    sig: dict = {"rows": audited.height}
    if "charge_code" in match.mapping:
        sig["key_kind"], keys = "charge_code", audited.get_column("charge_code")
    else:
        sig["key_kind"], keys = "description", audited.get_column("description").str.to_uppercase()
    sig["keys"] = keys  # made unique only when another sheet is there to compare with
    desc = audited.get_column("description").drop_nulls().head(5000)  # a share: a sample tells it
    sig["drug"] = float(desc.str.contains(sh.DRUG).mean() or 0.0) if desc.len() else 0.0
    sig["pro"] = float(desc.str.contains(r"(?i)^PR[ \-]").mean() or 0.0) if desc.len() else 0.0
    types = audited.get_column("code_type").drop_nulls()
    sig["drg"] = float(types.str.contains("DRG").mean() or 0.0) if types.len() else 0.0
    # Lines a named status column retires (an OPPS status indicator 'N', packaged, is no such column).
    sig["inactive"] = retired / (retired + audited.height) if retired else 0.0
    sig["stats"] = any(_STATS_HEADER.search(h.upper()) for h in match.headers if h)
    # A sheet with a column headed just 'MS-DRG' or 'DRG #' and no CPT/HCPCS column lists DRGs (average
    # charges per case), not line items.
    sig["drg_keyed"] = not any(r in match.mapping for r in ("cpt", "hcpcs")) and any(
        h and set(norm_header(h).split()) <= _DRG_WORDS and "DRG" in norm_header(h).replace("MSDRG", "DRG")
        for h in match.headers
    )
    sig["facility"] = _facility(match)
    sig["has_code"] = any(r in match.mapping for r in ("cpt", "hcpcs")) or bool(match.cms_codes)
    sig["has_price"] = "price" in match.mapping
    sig["has_item"] = "charge_code" in match.mapping or sig["has_code"]
    return sig


def _facility(match: HeaderMatch) -> str | None:
    """The value of an unmapped column that holds one text for every row (a hospital or site name)."""
    used = {c for cols in match.mapping.values() for c in cols}
    for col, p in sorted(match.profiles.items()):
        if col not in used and p.n >= 3 and p.distinct == 1 and p.share("lettered") > 0.9 and p.fill > 0.9:
            return p.top
    return None


def decide_kinds(sheets: list, overrides: dict[str, str]) -> None:
    """Set `kind`, `kind_reason` and `linked_to` on every sheet report of one file (in place)."""
    for rep in sheets:
        if rep.name in overrides:
            rep.kind, rep.kind_reason = overrides[rep.name], "set by the user"
        elif rep.header_row is not None:
            rep.kind, rep.kind_reason = _own_kind(rep)
    _link_price_views([r for r in sheets if r.header_row is not None and r.name not in overrides])


def _own_kind(rep) -> tuple[str, str]:
    """A sheet's kind from its name and its rows, before comparing it with the other sheets."""
    sig, name = rep.signature, rep.name
    if _REMOVED_NAME.search(name):
        return "removed", f"sheet name {name!r} says removed/inactive items"
    if sig.get("inactive", 0) >= 0.95:
        return "removed", "every line's status says inactive"
    if _SUMMARY_NAME.search(name) and not (
        sig.get("rows", 0) > 200 and sig.get("has_item") and not sig.get("stats")
    ):
        return "summary", f"sheet name {name!r} says it is a summary, form or statistics tab"
    if sig.get("stats"):
        return "summary", "columns count cases or visits: statistics, not line items"
    if sig.get("drg", 0) >= 0.8 or sig.get("drg_keyed"):
        return "summary", "its codes are DRGs: average charges per case, not line items"
    if not sig.get("has_item") and not (sig.get("has_price") and sig.get("rows", 0) >= 3):
        return "summary", "no code or charge code, and no priced list of items: not a chargemaster"
    if _PRO_NAME.search(name) or sig.get("pro", 0) >= 0.5:
        return "professional_fee", (
            "sheet name says professional/physician fees"
            if _PRO_NAME.search(name)
            else "most descriptions start with 'PR ' (professional billing)"
        )
    drug = sig.get("drug", 0)
    named = bool(_PHARMACY_NAME.search(name)) and not _OTHER_ITEMS.search(name)
    if (named and drug >= 0.3) or drug >= 0.7:
        return "pharmacy", f"{round(100 * drug)}% of descriptions name a drug strength or form"
    return "cdm", "line items with codes or prices"


def _link_price_views(sheets: list) -> None:
    """Mark sheets that repeat another sheet's items (other prices) as price views of the primary one."""
    live = [
        r
        for r in sheets
        if r.kind in ("cdm", "pharmacy", "professional_fee") and r.signature.get("keys") is not None
    ]
    if len(live) < 2:
        return
    for rep in live:
        rep.signature["keys"] = rep.signature["keys"].drop_nulls().unique()
    order = sorted(live, key=lambda r: (r.hidden, -r.signature.get("rows", 0), sheets.index(r)))
    rank = {id(r): i for i, r in enumerate(order)}
    for rep in order:
        keys = rep.signature["keys"]
        if keys.len() < 5:
            continue
        for primary in order:
            if rank[id(primary)] >= rank[id(rep)] or primary.kind == "price_view":
                continue
            if not _same_items(rep.signature, primary.signature):
                continue
            rep.kind, rep.linked_to = "price_view", primary.name
            rep.kind_reason = (
                f"{round(100 * _overlap(rep.signature, primary.signature))}% of its "
                f"{rep.signature['key_kind'].replace('_', ' ')}s are on sheet {primary.name!r}: "
                "the same items with other prices, audited once through that sheet"
            )
            break


def _same_items(a: dict, b: dict) -> bool:
    """Whether sheet a lists (nearly) only items of sheet b, for the same facility."""
    if a["key_kind"] != b["key_kind"]:
        return False
    if a.get("facility") and b.get("facility") and a["facility"] != b["facility"]:
        return False
    return _overlap(a, b) >= OVERLAP


def _overlap(a: dict, b: dict) -> float:
    keys = a["keys"]
    return float(keys.is_in(b["keys"].implode()).mean() or 0.0) if keys.len() else 0.0


def carry_view_prices(frames: list, sheets: list) -> list:
    """Keep each price view's prices on its sheet's lines, as 'other_prices' ('Cash Prices: 82.50; ...')."""
    frames = list(frames)
    index = {rep.name: i for i, rep in enumerate(sheets)}
    for view, frame in zip(sheets, list(frames), strict=False):
        target = index.get(view.linked_to) if view.kind == "price_view" else None
        if frame is None or target is None or frames[target] is None:
            continue
        key = view.signature.get("key_kind", "charge_code")
        prices = (
            frame.filter(pl.col(key).is_not_null() & pl.col("price").is_not_null())
            .group_by(key, maintain_order=True)
            .agg(pl.col("price").first().alias("_view_price"))
        )
        if key == "description":
            prices = prices.with_columns(pl.col(key).str.to_uppercase())
        main = frames[target]
        probe = main.get_column(key).str.to_uppercase() if key == "description" else main.get_column(key)
        got = pl.DataFrame({key: probe}).join(prices, on=key, how="left", maintain_order="left")
        text = pl.format("{}: {}", pl.lit(view.name), pl.col("_view_price").round(2))
        joined = got.select(
            pl.when(pl.col("_view_price").is_not_null()).then(text).otherwise(None)
        ).to_series()
        frames[target] = main.with_columns(
            other_prices=pl.concat_str([pl.col("other_prices"), joined], separator="; ", ignore_nulls=True)
        )
    return frames
