"""The run-history SQLite file: schema, migrations, connections and the one-transaction-per-run writes."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from auditor.codeset.table import default_home
from auditor.errors import InputError

SCHEMA_VERSION = 1
# Long enough for another process to finish recording a 100k-finding run (a few seconds) and for a
# quarterly batch of facilities started together by a scheduler.
BUSY_SECONDS = 60
FILE_NAME = "history.sqlite"

RUN_COLUMNS = (
    "facility",
    "facility_slug",
    "recorded_at",
    "generated_at",
    "as_of",
    "quarter",
    "code_quarter",
    "quarter_stale",
    "edit_set_version",
    "tool_version",
    "config_json",
    "options_json",
    "label",
    "errors",
    "warnings",
    "infos",
    "waived",
    "findings",
    "rows_audited",
)
INPUT_COLUMNS = (
    "position",
    "role",
    "path",
    "name",
    "format",
    "sha256",
    "size",
    "rows_read",
    "rows_audited",
    "rows_skipped",
)
FINDING_COLUMNS = (
    "key",
    "fid",
    "edit",
    "name",
    "severity",
    "category",
    "family",
    "message",
    "file",
    "sheet",
    "row",
    "charge_code",
    "code",
    "description",
    "scope",
    "waived",
    "waiver_reason",
)
CODE_COLUMNS = ("role", "code", "lines", "sample")

# Version 1. Runs hold what the issue calls the run record (inputs with hashes, as-of date, quarter,
# edit set version, configuration); findings hold the identity key plus enough to show the finding
# without the original file; run_codes hold each distinct code of the audited files, so a later
# comparison can re-classify them against another quarter.
_SCHEMA_V1 = (
    """CREATE TABLE runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        facility TEXT NOT NULL, facility_slug TEXT NOT NULL, recorded_at TEXT NOT NULL, generated_at TEXT,
        as_of TEXT NOT NULL, quarter TEXT NOT NULL, code_quarter TEXT NOT NULL, quarter_stale INTEGER NOT NULL,
        edit_set_version TEXT NOT NULL, tool_version TEXT NOT NULL, config_json TEXT NOT NULL,
        options_json TEXT NOT NULL, label TEXT, errors INTEGER NOT NULL, warnings INTEGER NOT NULL,
        infos INTEGER NOT NULL, waived INTEGER NOT NULL, findings INTEGER NOT NULL, rows_audited INTEGER NOT NULL
    )""",
    "CREATE INDEX runs_facility ON runs (facility_slug, id)",
    """CREATE TABLE inputs (
        run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        position INTEGER NOT NULL, role TEXT NOT NULL, path TEXT NOT NULL, name TEXT NOT NULL, format TEXT,
        sha256 TEXT NOT NULL, size INTEGER, rows_read INTEGER, rows_audited INTEGER, rows_skipped INTEGER,
        PRIMARY KEY (run_id, position)
    )""",
    """CREATE TABLE findings (
        run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        key TEXT NOT NULL, fid TEXT NOT NULL, edit TEXT NOT NULL, name TEXT, severity TEXT NOT NULL,
        category TEXT, family TEXT, message TEXT, file TEXT, sheet TEXT, row INTEGER, charge_code TEXT,
        code TEXT, description TEXT, scope TEXT, waived INTEGER NOT NULL, waiver_reason TEXT,
        PRIMARY KEY (run_id, key)
    )""",
    "CREATE INDEX findings_key ON findings (key, run_id)",
    "CREATE INDEX findings_fid ON findings (fid)",
    """CREATE TABLE run_codes (
        run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        role TEXT NOT NULL, code TEXT NOT NULL, lines INTEGER NOT NULL, sample TEXT NOT NULL,
        PRIMARY KEY (run_id, role, code)
    )""",
    """CREATE TABLE acks (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        key TEXT NOT NULL, fid TEXT NOT NULL, facility_slug TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending-fix', 'waived')),
        reason TEXT, who TEXT NOT NULL, at TEXT NOT NULL, run_id INTEGER REFERENCES runs (id),
        cleared_at TEXT, cleared_by TEXT
    )""",
    "CREATE INDEX acks_key ON acks (key, id)",
)
MIGRATIONS = {1: _SCHEMA_V1}


def default_path() -> Path:
    """$CDM_AUDIT_HOME/history.sqlite (CDM_AUDIT_HOME defaults to ~/.local/share/cdm-audit)."""
    return default_home() / FILE_NAME


def connect(path: Path | str | None = None) -> sqlite3.Connection:
    """Open (creating and migrating as needed) the history file; bad files raise InputError naming it."""
    path = Path(path).expanduser() if path else default_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: the module never opens transactions behind our back; we issue
        # BEGIN IMMEDIATE ourselves so a run is written all at once or not at all.
        conn = sqlite3.connect(path, timeout=BUSY_SECONDS, isolation_level=None, check_same_thread=False)
    except (OSError, sqlite3.Error) as exc:
        raise InputError(str(path), f"cannot open the history database ({exc})") from None
    conn.row_factory = sqlite3.Row
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_SECONDS * 1000}")
        _retry_busy(lambda: conn.execute("PRAGMA journal_mode = WAL").fetchone())
        # FULL: a recorded run is compliance evidence, so it must survive a power cut, not only a kill.
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        _migrate(conn)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise InputError(str(path), f"not a usable cdm-audit history database ({exc})") from None
    return conn


def _retry_busy(fn, seconds: float = BUSY_SECONDS):
    """Call fn, retrying while another process holds the lock (switching to WAL ignores busy_timeout)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return fn()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE ... COMMIT; any exception (or a killed process) leaves nothing behind."""
    # IMMEDIATE takes the write lock up front: two recorders queue on busy_timeout instead of both
    # reading, then one failing with "database is locked" when it tries to upgrade to a write.
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _migrate(conn: sqlite3.Connection) -> None:
    """Bring the schema to SCHEMA_VERSION (PRAGMA user_version), refusing files from a newer release."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version == SCHEMA_VERSION:
        return
    if version > SCHEMA_VERSION:
        raise sqlite3.DatabaseError(
            f"schema version {version} was written by a newer cdm-audit "
            f"(this one knows up to {SCHEMA_VERSION})"
        )
    with transaction(conn):
        # Re-read under the write lock: another process may have migrated while we waited.
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        for target in range(version + 1, SCHEMA_VERSION + 1):
            for statement in MIGRATIONS[target]:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {target}")


