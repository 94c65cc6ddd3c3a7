"""One claims run: stream claim lines, run the claim-scope edits per claim and date, and judge readiness."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import field
from pathlib import Path

import polars as pl

from auditor.audit import gc_paused, load_edit_set
from auditor.claims.compact import CLAIM_LABELS, FINDING_LABELS, compact, expand
from auditor.claims.credits import net_credits
from auditor.claims.read import DEFAULT_CHUNK_ROWS, DEFAULT_MAX_BYTES, LINE_SCHEMA, ClaimFile, claim_chunks
from auditor.claims.result import CLAIM_SCHEMA, FINDING_SCHEMA, ClaimsResult
from auditor.claims.seen import SeenClaims
from auditor.claims.skip_reasons import CLAIM_ROW, UNCODED
from auditor.claims.wiser import WiserScope, load_scope, mark
from auditor.codeset import CodeTable
from auditor.codeset.icd10 import DiagnosisCodeSet, load_code_set, package_code_set
from auditor.engine import run_edits
from auditor.engine.checks.diagnosis import classify_claims
from auditor.engine.lists import CatalogError
from auditor.errors import InputError
from auditor.ingest.reader import CANONICAL, SCHEMA, IngestOptions
from auditor.lean_dataclass import dataclass
from auditor.version import __version__

# What a remittance is matched on, per line as read (ClaimsRequest.keep_lines, ClaimsResult.lines).
LINE_KEYS = ("file", "claim_id", "line", "code", "dos")
LINE_KEY_SCHEMA = {k: LINE_SCHEMA[k] for k in LINE_KEYS}
ICD10_START = dt.date(2015, 10, 1)  # the first date of service ICD-10-CM codes
CLAIM_KEY = pl.UInt32  # the dtype of the per-file claim key (_claim_level)
# A pairing scope is one claim's one date of service, as one integer (no text to hash on every line): the claim
# key times ten million plus the date's day number (+-3.6M days span every four-digit year).
_SCOPE = pl.col("claim_key").cast(pl.Int64) * 10_000_000 + (pl.col("_dos").cast(pl.Int64) + 5_000_000)


@dataclass
class ClaimsRequest:
    """Options of a claims run besides the input paths."""

    config_path: Path | None = None
    state: str | None = None  # for claims whose lines carry no state
    wiser_scope: Path | None = None
    icd10_codes: Path | None = None
    icd10_tabular: Path | None = None
    ingest: IngestOptions = field(default_factory=lambda: IngestOptions(max_bytes=DEFAULT_MAX_BYTES))
    chunk_rows: int = DEFAULT_CHUNK_ROWS
    select: set[str] | None = None
    ignore: set[str] = field(default_factory=set)
    today: dt.date = field(default_factory=dt.date.today)
    # Keep every line read as LINE_KEYS (a denials run joins remittances to them; no second read).
    keep_lines: bool = False
    # Told, as it starts, what makes this run slow once: the first run with an ICD-10-CM release builds its table.
    notice: Callable[[str], None] | None = None


@dataclass(frozen=True)
class _References:
    """The reference code sets of one run: HCPCS/CPT by quarter and ICD-10-CM."""

    table: CodeTable
    diagnoses: DiagnosisCodeSet


@dataclass
class _Totals:
    """What accumulates over chunks: claims, findings, edit counts, and facts for the notes."""

    claims: list[pl.DataFrame] = field(default_factory=list)
    findings: list[pl.DataFrame] = field(default_factory=list)
    lines: list[pl.DataFrame] = field(default_factory=list)  # LINE_KEYS of every line read (keep_lines)
    edits: dict[str, dict] = field(default_factory=dict)
    stale: dict[str, str] = field(default_factory=dict)
    no_payer: int = 0
    no_state: int = 0
    # Audited lines, and those dated after / before the ICD-10-CM set's period (counts, not the dates).
    dated: int = 0
    after: int = 0
    before: int = 0
    # Lines dated where no claim can be (before ICD-10-CM, or over a year ahead), and the earliest and latest such date.
    odd: int = 0
    odd_span: tuple[dt.date, dt.date] | None = None


# _Totals' counters, put back as they were when a file is read again (sorted) or not at all.
_COUNTS = ("no_payer", "no_state", "dated", "after", "before", "odd", "odd_span")


class _Unsorted(Exception):
    """A claim's lines are not together in the file (a later chunk holds more of a finished claim)."""


