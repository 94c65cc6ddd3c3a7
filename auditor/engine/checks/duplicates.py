"""duplicate-price / duplicate-charge-code: the same item (or charge code) set up more than once, differently.

One finding per group, on the group's first line; the other lines are its related rows.

duplicate-price compares lines of one code that bill the same item the same way (see price_lines: same
modifiers, NDC, fee type, setting and description numbers, or wording for `products` codes; catch-all
and local codes never). Params: `skip` (selector of catch-all codes), `products` (selector of product
codes, compared only when worded alike), `skip_description` (regex of lines left out, e.g. research), `tolerance_pct` and `tolerance_abs` (a spread within either is not a
difference; numbers or "$config.<key>"), `min_ratio` (highest/lowest at or above which lines count as
different; default 1.0). duplicate-charge-code: `skip_description`, `tolerance_pct` and `tolerance_abs` too; lines of different settings (inpatient/outpatient twins) are not compared.
`hc: split` compares 'HC'-prefixed lines (hospital charges) only with each other and unprefixed lines only with
each other; `hc: mixed` flags only charge codes that have both kinds of line and differ. `prices: within` flags
instead the charge codes whose lines share one code and differ in price by no more than the tolerance.
`schedules: skip` leaves out, and `schedules: only` keeps only, the charge codes of a sheet listed as two price
schedules (see SCHEDULE_PAIRS).
"""

from __future__ import annotations

import polars as pl

from auditor.engine.checks import price_lines
from auditor.engine.checks.companions import MAX_RELATED, no_hits
from auditor.engine.findings import STAKE, STAKE_BASIS
from auditor.engine.lists import CatalogError
from auditor.ingest.shapes import EXCEL_SCIENTIFIC

KINDS = ("duplicate-price", "duplicate-charge-code")
# A sheet that lists many charge codes twice, each on two adjacent lines worded alike with one code and two prices,
# the same line of the two priced higher nearly every time, holds two price schedules (hospital and clinic, say)
# without the column that names them: one export habit, not hundreds of charge codes used twice. At least this
# many such pairs on the sheet, and at least this share of them with the same line priced higher.
SCHEDULE_PAIRS = 20
SCHEDULE_SHARE = 0.9


def prepare(edit, lists) -> None:
    """Resolve the catch-all selector; refuse an unknown `hc` mode."""
    price_lines.prepare(edit, lists)
    if edit.params.get("hc") not in (None, "split", "mixed"):
        raise CatalogError(f"hc must be split or mixed, not {edit.params['hc']!r}")
    if edit.params.get("prices") not in (None, "beyond", "within"):
        raise CatalogError(f"prices must be beyond or within, not {edit.params['prices']!r}")
    if edit.params.get("schedules") not in (None, "skip", "only"):
        raise CatalogError(f"schedules must be skip or only, not {edit.params['schedules']!r}")


def columns(edit) -> tuple[str, ...]:
    """The code and its differing price, or the repeated charge code."""
    return ("code", "price") if edit.check == "duplicate-price" else ("charge_code",)


def _price_groups(ctx, edit, eligible: pl.Expr):
    """Lines and flagged groups for duplicate-price."""
    src = ctx.frame
    item = price_lines.item_keys(src)
    keys = ["_scope", "code", *item, "_item"]
    # A lone line of its code in its file has nothing to differ from.
    lines = price_lines.with_siblings(src.lazy().filter(eligible & price_lines.comparable(edit, src)), 2)
    # A product line is compared by its wording, any other by its description's numbers: each line's key is
    # worked out the one way that applies to it (as one expression polars would work out both for every line).
    products = edit.params.get("_products")
    is_product = products.expr() if products is not None else pl.lit(False)
    cols = ("_rid", "_scope", "code", "price")
    frame = pl.concat(
        [
            lines.filter(is_product).select(*cols, **item, _item=price_lines.wording(src)),
            lines.filter(~is_product).select(*cols, **item, _item=price_lines.sizes(src)),
        ]
    )
    ratio = float(edit.params.get("min_ratio", 1.0))
    stats = frame.group_by(keys).agg(
        _lo=pl.col("price").min(), _hi=pl.col("price").max(), _rid=pl.col("_rid").min()
    )
    stats = stats.filter(
        price_lines.differ(ctx, edit, pl.col("_lo"), pl.col("_hi")) & (pl.col("_hi") >= pl.col("_lo") * ratio)
    )
    detail = {
        "v_low": price_lines.dollars(pl.col("_lo")),
        "v_high": price_lines.dollars(pl.col("_hi")),
    }
    return (
        keys,
        frame,
        stats,
        detail,
        pl.lit("one price per code and modifier set, or distinct modifiers/descriptions"),
    )


