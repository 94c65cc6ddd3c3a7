"""Run an edit set over a prepared frame and turn hits into findings."""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import field

import polars as pl

from auditor.codeset import CodeTable, QuarterChoice
from auditor.codeset.icd10 import DiagnosisCodeSet
from auditor.engine.catalog import Edit, EditSet
from auditor.engine.checks import QUARTER, CheckContext, check_module, finding_columns
from auditor.engine.checks.diagnosis import CLAIM_DX
from auditor.engine.conditions import all_of, none_of
from auditor.engine.config import FacilityConfig
from auditor.engine.finding_rows import (
    DATED_FIELDS,
    Q_START,
    ROW_SCHEMA,
    fixed_values,
    hit_rows,
    lower_implied_rows,
    message_expr,
    sorted_rows,
    with_flagged_rows,
)
from auditor.engine.findings import SEVERITY_RANK, Finding
from auditor.engine.implied import lower_implied, note_lowered
from auditor.engine.needs import NOT_EVALUABLE, missing_note, needed_fields
from auditor.ingest.normalize import distinct_columns
from auditor.lean_dataclass import dataclass

# Threads that run checks at once: polars works outside the GIL, so two overlap even on one core's worth of
# Python; more than four only adds memory held by checks in flight (a claims chunk's intermediates).
WORKERS = min(4, os.cpu_count() or 1)
_ROW_FIELDS = ("file", "sheet", "row", "charge_code", "code", "revenue_code", "description")


@dataclass
class EditSummary:
    """How one edit went: in force or not, rows flagged, time taken."""

    code: str
    name: str
    severity: str
    status: str  # ran | not-in-force | disabled | not-for-scope | not-evaluable
    findings: int = 0
    seconds: float = 0.0
    note: str = ""


@dataclass
class AuditRun:
    """Findings of one run plus what ran and against which quarter."""

    findings: list[Finding]
    summaries: list[EditSummary]
    quarter: QuarterChoice
    as_of: dt.date
    scope_kind: str
    rows_audited: int
    edit_set_version: str
    config: FacilityConfig = field(default_factory=FacilityConfig)
    # With run_edits(as_rows=True): the findings as one ROW_SCHEMA frame, and `findings` stays empty.
    rows: pl.DataFrame | None = None
    # With run_edits(by_quarter=True): the code table quarter chosen for each quarter of service in the frame.
    quarters: tuple[QuarterChoice, ...] = ()

    def worst(self) -> str | None:
        """Highest severity among unwaived findings."""
        live = [f.severity for f in self.findings if not f.waived]
        return max(live, key=SEVERITY_RANK.get) if live else None


def prepare_frame(
    frame: pl.DataFrame, table: CodeTable, quarter: str, scope: pl.Expr | None = None
) -> pl.DataFrame:
    """Add row ids, the pairing scope and the quarter's code classification and OPPS payment rate.

    A frame with a `_quarter` column (a dated run) is classified quarter by quarter, each row by its own.
    """
    frame = frame.with_row_index("_rid").with_columns(pl.col("_rid").cast(pl.Int64))
    frame = frame.with_columns((scope if scope is not None else pl.col("file")).alias("_scope"))
    if QUARTER not in frame.columns:
        found = _classified(
            frame.get_column("code").unique(), table, quarter, any_rates=table.has_rates(quarter)
        )
        return _beside(frame, found, ["code"])
    per = frame.select("code", QUARTER).unique()
    quarters = sorted(per.get_column(QUARTER).unique())
    rated = any(table.has_rates(q) for q in quarters)
    found = pl.concat(
        [
            _classified(per.filter(pl.col(QUARTER) == q).get_column("code"), table, q, rated).with_columns(
                pl.lit(q).alias(QUARTER)
            )
            for q in quarters
        ]
    )
    # A month of claims is one quarter: matched on the code alone (a two-key join costs ~4x).
    if len(quarters) == 1:
        return _beside(frame, found.drop(QUARTER), ["code"])
    return _beside(frame, found, ["code", QUARTER])