def run_claims(paths: list[Path], request: ClaimsRequest | None = None) -> ClaimsResult:
    """Read claim files, apply the claim-scope edits and WISeR scope, and build the readiness result."""
    with gc_paused():
        return _run(paths, request or ClaimsRequest())


def _run(paths: list[Path], request: ClaimsRequest) -> ClaimsResult:
    """run_claims' body."""
    edits, config, select = load_edit_set(request.config_path, request.select, request.ignore)
    try:
        scope = load_scope(request.wiser_scope)
    except CatalogError as exc:
        raise InputError(str(request.wiser_scope or "WISeR scope"), str(exc)) from None
    # This run's own ICD-10-CM set: CMS files when given, else the package's; it travels with the run.
    diagnoses = (
        load_code_set(request.icd10_codes, request.icd10_tabular)
        if request.icd10_codes or request.icd10_tabular
        else package_code_set()
    )
    if request.notice is not None and not diagnoses.table_ready():
        request.notice(
            f"building the {diagnoses.label} diagnosis table (once for this release, several seconds; "
            "later runs read it from the cache)"
        )
    table = CodeTable.load()
    refs = _References(table, diagnoses)
    totals = _Totals()
    accounts: list[ClaimFile] = []
    notes: list[str] = []
    unread: list[tuple[Path, InputError]] = []
    for path in paths:
        path = Path(path)
        try:
            try:
                account = _one_file(path, request, scope, edits, config, refs, select, totals, sort=False)
            except _Unsorted:
                notes.append(
                    f"{path.name}: the lines of a claim are not together in the file, so it was sorted by "
                    "claim id in memory before auditing (group lines by claim to keep memory flat)"
                )
                account = _one_file(path, request, scope, edits, config, refs, select, totals, sort=True)
        except InputError as exc:
            if len(paths) == 1:
                raise
            unread.append((path, exc))  # one unreadable file fails alone; the others are audited
            continue
        accounts.append(account)
        notes += [f"{path.name}: {e}" for e in account.x12_errors[:20]]
    if unread and not accounts:
        raise unread[0][1]
    result = _result(accounts, totals, notes, scope, edits.version, diagnoses, request.keep_lines)
    for path, exc in unread:
        result.files.append(_unread_file(path, exc))
        result.notes.insert(0, f"INCOMPLETE: {exc}; its lines are in no count and no finding")
    return result


def _unread_file(path: Path, exc: InputError) -> dict:
    """The account of a claims file that could not be read: its size and the error, no lines."""
    size = path.stat().st_size if path.is_file() else 0
    return {
        "path": str(path),
        "format": "unreadable",
        "sha256": "",
        "size": size,
        "rows_read": 0,
        "rows_audited": 0,
        "rows_skipped": 0,
        "sheets": [],
        "error": str(exc),
    }


