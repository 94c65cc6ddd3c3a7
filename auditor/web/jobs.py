"""Runs and their worker: a run registry (RunStore) and a small thread pool that reads, audits and writes."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import secrets
import shutil
import tempfile
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import field
from pathlib import Path
from typing import Protocol

from auditor.audit import AuditResult
from auditor.errors import InputError
from auditor.history import HistoryOptions
from auditor.ingest import IngestOptions, Source, read_file
from auditor.ingest.probe import DEFAULT_MEMORY_MB, WORKBOOK_KINDS, probe_workbook
from auditor.ingest.reader import SheetChoice
from auditor.ingest.sniff import sniff
from auditor.lean_dataclass import dataclass
from auditor.scratch import alive
from auditor.session import SessionRequest, run_session
from auditor.web.outputs import FORMATS, run_summary, write_view
from auditor.web.review import build_review, prune_choices, unsure_reasons

log = logging.getLogger("auditor.web")

STATUSES = ("queued", "reading", "review", "auditing", "writing", "done", "failed")
FINISHED = ("done", "failed")
MAX_RUNS = 200
# The server's private temporary folder: this prefix in the system temp folder, with OWNER_FILE inside
# naming the server process beside the runs folder. A folder whose process is gone was left by a server
# that was killed.
ROOT_PREFIX = "cdm-audit-web-"
OWNER_FILE = ".cdm-audit-web.pid"
RUNS = "runs"


class Stopped(Exception):
    """The server is stopping: a run still working gives up before it writes anything more."""


@dataclass
class RunInput:
    """One uploaded file: display name, role (chargemaster, pairing-table or config), stored path, size."""

    name: str
    role: str
    path: Path
    size: int

    @property
    def source(self) -> Source:
        """The stored file under its uploaded name, as the audit reads it and every report names it."""
        return Source(self.path, self.name)


@dataclass
class Run:
    """One audit submitted through the page or the API, from upload to reports."""

    id: str
    dir: Path
    inputs: list[RunInput]
    as_of: dt.date
    max_bytes: int
    config: RunInput | None = None  # the facility's auditor.toml, uploaded with the files
    select: set[str] | None = None  # edit codes to run (None: every edit)
    ignore: set[str] = field(default_factory=set)
    overrides: dict[str, str] = field(
        default_factory=dict
    )  # for every sheet: role -> header, letter or number
    header_row: int | None = None
    no_header: bool = False
    sheets: list[str] | None = None
    # The analyst's choices per sheet name (header row, 0 = none; kind; columns); they win over the above.
    per_sheet: dict[str, SheetChoice] = field(default_factory=dict)
    # "Save as profile" ticked on a review that was previewed again: kept until the audit runs.
    pending_profile: dict = field(default_factory=dict)
    profile: str | None = None
    keep: bool = False
    # "auto": stop for review when detection is unsure (the page); "always"; "never" (API default, like the CLI).
    review: str = "auto"
    source: str = "page"
    created: dt.datetime = field(default_factory=lambda: dt.datetime.now().astimezone())
    status: str = "queued"
    detail: str = ""
    started: float | None = None
    finished: float | None = None
    error: str | None = None
    probed: bool = False  # its workbooks were read once in a limited child process
    error_status: int | None = None
    summary: dict | None = None
    proposal: dict | None = None
    history_run_id: int | None = None  # the run's id in the run history, once recorded
    done_event: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def title(self) -> str:
        """The chargemaster file names, as the run list shows them."""
        return ", ".join(i.name for i in self.inputs if i.role == "chargemaster")

    @property
    def report_dir(self) -> Path:
        """Where the reports are written."""
        return self.dir / "reports"

    @property
    def inputs_kept(self) -> bool:
        """Whether the uploaded files are still on disk (kept runs, or runs not finished yet)."""
        return all(i.path.exists() for i in self.uploads)

    @property
    def uploads(self) -> list[RunInput]:
        """Every uploaded file: the inputs, then the facility configuration if one came with them."""
        return self.inputs + ([self.config] if self.config else [])

    def sources(self, role: str) -> list[Source]:
        """The inputs of one role (chargemaster or pairing-table) under their uploaded names."""
        return [i.source for i in self.inputs if i.role == role]

    def ingest_options(self) -> IngestOptions:
        """The reading options of this run (profile, corrections, header rows, per-sheet choices)."""
        per_sheet = {n: SheetChoice(c.header_row, c.kind, dict(c.columns)) for n, c in self.per_sheet.items()}
        return IngestOptions(
            overrides=dict(self.overrides),
            header_row=self.header_row,
            sheets=self.sheets,
            no_header=self.no_header,
            per_sheet=per_sheet,
            max_bytes=self.max_bytes,
        )

    def names(self) -> dict[str, str]:
        """Stored path -> display name, for messages of libraries that quote the path they were given."""
        return {str(i.path): i.name for i in self.uploads}

    def elapsed(self) -> float:
        """Seconds since the work started (0 while queued)."""
        if self.started is None:
            return 0.0
        return round((self.finished or time.monotonic()) - self.started, 1)


class RunStore(Protocol):
    """Where runs are listed and found again; an in-memory store now, the SQLite run history later."""

    def add(self, run: Run) -> None:
        """Register a new run."""

    def get(self, run_id: str) -> Run | None:
        """The run with this id, or None."""

    def list(self) -> list[Run]:
        """All runs, newest first."""

    def update(self, run: Run) -> None:
        """Persist a run's changed status (a no-op for the in-memory store)."""

    def remove(self, run_id: str) -> None:
        """Forget a run."""


