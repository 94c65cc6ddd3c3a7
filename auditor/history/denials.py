"""Denial analytics kept in the run history: one row per run, per (dimension, value, month), per denied claim.

The trend of a participant's (or state's, service's, CARC's) denial rate across months is then one query:

    SELECT month, SUM(denied) * 1.0 / SUM(claims) FROM denial_stats
    WHERE facility_slug = ? AND dimension = 'participant' AND key = 'Genzeon' GROUP BY month ORDER BY month
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

import polars as pl

from auditor.history.keys import slug
from auditor.history.store import transaction

# A denied claim is its claims file and id: two claims files may reuse an id (claim_file '' before that).
CLAIMS_TABLE = """CREATE TABLE IF NOT EXISTS denial_claims (
        run_id INTEGER NOT NULL REFERENCES denial_runs (id) ON DELETE CASCADE, facility_slug TEXT NOT NULL,
        claim_id TEXT NOT NULL, month TEXT, state TEXT, participant TEXT, service TEXT,
        reasons TEXT, predicted_by TEXT, claim_file TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (run_id, claim_id, claim_file))"""
CLAIMS_COLUMNS = "run_id, facility_slug, claim_id, month, state, participant, service, reasons, predicted_by"
# Additive tables, created on first use: a history file from before denials opens and records as before.
TABLES = (
    """CREATE TABLE IF NOT EXISTS denial_runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT, facility TEXT NOT NULL, facility_slug TEXT NOT NULL,
        recorded_at TEXT NOT NULL, generated_at TEXT, tool_version TEXT, inputs TEXT NOT NULL,
        claims INTEGER NOT NULL, denied INTEGER NOT NULL, pended INTEGER NOT NULL, predicted INTEGER NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS denial_stats (
        run_id INTEGER NOT NULL REFERENCES denial_runs (id) ON DELETE CASCADE, facility_slug TEXT NOT NULL,
        dimension TEXT NOT NULL, key TEXT NOT NULL, month TEXT NOT NULL,
        claims INTEGER NOT NULL, denied INTEGER NOT NULL, pended INTEGER NOT NULL,
        PRIMARY KEY (run_id, dimension, key, month))""",
    CLAIMS_TABLE,
    """CREATE TABLE IF NOT EXISTS denial_fixes (
        facility_slug TEXT NOT NULL, reason TEXT NOT NULL, fixed_on TEXT NOT NULL, recorded_at TEXT NOT NULL,
        PRIMARY KEY (facility_slug, reason))""",
)
DIMENSIONS = ("state", "participant", "service")


def ensure_tables(conn: sqlite3.Connection) -> None:
    """Create the denial tables if this history file has none yet."""
    with transaction(conn):
        for sql in TABLES:
            conn.execute(sql)
        columns = {row[1] for row in conn.execute("PRAGMA table_info(denial_claims)")}
        if "claim_file" not in columns:
            # Recorded before claims files could share an id: rebuilt with the file in the key, rows kept.
            conn.execute("ALTER TABLE denial_claims RENAME TO denial_claims_v1")
            conn.execute(CLAIMS_TABLE)
            conn.execute(
                f"INSERT INTO denial_claims ({CLAIMS_COLUMNS}) SELECT {CLAIMS_COLUMNS} FROM denial_claims_v1"
            )
            conn.execute("DROP TABLE denial_claims_v1")


def record_denials(conn: sqlite3.Connection, facility: str, doc: dict, claims: pl.DataFrame) -> int:
    """Store one denials run (its document and per-claim frame); return the run id."""
    ensure_tables(conn)
    fslug = slug(facility)
    t = doc["totals"]
    now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    stats = []
    for dim in DIMENSIONS:
        per = claims.group_by(dim, "month").agg(
            claims=pl.len(), denied=pl.col("denied").sum(), pended=pl.col("pended").sum()
        )
        stats.extend(
            (dim, str(r[dim]), r["month"] or "", r["claims"], r["denied"], r["pended"])
            for r in per.to_dicts()
        )
    reasons = {(d["claim_id"], d.get("claim_file") or ""): d["reasons"] for d in doc["denied_claims"]}
    denied = claims.filter(pl.col("denied"))
    with transaction(conn):
        cur = conn.execute(
            "INSERT INTO denial_runs (facility, facility_slug, recorded_at, generated_at, tool_version, inputs,"
            " claims, denied, pended, predicted) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                facility,
                fslug,
                now,
                doc["meta"].get("generated_at"),
                doc["meta"].get("tool_version"),
                json.dumps(doc["inputs"]),
                t["claims"],
                t["denied_claims"],
                t["pended_claims"],
                t["predicted_denials"],
            ),
        )
        run_id = int(cur.lastrowid or 0)
        conn.executemany(
            "INSERT INTO denial_stats VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [(run_id, fslug, *s) for s in stats]
        )
        conn.executemany(
            f"INSERT INTO denial_claims ({CLAIMS_COLUMNS}, claim_file) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    run_id,
                    fslug,
                    r["claim_id"],
                    r["month"],
                    r["state"],
                    r["participant"],
                    r["service"],
                    reasons.get((r["claim_id"], r.get("claim_file") or "")),
                    r["predicted_by"],
                    r.get("claim_file") or "",
                )
                for r in denied.to_dicts()
            ],
        )
    return run_id


def save_fixes(conn: sqlite3.Connection, facility: str, fixes: dict[str, dt.date]) -> None:
    """Remember that a denial reason (an edit code such as WS001, or CARC-197) was fixed on a date."""
    ensure_tables(conn)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    with transaction(conn):
        conn.executemany(
            "INSERT OR REPLACE INTO denial_fixes VALUES (?, ?, ?, ?)",
            [(slug(facility), reason, day.isoformat(), now) for reason, day in fixes.items()],
        )


def load_fixes(conn: sqlite3.Connection, facility: str) -> dict[str, dt.date]:
    """Every fix recorded for the facility: reason -> the date it was fixed."""
    ensure_tables(conn)
    rows = conn.execute(
        "SELECT reason, fixed_on FROM denial_fixes WHERE facility_slug = ?", (slug(facility),)
    ).fetchall()
    return {r["reason"]: dt.date.fromisoformat(r["fixed_on"]) for r in rows}


def trend(conn: sqlite3.Connection, facility: str, dimension: str, key: str) -> list[dict]:
    """Claims, denials and the denial rate per month for one value of a dimension, over every recorded run
    (a claim remitted in two runs counts in both; record each remittance once)."""
    ensure_tables(conn)
    rows = conn.execute(
        "SELECT month, SUM(claims) AS claims, SUM(denied) AS denied, ROUND(SUM(denied) * 1.0 / SUM(claims), 3)"
        " AS denial_rate FROM denial_stats WHERE facility_slug = ? AND dimension = ? AND key = ?"
        " GROUP BY month ORDER BY month",
        (slug(facility), dimension, key),
    ).fetchall()
    return [dict(r) for r in rows]
