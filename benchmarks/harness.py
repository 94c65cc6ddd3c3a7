"""Reusable benchmark harness: paired in-process timing, child-process peak memory, aligned tables.

A benchmark script defines TASKS (name -> callable(path) returning a row count or a dict with "rows"),
each importing what it needs *inside* the function, so a child process running one task loads only
that task's libraries. It then describes what to compare as `Measure`s and calls `run_suite`.

* Time: A and B run alternately in one process (A B A B ...) after a warm-up pair; the ratio is taken
  pair by pair and summarised by its median (min-max). Pairing cancels most of the drift on a noisy box.
* Memory: each task runs once in a fresh child (`python harness.py --child SCRIPT TASK ARGS`), started
  by a small launcher that reads `resource.getrusage(RUSAGE_CHILDREN).ru_maxrss` (same figure as
  `/usr/bin/time -v` "Maximum resident set size"; see `_spawn_measured` for why not straight from
  here). A per-row figure subtracts the peak of a child that only imports the same libraries (the
  measure's `a_base`/`b_base`).

Adding a measurement later (e.g. end-to-end audit vs bare fastexcel, target <= 2x) is one TASKS entry
and one `Measure(...)` in a new script; see README.md.
"""

from __future__ import annotations

import gc
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

HARNESS = Path(__file__).resolve()


# ----------------------------------------------------------------------------------------------
# timing
# ----------------------------------------------------------------------------------------------
def rows_of(result) -> int:
    """Row count from a task result (an int, a dict with 'rows', or anything with len())."""
    if isinstance(result, int):
        return result
    if isinstance(result, dict):
        return int(result.get("rows", 0))
    try:
        return len(result)
    except TypeError:
        return 0


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    """Seconds for one call (after a gc.collect so a previous run's garbage is not billed to this one)."""
    gc.collect()
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


@dataclass
class Paired:
    """Alternating A/B timings and the per-pair ratios A/B."""

    a_times: list[float]
    b_times: list[float]
    rows_a: int = 0
    rows_b: int = 0

    @property
    def ratios(self) -> list[float]:
        return [a / b for a, b in zip(self.a_times, self.b_times, strict=True)]

    @property
    def a_median(self) -> float:
        return statistics.median(self.a_times)

    @property
    def b_median(self) -> float:
        return statistics.median(self.b_times)

    @property
    def ratio(self) -> float:
        return statistics.median(self.ratios)

    def to_dict(self) -> dict:
        r = self.ratios
        return {
            "a_s": self.a_times,
            "b_s": self.b_times,
            "a_median_s": self.a_median,
            "b_median_s": self.b_median,
            "ratio_median": self.ratio,
            "ratio_min": min(r),
            "ratio_max": max(r),
            "rows_a": self.rows_a,
            "rows_b": self.rows_b,
        }


def paired(a: Callable[[], object], b: Callable[[], object], runs: int, warmup: int = 1) -> Paired:
    """Run A B A B ... `runs` pairs after `warmup` untimed pairs; keep every timing."""
    for _ in range(warmup):
        a()
        b()
    res = Paired([], [])
    for _ in range(runs):
        ta, ra = timed(a)
        tb, rb = timed(b)
        res.a_times.append(ta)
        res.b_times.append(tb)
        res.rows_a, res.rows_b = rows_of(ra), rows_of(rb)
    return res


# ----------------------------------------------------------------------------------------------
# child processes: peak memory
# ----------------------------------------------------------------------------------------------
@dataclass
class ChildResult:
    """One task run in a fresh interpreter."""

    task: str
    wall_s: float  # whole process: interpreter start + imports + task
    task_s: float  # the task alone, as timed inside the child
    peak_mib: float  # ru_maxrss of the child
    rows: int
    info: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "task": self.task,
            "wall_s": self.wall_s,
            "task_s": self.task_s,
            "peak_mib": self.peak_mib,
            "rows": self.rows,
            **({"info": self.info} if self.info else {}),
        }