def _one_file(
    path: Path,
    request: ClaimsRequest,
    scope: WiserScope,
    edits,
    config,
    refs: _References,
    select: set[str],
    totals: _Totals,
    sort: bool,
) -> ClaimFile:
    """Stream one file's chunks, holding back the last claim of each chunk until its lines are complete."""
    mark_len = (len(totals.claims), len(totals.findings), len(totals.lines))
    saved = (
        {k: dict(v) for k, v in totals.edits.items()},
        dict(totals.stale),
        {name: getattr(totals, name) for name in _COUNTS},
    )
    account, chunks = claim_chunks(path, request.ingest, chunk_rows=request.chunk_rows)
    if sort:
        whole = pl.concat(list(chunks), how="vertical")
        whole = whole.sort("claim_id", "row", maintain_order=True, nulls_last=True)
        chunks = iter(
            whole.slice(i, request.chunk_rows) for i in range(0, max(whole.height, 1), request.chunk_rows)
        )
    finished = SeenClaims()
    carry: pl.DataFrame | None = None
    try:
        for chunk in chunks:
            if request.keep_lines:
                totals.lines.append(chunk.select(LINE_KEYS))
            if carry is not None and carry.height:
                chunk = pl.concat([carry, chunk], how="vertical")
            if chunk.height == 0:
                continue
            # eq_missing: a line without a claim id must land on one side (and be skipped there), not vanish.
            tail = chunk.get_column("claim_id").eq_missing(chunk.get_column("claim_id")[-1])
            carry, body = chunk.filter(tail), chunk.filter(~tail)
            chunk = tail = None  # the split halves are all that is needed
            _process(body, account, request, scope, edits, config, refs, select, totals, finished)
        if carry is not None and carry.height:
            _process(carry, account, request, scope, edits, config, refs, select, totals, finished)
    except (_Unsorted, InputError):  # what this file added is taken back: sorted and read again, or not read
        del totals.claims[mark_len[0] :], totals.findings[mark_len[1] :], totals.lines[mark_len[2] :]
        totals.edits, totals.stale, counts = saved
        for name, value in counts.items():
            setattr(totals, name, value)
        raise
    return account


def _process(
    lines: pl.DataFrame,
    account: ClaimFile,
    request: ClaimsRequest,
    scope: WiserScope,
    edits,
    config,
    refs: _References,
    select: set[str],
    totals: _Totals,
    finished: SeenClaims,
) -> None:
    """Audit whole claims: claim-level values filled in, lines without a date skipped, edits run per quarter."""
    if lines.height == 0:
        return
    ids = lines.get_column("claim_id").drop_nulls().unique()
    if finished.any_seen(ids):
        raise _Unsorted()
    finished.add(ids)
    frame, dx = _claim_level(lines, request)
    skip = (
        pl.when(pl.col("claim_id").is_null())
        .then(pl.lit("no claim id on this claim line"))
        .when(pl.col("_dos").is_null() & pl.col("_dos_text").is_not_null())
        .then(pl.format("date of service '{}' is not a date", pl.col("_dos_text")))
        .when(pl.col("_dos").is_null())
        .then(pl.lit("no date of service on the line or its claim"))
        .when(pl.col("code").is_null() & pl.col("revenue_code").is_null())
        .then(pl.lit(UNCODED))
        .otherwise(None)
    )
    frame = frame.with_columns(_skip=skip)
    dropped = frame.filter(pl.col("_skip").is_not_null())
    if dropped.height:
        _skip_lines(account, _claim_rows_said(dropped, frame))
    frame = frame.filter(pl.col("_skip").is_null()).drop("_skip", "_dos_text")
    frame, netted = net_credits(frame)
    if netted.height:
        _skip_lines(account, netted)
    if frame.height == 0:
        return
    totals.no_payer += frame.filter(pl.col("payer").is_null()).get_column("claim_key").n_unique()
    totals.no_state += frame.filter(pl.col("state").is_null()).get_column("claim_key").n_unique()
    frame = mark(frame, scope)
    missing = [c for c in CANONICAL if c not in frame.columns]
    frame = frame.with_columns([pl.lit(None, dtype=SCHEMA[c]).alias(c) for c in missing])
    dos, codes = frame.get_column("_dos"), refs.diagnoses
    totals.dated += dos.len()
    totals.after += int((dos > codes.valid_to).sum())
    totals.before += int((dos < codes.valid_from).sum())
    # A date read wrong (a two-digit year taken as the year 26) puts every claim out of scope and every edit out of
    # force without a word: dates no outpatient claim can have are counted and said.
    odd = dos.filter((dos < ICD10_START) | (dos > request.today + dt.timedelta(days=366)))
    if odd.len():
        totals.odd += odd.len()
        low, high = odd.min(), odd.max()
        totals.odd_span = (
            (min(low, totals.odd_span[0]), max(high, totals.odd_span[1])) if totals.odd_span else (low, high)
        )
    facts = _claim_facts(frame, dx)
    claim_dx = classify_claims(dx, refs.diagnoses)
    # One run for the whole chunk: each line is checked against the code table quarter of its date of
    # service (a run per quarter cost a fixed ~60 ms each, three or four per chunk).
    run = run_edits(
        frame,
        edits,
        config,
        dos.min(),
        refs.table,
        "claim",
        scope=_SCOPE,
        select=select,
        diagnoses=refs.diagnoses,
        claim_dx=claim_dx,
        as_rows=True,
        by_quarter=True,
    )
    for choice in run.quarters:
        if choice.stale:
            totals.stale[choice.requested] = choice.used
    for s in run.summaries:
        cur = totals.edits.setdefault(
            s.code,
            {
                "code": s.code,
                "name": s.name,
                "severity": s.severity,
                "status": s.status,
                "findings": 0,
                "note": s.note,
            },
        )
        if s.status == "ran":
            cur["status"], cur["note"] = "ran", ""
            cur["findings"] += s.findings
    findings = _findings_frame(run.rows, frame)
    claims = _readiness(facts, findings)
    totals.claims.append(compact(claims, CLAIM_LABELS))
    totals.findings.append(compact(findings.drop("claim_key"), FINDING_LABELS))