def _beside(frame: pl.DataFrame, found: pl.DataFrame, on: list[str]) -> pl.DataFrame:
    """The frame with found's other columns matched on `on` (a left join that copies only the keys and the new
    columns, not every column of a claims chunk)."""
    matched = frame.select(on).join(found, on=on, how="left", nulls_equal=True, maintain_order="left")
    return frame.hstack(matched.drop(on).get_columns())


def _classified(codes: pl.Series, table: CodeTable, quarter: str, any_rates: bool) -> pl.DataFrame:
    """Each distinct code's classification in the quarter (claim lines repeat a few dozen codes)."""
    cls = table.classify(codes, quarter)
    found = pl.DataFrame({"code": codes}).with_columns(
        cs_status=cls.get_column("status"),
        cs_si=cls.get_column("si"),
        cs_first_seen=cls.get_column("first_seen"),
        cs_last_seen=cls.get_column("last_seen"),
        cs_descriptor=cls.get_column("descriptor"),
    )
    # Addendum B payment rate of the quarter used (null: the code has no rate that quarter); without rates
    # there is no cs_rate column, and the rate edits say the quarter was imported without them.
    if any_rates:
        rates = table.rates(codes, quarter) if table.has_rates(quarter) else pl.lit(None, dtype=pl.Float64)
        found = found.with_columns(cs_rate=rates)
    return found


def _eligible(edit: Edit, frame: pl.DataFrame) -> pl.Expr:
    """Rows an edit may flag: `only_if` holds, `unless` does not, (for dated rows) the edit is in force, and a
    hospital outpatient rule only on lines that are not professional fees."""
    cond = _conditions(edit, frame)
    return cond & _in_force(edit) if "_dos" in frame.columns else cond


def _conditions(edit: Edit, frame: pl.DataFrame) -> pl.Expr:
    """_eligible but for the dates in force: `only_if`, `unless`, and no professional-fee line for a facility rule."""
    cond = all_of(edit.only_if) & none_of(edit.unless)
    if "professional" not in edit.settings and "sheet_kind" in frame.columns:
        cond = cond & (pl.col("sheet_kind") != "professional_fee").fill_null(True)
    return cond


def _in_force(edit: Edit) -> pl.Expr:
    """Dated rows within the edit's effective period (a row without a date counts as in force)."""
    cond = pl.lit(True)
    if edit.effective_from:
        cond = cond & (pl.col("_dos") >= edit.effective_from).fill_null(True)
    if edit.effective_to:
        cond = cond & (pl.col("_dos") <= edit.effective_to).fill_null(True)
    return cond