def _spawn_measured(cmd: list[str], timeout: float) -> tuple[int, str, str, float, int]:
    """Run cmd under a small launcher process; return (exit code, stdout, stderr, wall s, peak RSS KiB).

    Why a launcher: Linux carries the *parent's* RSS high-water mark into a child's ru_maxrss across
    fork/vfork + exec, so a child spawned straight from this (big) benchmark process reports at least
    this process's peak. The launcher is a fresh ~13 MiB interpreter; it forks the real child and reads
    RUSAGE_CHILDREN, which then holds the child's own peak (floor: the launcher's ~13 MiB).
    """
    launcher = [sys.executable, str(HARNESS), "--launch", str(timeout), *cmd]
    proc = subprocess.run(launcher, capture_output=True, text=True, timeout=timeout + 30)
    if proc.returncode != 0:
        raise RuntimeError(f"launcher failed ({proc.returncode}): {proc.stderr[-2000:]}")
    doc = json.loads(proc.stdout.strip().splitlines()[-1])
    return doc["rc"], doc["stdout"], doc["stderr"], doc["wall_s"], doc["maxrss_kib"]


def _launch_main(argv: list[str]) -> None:
    """Inside the launcher: run the command, then print its exit code, output, wall time and peak RSS."""
    import resource

    timeout, cmd = float(argv[0]), argv[1:]
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    wall = time.perf_counter() - t
    print(
        json.dumps(
            {
                "rc": proc.returncode,
                "stdout": proc.stdout,
                "stderr": proc.stderr,
                "wall_s": wall,
                "maxrss_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
            }
        )
    )


def child(script: Path | str, task: str, *args: str, timeout: float = 600.0) -> ChildResult:
    """Run TASKS[task](*args) of `script` in a fresh interpreter; return wall time, task time, peak RSS."""
    cmd = [sys.executable, str(HARNESS), "--child", str(Path(script).resolve()), task, *map(str, args)]
    code, out, err, wall, maxrss_kib = _spawn_measured(cmd, timeout)
    if code != 0:
        raise RuntimeError(f"child {task} failed ({code}):\n{err[-2000:]}")
    doc = json.loads(out.strip().splitlines()[-1])
    return ChildResult(task, wall, doc["task_s"], maxrss_kib / 1024, doc["rows"], doc.get("info", {}))


def _child_main(argv: list[str]) -> None:
    """Entry point inside the child: load the script, run one task once, print one JSON line."""
    script, task, *args = argv
    sys.path.insert(0, str(Path(script).parent))
    spec = importlib.util.spec_from_file_location("_bench_script", script)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    fn = mod.TASKS[task]
    t = time.perf_counter()
    res = fn(*args)
    task_s = time.perf_counter() - t
    info = {k: v for k, v in res.items() if k != "rows"} if isinstance(res, dict) else {}
    print(json.dumps({"task_s": task_s, "rows": rows_of(res), "info": info}))


# ----------------------------------------------------------------------------------------------
# suites
# ----------------------------------------------------------------------------------------------
@dataclass
class Measure:
    """Compare task A against baseline task B on one input kind, paired in-process plus a child each."""

    name: str  # e.g. "ingest/fastexcel"
    a_task: str
    b_task: str
    input_kind: str  # key into the per-size inputs dict, e.g. "xlsx" or "csv"
    a_base: str | None = None  # import-only task subtracted from A's peak for the per-row figure
    b_base: str | None = None
    target: float | None = None  # ratio A/B the project aims for (reported, not enforced)


@dataclass
class MeasureResult:
    measure: Measure
    size: int
    pair: Paired
    a_child: ChildResult | None = None
    b_child: ChildResult | None = None
    a_base_mib: float | None = None
    b_base_mib: float | None = None

    def per_row_kib(self, which: str) -> float | None:
        ch = self.a_child if which == "a" else self.b_child
        base = self.a_base_mib if which == "a" else self.b_base_mib
        if ch is None or base is None or not ch.rows:
            return None
        return (ch.peak_mib - base) * 1024 / ch.rows

    def to_dict(self) -> dict:
        m = self.measure
        return {
            "measure": m.name,
            "a": m.a_task,
            "b": m.b_task,
            "size": self.size,
            "target": m.target,
            "paired": self.pair.to_dict(),
            "a_child": self.a_child.to_dict() if self.a_child else None,
            "b_child": self.b_child.to_dict() if self.b_child else None,
            "a_import_peak_mib": self.a_base_mib,
            "b_import_peak_mib": self.b_base_mib,
            "a_kib_per_row": self.per_row_kib("a"),
            "b_kib_per_row": self.per_row_kib("b"),
        }


