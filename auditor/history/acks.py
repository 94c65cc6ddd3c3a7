"""Acknowledgements: a finding accepted for fixing (pending-fix) or waived, with the reason and who decided."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from collections.abc import Iterable

from auditor.errors import InputError
from auditor.history.store import placeholders, transaction

STATUSES = ("pending-fix", "waived")


def now() -> str:
    """UTC timestamp, seconds precision, as stored in the history."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def resolve_ids(conn: sqlite3.Connection, ids: Iterable[str]) -> list[dict]:
    """Each finding id (or unique prefix of 6+ characters) -> its key, facility and latest run holding it."""
    out = []
    for raw in ids:
        fid = raw.strip().lower()
        if not re.fullmatch(r"[0-9a-f]{6,12}", fid):
            raise InputError(
                raw, "a finding id is 12 hexadecimal characters (at least the first 6 are needed)"
            )
        rows = conn.execute(
            "SELECT f.key, f.fid, MAX(f.run_id) AS run_id, r.facility_slug FROM findings f "
            "JOIN runs r ON r.id = f.run_id WHERE f.fid LIKE ? GROUP BY f.key",
            (fid + "%",),
        ).fetchall()
        if not rows:
            raise InputError(
                raw, "no finding with this id in the history (see `cdm-audit compare` or the report)"
            )
        if len(rows) > 1:
            raise InputError(raw, f"{len(rows)} findings start with this id; give more characters")
        out.append(dict(rows[0]))
    return out


def acknowledge(
    conn: sqlite3.Connection, ids: Iterable[str], status: str, who: str, reason: str | None
) -> list[dict]:
    """Record one acknowledgement per finding id (replacing any earlier one); return what was stored."""
    if status not in STATUSES:
        raise InputError("ack", f"status must be one of {', '.join(STATUSES)}")
    if status == "waived" and not (reason or "").strip():
        raise InputError("ack", "a waiver needs a reason (--reason)")
    if not (who or "").strip():
        raise InputError("ack", "say who decided (--by)")
    targets = resolve_ids(conn, ids)
    at = now()
    stored = []
    with transaction(conn):
        for t in targets:
            conn.execute(
                "UPDATE acks SET cleared_at = ?, cleared_by = ? WHERE key = ? AND cleared_at IS NULL",
                (at, f"replaced ({who.strip()})", t["key"]),
            )
            cur = conn.execute(
                "INSERT INTO acks (key, fid, facility_slug, status, reason, who, at, run_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    t["key"],
                    t["fid"],
                    t["facility_slug"],
                    status,
                    (reason or "").strip() or None,
                    who.strip(),
                    at,
                    t["run_id"],
                ),
            )
            stored.append(
                {
                    **t,
                    "id": cur.lastrowid,
                    "status": status,
                    "who": who.strip(),
                    "at": at,
                    "reason": (reason or "").strip() or None,
                }
            )
    return stored


def clear(conn: sqlite3.Connection, ids: Iterable[str], who: str) -> int:
    """Withdraw the active acknowledgement of each finding id; return how many were withdrawn."""
    targets = resolve_ids(conn, ids)
    with transaction(conn):
        return sum(
            conn.execute(
                "UPDATE acks SET cleared_at = ?, cleared_by = ? WHERE key = ? AND cleared_at IS NULL",
                (now(), who.strip() or "unknown", t["key"]),
            ).rowcount
            for t in targets
        )


def active(
    conn: sqlite3.Connection, keys: Iterable[str] | None = None, facility_slug: str | None = None
) -> dict[str, dict]:
    """key -> the active (not withdrawn) acknowledgement, for the given keys or a whole facility."""
    if keys is None:
        where, args = ("AND facility_slug = ?", [facility_slug]) if facility_slug else ("", [])
        rows = conn.execute(
            f"SELECT * FROM acks WHERE cleared_at IS NULL {where} ORDER BY id", args
        ).fetchall()
    else:
        keys, rows = list(keys), []
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            rows += conn.execute(
                f"SELECT * FROM acks WHERE cleared_at IS NULL AND key IN ({placeholders(tuple(chunk))}) "
                "ORDER BY id",
                chunk,
            ).fetchall()
    return {r["key"]: dict(r) for r in rows}


def waiver_text(ack: dict) -> str:
    """The waiver reason shown on a finding waived by acknowledgement."""
    return f"{ack['reason']} (waived by {ack['who']} on {ack['at'][:10]}, history ack #{ack['id']})"