def _claim_level(lines: pl.DataFrame, request: ClaimsRequest) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Fill a claim's header values (date, state, payer, bill type, UTN) onto all its lines; the claims'
    diagnoses come back apart, as a long table."""
    # The lines are one file's, so the claim id alone tells claims apart: its dense rank, an integer, keys
    # the claim-level group-bys and joins here and in the engine far cheaper than "path|claim id" (or any
    # text) on every line. A line without a claim id keeps a null key, as before.
    f = lines.with_columns(
        claim_key=_claim_keys(lines.get_column("claim_id")),
        _dos=pl.col("dos").str.to_date("%Y-%m-%d", strict=False),
    )
    # One group-by computes every claim-level fact; one join maps them back (no per-line windows).
    heads = ("state", "payer", "bill_type", "pos")
    # In key order, so that a sorted key (_claim_keys) stays sorted for the join back.
    per_claim = f.group_by("claim_key", maintain_order=True).agg(
        _c_dos=pl.col("_dos").min(),
        _c_dos_text=pl.col("_dos").min().dt.strftime("%Y-%m-%d"),
        _c_utns=pl.col("utn").drop_nulls().n_unique(),
        _c_utn=pl.col("utn").drop_nulls().first(),
        **{f"_c_{c}": pl.col(c).drop_nulls().first() for c in heads},
    )
    if f.get_column("claim_key").flags["SORTED_ASC"]:
        per_claim = per_claim.with_columns(pl.col("claim_key").set_sorted())
    # Joined on the key alone and put beside: a join of the whole frame would copy every column of the chunk.
    f = f.hstack(
        f.select("claim_key")
        .join(per_claim, on="claim_key", how="left", maintain_order="left")
        .drop("claim_key")
    )
    # Only a missing date takes the claim's; a date that does not parse stays missing and is skipped.
    # One UTN on one line of the claim stands for the claim; different UTNs per line stay per line.
    f = f.with_columns(
        pl.when(pl.col("dos").is_null()).then(pl.col("_c_dos")).otherwise(pl.col("_dos")).alias("_dos"),
        *[pl.coalesce(c, f"_c_{c}").alias(c) for c in heads],
        utn=pl.when(pl.col("_c_utns") == 1).then(pl.col("_c_utn")).otherwise(pl.col("utn")),
    )
    if request.state:
        f = f.with_columns(pl.col("state").fill_null(pl.lit(request.state.upper())))
    # The date as text: the line's own (already ISO from the projection) where it parsed, else its claim's
    # (formatted once per claim, not on every line), else none.
    f = f.with_columns(
        _dos_text=pl.col("dos"),
        dos=pl.when(pl.col("dos").is_null())
        .then(pl.col("_c_dos_text"))
        .when(pl.col("_dos").is_not_null())
        .then(pl.col("dos")),
    )
    return f.drop(pl.selectors.starts_with("_c_"), "dx"), _claim_dx(f)


def _claim_keys(ids: pl.Series) -> pl.Series:
    """A claim's key: the number of its run of lines when each claim's lines are together (a sorted file, one
    pass), else the dense rank of its id (a sort); null for a line without an id."""
    runs = ids.ne_missing(ids.shift()).fill_null(True).cum_sum().cast(CLAIM_KEY)
    present = ids.is_not_null()
    if runs.filter(present).n_unique() == ids.drop_nulls().n_unique():
        if ids.null_count() == 0:
            # Run numbers rise line by line: said so, the claim-level group-bys and joins on the key take polars'
            # sorted path (a chunk's per-claim group-by ~2x, its join back ~3x faster). Not with a null among them.
            return runs.set_sorted()
        return pl.select(pl.when(present).then(runs)).to_series()
    return ids.rank("dense").cast(CLAIM_KEY)


def _claim_dx(lines: pl.DataFrame) -> pl.DataFrame:
    """The claims' diagnoses as a long table (claim_key, _pos, input): the union over each claim's lines,
    principal (first seen) first; held once per claim rather than repeated on every line."""
    long = (
        lines.select("claim_key", input="dx")
        .explode("input")
        .drop_nulls(["claim_key", "input"])
        .unique(["claim_key", "input"], keep="first", maintain_order=True)
        .sort("claim_key", maintain_order=True)
    )
    # Position within the claim from where its run of rows starts: a window over every claim
    # (int_range().over) costs ~4x as much with a hundred thousand claims in a chunk.
    row = pl.int_range(pl.len(), dtype=pl.Int64)
    first = pl.when((pl.col("claim_key") != pl.col("claim_key").shift()).fill_null(True)).then(row)
    return long.with_columns(_pos=row - first.forward_fill())


def _claim_rows_said(dropped: pl.DataFrame, frame: pl.DataFrame) -> pl.DataFrame:
    """Uncoded rows without a line number, of claims that have service lines, are the claim's header rows (a
    claims sheet beside a lines sheet, or a header line above its lines): said so, not called lines missing their
    codes. A numbered line without codes stays a line missing its codes."""
    uncoded = (pl.col("_skip") == UNCODED) & (pl.col("line").is_null() | (pl.col("line") == "0"))
    if not dropped.select(uncoded.any()).item():
        return dropped
    coded = frame.filter(pl.col("_skip").is_null()).get_column("claim_key").unique()
    return dropped.with_columns(
        _skip=pl.when(uncoded & pl.col("claim_key").is_in(coded.implode()))
        .then(pl.lit(CLAIM_ROW))
        .otherwise(pl.col("_skip"))
    )


def _skip_lines(account: ClaimFile, dropped: pl.DataFrame) -> None:
    """Move lines the pipeline cannot audit from 'audited' to 'skipped' in the file's account."""
    for (sheet,), part in dropped.partition_by("sheet", as_dict=True, include_key=True).items():
        rep = account.sheets.get(sheet) or next(iter(account.sheets.values()))
        rep.skip(part.select("row", reason="_skip"))


