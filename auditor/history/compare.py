"""Compare two runs: new, resolved, still open and reappeared findings, implementation errors, quarter changes."""

from __future__ import annotations

import sqlite3
from dataclasses import field

from auditor.history import acks as ack_store
from auditor.history import store
from auditor.history.quarters import quarter_changes
from auditor.lean_dataclass import dataclass

# Finding fields carried into comparison lists (enough to act on without opening the run).
LIST_FIELDS = (
    "fid",
    "edit",
    "name",
    "severity",
    "category",
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
COUNT_KEYS = (
    "new",
    "resolved",
    "still_open",
    "reappeared",
    "implementation_errors",
    "fixes_confirmed",
    "waived_by_ack",
)


@dataclass
class Comparison:
    """How the current run's findings relate to a baseline run of the same facility."""

    facility: str
    baseline: dict | None
    current: dict
    new: list[dict] = field(default_factory=list)
    resolved: list[dict] = field(default_factory=list)
    still_open: list[dict] = field(default_factory=list)
    reappeared: list[dict] = field(default_factory=list)
    implementation_errors: list[dict] = field(default_factory=list)
    fixes_confirmed: list[dict] = field(default_factory=list)
    waived_by_ack: list[dict] = field(default_factory=list)
    quarter_changes: list[dict] = field(default_factory=list)
    quarter_note: str = ""
    status: dict[str, str] = field(default_factory=dict)  # current key -> new | open | reappeared

    def counts(self) -> dict[str, int]:
        """Sizes of every list, plus how many quarter changes broke a line."""
        out = {k: len(getattr(self, k)) for k in COUNT_KEYS}
        out["quarter_broke"] = sum(1 for c in self.quarter_changes if c["broken"])
        return out

    def to_dict(self, limit: int | None = None) -> dict:
        """Plain data for documents and JSON output (`limit` caps each list; counts stay exact)."""
        cut = (lambda xs: xs[:limit]) if limit is not None else (lambda xs: xs)
        return {
            "facility": self.facility,
            "baseline": _run_brief(self.baseline),
            "current": _run_brief(self.current),
            "same_inputs": _same_inputs(self.baseline, self.current),
            "counts": self.counts(),
            # New or resolved findings may come from changed edits rather than a changed chargemaster.
            "edit_set_changed": bool(self.baseline)
            and self.baseline["edit_set_version"] != self.current["edit_set_version"],
            **{
                k: cut(getattr(self, k))
                for k in (
                    "new",
                    "resolved",
                    "reappeared",
                    "implementation_errors",
                    "fixes_confirmed",
                    "waived_by_ack",
                )
            },
            "quarter_changes": self.quarter_changes,
            "quarter_note": self.quarter_note,
        }


def _run_brief(run: dict | None) -> dict | None:
    """The run fields a comparison shows (id, dates, quarters, versions, input names and hashes)."""
    if run is None:
        return None
    return {
        k: run.get(k)
        for k in (
            "id",
            "facility",
            "recorded_at",
            "as_of",
            "quarter",
            "code_quarter",
            "edit_set_version",
            "tool_version",
            "errors",
            "warnings",
            "infos",
            "findings",
        )
    } | {
        "inputs": [
            {"role": i["role"], "name": i["name"], "sha256": i["sha256"]} for i in run.get("inputs", [])
        ]
    }


def _same_inputs(a: dict | None, b: dict | None) -> bool:
    """True when both runs read byte-identical files (an unchanged chargemaster against a new quarter)."""
    if not a or not b:
        return False
    return sorted((i["role"], i["sha256"]) for i in a["inputs"]) == sorted(
        (i["role"], i["sha256"]) for i in b["inputs"]
    )


def _brief(row: dict) -> dict:
    """One finding as listed in a comparison."""
    return {k: row.get(k) for k in LIST_FIELDS}


def diff(
    conn: sqlite3.Connection,
    facility: str,
    baseline: dict | None,
    base_rows: dict[str, dict],
    current: dict,
    cur_rows: dict[str, dict],
    current_codes: list[dict] | None = None,
) -> Comparison:
    """Compare keyed findings of a baseline run (or none) with the current run (recorded or only in memory)."""
    cmp = Comparison(facility, baseline, current)
    current_id = current.get("id")
    appeared = [k for k in cur_rows if k not in base_rows]
    # Seen in a run of the facility recorded before both runs compared, gone in the baseline, back now.
    before = min(baseline["id"], current_id) if baseline and current_id else baseline["id"] if baseline else 0
    earlier = store.last_seen(conn, appeared, before) if before else {}
    acked = ack_store.active(conn, list(cur_rows) + [k for k in base_rows if k not in cur_rows])
    for key, row in cur_rows.items():
        ack = acked.get(key)
        if key in base_rows:
            cmp.still_open.append(_brief(row))
            cmp.status[key] = "open"
        elif key in earlier:
            cmp.reappeared.append({**_brief(row), "last_seen_run": earlier[key]})
            cmp.status[key] = "reappeared"
        else:
            cmp.new.append(_brief(row))
            cmp.status[key] = "new"
        # An acknowledgement made on an earlier run whose fix should have reached this extract.
        if (
            ack
            and ack["status"] == "pending-fix"
            and (current_id is None or (ack["run_id"] or 0) < current_id)
        ):
            cmp.implementation_errors.append(
                {**_brief(row), "ack": _ack_brief(ack), "since_last_run": cmp.status[key]}
            )
        if ack and ack["status"] == "waived":
            cmp.waived_by_ack.append({**_brief(row), "ack": _ack_brief(ack)})
    for key, row in base_rows.items():
        if key in cur_rows:
            continue
        cmp.resolved.append(_brief(row))
        ack = acked.get(key)
        if (
            ack
            and ack["status"] == "pending-fix"
            and (current_id is None or (ack["run_id"] or 0) < current_id)
        ):
            cmp.fixes_confirmed.append({**_brief(row), "ack": _ack_brief(ack)})
    if baseline and current_codes is not None:
        cmp.quarter_changes, cmp.quarter_note = quarter_changes(
            current_codes, baseline["code_quarter"], current["code_quarter"]
        )
    return cmp


def _ack_brief(ack: dict) -> dict:
    """The acknowledgement fields shown beside a finding."""
    return {k: ack[k] for k in ("id", "status", "reason", "who", "at", "run_id")}


def compare_runs(conn: sqlite3.Connection, baseline_id: int | None, current_id: int) -> Comparison:
    """Compare two recorded runs (baseline None: the facility's run before `current_id`)."""
    current = store.get_run(conn, current_id)
    if current is None:
        raise LookupError(f"run {current_id} is not in the history")
    if baseline_id is None:
        baseline_id = store.previous_run_id(conn, current["facility_slug"], current_id)
    baseline = store.get_run(conn, baseline_id) if baseline_id is not None else None
    if baseline_id is not None and baseline is None:
        raise LookupError(f"run {baseline_id} is not in the history")
    base_rows = store.run_findings(conn, baseline_id) if baseline else {}
    return diff(
        conn,
        current["facility"],
        baseline,
        base_rows,
        current,
        store.run_findings(conn, current_id),
        store.run_codes(conn, current_id),
    )


def trend(
    conn: sqlite3.Connection, facility_slug: str, upto: int | None = None, extra: dict | None = None
) -> list[dict]:
    """One point per as-of quarter (the latest run in it, up to run `upto`), oldest first, for the trend chart."""
    rows = conn.execute(
        "SELECT id, quarter, as_of, recorded_at, errors, warnings, infos, waived, findings FROM runs "
        "WHERE facility_slug = ? AND id <= ? ORDER BY id",
        (facility_slug, upto if upto is not None else 2**62),
    )
    points: dict[str, dict] = {}
    for r in rows:
        points[r["quarter"]] = dict(r)
    if extra is not None:  # the current run when it is not recorded (--no-history with --compare-with)
        points[extra["quarter"]] = extra
    return [points[q] for q in sorted(points)]