def run_suite(
    script: Path | str,
    tasks: dict[str, Callable],
    measures: list[Measure],
    inputs: dict[int, dict[str, Path]],
    runs_for: Callable[[int], int],
    memory: bool = True,
    log: Callable[[str], None] = lambda s: print(s, file=sys.stderr, flush=True),
) -> list[MeasureResult]:
    """For each size and measure: paired timing in this process, then one child per task for memory."""
    results = []
    base_cache: dict[str, float] = {}

    def base_peak(task: str | None) -> float | None:
        if task is None or not memory:
            return None
        if task not in base_cache:
            base_cache[task] = child(script, task).peak_mib
        return base_cache[task]

    for size, files in inputs.items():
        runs = runs_for(size)
        for m in measures:
            path = str(files[m.input_kind])
            log(f"[{size:>7,}] {m.name}: {runs} paired runs ...")
            pr = paired(lambda a=m.a_task, p=path: tasks[a](p), lambda b=m.b_task, p=path: tasks[b](p), runs)
            res = MeasureResult(m, size, pr)
            if memory:
                log(f"[{size:>7,}] {m.name}: peak memory (child processes) ...")
                res.a_child = child(script, m.a_task, path)
                res.b_child = child(script, m.b_task, path)
                res.a_base_mib, res.b_base_mib = base_peak(m.a_base), base_peak(m.b_base)
            results.append(res)
    return results


# ----------------------------------------------------------------------------------------------
# reporting
# ----------------------------------------------------------------------------------------------
def fmt_rate(rows: int, seconds: float) -> str:
    """'212k' / '1.3M' rows per second."""
    if not seconds:
        return "-"
    r = rows / seconds
    return f"{r / 1e6:.2f}M" if r >= 1e6 else f"{r / 1e3:.0f}k"


def table(rows: list[list[str]], header: list[str], right: set[int] | None = None) -> str:
    """Plain aligned text table; columns in `right` are right-aligned."""
    right = right if right is not None else set(range(1, len(header)))
    cols = list(zip(*([header] + rows), strict=True)) if rows else [[h] for h in header]
    widths = [max(len(str(c)) for c in col) for col in cols]

    def line(cells):
        pairs = enumerate(zip(cells, widths, strict=True))
        return "  ".join(str(c).rjust(w) if i in right else str(c).ljust(w) for i, (c, w) in pairs)

    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(r) for r in rows])


def results_table(results: list[MeasureResult]) -> str:
    """The standard table: times, rates, paired ratio, peaks and per-row memory for A and B."""
    header = [
        "size",
        "measure",
        "A s",
        "B s",
        "A rows/s",
        "B rows/s",
        "A/B paired (min-max)",
        "runs",
        "A peak MiB",
        "B peak MiB",
        "A KiB/row",
        "B KiB/row",
    ]
    rows = []
    for r in results:
        p = r.pair
        rs = p.ratios
        rows.append(
            [
                f"{r.size:,}",
                r.measure.name,
                f"{p.a_median:.3f}",
                f"{p.b_median:.3f}",
                fmt_rate(p.rows_a, p.a_median),
                fmt_rate(p.rows_b, p.b_median),
                f"{p.ratio:.2f}x ({min(rs):.2f}-{max(rs):.2f})",
                str(len(rs)),
                f"{r.a_child.peak_mib:.0f}" if r.a_child else "-",
                f"{r.b_child.peak_mib:.0f}" if r.b_child else "-",
                _f(r.per_row_kib("a")),
                _f(r.per_row_kib("b")),
            ]
        )
    return table(rows, header, right=set(range(2, len(header))))


