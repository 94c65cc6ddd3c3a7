"""Claims runs in the run-history file: one table of their own, created on first use beside the chargemaster runs."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

from auditor.history.store import placeholders, transaction

# A table of its own rather than rows in `runs`: chargemaster comparisons pick "the facility's last run"
# from `runs`, and a claims run there would become the baseline of the next chargemaster audit. Created
# with IF NOT EXISTS and without a schema version bump, so older releases still open the file.
_TABLE = """CREATE TABLE IF NOT EXISTS claims_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    recorded_at TEXT NOT NULL, tool_version TEXT NOT NULL, edit_set_version TEXT, wiser_scope TEXT,
    claims INTEGER NOT NULL, lines INTEGER NOT NULL, ready INTEGER NOT NULL, needs_attention INTEGER NOT NULL,
    findings INTEGER NOT NULL, errors INTEGER NOT NULL, warnings INTEGER NOT NULL,
    remitted INTEGER, denied INTEGER, pended INTEGER, patterns_json TEXT NOT NULL, inputs_json TEXT NOT NULL
)"""
COLUMNS = (
    "recorded_at",
    "tool_version",
    "edit_set_version",
    "wiser_scope",
    "claims",
    "lines",
    "ready",
    "needs_attention",
    "findings",
    "errors",
    "warnings",
    "remitted",
    "denied",
    "pended",
    "patterns_json",
    "inputs_json",
)


def ensure_table(conn: sqlite3.Connection) -> None:
    """Create the claims_runs table when this history file has none yet."""
    conn.execute(_TABLE)


def _has_table(conn: sqlite3.Connection) -> bool:
    """Whether the file holds claims runs at all (listing must not write to a file it only reads)."""
    row = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'claims_runs'").fetchone()
    return row is not None


def record_claims_run(
    conn: sqlite3.Connection,
    meta: dict,
    totals: dict,
    inputs: list[dict],
    denials: dict | None = None,
    patterns: list[str] | None = None,
) -> int:
    """Write one claims run (readiness totals, and denial totals when remittances came with it); return its id."""
    row = {
        "recorded_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "tool_version": meta.get("tool_version", ""),
        "edit_set_version": meta.get("edit_set_version"),
        "wiser_scope": (meta.get("wiser_scope") or {}).get("version"),
        **{k: int(totals.get(k) or 0) for k in COLUMNS[4:11]},
        "remitted": denials["claims"] if denials else None,
        "denied": denials["denied_claims"] if denials else None,
        "pended": denials["pended_claims"] if denials else None,
        "patterns_json": json.dumps(patterns or []),
        "inputs_json": json.dumps(inputs),
    }
    ensure_table(conn)
    with transaction(conn):
        cur = conn.execute(
            f"INSERT INTO claims_runs ({', '.join(COLUMNS)}) VALUES ({placeholders(COLUMNS)})",
            [row[c] for c in COLUMNS],
        )
    assert cur.lastrowid is not None  # an INSERT into a rowid table always sets it
    return cur.lastrowid


def list_claims_runs(conn: sqlite3.Connection, limit: int | None = None) -> list[dict]:
    """Claims runs newest first, inputs and patterns decoded; none when the file has no claims runs."""
    if not _has_table(conn):
        return []
    sql = "SELECT * FROM claims_runs ORDER BY id DESC" + (" LIMIT ?" if limit else "")
    out = []
    for r in conn.execute(sql, [limit] if limit else []):
        run = dict(r)
        run["inputs"] = json.loads(run.pop("inputs_json"))
        run["patterns"] = json.loads(run.pop("patterns_json"))
        out.append(run)
    return out
