"""Which adjudication of a claim stands: reversals (CLP02 22) take back the one before, a later one replaces it."""

from __future__ import annotations

import polars as pl

from auditor.denials import codes

# CLP02 claim status codes (X12 835 5010): what each means in the reports.
CLAIM_STATUS = {
    "1": "processed as primary",
    "2": "processed as secondary",
    "3": "processed as tertiary",
    "4": "denied",
    "19": "processed as primary, forwarded to another payer",
    "20": "processed as secondary, forwarded to another payer",
    "21": "processed as tertiary, forwarded to another payer",
    "22": "reversal of a previous payment",
    "23": "not our claim, forwarded to another payer",
    "25": "predetermination pricing only, no payment",
}


def adjudications(remit: pl.DataFrame) -> pl.DataFrame:
    """Number each adjudication: consecutive rows of one file with the same claim, status, payer claim id and
    payment date, line numbers rising."""
    ordered = remit.with_row_index("_order")
    key = pl.concat_str(
        [pl.col(c).fill_null("") for c in ("file", "claim_id", "claim_status", "payer_claim_id")],
        separator="\x1f",
    )
    # A CLP repeated back to back (same claim, status and payer id) starts over at its first line, or carries
    # another payment date: a new adjudication either way.
    restart = (pl.col("line_ordinal") <= pl.col("line_ordinal").shift(1)) | (
        pl.col("paid_date") != pl.col("paid_date").shift(1)
    )
    new = (key != key.shift(1)) | restart.fill_null(False)
    numbered = ordered.with_columns(_adj=new.fill_null(True).cum_sum())
    # A worklist has no CLP: its rows of one claim (in any order, with a remit date per line) are one
    # adjudication, numbered past the 835's.
    worklist = pl.col("source") == "worklist"
    base = numbered.get_column("_adj").max() or 0
    per_claim = key.rank("dense").cast(pl.Int64) + base
    return numbered.with_columns(_adj=pl.when(worklist).then(per_claim).otherwise(pl.col("_adj")))


def settle(remit: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(standing rows, superseded rows). Per claim id, adjudications in order of paid date then file order: a
    reversal cancels the latest standing one; the last one not cancelled stands. A claim whose last event is a
    reversal has no standing adjudication: its rows come back as superseded with reason "reversed"."""
    frame = adjudications(remit)
    heads = (
        frame.group_by("_adj")
        .agg(
            pl.col("claim_id").first(),
            pl.col("reversal").first(),
            pl.col("paid_date").first(),
            pl.col("_order").min().alias("_first"),
        )
        .sort(["claim_id", "paid_date", "_first"], nulls_last=False)
    )
    standing: dict[str, int] = {}
    reason: dict[int, str] = {}
    for claim, group in heads.group_by("claim_id", maintain_order=True):
        stack: list[int] = []
        for adj, reversal in zip(group.get_column("_adj"), group.get_column("reversal"), strict=True):
            if reversal:
                reason[adj] = "reversal"
                if stack:
                    reason[stack.pop()] = "reversed"
            else:
                for earlier in stack:
                    reason[earlier] = "replaced by a later adjudication"
                stack = [adj]
        if stack:
            standing[str(claim[0])] = stack[-1]
    keep = set(standing.values())
    marked = frame.with_columns(
        superseded=pl.col("_adj").replace_strict(reason, default=None, return_dtype=pl.String)
    )
    return (
        marked.filter(pl.col("_adj").is_in(list(keep))).drop("superseded"),
        marked.filter(~pl.col("_adj").is_in(list(keep))),
    )


def denied_line(frame: pl.DataFrame) -> pl.Expr:
    """A standing line is denied when its claim was denied (CLP02 4) or it was paid nothing on a charge with at
    least one CARC that is not contractual, patient share or bundling."""
    denial_codes = [
        c for (kind, c), v in codes.table().items() if kind == "carc" and v.kind in codes.NOT_DENIALS
    ]
    carcs = pl.col("carcs").fill_null("").str.split(",").list.eval(pl.element().str.strip_chars())
    has_denial_carc = carcs.list.eval((pl.element() != "") & ~pl.element().is_in(denial_codes)).list.any()
    unpaid = (pl.col("paid").fill_null(0) <= 0) & (pl.col("charge").fill_null(0) > 0)
    return (pl.col("claim_status") == "4") | (unpaid & has_denial_carc)
