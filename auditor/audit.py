"""One audit: read the chargemaster(s) and pairing table(s), run the edits, and build the run record."""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import field
from pathlib import Path

import polars as pl

from auditor.codeset import CodeTable
from auditor.engine import EditSet, FacilityConfig, load_config, load_edits, run_edits
from auditor.engine.findings import SEVERITY_RANK, Finding, exit_code_for
from auditor.engine.implied import renote_lowered
from auditor.engine.lists import CatalogError
from auditor.engine.needs import NOT_EVALUABLE, UNSEEN, available_fields, sheet_fields, unseen_note
from auditor.engine.runner import AuditRun, EditSummary
from auditor.errors import EXIT_BAD_INPUT, InputError
from auditor.ingest import Ingested, IngestOptions, Source, read_inputs
from auditor.ingest.fields import PAIRING
from auditor.lean_dataclass import dataclass
from auditor.problems import Amounts, Problem, counts_related, edit_group, line_charges, rank_findings
from auditor.version import __version__


@dataclass
class AuditRequest:
    """Everything an audit needs besides the chargemaster files (files are paths, or Sources naming them)."""

    as_of: dt.date = field(default_factory=dt.date.today)
    pairing_tables: list[Path | Source] = field(default_factory=list)
    config_path: Path | Source | None = None
    ingest: IngestOptions = field(default_factory=IngestOptions)
    select: set[str] | None = None
    ignore: set[str] = field(default_factory=set)


@dataclass
class AuditResult:
    """Findings of every scope, with the inputs and runs that produced them, and the problems they make.

    `findings` are in fix-first order: the findings of problem 1, then of problem 2 ... (each problem's in
    file, sheet, row order); `problems` index into them. Change findings through with_findings(), which
    ranks them again.
    """

    findings: list[Finding]
    chargemaster: Ingested
    pairing: Ingested | None
    runs: list[AuditRun]
    edits: EditSet
    config: FacilityConfig
    request: AuditRequest
    problems: tuple[Problem, ...] = ()
    amounts: Amounts = field(default_factory=Amounts)

    def with_findings(self, findings: Sequence[Finding]) -> AuditResult:
        """This result with other findings (e.g. waived by an acknowledgement), grouped and ranked again."""
        groups = {e.code: edit_group(e) for e in self.edits.edits}
        related = frozenset(e.code for e in self.edits.edits if counts_related(e))
        ordered, problems = rank_findings(findings, groups, self.amounts, related)
        return dataclasses.replace(self, findings=ordered, problems=problems)

    def with_lowered_notes(self) -> AuditResult:
        """This result with each edit's 'lowered to info' note counting its findings as they now stand."""
        runs = [
            dataclasses.replace(
                r,
                summaries=renote_lowered(r.summaries, [f for f in self.findings if f.scope == r.scope_kind]),
            )
            for r in self.runs
        ]
        return dataclasses.replace(self, runs=runs)

    @property
    def quarter(self):
        """The quarter choice (requested, used, stale, message)."""
        return self.runs[0].quarter

    def summaries(self) -> list[EditSummary]:
        """Per-edit summaries merged over scopes (findings added up)."""
        merged: dict[str, EditSummary] = {}
        for run in self.runs:
            for s in run.summaries:
                cur = merged.get(s.code)
                if cur is None or (cur.status != "ran" and s.status == "ran"):
                    note = s.note
                    if cur is not None and cur.status == "not-evaluable":
                        # It ran on the pairing table but not on the chargemaster: say so beside "ran".
                        reason = cur.note.removeprefix(NOT_EVALUABLE)
                        note = "; ".join(filter(None, [f"{UNSEEN}the chargemaster: {reason}", note]))
                    merged[s.code] = EditSummary(
                        s.code, s.name, s.severity, s.status, s.findings, s.seconds, note
                    )
                elif s.status == "ran":
                    cur.findings += s.findings
                    cur.seconds = round(cur.seconds + s.seconds, 4)
        return [merged[k] for k in sorted(merged)]

    @property
    def unreadable(self) -> list[str]:
        """One line per input file (chargemaster or pairing table) that could not be read at all."""
        return self.chargemaster.errors + (self.pairing.errors if self.pairing is not None else [])

    def exit_code(self, fail_on: str) -> int:
        """2 when an input could not be read; else 0 when no unwaived finding is at or above `fail_on`, else 1."""
        if self.unreadable:
            return EXIT_BAD_INPUT  # the reports are written, but the run is not a complete audit
        live = [f.severity for f in self.findings if not f.waived]
        return exit_code_for(max(live, key=SEVERITY_RANK.get) if live else None, fail_on)


def run_audit(paths: Sequence[Path | Source], request: AuditRequest) -> AuditResult:
    """Read inputs, apply every edit in force on the as-of date, and collect findings."""
    with gc_paused():
        return _run_audit(paths, request)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for one run.

    A run makes tens of thousands of small finding objects and no reference cycles: the collector
    would only rescan them again and again (about 5% of a 100k-row audit).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load_edit_set(config_path: Path | Source | None, select: set[str] | None, ignore: set[str]):
    """The edits (with the facility's lists), the facility configuration and the edit codes to run."""
    probe = load_edits()
    known = {e.code for e in probe.edits}
    config = _facility_config(config_path, known)
    for code in (select or set()) | ignore:
        if code not in known:
            raise InputError("--select/--ignore", f"unknown edit code {code}")
    edits = probe if not config.extra_lists else _with_facility_lists(config)
    return edits, config, (select or known) - ignore


