"""Fuzz: 320 seeded hostile and broken inputs through `cdm-audit inspect` in limited worker processes.

Every case must end with exit 0/1, or exit 2 with one clean `error:` line: no "unexpected", no traceback,
no abort, no runaway. Workers run with an address-space limit and each case with a time limit; a case that
kills its worker or passes the time limit fails by name (the worker says which case it starts).
"""

from __future__ import annotations

import json
import os
import queue
import resource
import subprocess
import sys
import threading
from pathlib import Path

import pytest

FUZZ = Path(__file__).parent / "fuzz"
sys.path.insert(0, str(FUZZ))

import mutants  # noqa: E402

SEED, COUNT = 17, 320
WORKERS = 2
CASE_SECONDS = 30.0
MEMORY_BYTES = 6 * 1024**3


def _limits() -> None:
    """In the worker: cap its address space, so a runaway allocation fails instead of eating the machine."""
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))


def _lines(proc: subprocess.Popen, out: queue.Queue) -> None:
    """Forward the worker's stdout lines (None at its end)."""
    for line in proc.stdout:
        out.put(line)
    out.put(None)


def _run_share(paths: list[Path], results: dict[str, dict], home: str) -> None:
    """Run these cases in a worker, restarting it after a case that kills it or runs past the time limit."""
    todo = [str(p) for p in paths]
    env = {**os.environ, "CDM_AUDIT_HOME": home, "RUST_BACKTRACE": "0"}
    while todo:
        proc = subprocess.Popen(
            [sys.executable, str(FUZZ / "worker.py")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            preexec_fn=_limits,
        )
        proc.stdin.write("".join(p + "\n" for p in todo))
        proc.stdin.close()
        lines: queue.Queue = queue.Queue()
        threading.Thread(target=_lines, args=(proc, lines), daemon=True).start()
        started = None
        while True:
            try:
                line = lines.get(timeout=CASE_SECONDS)
            except queue.Empty:
                proc.kill()
                results[started or todo[0]] = {"exit": None, "problem": f"ran past {CASE_SECONDS:.0f} s"}
                break
            if line is None:
                proc.wait()
                if started is not None:
                    tail = proc.stderr.read()[-300:]
                    results[started] = {"exit": proc.returncode, "problem": f"worker died: {tail}"}
                break
            msg = json.loads(line)
            if "start" in msg:
                started = msg["start"]
            else:
                results[msg["case"]] = msg
                started = None
        done = set(results)
        todo = [p for p in todo if p not in done]
        proc.kill()


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory) -> dict[str, dict]:
    """Every case's outcome, keyed by path."""
    cases = mutants.build(tmp_path_factory.mktemp("fuzz"), SEED, COUNT)
    home = str(tmp_path_factory.mktemp("fuzz-home"))
    results: dict[str, dict] = {}
    shares = [cases[i::WORKERS] for i in range(WORKERS)]
    threads = [threading.Thread(target=_run_share, args=(s, results, home)) for s in shares]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == len(cases)
    return results


def _problem(result: dict) -> str | None:
    """Why this outcome is not a clean one, or None."""
    if result.get("problem"):
        return result["problem"]
    if result.get("exception"):
        return f"exception: {result['exception']}"
    if result["exit"] not in (0, 1, 2):
        return f"exit code {result['exit']}"
    stderr = result["stderr"]
    if "unexpected" in stderr or "Traceback" in stderr or "panicked" in stderr:
        return f"unclean message: {stderr.strip()[-300:]}"
    if result["exit"] == 2:
        errors = [ln for ln in stderr.splitlines() if ln.startswith("error:")]
        if len(errors) != 1:
            return f"exit 2 without exactly one error line: {stderr.strip()[-300:]}"
    return None


def test_every_case_ends_cleanly(outcomes):
    """No abort, no runaway, no traceback and no "unexpected" error over the whole corpus."""
    bad = {Path(k).name: p for k, v in outcomes.items() if (p := _problem(v))}
    assert not bad, "\n".join(f"{k}: {v}" for k, v in sorted(bad.items()))


def test_corpus_holds_every_pattern(outcomes):
    """At least 300 cases, and every hostile pattern of the generator is among them."""
    assert len(outcomes) >= 300
    seen = {Path(k).stem.split("-", 1)[1] for k in outcomes}
    assert seen == set(mutants.PATTERNS)


@pytest.mark.parametrize(
    ("pattern", "says"),
    [
        ("bad_ref", "beyond Excel's limits"),
        ("many_sheets_one_part", "point to the same worksheet part"),
    ],
)
def test_impossible_workbooks_are_refused_by_name(outcomes, pattern, says):
    """Workbooks no spreadsheet program writes are refused, saying why, before any reader allocates."""
    mine = [v for k, v in outcomes.items() if Path(k).stem.split("-", 1)[1] == pattern]
    assert mine and all(v["exit"] == 2 for v in mine)
    assert any(says in v["stderr"] for v in mine)


def test_a_stray_far_cell_is_refused_with_its_reference(outcomes):
    """A far cell that would make a grid past the cell limit is named in the refusal."""
    far = [v for k, v in outcomes.items() if "far_cell" in k and v["exit"] == 2]
    assert far and all("cell limit" in v["stderr"] or "farthest cell" in v["stderr"] for v in far)
