"""Which adjudications of a claim stand, per payer: reversals (CLP02 22) take one back, a later one replaces it."""

from __future__ import annotations

from collections.abc import Callable

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
    """Number each adjudication: consecutive rows of one file with the same claim, status, payer claim id, payer
    and payment date, line numbers rising."""
    ordered = remit.with_row_index("_order")
    # The claim key (when the join's pick is known) and the payer keep two claims, or two payers, apart. The
    # payer is its resolved key when known: a worklist spelling it "MEDICARE" on one line and "Medicare" on
    # the next still holds one adjudication, not two where the later would replace the earlier.
    payer = ("payer_key",) if "payer_key" in remit.columns else ("payer", "payer_id")
    parts = ("file", "claim_id", "claim_key", "claim_status", "payer_claim_id", *payer)
    key = pl.concat_str(
        [pl.col(c).fill_null("") for c in parts if c in remit.columns],
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
    # adjudication, numbered past the 835's. Its status is the line's outcome (paid on one line, denied on the
    # next), so only what makes another adjudication keeps rows apart: a reversal, or another payer's rank.
    worklist = pl.col("source") == "worklist"
    base = numbered.get_column("_adj").max() or 0
    status = pl.col("claim_status").fill_null("")
    outcome = (
        pl.when(status == "22")
        .then(pl.lit("reversal"))
        .otherwise(status.replace_strict(RANK, default="primary", return_dtype=pl.String))
    )
    per_line = [
        outcome if c == "claim_status" else pl.col(c).fill_null("") for c in parts if c in remit.columns
    ]
    per_claim = pl.concat_str(per_line, separator="\x1f").rank("dense").cast(pl.Int64) + base
    return numbered.with_columns(_adj=pl.when(worklist).then(per_claim).otherwise(pl.col("_adj")))


def _fold_name(value: str | None) -> str | None:
    """A payer name as compared: case-folded, whitespace runs one space, trimmed; None when blank."""
    return " ".join((value or "").split()).casefold() or None


def _fold_id(value: str | None) -> str | None:
    """A payer id as compared: trimmed and case-folded; None when blank."""
    return (value or "").strip().casefold() or None


def _compared(frame: pl.DataFrame, column: str, how: Callable[[str], str | None]) -> pl.Expr:
    """`column` as compared (`how` applied): a run holds few payers, so map its distinct values."""
    values = frame.get_column(column).drop_nulls().unique().to_list()
    return pl.col(column).replace_strict({v: how(v) for v in values}, default=None, return_dtype=pl.String)


def _payer_names(remit: pl.DataFrame) -> pl.DataFrame:
    """Per compared `_name`: the name as first read, its compared `ids` and those as read (`shown`)."""
    named = remit.select(
        "payer",
        "payer_id",
        _name=_compared(remit, "payer", _fold_name),
        _id=_compared(remit, "payer_id", _fold_id),
    ).filter(pl.col("_name").is_not_null())
    pairs = named.group_by("_name", "_id", maintain_order=True).agg(pl.col("payer", "payer_id").first())
    return pairs.group_by("_name", maintain_order=True).agg(
        pl.col("payer").first().str.strip_chars().alias("name"),
        pl.col("_id").drop_nulls().alias("ids"),
        pl.col("payer_id").filter(pl.col("_id").is_not_null()).str.strip_chars().alias("shown"),
    )


def with_payer_keys(remit: pl.DataFrame) -> pl.DataFrame:
    """The rows with `payer_key`: the payer's id, else the one id its name has in the run, else the name."""
    plain = remit.drop("payer_key", strict=False)
    names = _payer_names(plain).filter(pl.col("ids").list.len() == 1)
    # One payer sends its id in one 835 and leaves it out of another: the name alone then stands for that id.
    sole = dict(zip(names.get_column("_name"), names.get_column("ids").list.first(), strict=True))
    name, payer_id = _compared(plain, "payer", _fold_name), _compared(plain, "payer_id", _fold_id)
    # Prefixed so that an id never meets a name that happens to read the same. A name with two or more ids
    # could be either payer, so its id-less rows keep the name key and settle only among themselves.
    key = (
        pl.when(payer_id.is_not_null())
        .then(pl.lit("id:") + payer_id)
        .when(name.is_in(list(sole)))
        .then(pl.lit("id:") + name.replace_strict(sole, default=None, return_dtype=pl.String))
        .when(name.is_not_null())
        .then(pl.lit("name:") + name)
        .otherwise(pl.lit(""))
    )
    return plain.with_columns(payer_key=key)


def payer_notes(remit: pl.DataFrame) -> list[str]:
    """One note per payer name that carries two or more ids in the run and also comes without one."""
    names = _payer_names(remit).filter(pl.col("ids").list.len() > 1)
    if not names.height:
        return []
    frame = adjudications(remit).with_columns(
        _name=_compared(remit, "payer", _fold_name), _id=_compared(remit, "payer_id", _fold_id)
    )
    notes = []
    for row in names.iter_rows(named=True):
        bare = frame.filter((pl.col("_name") == row["_name"]) & pl.col("_id").is_null())
        count = bare.get_column("_adj").n_unique()
        if count:  # with every adjudication carrying its id, the name's ambiguity changes nothing
            ids = ", ".join(row["shown"])
            notes.append(
                f'Payer "{row["name"]}" came with {len(row["ids"])} different ids ({ids}): its {count}'
                " adjudication(s) without an id were settled by name, apart from those with an id."
            )
    return notes


# CLP02 codes that say which payer in the coordination of benefits sent the adjudication; any other status
# (denied, reversal, ...) reads as the payer's own, primary unless the payer says otherwise.
RANK = {"2": "secondary", "20": "secondary", "3": "tertiary", "21": "tertiary"}
HEAD = ("claim_status", "payer_claim_id", "paid_date", "file", "row")


def _claim(frame: pl.DataFrame) -> pl.Expr:
    """The claim an adjudication belongs to: its claim key when the join found one, else its claim id."""
    if "claim_key" in frame.columns:
        return pl.coalesce(pl.col("claim_key"), pl.col("claim_id")).first()
    return pl.col("claim_id").first()


def _heads(frame: pl.DataFrame) -> pl.DataFrame:
    """One row per adjudication: its claim, payer (its resolved key), coordination rank and when it came."""
    payer = pl.col("payer_key").first()
    rank = pl.col("claim_status").first().replace_strict(RANK, default="primary", return_dtype=pl.String)
    return (
        frame.group_by("_adj")
        .agg(
            _claim(frame).alias("_claim"),
            payer.alias("_payer"),
            rank.alias("_rank"),
            pl.col("reversal").first(),
            *[pl.col(c).first() for c in HEAD],
            pl.col("_order").min().alias("_first"),
        )
        .sort(["_claim", "_payer", "paid_date", "_first"], nulls_last=False)
    )


def _settle_payer(events: list[dict], reason: dict[int, str], by: dict[int, dict]) -> list[int]:
    """One claim's adjudications from one payer, in order: the standing ones (one per coordination rank).

    A later adjudication replaces the standing one of its rank; a reversal (whose CLP02 carries no rank)
    cancels the payer's latest standing one."""
    standing: dict[str, tuple[int, int]] = {}  # rank -> (position, adjudication)
    for at, event in enumerate(events):
        adj = event["_adj"]
        if event["reversal"]:
            reason[adj], by[adj] = "reversal", event  # taken back on its own date
            if standing:
                rank = max(standing, key=lambda r: standing[r][0])
                undone = standing.pop(rank)[1]
                reason[undone], by[undone] = "reversed", event
            continue
        if event["_rank"] in standing:
            earlier = standing[event["_rank"]][1]
            reason[earlier], by[earlier] = "replaced by a later adjudication", event
        standing[event["_rank"]] = (at, adj)
    return [adj for _, adj in standing.values()]


def _by_text(event: dict) -> str:
    """What superseded an adjudication, in words: its status, the payer's claim number and the file."""
    status = CLAIM_STATUS.get(event["claim_status"] or "", f"status {event['claim_status']}")
    number = f" {event['payer_claim_id']}" if event["payer_claim_id"] else ""
    return f"{status}{number} in {event['file']}"


def settle(remit: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(standing rows, superseded rows), settled per claim and payer: a secondary payer's adjudication never
    replaces the primary's. Within one payer, in order of paid date then file order, a reversal cancels the
    latest standing adjudication and a later one of the same rank replaces the earlier. Both carry `payer_key`
    (with_payer_keys); superseded rows also `superseded` (why), `superseded_by` and `superseded_on` (what took
    their place, and its date)."""
    frame = adjudications(with_payer_keys(remit))
    heads = _heads(frame)
    keep: list[int] = []
    reason: dict[int, str] = {}
    by: dict[int, dict] = {}
    for _, group in heads.group_by(["_claim", "_payer"], maintain_order=True):
        keep += _settle_payer(group.to_dicts(), reason, by)
    marked = frame.with_columns(
        superseded=pl.col("_adj").replace_strict(reason, default=None, return_dtype=pl.String),
        superseded_by=pl.col("_adj").replace_strict(
            {a: _by_text(e) for a, e in by.items()}, default=None, return_dtype=pl.String
        ),
        superseded_on=pl.col("_adj").replace_strict(
            {a: e["paid_date"] for a, e in by.items()}, default=None, return_dtype=pl.Date
        ),
    )
    standing = marked.filter(pl.col("_adj").is_in(keep)).drop("superseded", "superseded_by", "superseded_on")
    return standing, marked.filter(~pl.col("_adj").is_in(keep))


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