class MemoryRunStore:
    """Runs of this server process, kept in memory."""

    def __init__(self):
        self._runs: dict[str, Run] = {}
        self._lock = threading.Lock()

    def add(self, run: Run) -> None:
        """Register a new run."""
        with self._lock:
            self._runs[run.id] = run

    def get(self, run_id: str) -> Run | None:
        """The run with this id, or None."""
        with self._lock:
            return self._runs.get(run_id)

    def list(self) -> list[Run]:
        """All runs, newest first."""
        with self._lock:
            return sorted(self._runs.values(), key=lambda r: r.created, reverse=True)

    def update(self, run: Run) -> None:
        """Nothing to persist: the run object is the record."""

    def remove(self, run_id: str) -> None:
        """Forget a run."""
        with self._lock:
            self._runs.pop(run_id, None)


def new_id() -> str:
    """A run id: random, URL-safe, not guessable."""
    return secrets.token_urlsafe(9)


def public_message(exc: InputError, names: dict[str, str]) -> str:
    """An InputError's one line with any private upload path left in it replaced by the uploaded name.

    The audit names every file by its uploaded name already; this guards the text of third-party errors.
    """
    text = str(exc)
    for path, name in sorted(names.items(), key=lambda kv: -len(kv[0])):
        text = text.replace(path, name).replace(Path(path).name, name)
    return text