def run_edits(
    frame: pl.DataFrame,
    edits: EditSet,
    config: FacilityConfig,
    as_of: dt.date,
    table: CodeTable,
    scope_kind: str = "chargemaster",
    scope: pl.Expr | None = None,
    select: set[str] | None = None,
    available: set[str] | None = None,
    diagnoses: DiagnosisCodeSet | None = None,
    claim_dx: pl.DataFrame | None = None,
    as_rows: bool = False,
    by_quarter: bool = False,
) -> AuditRun:
    """Apply every edit in force on `as_of` to the frame; return findings with severities and waivers applied.

    `available` names the input fields the frame really has (None: all); an edit needing another is
    reported not-evaluable instead of running over an all-blank column and passing everything.
    `table` and `diagnoses` are the reference code sets: HCPCS/CPT by quarter, and the ICD-10-CM set that
    claim diagnoses are checked against (claim scope only); `claim_dx`, when given, is the claims' diagnoses
    already classified (`classify_claims`), so the frame need not repeat each claim's list on every line.
    `as_rows` gives the findings as one frame (AuditRun.rows) instead of Finding objects: a claims run
    makes tens of thousands, and its reports read them as a frame anyway.
    `by_quarter` (a frame with `_dos`): each row is checked against the code table quarter of its date of
    service (AuditRun.quarters), all in one run; without it every row is checked against `as_of`'s quarter.
    """
    choice = table.resolve_quarter(as_of)
    choices = (choice,)
    if by_quarter:
        frame, choices = _with_quarters(frame, table, as_of)
    prepared = prepare_frame(frame, table, choice.used, scope)
    ctx = CheckContext(prepared, edits.lists, config, choice.used, scope_kind, diagnoses)
    if claim_dx is not None:
        ctx.cache[CLAIM_DX] = claim_dx
    rows = prepared.select("_rid", *_ROW_FIELDS, *(c for c in DATED_FIELDS if c in prepared.columns))
    findings: list[Finding] = []
    parts: list[pl.DataFrame] = []
    summaries: list[EditSummary] = []
    dated = "_dos" in prepared.columns
    pro = _professional_lines(prepared)
    runnable: list[tuple[Edit, EditSummary]] = []
    for edit in edits.edits:
        severity = config.severity.get(edit.code, edit.severity)
        summary = EditSummary(edit.code, edit.name, severity, "ran")
        summaries.append(summary)
        if select is not None and edit.code not in select:
            summary.status, summary.note = "disabled", "not selected"
        elif edit.code in config.disabled:
            summary.status, summary.note = "disabled", "disabled in the facility configuration"
        elif scope_kind not in edit.scopes:
            summary.status, summary.note = "not-for-scope", f"applies to {', '.join(edit.scopes)}"
        elif not dated and not edit.in_force(as_of):
            summary.status, summary.note = "not-in-force", f"in force {edit.period()}"
        elif available is not None and (missing := [f for f in needed_fields(edit) if f not in available]):
            summary.status, summary.note = "not-evaluable", NOT_EVALUABLE + missing_note(missing)
        elif pro and "professional" not in edit.settings and pro == prepared.height:
            summary.status, summary.note = "not-for-scope", PRO_ONLY
        elif reason := _unevaluable(ctx, edit):
            summary.status, summary.note = "not-evaluable", NOT_EVALUABLE + reason
        else:
            if pro and "professional" not in edit.settings:
                summary.note = f"not applied to {pro:,} professional-fee lines (a hospital outpatient rule)"
            runnable.append((edit, summary))
    # Findings (rows or objects) are written in the worker that found the hits, beside the other checks' queries.
    write = hit_rows if as_rows else _to_findings
    for edit, summary, hits, spent, written in _hits_in_order(
        ctx, runnable, lambda e, s, h: write(e, s.severity, h, rows, choice.used, config, as_of, scope_kind)
    ):
        started = time.perf_counter()
        if as_rows:
            parts.append(written)
        else:
            findings.extend(written)
        if partly := _unevaluated(ctx, edit):
            summary.note = "; ".join(n for n in (summary.note, partly) if n)
        summary.findings = hits.height
        summary.seconds = round(time.perf_counter() - started + spent, 4)
    table = None
    if as_rows:
        found = [p for p in parts if p.height]
        table, lowered = lower_implied_rows(
            pl.concat(found) if found else pl.DataFrame(schema=ROW_SCHEMA), edits
        )
        table = sorted_rows(table)
    else:
        findings, lowered = lower_implied(findings, edits)
        findings.sort(key=Finding.sort_key)
    note_lowered(summaries, lowered)
    return AuditRun(
        findings,
        summaries,
        choice,
        as_of,
        scope_kind,
        prepared.height,
        edits.version,
        config,
        rows=table,
        quarters=choices,
    )


def _with_quarters(
    frame: pl.DataFrame, table: CodeTable, as_of: dt.date
) -> tuple[pl.DataFrame, tuple[QuarterChoice, ...]]:
    """The frame with each row's quarter start (`_q_start`; `as_of`'s for an undated row) and code table quarter
    (`_quarter`), and each quarter's choice (a quarter not held is checked against the nearest held one)."""
    start = pl.col("_dos").fill_null(as_of).dt.truncate("1q")
    # Worked out once per distinct date (a claims chunk holds a few hundred), not on every line.
    starts = sorted(frame.select(pl.col("_dos").unique()).select(start.unique()).to_series().to_list())
    choices = tuple(table.resolve_quarter(s) for s in starts)
    used = start.replace_strict(starts, [c.used for c in choices], return_dtype=pl.String)
    return frame.hstack(distinct_columns(frame, [{Q_START: start, QUARTER: used}])), choices


