"""The history SQLite file: schema and pragmas, refusing foreign files, a killed recorder, concurrent recorders."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from auditor.errors import InputError
from auditor.history import store

REPO = Path(__file__).resolve().parents[1]

RUN = {
    "facility": "Synthetic",
    "facility_slug": "synthetic",
    "recorded_at": "2026-04-01T00:00:00+00:00",
    "generated_at": None,
    "as_of": "2026-04-01",
    "quarter": "2026Q2",
    "code_quarter": "2026Q2",
    "quarter_stale": 0,
    "edit_set_version": "test",
    "tool_version": "test",
    "config_json": "{}",
    "options_json": "{}",
    "label": None,
    "errors": 0,
    "warnings": 0,
    "infos": 0,
    "waived": 0,
    "findings": 0,
    "rows_audited": 0,
}


def finding(i: int) -> dict:
    """A synthetic stored finding."""
    return {
        "key": f'["synthetic/chargemaster","PR001","cc:{i:08d}","",1]',
        "fid": f"{i:012x}",
        "edit": "PR001",
        "name": "n",
        "severity": "info",
        "category": "duplicate",
        "family": "pricing",
        "message": "m",
        "file": "f.xlsx",
        "sheet": "CDM",
        "row": i,
        "charge_code": f"{i:08d}",
        "code": None,
        "description": "d",
        "scope": "chargemaster",
        "waived": 0,
        "waiver_reason": None,
    }


def check_consistent(db: Path) -> list[sqlite3.Row]:
    """integrity_check passes and every run holds exactly the findings it declares; returns the runs."""
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        runs = conn.execute(
            "SELECT r.id, r.findings, r.label, (SELECT COUNT(*) FROM findings f "
            "WHERE f.run_id = r.id) AS stored FROM runs r ORDER BY r.id"
        ).fetchall()
        assert all(r["findings"] == r["stored"] for r in runs), [tuple(r) for r in runs]
        orphans = conn.execute(
            "SELECT COUNT(*) FROM findings WHERE run_id NOT IN (SELECT id FROM runs)"
        ).fetchone()
        assert orphans[0] == 0
        return runs
    finally:
        conn.close()


def test_new_file_is_versioned_wal(tmp_path):
    db = tmp_path / "sub" / "h.sqlite"
    conn = store.connect(db)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == store.SCHEMA_VERSION
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == store.BUSY_SECONDS * 1000
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {"runs", "inputs", "findings", "run_codes", "acks"} <= tables
    finally:
        conn.close()


def test_default_location_follows_cdm_audit_home(tmp_path, monkeypatch):
    monkeypatch.setenv("CDM_AUDIT_HOME", str(tmp_path / "home"))
    assert store.default_path() == tmp_path / "home" / "history.sqlite"


def test_foreign_and_newer_files_are_refused(tmp_path):
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(InputError, match="not a usable cdm-audit history"):
        store.connect(junk)
    newer = tmp_path / "newer.sqlite"
    sqlite3.connect(newer).execute("PRAGMA user_version = 99").connection.close()
    with pytest.raises(InputError, match="newer cdm-audit"):
        store.connect(newer)


def test_a_failed_recording_leaves_nothing(tmp_path):
    db = tmp_path / "h.sqlite"
    conn = store.connect(db)

    def broken():
        yield finding(1)
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        store.record_run(conn, {**RUN, "findings": 2}, [], broken(), [])
    conn.close()
    assert check_consistent(db) == []


KILLED_CHILD = r"""
import sys, time, pathlib
sys.path.insert(0, sys.argv[3])
from auditor.history import store
from test_history_store import RUN, finding
conn = store.connect(sys.argv[1])
marker = pathlib.Path(sys.argv[2])

def findings():
    for i in range(20000):
        if i == 8000:  # half way through the run's findings: tell the parent, then wait to be killed
            marker.write_text("recording")
            time.sleep(300)
        yield finding(i)

store.record_run(conn, {**RUN, "findings": 20000, "label": "killed"}, [], findings(), [])
"""


def test_a_killed_recording_leaves_the_history_consistent(tmp_path):
    db = tmp_path / "h.sqlite"
    conn = store.connect(db)
    store.record_run(
        conn, {**RUN, "findings": 300, "label": "before"}, [], (finding(i) for i in range(300)), []
    )
    conn.close()
    marker = tmp_path / "marker"
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_CHILD, str(db), str(marker), str(Path(__file__).parent)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert child.poll() is None, child.communicate()
            assert time.monotonic() < deadline, "the child never reached the middle of its recording"
            time.sleep(0.05)
        # The child is inside its BEGIN IMMEDIATE, 8,000 findings in and not committed: it holds the write lock.
        probe = sqlite3.connect(db, timeout=0.2, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            probe.execute("BEGIN IMMEDIATE")
        probe.close()
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == -signal.SIGKILL
    runs = check_consistent(db)
    assert [(r["label"], r["stored"]) for r in runs] == [("before", 300)]  # none of the killed run
    conn = store.connect(db)  # the lock died with the child: the next run records normally
    try:
        run_id = store.record_run(
            conn, {**RUN, "findings": 5, "label": "after"}, [], (finding(i) for i in range(5)), []
        )
    finally:
        conn.close()
    assert [(r["label"], r["stored"]) for r in check_consistent(db)] == [("before", 300), ("after", 5)]
    assert run_id == 2


CONCURRENT_CHILD = r"""
import datetime as dt, sys
from pathlib import Path
from auditor.audit import AuditRequest, run_audit
from auditor.history import HistoryOptions, apply_history
from auditor.report.document import AuditDocument

db, worker, samples = sys.argv[1], sys.argv[2], Path(sys.argv[3])
result = run_audit([samples / "chargemaster.xlsx"],
                   AuditRequest(as_of=dt.date(2026, 4, 1), pairing_tables=[samples / "pairing_table.csv"]))
for n in range(3):
    options = HistoryOptions(db=Path(db), facility="Sample Hospital", label=f"worker {worker} run {n}")
    doc = apply_history(result, AuditDocument.of(result), options)[1].to_dict()
    print(doc["history"]["run_id"], doc["history"]["counts"]["new"], flush=True)
"""


def test_concurrent_recorders_lose_no_run(tmp_path):
    db = tmp_path / "h.sqlite"
    samples = REPO / "samples"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CONCURRENT_CHILD, str(db), str(w), str(samples)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(4)
    ]
    outputs = [p.communicate(timeout=240) for p in procs]
    for p, (_out, err) in zip(procs, outputs, strict=False):
        assert p.returncode == 0, err
    ids = sorted(int(line.split()[0]) for out, _ in outputs for line in out.splitlines())
    assert ids == list(range(1, 13))  # 4 workers x 3 runs, every one recorded under its own id
    runs = check_consistent(db)
    # The sample's 2026Q2 audit has 45 findings (33 chargemaster + 12 pairing table, see test_history_quarterly).
    assert len(runs) == 12 and all(r["stored"] == 45 for r in runs)
    assert sorted(r["label"] for r in runs) == sorted(
        f"worker {w} run {n}" for w in range(4) for n in range(3)
    )
    # Every run compared with the run committed just before it; only the very first found anything new.
    news = sorted(int(line.split()[1]) for out, _ in outputs for line in out.splitlines())
    assert news == [0] * 11 + [45]