def _charge_code_groups(ctx, edit, eligible: pl.Expr):
    """Lines and flagged groups for duplicate-charge-code."""
    # An 'HC'-prefixed line (the hospital charge) beside an unprefixed one under the same number: two charge
    # masters merged in one export (a supply catalogue and its hospital charges), hundreds of pairs at once.
    # `hc: split` compares each kind of line only with its own kind; `hc: mixed` flags just those pairs.
    hc = edit.params.get("hc")
    schedules = edit.params.get("schedules")
    keys = ["_scope", "charge_code", "_setting", *(["_hc"] if hc == "split" else [])]
    frame = _repeated_lines(ctx, edit.params.get("skip_description"), eligible).lazy()
    stats = frame.group_by(keys).agg(
        _codes=pl.col("code").unique().sort(nulls_last=True),
        _lo=pl.col("price").min(),
        _hi=pl.col("price").max(),
        _priced=pl.col("price").is_not_null().all(),
        _rid=pl.col("_rid").min(),
        _mixed=pl.col("_hc").any() & (~pl.col("_hc")).any(),
        **(_pair_facts() if schedules else {}),
    )
    codes_differ = pl.col("_codes").list.len() > 1
    # Prices within the facility tolerance (`tolerance_pct`, `tolerance_abs`) are one price: $4,570 and $4,571,
    # or a quality-data code at $0.00 and $0.01, cost nothing whichever line is billed.
    prices_differ = price_lines.differ(ctx, edit, pl.col("_lo"), pl.col("_hi")) | (
        ~pl.col("_priced") & pl.col("_lo").is_not_null()
    )
    # `prices: within` is the other side of the tolerance: one code, every line priced, prices apart but within it.
    spread = pl.col("_priced") & ~codes_differ & (pl.col("_hi") > pl.col("_lo"))
    flagged = (
        spread & ~prices_differ if edit.params.get("prices") == "within" else codes_differ | prices_differ
    )
    stats = stats.filter(flagged & (pl.col("_mixed") if hc == "mixed" else True))
    if schedules:
        stats = _schedule_pairs(stats, codes_differ)
    # What differs, so the analyst knows which line to correct: the codes, the prices, or both.
    codes = pl.col("_codes").list.eval(pl.element().fill_null("none")).list.join(", ")
    low = price_lines.dollars(pl.col("_lo"))
    prices = (
        pl.when(pl.col("_hi") > pl.col("_lo"))
        .then(pl.format("{} to {}", low, price_lines.dollars(pl.col("_hi"))))
        .otherwise(low)
    )
    prices = pl.when(pl.col("_priced")).then(prices).otherwise(pl.format("{} and blank", prices))
    differs = (
        pl.when(codes_differ & prices_differ)
        .then(pl.format("different codes ({}) and prices ({})", codes, prices))
        .when(codes_differ)
        .then(pl.format("different codes ({})", codes))
        .otherwise(pl.format("different prices ({})", prices))
    )
    # Money at stake when only the price differs: the spread, what picking the wrong line costs each time it is
    # billed (two lines priced $4,570 and $4,571 are $1 apart, not $4,571 at risk). A different code can get the
    # line denied, and a blank price has no spread, so those keep the line's rate or charge (stake null).
    detail = {
        "v_differs": differs,
        STAKE: pl.when(spread).then((pl.col("_hi") - pl.col("_lo")).round(2)),
        STAKE_BASIS: pl.when(spread).then(pl.lit("price spread")),
    }
    if schedules == "only":
        detail |= {
            "v_pairs": pl.col("_pairs").cast(pl.String),
            "v_share": pl.format("{}%", (pl.col("_share") * 100).round(0).cast(pl.Int64)),
            "v_higher": pl.when(pl.col("_higher")).then(pl.lit("first")).otherwise(pl.lit("second")),
        }
    return keys, frame, stats, detail, pl.lit("a unique charge code per chargemaster line")


def _repeated_lines(ctx, skip: str | None, eligible: pl.Expr) -> pl.DataFrame:
    """The eligible lines whose charge code is on another line too, with their setting, 'HC' mark and what tells
    a price-schedule pair; built once for the duplicate-charge-code edits (four read the same lines)."""

    def build() -> pl.DataFrame:
        src = ctx.frame
        cond = eligible & pl.col("charge_code").is_not_null() & pl.col("charge_code").is_duplicated()
        # '1.23457E+13' is what Excel left of several long charge codes: alike by rounding, not duplicates (the
        # reader's note on the sheet says so).
        cond = cond & ~pl.col("charge_code").str.contains(EXCEL_SCIENTIFIC)
        if skip and "description" in src.columns:
            cond = cond & ~pl.col("description").str.contains(skip).fill_null(False)
        # Charge codes are nearly all unique: keep only repeated ones before grouping.
        return (
            src.lazy()
            .filter(cond)
            .select(
                "_rid",
                "_scope",
                "charge_code",
                "code",
                "price",
                _setting=price_lines.setting(src),
                _hc=price_lines.hospital_prefix(src),
                **_pair_columns(src),
            )
            .collect(engine="in-memory")
        )

    return ctx.memo(("repeated-charge-codes", skip, str(eligible)), build)