def _findings_frame(rows: pl.DataFrame, lines: pl.DataFrame) -> pl.DataFrame:
    """Engine findings (ROW_SCHEMA rows) on a chunk's `lines` as FINDING_SCHEMA rows, with the claim id, line
    and date of the flagged row."""
    schema = FINDING_SCHEMA | {"claim_key": CLAIM_KEY}
    if rows.height == 0:
        return pl.DataFrame(schema=schema)
    base = rows.drop("charge_code")
    in_scope = lines.filter(pl.col("wiser_in_scope").fill_null(False)).get_column("claim_key").unique()
    # Only the flagged lines are looked up: the join then hashes thousands of lines, not the chunk's 200k.
    flagged = lines.filter(pl.col("row").is_in(rows.get_column("row").unique().implode()))
    where = flagged.select(
        "file",
        "sheet",
        "row",
        "claim_id",
        "claim_key",
        "line",
        dos=pl.col("_dos"),
        modifiers=pl.col("modifiers"),
        _in=pl.col("claim_key").is_in(in_scope.implode()),
    )
    out = base.join(where, on=["file", "sheet", "row"], how="left", nulls_equal=True, maintain_order="left")
    # Any error blocks; on a claim that needs WISeR prior authorization a warning blocks auto-approval too.
    blocks = ~pl.col("waived") & (
        (pl.col("severity") == "error") | ((pl.col("severity") == "warning") & pl.col("_in"))
    )
    return out.with_columns(blocks=blocks.fill_null(False)).select(list(schema))


