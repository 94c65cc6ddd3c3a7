"""The run-history SQLite file: schema, migrations, connections and the one-transaction-per-run writes."""

from __future__ import annotations

import json
import shlex
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from auditor.errors import InputError
from auditor.history.options import database_path

SCHEMA_VERSION = 1
# Long enough for another process to finish recording a 100k-finding run (a few seconds) and for a
# quarterly batch of facilities started together by a scheduler.
BUSY_SECONDS = 60
# SQLite's primary result codes for a file that is damaged (SQLITE_CORRUPT) or not a database (SQLITE_NOTADB).
_DAMAGE_CODES = (11, 26)
# Files (path, inode, size, mtime) this process found sound, so a long-running server checks each state once.
_SOUND: set[tuple] = set()
# The tables holding each kind of recorded run, as `history --check` counts them.
RUN_TABLES = {"audit": "runs", "denials": "denial_runs", "claims": "claims_runs"}

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
    return database_path()


def connect(path: Path | str | None = None) -> sqlite3.Connection:
    """Open (creating and migrating as needed) the history file; bad or damaged files raise InputError naming it."""
    path = database_path(path)
    if path.is_file() and path.stat().st_size:
        refuse_if_damaged(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: the module never opens transactions behind our back; we issue
        # BEGIN IMMEDIATE ourselves so a run is written all at once or not at all.
        conn = sqlite3.connect(
            path,
            timeout=BUSY_SECONDS,
            isolation_level=None,
            check_same_thread=False,
            factory=HistoryConnection,
        )
    except (OSError, sqlite3.Error) as exc:
        raise InputError(str(path), f"cannot open the history database ({exc})") from None
    conn.path = str(path)
    conn.row_factory = sqlite3.Row
    try:
        _configure(conn)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise InputError(str(path), f"not a usable cdm-audit history database ({exc})") from None
    except BaseException:
        conn.close()
        raise
    return conn


def _configure(conn: sqlite3.Connection) -> None:
    """Timeouts, WAL, durability, foreign keys and the schema migration of a freshly opened connection."""
    conn.execute(f"PRAGMA busy_timeout = {BUSY_SECONDS * 1000}")
    _retry_busy(lambda: conn.execute("PRAGMA journal_mode = WAL").fetchone())
    # FULL: a recorded run is compliance evidence, so it must survive a power cut, not only a kill.
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    _migrate(conn)


def damaged(path: Path | str, detail: str) -> InputError:
    """The one-line refusal of a damaged history file, saying what to do about it."""
    return InputError(
        str(path),
        f"not a usable cdm-audit history database: the file is damaged ({detail}); restore it from a "
        "backup, or move it aside to start a new history "
        f"(`sqlite3 {shlex.quote(str(path))} .recover` salvages what is still readable)",
    )


def is_damage(exc: sqlite3.Error) -> bool:
    """Whether an SQLite error says the file itself is corrupt or not a database (not locked, full or missing)."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is None:  # raised by Python's own checks, not by SQLite
        return type(exc) is sqlite3.DatabaseError
    return code & 0xFF in _DAMAGE_CODES


def problems(path: Path, thorough: bool = False, limit: int = 20) -> list[str]:
    """What quick_check (thorough: integrity_check) finds wrong in the file, read only; [] when it is sound."""
    # Errors that are no verdict on the file (locked, unreadable) are raised, not reported as damage.
    conn = _reader(path)
    try:
        pragma = "integrity_check" if thorough else "quick_check"
        found = [row[0] for row in conn.execute(f"PRAGMA {pragma}({int(limit)})")]
    except sqlite3.DatabaseError as exc:
        if not is_damage(exc):
            raise
        # SQLite gives up on the whole file at the first unreadable row: checked table by table, the
        # problems say which tables are hit.
        return [str(exc), *(_table_problems(conn) if thorough else [])]
    finally:
        conn.close()
    return [] if found == ["ok"] else [line for row in found for line in _lines(row)]


def _table_problems(conn: sqlite3.Connection) -> list[str]:
    """integrity_check of each table (with its indexes) on its own, as 'table NAME: problem' lines."""
    try:
        tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    except sqlite3.DatabaseError:
        return []  # the schema itself is unreadable: the file-wide error says it all
    out = []
    for table in tables:
        quoted = table.replace('"', '""')
        try:
            found = [
                line for row in conn.execute(f'PRAGMA integrity_check("{quoted}")') for line in _lines(row[0])
            ]
        except sqlite3.DatabaseError as exc:
            found = [str(exc)]
        out += [f"table {table}: {problem}" for problem in found if problem != "ok"]
    return out


def _lines(row: str) -> list[str]:
    """The problems of one integrity-check row (SQLite may join several), without its database heading."""
    return [
        line.strip() for line in row.splitlines() if line.strip() and not line.startswith("*** in database")
    ]


def _reader(path: Path) -> sqlite3.Connection:
    """A connection that only reads the file and leaves no -wal or -shm file of its own behind."""
    # With a -wal or -journal beside the file another process is writing, or one died mid-write: a
    # read-write connection closing last would fold that into the file, so read through a read-only
    # one (it creates nothing, the sidecars exist). Otherwise a read-write connection: it reads the same,
    # and removes the -wal and -shm it creates on close, where a read-only one would leave them.
    if any(Path(f"{path}{suffix}").exists() for suffix in ("-wal", "-journal")):
        return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=BUSY_SECONDS)
    return sqlite3.connect(path, timeout=BUSY_SECONDS)


def refuse_if_damaged(path: Path) -> None:
    """Raise the `damaged` InputError when quick_check finds the file damaged; once per process per file state."""
    signature = _signature(path)
    if signature in _SOUND:
        return
    try:
        found = problems(path, limit=5)
    except sqlite3.Error:
        return  # no verdict (locked, unreadable): the ordinary open that follows reports it
    if found:
        raise damaged(path, found[0] + (f", and {len(found) - 1} more problem(s)" if len(found) > 1 else ""))
    _SOUND.add(signature)


def _signature(path: Path) -> tuple:
    """The file's identity and state: a file replaced or changed since its check is checked again."""
    st = path.stat()
    return (str(path.resolve()), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def run_counts(path: Path) -> dict[str, int]:
    """Rows of each kind of run the file holds (audit, denials, claims), for the tables it has."""
    conn = _reader(path)
    try:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        return {
            kind: conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            for kind, table in RUN_TABLES.items()
            if table in tables
        }
    finally:
        conn.close()


def _translated(exc: sqlite3.DatabaseError, path: str) -> Exception:
    """The `damaged` InputError for damage, else the error itself."""
    return damaged(path, str(exc)) if is_damage(exc) else exc


class HistoryConnection(sqlite3.Connection):
    """A connection to a history file whose damage errors, wherever they surface, become the `damaged` InputError."""

    path = "history database"

    def cursor(self, factory=None):
        """A HistoryCursor."""
        return super().cursor(factory or HistoryCursor)

    # sqlite3's own execute and executemany make a plain Cursor, whatever cursor() returns.
    def execute(self, *args):
        """sqlite3's execute, on a HistoryCursor."""
        return self.cursor().execute(*args)

    def executemany(self, *args):
        """sqlite3's executemany, on a HistoryCursor."""
        return self.cursor().executemany(*args)


class HistoryCursor(sqlite3.Cursor):
    """A cursor whose damage errors, raised while rows are fetched too, become the `damaged` InputError."""

    def execute(self, *args):
        """sqlite3's execute, damage reported as InputError."""
        try:
            return super().execute(*args)
        except sqlite3.DatabaseError as exc:
            raise _translated(exc, self.connection.path) from None

    def executemany(self, *args):
        """sqlite3's executemany, damage reported as InputError."""
        try:
            return super().executemany(*args)
        except sqlite3.DatabaseError as exc:
            raise _translated(exc, self.connection.path) from None

    def fetchone(self):
        """sqlite3's fetchone, damage reported as InputError."""
        try:
            return super().fetchone()
        except sqlite3.DatabaseError as exc:
            raise _translated(exc, self.connection.path) from None

    def fetchmany(self, *args):
        """sqlite3's fetchmany, damage reported as InputError."""
        try:
            return super().fetchmany(*args)
        except sqlite3.DatabaseError as exc:
            raise _translated(exc, self.connection.path) from None

    def fetchall(self):
        """sqlite3's fetchall, damage reported as InputError."""
        try:
            return super().fetchall()
        except sqlite3.DatabaseError as exc:
            raise _translated(exc, self.connection.path) from None

    def __next__(self):
        """sqlite3's row iteration, damage reported as InputError."""
        try:
            return super().__next__()
        except sqlite3.DatabaseError as exc:
            raise _translated(exc, self.connection.path) from None


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
        # SQLite may already have rolled back (after some I/O and corruption errors): a second
        # ROLLBACK would fail and hide the error that matters.
        if conn.in_transaction:
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
