"""description-reads-as: the description names another item than the device or product code bills, or none at all.

Params: `families` (device code families judged, from the `device_codes` list, plus `skin` / `skin-nos`
for skin substitute product codes); `report` (the outcome flagged: `contradicts`, `no_evidence`, or
`noc_brand` for a product with its own code on a not-otherwise-classified code). Every line is read by
`auditor.engine.item_reading` (the lexicon is data in `edits/lists/`), once per distinct code and
description. Hit variables: `means` (what the description names), `decided` (the words that decided,
as written), `bills` (what the code bills), `advice`.
"""

from __future__ import annotations

import polars as pl

from auditor.engine.item_reading import Lexicon
from auditor.engine.lists import CatalogError, Selector

KINDS = ("description-reads-as",)
REPORTS = ("contradicts", "no_evidence", "noc_brand")
_SHOWN = 4  # longer code lists are summarised in the expected text


# One reader per edit set, shared by its description edits (NS004, DD001-DD005): its verdict cache then
# serves every edit, each (code, description) read once. Keyed by the lists' identity, the lists held alive.
_LEXICONS: dict[int, tuple[dict, Lexicon]] = {}


def _shared_lexicon(lists: dict) -> Lexicon:
    """The reader built from these lists, built on first use."""
    held = _LEXICONS.get(id(lists))
    if held is None or held[0] is not lists:
        if len(_LEXICONS) >= 4:  # a long-lived server reloads edit sets; keep only the recent ones
            _LEXICONS.pop(next(iter(_LEXICONS)))
        held = _LEXICONS[id(lists)] = (lists, Lexicon(lists))
    return held[1]


def prepare(edit, lists) -> None:
    """Check the families and outcome, and build the reader once per edit set."""
    p = edit.params
    if p.get("report") not in REPORTS:
        raise CatalogError(f"description-reads-as needs report: one of {', '.join(REPORTS)}")
    if not p.get("families"):
        raise CatalogError("description-reads-as needs families: [..]")
    lexicon = _shared_lexicon(lists)
    known = set(lexicon.families.values())
    unknown = set(p["families"]) - known
    if unknown:
        raise CatalogError(f"unknown families {sorted(unknown)}; the lists define {sorted(known)}")
    p["_lexicon"] = lexicon
    p["_codes"] = Selector(frozenset(c for c, fam in lexicon.families.items() if fam in p["families"]))


def columns(edit) -> tuple[str, ...]:
    """The description, read against the code."""
    return ("description", "code")


def _a(noun: str) -> str:
    """The noun with its indefinite article."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def _expected(means: str, codes: tuple[str, ...], note: str) -> str:
    """The code(s) to use, or why none fits."""
    if not codes:
        return f"no device or product code: {note}" if note else "no device or product code fits the item"
    if len(codes) <= _SHOWN:
        return " or ".join(codes)
    return f"{_a(means)} code ({', '.join(codes[:3])} …)"


def _advice(outcome: str, code: str, means: str, codes: tuple[str, ...]) -> str:
    """The sentence to act on."""
    if outcome == "noc_brand":
        return f"the product has its own code: report {' or '.join(codes)} instead of the not-otherwise-classified {code}"
    if outcome == "no_evidence":
        return "nothing in the description says what the item is; add the device type or product name"
    if not codes:
        return f"{code} does not fit {_a(means)}; bill what the item is, or fix the description"
    if len(codes) == 1:
        return f"report it as {codes[0]}, or fix the description if {code} is right"
    return f"report it with {_expected(means, codes, '')}, or fix the description if {code} is right"


def _verdicts(ctx, edit, pairs: pl.DataFrame) -> pl.DataFrame:
    """The reader's verdict on each distinct (code, description), the flagged ones only."""
    p = edit.params
    lexicon: Lexicon = p["_lexicon"]
    rows = []
    for code, desc in pairs.iter_rows():
        v = lexicon.judge(code, desc)
        if v.outcome != p["report"]:
            continue
        rows.append(
            {
                "code": code,
                "description": desc,
                "v_means": v.means or "no item named",
                "v_decided": v.decided,
                "v_bills": _a(lexicon.bills.get(code, "device")),
                "v_advice": _advice(v.outcome, code, v.means, v.codes),
                "expected": _expected(v.means, v.codes, v.note)
                if v.outcome != "no_evidence"
                else "a description naming the item",
            }
        )
    schema = dict.fromkeys(
        ["code", "description", "v_means", "v_decided", "v_bills", "v_advice", "expected"], pl.String
    )
    return pl.DataFrame(rows, schema=schema)


def plan(ctx, edit, eligible: pl.Expr) -> pl.LazyFrame:
    """Rows of the judged codes whose description the reader flags."""
    # A blank description is judged too (it names no item: DD005), never dropped unread; lines of a file with
    # no description anywhere (claim lines, a CDM export without the column, a pairing table's links without
    # a linked-description column) have none to read.
    codes = edit.params["_codes"]
    if not ctx.picks(codes):  # no line of the judged codes: nothing to read
        return pl.LazyFrame(schema={"_rid": ctx.frame.schema["_rid"]})
    cond = eligible & codes.expr() & _described(ctx.frame)
    rows = ctx.frame.lazy().filter(cond).select("_rid", "code", pl.col("description").fill_null(""))
    pairs = rows.select("code", "description").unique().collect(engine="in-memory")
    flagged = _verdicts(ctx, edit, pairs)
    return rows.join(flagged.lazy(), on=["code", "description"], how="inner").drop("code", "description")


def _described(frame: pl.DataFrame) -> pl.Expr:
    """True on rows whose file (and, in a pairing table, whose role: procedure or link) has descriptions."""
    group = [c for c in ("file", "link_role") if c in frame.columns]
    has = pl.col("description").is_not_null().any()
    return has.over(group) if group else has


def evaluate(ctx, edit, eligible: pl.Expr) -> pl.DataFrame:
    """The plan, collected."""
    return plan(ctx, edit, eligible).collect(engine="in-memory")