def _facility_config(file: Path | Source | None, known: set[str]) -> FacilityConfig:
    """The facility configuration; the run record and its messages name the file as its Source does."""
    if file is None:
        return load_config(None, known)
    path, name = Source.of(file)
    try:
        config = load_config(path, known)
    except InputError as exc:
        if exc.path != str(path):
            raise
        raise dataclasses.replace(exc, path=name) from None
    return dataclasses.replace(config, path=name)


def expand_edit_codes(values: Iterable[str], option: str) -> set[str]:
    """Edit codes or two-letter family prefixes ('SS', 'NS001') -> edit codes; unknown ones name `option`."""
    known = [e.code for e in load_edits().edits]
    out: set[str] = set()
    for part in (v.strip().upper() for v in values if v.strip()):
        matched = {c for c in known if c == part or (len(part) == 2 and c.startswith(part))}
        if not matched:
            raise InputError(option, f"unknown edit code or prefix {part}")
        out |= matched
    return out


def _skip_unknown_charge_numbers(pairing: Ingested, skipped: pl.DataFrame) -> None:
    """Move pairing rows whose charge numbers the chargemaster lacks from audited to skipped, with the reason."""
    for report in pairing.files:
        for sheet in report.sheets:
            rows = skipped.filter((pl.col("file") == report.path) & (pl.col("sheet") == sheet.name))
            if rows.height:
                sheet.skip(rows)


def _run_audit(paths: Sequence[Path | Source], request: AuditRequest) -> AuditResult:
    """run_audit's body."""
    with ThreadPoolExecutor(1, thread_name_prefix="cdm-audit-table") as pool:
        # The code table (a parquet read, outside the GIL) loads while the edit set and the files are read.
        loading = pool.submit(CodeTable.load)
        edits, config, select = load_edit_set(request.config_path, request.select, request.ignore)
        chargemaster = read_inputs(paths, request.ingest)
        table = loading.result()
    runs = [
        run_edits(
            chargemaster.frame,
            edits,
            config,
            request.as_of,
            table,
            "chargemaster",
            select=select,
            available=available_fields(chargemaster),
        )
    ]
    _note_unseen_sheets(runs[0], edits, sheet_fields(chargemaster))
    pairing = None
    if request.pairing_tables:
        pairing = read_inputs(
            request.pairing_tables, IngestOptions(kind=PAIRING, max_bytes=request.ingest.max_bytes)
        )
        from auditor.pairing import pairing_rows, with_chargemaster_codes  # on use: most audits have none

        linked, unknown = with_chargemaster_codes(pairing.frame, chargemaster.frame)
        _skip_unknown_charge_numbers(pairing, unknown)
        rows = pairing_rows(linked)
        runs.append(
            run_edits(
                # link_role stays: a description check reads a link's description only where the table has them.
                rows.drop("_scope"),
                edits,
                config,
                request.as_of,
                table,
                "pairing",
                scope=pl.Series(rows.get_column("_scope")),
                select=select,
            )
        )
    findings = [f for r in runs for f in r.findings]
    result = AuditResult(
        [],
        chargemaster,
        pairing,
        runs,
        edits,
        config,
        request,
        amounts=_amounts(findings, chargemaster, table, runs),
    )
    return result.with_findings(findings)


def _amounts(
    findings: list[Finding], chargemaster: Ingested, table: CodeTable, runs: list[AuditRun]
) -> Amounts:
    """The OPPS rates (audit quarter) of the codes found and the charges of the lines found, for ranking."""
    quarter = runs[0].quarter.used
    codes = sorted({f.code.strip().upper() for f in findings if f.code})
    rates = {}
    if codes and table.has_rates(quarter):
        found = table.rates(pl.Series(codes, dtype=pl.String), quarter)
        rates = {c: r for c, r in zip(codes, found.to_list(), strict=True) if r is not None}
    frame = chargemaster.frame
    charges = {}
    if "price" in frame.columns and findings:
        # Only the lines found, selected by a join: a Python pass over every row costs seconds at 100k rows.
        wanted = pl.DataFrame(
            [(f.file, f.sheet, f.row) for f in findings],
            schema={"file": frame.schema["file"], "sheet": frame.schema["sheet"], "row": frame.schema["row"]},
            orient="row",
        ).unique()
        priced = frame.select("file", "sheet", "row", "price").join(
            wanted, on=["file", "sheet", "row"], nulls_equal=True
        )
        charges = line_charges(priced.iter_rows())
    return Amounts(quarter if rates else None, rates, charges)


def _note_unseen_sheets(run: AuditRun, edits: EditSet, sheets: dict[str, set[str]]) -> None:
    """Note, on edits that ran, the sheets they could not see because a needed column is missing there."""
    if len(sheets) < 2:
        return  # with one sheet an edit either ran on it or is not-evaluable
    for s in run.summaries:
        if s.status == "ran" and (note := unseen_note(edits.get(s.code), sheets)):
            s.note = "; ".join(filter(None, [s.note, note]))


def _with_facility_lists(config: FacilityConfig) -> EditSet:
    """Reload the edits with the facility's replacement code lists."""
    import csv

    extra = {}
    for name, path in config.extra_lists.items():
        with path.open(encoding="utf-8-sig", newline="") as fh:
            extra[name] = [{k.strip(): (v or "").strip() for k, v in r.items()} for r in csv.DictReader(fh)]
    try:
        return load_edits(extra_lists=extra)
    except CatalogError as exc:
        raise InputError(config.path or "auditor.toml", str(exc)) from None


def tool_version() -> str:
    """The package version recorded in every report."""
    return __version__
