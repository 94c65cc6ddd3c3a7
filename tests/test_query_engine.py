"""Every lazy query the auditor collects runs on polars' in-memory engine.

polars 2 collects lazy queries on its streaming engine by default, which costs ~0.2 ms more per query; an
audit of a chargemaster runs a few hundred small queries, so a bare `.collect()` slows every run (measured in
benchmarks/bench_real.py). This guard finds one left without the engine named.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "auditor"


def _collects_without_engine(source: str) -> list[int]:
    """Line numbers of collect()/collect_all() calls that do not name an engine."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if name in ("collect", "collect_all") and not any(k.arg == "engine" for k in node.keywords):
            # pool.submit(fn, ...) style calls pass collect_all as a value, not a call: not counted here.
            lines.append(node.lineno)
    return lines


def test_every_collect_names_the_in_memory_engine():
    bare = {
        str(path.relative_to(PACKAGE)): found
        for path in sorted(PACKAGE.rglob("*.py"))
        if (found := _collects_without_engine(path.read_text(encoding="utf-8")))
    }
    assert bare == {}, f"collect() without engine='in-memory': {bare}"


def test_the_guard_sees_a_bare_collect():
    assert _collects_without_engine("frame.lazy().collect()\nx = lf.collect(engine='in-memory')\n") == [1]