class Jobs:
    """Owns the private temporary folder, the run store and the worker threads."""

    def __init__(
        self,
        store: RunStore | None = None,
        workers: int = 2,
        root: Path | None = None,
        history: HistoryOptions | None = None,
        probe_memory_mb: int | None = DEFAULT_MEMORY_MB,
    ):
        self.store = store or MemoryRunStore()
        # Each uploaded workbook is read first in a child with this much memory (None: no probe), so a
        # reader that aborts on a hostile file ends the child, not the server and every audit in flight.
        self.probe_memory_mb = probe_memory_mb
        # HistoryOptions of `serve` (--history/--no-history), or None: finished audits are not recorded.
        # The facility is named from the uploaded chargemaster names, like the CLI names it from its files.
        self.history = history
        # mkdtemp makes the folder 0700: uploads are readable by this user only.
        self.home: Path | None = None  # the folder this server made, with its owner file (not a given root)
        if root is None:
            self.home = Path(tempfile.mkdtemp(prefix=ROOT_PREFIX))
            (self.home / OWNER_FILE).write_text(f"{os.getpid()}\n", encoding="ascii")
            root = self.home / RUNS
            root.mkdir(mode=0o700)
        self.root = root
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cdm-audit-run")
        self.closed = False
        self.stopping = False  # set when the server is asked to stop: requests waiting for a run answer now
        self._busy = 0
        self._busy_lock = threading.Lock()

    def submit(self, fn, *args) -> Future:
        """Queue work on the pool, counted while it runs (see busy())."""
        return self.pool.submit(self._counted, fn, *args)

    def _counted(self, fn, *args):
        """Run fn, counted in busy()."""
        with self._busy_lock:
            self._busy += 1
        try:
            return fn(*args)
        finally:
            with self._busy_lock:
                self._busy -= 1

    def busy(self) -> int:
        """How many audits (chargemaster or claims) are working right now."""
        with self._busy_lock:
            return self._busy

    def run_dir(self) -> Path:
        """A new private folder for one run (0700), with its inputs subfolder."""
        path = Path(tempfile.mkdtemp(prefix="run-", dir=self.root))
        (path / "inputs").mkdir(mode=0o700)
        return path

    def start(self, run: Run) -> None:
        """Register the run and queue it: read, stop for review when unsure (or asked), else audit."""
        self.store.add(run)
        self._prune()
        self.submit(self._work, run, True)

    def resume(self, run: Run, review_again: bool = False) -> None:
        """Queue a run again after the analyst's corrections: audit now, or read and stop for review again."""
        run.status, run.detail, run.error, run.proposal = "queued", "", None, None
        run.review = "always" if review_again else "never"
        run.done_event.clear()
        self.store.update(run)
        self.submit(self._work, run, review_again)

    def _set(self, run: Run, status: str, detail: str = "") -> None:
        """Move a run to a new status (a run still working when the server stops ends here)."""
        if self.closed and status not in FINISHED:
            raise Stopped
        run.status, run.detail = status, detail
        if status in FINISHED or status == "review":
            run.finished = time.monotonic()
            run.done_event.set()
        self.store.update(run)

    def _work(self, run: Run, review_first: bool) -> None:
        """The whole job of one run; every failure ends as a failed status, never as an exception."""
        run.started, run.finished = time.monotonic(), None
        try:
            self._probe(run)
            if review_first and run.review != "never" and self._needs_review(run):
                return
            self._audit(run)
        except InputError as exc:
            run.error, run.error_status = public_message(exc, run.names()), 400
            self._set(run, "failed")
        except Exception:  # the log gets the traceback; the client gets one sentence
            if self.closed:  # its folder was deleted under it: no error of the run's own
                run.error, run.error_status = "The server stopped before the audit finished.", 503
                self._set(run, "failed")
                return
            log.exception("run %s failed", run.id)
            run.error = "The audit stopped on an unexpected error. The server log has the details."
            run.error_status = 500
            self._set(run, "failed")
        finally:
            if run.status in FINISHED and not run.keep:
                self.drop_inputs(run)

    def _probe(self, run: Run) -> None:
        """Read each uploaded workbook once in a limited child process; a failure is the run's InputError."""
        if self.probe_memory_mb is None or run.probed:
            return
        self._set(run, "reading", "checking " + run.title)
        max_cells = run.ingest_options().max_cells
        for i in run.inputs:
            kind = sniff(i.path, run.max_bytes, i.name).kind
            if kind in WORKBOOK_KINDS:
                probe_workbook(i.path, kind, i.name, max_cells, self.probe_memory_mb)
        run.probed = True  # a review step and the audit after it read the same files

    def _needs_review(self, run: Run) -> bool:
        """Read the chargemaster files; when the mapping is unsure (or review was asked), stop for review."""
        self._set(run, "reading", "reading " + run.title)
        options = run.ingest_options()
        cdms = [i for i in run.inputs if i.role == "chargemaster"]
        reports = [(i.name, i.path, read_file(i.source, options)[1]) for i in cdms]
        rows = sum(s.rows_read for _n, _p, r in reports for s in r.sheets)
        listed = [(n, r) for n, _p, r in reports]
        # A changed header row can leave a column choice without its column: drop it, and say so.
        reasons = prune_choices(listed, run.per_sheet) + unsure_reasons(listed, options)
        run.per_sheet = {n: c for n, c in run.per_sheet.items() if c.to_dict()}
        if not (reasons or run.review == "always"):
            run.detail = f"read {rows:,} rows"
            return False
        run.proposal = build_review(reports, reasons, run.ingest_options())
        self._set(run, "review", f"read {rows:,} rows")
        return True

    def _audit(self, run: Run) -> None:
        """Run the audit session (the CLI's), with the web page's report view beside its report files."""
        self._set(run, "auditing", run.detail)

        def writing(result: AuditResult) -> None:
            self._set(run, "writing", f"{len(result.findings):,} findings")

        run.report_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        outcome = run_session(
            SessionRequest(
                files=run.sources("chargemaster"),
                pairing_tables=run.sources("pairing-table"),
                as_of=run.as_of,
                config=run.config.source if run.config else None,
                select=run.select,
                ignore=run.ignore,
                ingest=run.ingest_options(),
                history=self.history,
                history_optional=True,
                formats=FORMATS,
                out_dir=run.report_dir,
                before_writing=writing,
            )
        )
        if outcome.history_error is not None:
            log.warning("run history not updated: %s", outcome.history_error)
        write_view(outcome, run.report_dir)
        run.summary = run_summary(outcome)
        run.history_run_id = run.summary["history_run_id"]
        unread = outcome.audit.unreadable
        # An incomplete audit says so wherever the run is shown, not only inside its report.
        note = f"; {len(unread)} of {len(run.inputs)} files not read (incomplete audit)" if unread else ""
        self._set(run, "done", f"{len(outcome.findings):,} findings{note}")

    def drop_inputs(self, run: Run) -> None:
        """Delete a run's uploaded files (its reports stay)."""
        shutil.rmtree(run.dir / "inputs", ignore_errors=True)

    def _prune(self) -> None:
        """Forget the oldest finished runs past MAX_RUNS, with their folders."""
        finished = [r for r in self.store.list() if r.status in FINISHED]
        for old in finished[MAX_RUNS:]:
            self.store.remove(old.id)
            shutil.rmtree(old.dir, ignore_errors=True)

    def close(self) -> None:
        """Stop the workers and delete the server's temporary folder with every run in it (again if called again)."""
        self.stopping = self.closed = True
        self.pool.shutdown(wait=False, cancel_futures=True)
        if self.home is not None:
            remove_root(self.home)
        else:
            shutil.rmtree(self.root, ignore_errors=True)