def _hits_in_order(
    ctx: CheckContext, runnable: list[tuple[Edit, EditSummary]], finish: Callable
) -> Iterator[tuple[Edit, EditSummary, pl.DataFrame, float, object]]:
    """Each edit's hits, the seconds its check took and finish(edit, summary, hits) (its findings), in edit
    order, the checks and their finishing running in worker threads.

    Row-filter checks expose a lazy plan: one collect_all runs them together over a shared scan. The other
    checks run one a task. Polars lets go of the GIL while it works, so one check's query runs while
    another builds its plan or turns its hits into findings (a third of the edits' time on a 16k-line
    chargemaster). Results come back in edit order, so findings do not depend on the timing.
    """
    edits = [e for e, _ in runnable]
    planned = [e for e in edits if hasattr(check_module(e.check), "plan")]
    codes = {e.code for e in planned}
    pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="cdm-audit-edit")
    try:
        # The plans are built in a worker too: some read the data first (a description reader judges each
        # distinct description in Python), and the other checks' queries run meanwhile.
        batch = pool.submit(_timed, _collect_plans, ctx, planned) if planned else None
        alone = {
            e.code: pool.submit(_evaluated, ctx, e, s, finish) for e, s in runnable if e.code not in codes
        }
        batch_hits, share = ([], 0.0)
        if batch is not None:
            batch_hits, spent = batch.result()
            share = spent / len(planned)
        summaries = {e.code: s for e, s in runnable}
        precomputed = {
            e.code: pool.submit(_finished, finish, e, summaries[e.code], hits, share)
            for e, hits in zip(planned, batch_hits, strict=True)
        }
        for edit, summary in runnable:
            yield edit, summary, *(precomputed.get(edit.code) or alone[edit.code]).result()
    finally:
        # A check that fails (or a caller that stops reading) leaves no queued check behind.
        pool.shutdown(wait=True, cancel_futures=True)


def _collect_plans(ctx: CheckContext, planned: list[Edit]) -> list[pl.DataFrame]:
    """The row-filter checks' plans, built and collected together over one shared scan."""
    if ctx.scope_kind == "claim" and ctx.frame.height:
        try:
            found = _collect_distinct(ctx, planned)
        except pl.exceptions.ColumnNotFoundError:
            # A check reads a line's own identity (its date, its claim): judged line by line below.
            found = None
        if found is not None:
            return found
    plans = [check_module(e.check).plan(ctx, e, _eligible(e, ctx.frame)) for e in planned]
    return pl.collect_all(plans, engine="in-memory")


# What tells one claim line from another but no row-filter check reads: left out, the lines that read alike
# are judged once (a month of claims repeats a few thousand codes over millions of lines).
_LINE_IDENTITY = frozenset(
    (
        "_rid",
        "file",
        "sheet",
        "row",
        "claim_id",
        "line",
        "claim_key",
        "_scope",
        "dx",
        "dos",
        "_dos",
        "_q_start",
        "utn",
        "charges",
    )
)