def _f(v: float | None) -> str:
    return "-" if v is None else f"{v:.2f}"


def suite_main(
    script: str | Path,
    tasks: dict[str, Callable],
    measures: list[Measure],
    inputs_for: Callable[[int, Path], dict[str, Path]],
    *,
    description: str,
    default_sizes: str = "10000,100000,500000",
    default_data: Path | None = None,
    runs_for: Callable[[int], int] | None = None,
    headline_size: int = 100_000,
    argv: list[str] | None = None,
) -> int:
    """The command line every bench script shares: --sizes, --runs, --skip-500k, --no-memory, --json.

    Prints the standard table, then one line per measure that has a target, e.g.
    `ingest/fastexcel ratio at 100k: 1.23x (target <= 1.5x)`.
    """
    import argparse

    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--sizes", default=default_sizes, help="comma-separated row counts")
    ap.add_argument("--runs", type=int, help="paired runs per size (default 10 / 5 / 3 by size)")
    ap.add_argument("--skip-500k", action="store_true", help="drop sizes of 500,000 rows or more")
    ap.add_argument("--no-memory", action="store_true", help="skip the child-process memory runs")
    ap.add_argument("--data", type=Path, default=default_data, help="where generated inputs live")
    ap.add_argument("--json", type=Path, help="also write every timing here")
    args = ap.parse_args(argv)

    sizes = [int(x.replace("_", "")) for x in args.sizes.split(",") if x.strip()]
    if args.skip_500k:
        sizes = [n for n in sizes if n < 500_000]
    inputs = {}
    for n in sizes:
        t = time.perf_counter()
        inputs[n] = inputs_for(n, args.data)
        took = time.perf_counter() - t
        files = ", ".join(f"{p.name} {p.stat().st_size / 1e6:.1f} MB" for p in inputs[n].values())
        print(
            f"data {n:,}: {files}" + (f" (generated in {took:.1f} s)" if took > 0.5 else ""), file=sys.stderr
        )

    if args.runs:
        runs_for = lambda n: args.runs  # noqa: E731
    runs_for = runs_for or default_runs
    results = run_suite(script, tasks, measures, inputs, runs_for, memory=not args.no_memory)

    info = machine_info()
    print(
        f"\nmachine: {info.get('cpu', '?')}, {info['cpus']} CPUs, Python {info['python']}, "
        f"polars {info.get('polars')}, fastexcel {info.get('fastexcel')}"
    )
    print(
        "A/B = paired in-process ratio (median of per-pair ratios, min-max); peaks from one child process "
        "each; KiB/row = (peak - import-only peak) / rows\n"
    )
    print(results_table(results))
    if any(m.target is not None for m in measures):
        print()
    for m in measures:
        if m.target is None:
            continue
        by_size = {r.size: r for r in results if r.measure is m}
        if not by_size:
            continue
        size = headline_size if headline_size in by_size else max(by_size)
        label = f"{size // 1000}k" if size % 1000 == 0 else f"{size:,}"
        print(f"{m.name} ratio at {label}: {by_size[size].pair.ratio:.2f}x (target <= {m.target:g}x)")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps({"machine": info, "results": [r.to_dict() for r in results]}, indent=2)
        )
    return 0


def default_runs(size: int) -> int:
    """Paired runs per size: more where runs are cheap."""
    return 10 if size <= 20_000 else 5 if size <= 200_000 else 3


def machine_info() -> dict:
    """What the numbers were measured on."""
    info = {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count()}
    try:
        with open("/proc/cpuinfo") as fh:
            for ln in fh:
                if ln.startswith("model name"):
                    info["cpu"] = ln.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    for mod in ("polars", "fastexcel"):
        try:
            info[mod] = __import__(mod).__version__
        except Exception:  # noqa: BLE001 - optional
            pass
    return info


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        _child_main(sys.argv[2:])
    elif len(sys.argv) > 3 and sys.argv[1] == "--launch":
        _launch_main(sys.argv[2:])
    else:
        print(__doc__)