def remove_root(root: Path) -> None:
    """Delete a server folder, its owner file last: a folder left half-deleted is still known as the tool's."""
    for _attempt in range(3):  # a run still writing can add a file while the folder is being emptied
        try:
            children = [c for c in root.iterdir() if c.name != OWNER_FILE]
        except FileNotFoundError:
            return
        for child in children:
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child, ignore_errors=True)
            else:
                child.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            if not any(c.name != OWNER_FILE for c in root.iterdir()):
                (root / OWNER_FILE).unlink(missing_ok=True)
                root.rmdir()
                return


def _owner(folder: Path) -> int | None:
    """The process id written in a server folder's owner file, or None when it is not one of ours."""
    try:
        if folder.is_symlink() or not folder.is_dir() or folder.stat().st_uid != os.getuid():
            return None
        text = (folder / OWNER_FILE).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None


def sweep_leftovers(temp: Path | None = None) -> list[Path]:
    """Delete the folders of earlier servers that were killed (their process is gone); return them.

    Only folders with the tool's prefix, owned by this user and holding an owner file are considered; a
    reused process id keeps its folder (the safe mistake).
    """
    temp = temp or Path(tempfile.gettempdir())
    swept = []
    for folder in sorted(temp.glob(ROOT_PREFIX + "*")):
        pid = _owner(folder)
        if pid is None or pid == os.getpid() or alive(pid):
            continue
        remove_root(folder)
        swept.append(folder)
        log.info("removed %s, left by a server that did not stop (process %d)", folder, pid)
    return swept