def _collect_distinct(ctx: CheckContext, planned: list[Edit]) -> list[pl.DataFrame] | None:
    """The row-filter checks run once per distinct claim line, their hits then given to every line alike.

    Whether each edit is in force on a line's date is read on every line first, one flag per period, and becomes
    part of what makes lines alike, so a line's own date never has to be; the edit's other conditions read only
    what lines alike share and are asked of the distinct lines (a condition reading a line's identity is read on
    every line too). A check that reads a left-out column fails to find it (ColumnNotFoundError), and a check
    naming related lines gives None: the caller then judges line by line.
    """
    frame = ctx.frame
    # Flags read on every line, by what they read: edits of one period (or one eligibility) share one.
    flags: dict[tuple, tuple[str, pl.Expr]] = {}
    eligible: dict[str, pl.Expr] = {}  # edit code -> its eligibility on the distinct lines
    for e in planned:
        cond = _conditions(e, frame)
        if set(cond.meta.root_names()) & _LINE_IDENTITY:
            flag, _ = flags.setdefault(
                ("line", *_eligibility_key(e)), (f"_eligible_{len(flags)}", _eligible(e, frame))
            )
            eligible[e.code] = pl.col(flag)
        else:
            period = ("period", e.effective_from, e.effective_to)
            flag, _ = flags.setdefault(period, (f"_in_force_{len(flags)}", _in_force(e)))
            eligible[e.code] = cond & pl.col(flag)
    marked = frame.with_columns(expr.alias(flag) for flag, expr in flags.values())
    # A column with one value in the whole chunk (a field claims do not carry, one bill type) sets no line
    # apart: it is no key, and is put back beside the distinct lines.
    fields = [c for c in marked.columns if c not in _LINE_IDENTITY]
    same = marked.select(pl.col(c).eq_missing(pl.col(c).first()).all() for c in fields).row(0)
    keys = [c for c, one in zip(fields, same, strict=True) if not one]
    constant = [c for c, one in zip(fields, same, strict=True) if one]
    # The code table's columns (cs_*, prepare_frame) follow from the code and its quarter, themselves keys or
    # constant: no keys of their own (fewer keys, a cheaper group-by), each group's value carried along.
    table = [c for c in keys if c.startswith("cs_")]
    groups = marked.group_by([k for k in keys if k not in table], maintain_order=True).agg(
        pl.col(table).first(), _lines=pl.col("_rid")
    )
    groups = groups.with_row_index("_rid").with_columns(pl.col("_rid").cast(pl.Int64))
    distinct = groups.drop("_lines").with_columns(
        pl.lit(marked.get_column(c)[0], marked.schema[c]).alias(c) for c in constant
    )
    alike = CheckContext(distinct, ctx.lists, ctx.config, ctx.quarter, ctx.scope_kind, ctx.diagnoses)
    plans = [check_module(e.check).plan(alike, e, eligible[e.code]) for e in planned]
    found = pl.collect_all(plans, engine="in-memory")
    if any("related" in hits.columns for hits in found):
        return None  # related rows are positions of other lines, which a distinct line does not have
    lines = groups.select("_rid", "_lines")
    return [_on_lines(hits, lines) for hits in found]


def _eligibility_key(edit: Edit) -> tuple:
    """What _eligible reads of an edit: equal keys, equal eligibility on every row."""
    return (
        repr(edit.only_if),
        repr(edit.unless),
        "professional" in edit.settings,
        edit.effective_from,
        edit.effective_to,
    )


def _on_lines(hits: pl.DataFrame, lines: pl.DataFrame) -> pl.DataFrame:
    """Hits on distinct lines (_rid: the distinct line) as hits on each line alike, in line order."""
    if hits.height == 0:
        return hits
    return (
        hits.with_row_index("_hit")
        .join(lines, on="_rid", how="left")
        .drop("_rid")
        .explode("_lines")
        .rename({"_lines": "_rid"})
        .sort("_rid", "_hit")
        .select(hits.columns)
    )


def _evaluated(
    ctx: CheckContext, edit: Edit, summary: EditSummary, finish: Callable
) -> tuple[pl.DataFrame, float, object]:
    """One check's hits, the seconds it took, and finish(edit, summary, hits)."""
    hits, spent = _timed(check_module(edit.check).evaluate, ctx, edit, _eligible(edit, ctx.frame))
    return _finished(finish, edit, summary, hits, spent)