def _claim_facts(frame: pl.DataFrame, dx: pl.DataFrame) -> pl.DataFrame:
    """One row per claim: where, who pays, WISeR facts (before the edits run), its diagnoses as text."""
    wiser = pl.col("wiser_category").is_not_null()
    in_scope = pl.col("wiser_in_scope")
    return (
        frame.group_by("claim_key", maintain_order=True)
        .agg(
            pl.col("claim_id").first(),
            pl.col("file").first(),
            first_row=pl.col("row").min(),
            last_row=pl.col("row").max(),
            lines=pl.len().cast(pl.Int64),
            dos_from=pl.col("_dos").min(),
            dos_to=pl.col("_dos").max(),
            state=pl.col("state").first(),
            participant=pl.col("participant").first(),
            payer=pl.col("payer").first(),
            payer_class=pl.col("payer_class").first(),
            setting=pl.col("setting_label").first(),
            _in=in_scope.any(),
            _wiser=wiser.any(),
            wiser_reason=pl.col("wiser_reason").filter(wiser).first(),
            _cats_in=pl.col("wiser_category").filter(in_scope).unique(maintain_order=True),
            _cats=pl.col("wiser_category").filter(wiser).unique(maintain_order=True),
            utn=pl.col("utn").drop_nulls().first(),
        )
        .join(
            # A list joined after the group-by: str.join as the aggregation is ~4x slower over many groups.
            dx.group_by("claim_key", maintain_order=True)  # in key order: a sorted key's join stays sorted
            .agg(diagnoses=pl.col("input"))
            .with_columns(pl.col("diagnoses").list.join("; ")),
            on="claim_key",
            how="left",
            maintain_order="left",
        )
        .with_columns(pl.col("diagnoses").fill_null(""))
    )


def _readiness(claims: pl.DataFrame, findings: pl.DataFrame) -> pl.DataFrame:
    """The claims with their finding counts, WISeR status and readiness (CLAIM_SCHEMA)."""
    live = findings.filter(~pl.col("waived"))
    counts = live.group_by("claim_key").agg(
        errors=(pl.col("severity") == "error").sum().cast(pl.Int64),
        warnings=(pl.col("severity") == "warning").sum().cast(pl.Int64),
        infos=(pl.col("severity") == "info").sum().cast(pl.Int64),
        blocking=pl.col("blocks").sum().cast(pl.Int64),
    )
    claims = claims.join(counts, on="claim_key", how="left").with_columns(
        pl.col("errors", "warnings", "infos", "blocking").fill_null(0)
    )
    status = (
        pl.when(pl.col("_in"))
        .then(pl.lit("in_scope"))
        .when(pl.col("_wiser"))
        .then(pl.lit("out_of_scope"))
        .otherwise(pl.lit("not_wiser"))
    )
    readiness = (
        pl.when(pl.col("blocking") > 0)
        .then(pl.lit("needs_attention"))
        .when(pl.col("_in"))
        .then(pl.lit("ready"))
        .otherwise(pl.lit("out_of_scope"))
    )
    cats = pl.when(pl.col("_in")).then(pl.col("_cats_in")).otherwise(pl.col("_cats")).list.join(",")
    return claims.with_columns(
        wiser_status=status,
        readiness=readiness,
        wiser_categories=pl.when(cats == "").then(None).otherwise(cats),
        wiser_reason=pl.when(pl.col("_in"))
        .then(None)
        .when(~pl.col("_wiser"))
        .then(pl.lit("no WISeR service on the claim"))
        .otherwise(pl.col("wiser_reason")),
    ).select(list(CLAIM_SCHEMA))