def record_run(
    conn: sqlite3.Connection,
    run: dict,
    inputs: Iterable[dict],
    findings: Iterable[dict],
    codes: Iterable[dict],
) -> int:
    """Write one run with its inputs, findings and codes in a single transaction; return the run id."""
    with transaction(conn):
        cur = conn.execute(
            f"INSERT INTO runs ({', '.join(RUN_COLUMNS)}) VALUES ({placeholders(RUN_COLUMNS)})",
            [run[c] for c in RUN_COLUMNS],
        )
        run_id = cur.lastrowid
        conn.executemany(
            f"INSERT INTO inputs (run_id, {', '.join(INPUT_COLUMNS)}) "
            f"VALUES (?, {placeholders(INPUT_COLUMNS)})",
            ([run_id, *(i[c] for c in INPUT_COLUMNS)] for i in inputs),
        )
        conn.executemany(
            f"INSERT INTO findings (run_id, {', '.join(FINDING_COLUMNS)}) "
            f"VALUES (?, {placeholders(FINDING_COLUMNS)})",
            ([run_id, *(f[c] for c in FINDING_COLUMNS)] for f in findings),
        )
        conn.executemany(
            f"INSERT INTO run_codes (run_id, {', '.join(CODE_COLUMNS)}) "
            f"VALUES (?, {placeholders(CODE_COLUMNS)})",
            ([run_id, *(c[k] for k in CODE_COLUMNS)] for c in codes),
        )
    return run_id


def placeholders(columns: tuple[str, ...]) -> str:
    """'?, ?, ?' for an INSERT of these columns."""
    return ", ".join("?" * len(columns))


def get_run(conn: sqlite3.Connection, run_id: int) -> dict | None:
    """One run with its inputs (config and options decoded), or None."""
    row = conn.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
    if row is None:
        return None
    run = dict(row)
    run["config"] = json.loads(run.pop("config_json"))
    run["options"] = json.loads(run.pop("options_json"))
    run["inputs"] = [
        dict(r)
        for r in conn.execute(
            f"SELECT {', '.join(INPUT_COLUMNS)} FROM inputs WHERE run_id = ? ORDER BY position", (run_id,)
        )
    ]
    return run


def list_runs(
    conn: sqlite3.Connection, facility_slug: str | None = None, limit: int | None = None
) -> list[dict]:
    """Runs newest first (optionally one facility's), each with its input file names."""
    where, args = ("WHERE facility_slug = ?", [facility_slug]) if facility_slug else ("", [])
    sql = f"SELECT * FROM runs {where} ORDER BY id DESC" + (" LIMIT ?" if limit else "")
    runs = [dict(r) for r in conn.execute(sql, args + ([limit] if limit else []))]
    for run in runs:
        run["inputs"] = [
            dict(r)
            for r in conn.execute(
                "SELECT role, name, sha256 FROM inputs WHERE run_id = ? ORDER BY position", (run["id"],)
            )
        ]
    return runs


def previous_run_id(conn: sqlite3.Connection, facility_slug: str, before: int | None = None) -> int | None:
    """The facility's latest run recorded before run `before` (or its latest run at all)."""
    row = conn.execute(
        "SELECT MAX(id) FROM runs WHERE facility_slug = ? AND id < ?",
        (facility_slug, before if before is not None else 2**62),
    ).fetchone()
    return row[0]


def run_findings(conn: sqlite3.Connection, run_id: int) -> dict[str, dict]:
    """key -> finding row of one run, in report order."""
    rows = conn.execute(
        f"SELECT {', '.join(FINDING_COLUMNS)} FROM findings WHERE run_id = ? ORDER BY file, sheet, row, edit",
        (run_id,),
    )
    return {r["key"]: dict(r) for r in rows}


def run_codes(conn: sqlite3.Connection, run_id: int) -> list[dict]:
    """The distinct codes of a run's inputs with their line counts and sample lines."""
    return [
        {**dict(r), "sample": json.loads(r["sample"])}
        for r in conn.execute(
            f"SELECT {', '.join(CODE_COLUMNS)} FROM run_codes WHERE run_id = ? ORDER BY role, code", (run_id,)
        )
    ]


def last_seen(conn: sqlite3.Connection, keys: Iterable[str], before: int) -> dict[str, int]:
    """key -> the latest run id before `before` holding that key (keys never seen are left out)."""
    keys = list(keys)
    out: dict[str, int] = {}
    for i in range(0, len(keys), 500):  # stay far below SQLite's bound-parameter limit
        chunk = keys[i : i + 500]
        out.update(
            {
                r[0]: r[1]
                for r in conn.execute(
                    f"SELECT key, MAX(run_id) FROM findings WHERE run_id < ? AND key IN ({placeholders(tuple(chunk))}) "
                    "GROUP BY key",
                    [before, *chunk],
                )
            }
        )
    return out