def _finished(
    finish: Callable, edit: Edit, summary: EditSummary, hits: pl.DataFrame, spent: float
) -> tuple[pl.DataFrame, float, object]:
    """The hits, the seconds spent on them (finishing included) and what finish made of them."""
    done, more = _timed(finish, edit, summary, hits)
    return hits, spent + more, done


def _timed(fn, *args, **kwargs) -> tuple[object, float]:
    """fn(*args, **kwargs) and the seconds it took."""
    started = time.perf_counter()
    return fn(*args, **kwargs), time.perf_counter() - started


def _unevaluable(ctx: CheckContext, edit: Edit) -> str | None:
    """Why the input cannot show what the edit looks for (e.g. no device line at all), from its check kind."""
    hook = getattr(check_module(edit.check), "unevaluable", None)
    return hook(ctx, edit, _eligible(edit, ctx.frame)) if hook else None


def _unevaluated(ctx: CheckContext, edit: Edit) -> str | None:
    """Parts of the input (files) the edit ran on but could not judge, from its check kind; else None."""
    hook = getattr(check_module(edit.check), "unevaluated", None)
    return hook(ctx, edit, _eligible(edit, ctx.frame)) if hook else None


PRO_ONLY = (
    "a hospital outpatient (facility) rule; the input holds only professional-fee lines, where OPPS "
    "status indicators, device C-codes and revenue codes do not apply"
)


def _professional_lines(frame: pl.DataFrame) -> int:
    """How many lines come from professional-fee sheets (0 when the frame does not say)."""
    if "sheet_kind" not in frame.columns:
        return 0
    return int((frame.get_column("sheet_kind") == "professional_fee").sum())


def _to_findings(
    edit: Edit,
    severity: str,
    hits: pl.DataFrame,
    rows: pl.DataFrame,
    quarter: str,
    config: FacilityConfig,
    today: dt.date,
    scope_kind: str,
) -> list[Finding]:
    """Fill the edit's message for each hit and attach related rows, reference and waivers."""
    if hits.height == 0:
        return []
    reference = {
        "text": edit.reference_text(),
        "urls": [r.url for r in edit.references],
        "basis": "verified" if edit.verified else "inferred",
    }
    var_cols = [c for c in hits.columns if c.startswith("v_")]
    # Columns a check leaves out are added as Series (no query): most hits carry neither.
    if "expected" not in hits.columns:
        hits = hits.hstack([pl.Series("expected", [None] * hits.height, dtype=pl.String)])
    if "related" not in hits.columns:
        hits = hits.hstack([pl.Series("related", [None] * hits.height, dtype=pl.List(pl.Int64))])
    # One gather fetches the flagged rows and one expression writes every message.
    joined = with_flagged_rows(hits, rows)
    message = message_expr(edit.message, set(joined.columns), fixed_values(quarter, scope_kind))
    related_of: dict[int, dict] = {}
    related_col = hits.get_column("related")
    if related_col.null_count() < related_col.len():
        wanted = related_col.explode().drop_nulls().unique()
        for rec in rows.select(pl.all().gather(wanted)).iter_rows(named=True):
            related_of[rec.pop("_rid")] = rec
    waivers = config.waivers
    concerns = finding_columns(edit)
    cols = [message.alias("_message"), *_ROW_FIELDS, "expected", "related", *var_cols]
    names = [c[2:] for c in var_cols]
    out = []
    for msg, file, sheet, row, charge, code, rev, desc, expected, related, *extra in joined.select(
        cols
    ).iter_rows():
        waiver = next((w for w in waivers if w.covers(edit.code, charge, today)), None) if waivers else None
        out.append(
            Finding(
                edit.code,
                edit.name,
                edit.family,
                edit.category,
                severity,
                msg,
                file,
                sheet,
                row,
                charge,
                code,
                rev,
                desc,
                expected,
                reference,
                tuple(related_of[j] for j in sorted(related)) if related else (),
                waiver is not None,
                waiver.reason if waiver else None,
                scope_kind,
                dict(zip(names, extra, strict=False)),
                concerns,
            )
        )
    return out