def _result(
    accounts: list[ClaimFile],
    totals: _Totals,
    notes: list[str],
    scope: WiserScope,
    version: str,
    codes: DiagnosisCodeSet,
    keep_lines: bool = False,
) -> ClaimsResult:
    """Assemble the result: frames, accounts, and notes a reader needs to trust the numbers."""
    claims = expand(totals.claims, CLAIM_SCHEMA)
    findings = expand(totals.findings, FINDING_SCHEMA, by=("file", "row", "edit"), share=True)
    files, skipped = [], []
    for acc in accounts:
        sheets = acc.report.sheets
        files.append(
            {
                "path": acc.report.path,
                "format": acc.report.format,
                "sha256": acc.report.sha256,
                "size": acc.report.size,
                "rows_read": sum(s.rows_read for s in sheets),
                "rows_audited": sum(s.rows_audited for s in sheets),
                "rows_skipped": sum(s.rows_skipped for s in sheets),
                "sheets": [s.to_dict() for s in sheets],
            }
        )
        skipped += [{"file": acc.report.path, "sheet": s.name, **r} for s in sheets for r in s.skipped]
    for requested, used in sorted(totals.stale.items()):
        notes.append(
            f"Lines dated in {requested} were checked against the {used} OPPS code table (the newest "
            "loaded); import the newer Addendum B with `cdm-audit codes import`."
        )
    if totals.no_payer:
        notes.append(
            f"{totals.no_payer} claim(s) name no payer: they were treated as Original Medicare for WISeR."
        )
    if totals.no_state:
        notes.append(
            f"{totals.no_state} claim(s) name no state, so WISeR scope could not be decided for them "
            "(give --state)."
        )
    meta = {
        "generated_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "tool_version": __version__,
        "edit_set_version": version,
        "wiser": f"version {scope.version} (as of {scope.as_of}; first date of service {scope.first_dos})",
        "wiser_scope": {
            "version": scope.version,
            "as_of": str(scope.as_of),
            "path": scope.path,
            "first_dos": str(scope.first_dos),
        },
    }
    ran_dx = any(e["code"].startswith("DX") and e["status"] == "ran" for e in totals.edits.values())
    if ran_dx and totals.dated:
        meta["icd_code_set"] = codes.label
        after, before = totals.after, totals.before
        if after:
            notes.append(
                f"{after} line(s) are dated after {codes.valid_to}: their diagnoses were checked against "
                f"{codes.label}, an older code set; load CMS's newer files with --icd10-codes and "
                "--icd10-tabular."
            )
        if before:
            notes.append(
                f"{before} line(s) are dated before {codes.valid_from}: their diagnoses were checked against "
                f"{codes.label}, so codes new on {codes.valid_from} are accepted for them too."
            )
    if totals.odd:
        low, high = totals.odd_span
        span = str(low) if low == high else f"{low} to {high}"
        notes.insert(
            0,
            f"CHECK DATES: {totals.odd} line(s) are dated {span}, before ICD-10-CM ({ICD10_START}) or more than a "
            "year from today: no outpatient claim has such a date, so the date of service column holds errors or a "
            "layout read wrong; these lines were audited with the dates as read.",
        )
    edits = sorted(totals.edits.values(), key=lambda e: e["code"])
    result = ClaimsResult(claims, findings, files, skipped, notes, meta, scope.service_table(), edits)
    if keep_lines:
        result.lines = pl.concat(totals.lines) if totals.lines else pl.DataFrame(schema=LINE_KEY_SCHEMA)
    return result