def _pair_columns(src: pl.DataFrame) -> dict[str, pl.Expr]:
    """What tells a price-schedule pair (SCHEDULE_PAIRS): the line's sheet, row and wording."""
    return {
        "_sheet": pl.col("sheet") if "sheet" in src.columns else pl.lit(None, pl.String),
        "_row": pl.col("row") if "row" in src.columns else pl.col("_rid"),
        "_text": pl.col("description") if "description" in src.columns else pl.lit(None, pl.String),
    }


def _pair_facts() -> dict[str, pl.Expr]:
    """Per charge code: its sheet, whether its lines are one pair of adjacent lines worded alike, and whether the
    first of them is priced higher."""
    first, last = pl.col("_row").arg_min(), pl.col("_row").arg_max()
    return {
        "_sheet": pl.col("_sheet").first(),
        "_pair": (pl.len() == 2)
        & (pl.col("_row").max() - pl.col("_row").min() == 1)
        & (pl.col("_text").first() == pl.col("_text").last()).fill_null(False),
        "_first_higher": pl.col("price").get(first) > pl.col("price").get(last),
    }


def _schedule_pairs(stats: pl.LazyFrame, codes_differ: pl.Expr) -> pl.LazyFrame:
    """The flagged groups with `_schedule`: the group is one of its sheet's price-schedule pairs (SCHEDULE_PAIRS),
    with the sheet's count of such pairs (`_pairs`), the share with the usual line priced higher (`_share`) and
    which line that is (`_higher`: the first)."""
    pair = pl.col("_pair") & ~codes_differ & pl.col("_priced") & (pl.col("_hi") > pl.col("_lo"))
    sheet = ["_scope", "_sheet"]
    stats = stats.with_columns(_p=pair)
    share = (
        stats.filter(pl.col("_p"))
        .group_by(sheet)
        .agg(_pairs=pl.len(), _firsts=pl.col("_first_higher").sum())
        .with_columns(_higher=pl.col("_firsts") * 2 >= pl.col("_pairs"))
        .with_columns(
            _share=pl.when(pl.col("_higher"))
            .then(pl.col("_firsts"))
            .otherwise(pl.col("_pairs") - pl.col("_firsts"))
            / pl.col("_pairs")
        )
        .drop("_firsts")
    )
    stats = stats.join(share, on=sheet, how="left", nulls_equal=True, maintain_order="left")
    schedule = pl.col("_p") & (pl.col("_pairs") >= SCHEDULE_PAIRS) & (pl.col("_share") >= SCHEDULE_SHARE)
    return stats.with_columns(_schedule=schedule.fill_null(False)).drop("_p")


def evaluate(ctx, edit, eligible: pl.Expr) -> pl.DataFrame:
    """Every group that disagrees, on its first line, with the group's other lines as related rows."""
    build = _price_groups if edit.check == "duplicate-price" else _charge_code_groups
    keys, frame, stats, detail, expected = build(ctx, edit, eligible)
    # One finding per group, on its first line, with the other lines as related rows: a code priced
    # five ways is one thing to fix, not five. Members are gathered for flagged groups only.
    # Together, so the lines' filter (shared by both plans) runs once.
    schedules = edit.params.get("schedules")
    if schedules:
        # PR003 and PR007 read the same groups, each keeping one side of the schedule-pair line: built once.
        same = {k: v for k, v in edit.params.items() if k != "schedules"}
        key = ("duplicate-charge-code", repr(sorted(same.items(), key=str)), str(eligible))
        frame, stats = ctx.memo(key, lambda: pl.collect_all([frame, stats], engine="in-memory"))
        stats = stats.filter(pl.col("_schedule") if schedules == "only" else ~pl.col("_schedule"))
    else:
        frame, stats = pl.collect_all([frame, stats], engine="in-memory")
    if stats.height == 0:  # most charge codes and items are set up once: no group to gather
        return no_hits()
    # The members and the findings as one query: each eager step would cost a query of its own.
    flagged = stats.lazy()
    members = (
        frame.lazy()
        .join(flagged.select(keys), on=keys, how="semi", nulls_equal=True)
        .group_by(keys)
        .agg(_members=pl.col("_rid").sort().head(MAX_RELATED + 1))
    )
    hits = flagged.join(members, on=keys, how="left", nulls_equal=True).sort("_rid")
    return hits.select(
        "_rid",
        expected=expected,
        v_lines=pl.col("_members").list.len().cast(pl.String),
        related=pl.col("_members").list.set_difference(pl.concat_list(pl.col("_rid"))).list.head(MAX_RELATED),
        **detail,
    ).collect(engine="in-memory")
