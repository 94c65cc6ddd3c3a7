"""Read a workbook once in a child process with memory and time limits, so a reader that aborts cannot take the caller down.

The web app probes every uploaded workbook before reading it in its own process: calamine is native code,
and an allocation it cannot make, or a panic outside the calls that catch it, ends the whole process. In
the child that is a failed probe and one clean InputError; the server keeps answering.
`python -m auditor.ingest.probe PATH KIND NAME MAX_CELLS` is the child.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from auditor.errors import EXIT_BAD_INPUT, InputError

WORKBOOK_KINDS = ("xlsx", "xlsm", "xlsb", "xls")
DEFAULT_MEMORY_MB = 6144
DEFAULT_SECONDS = 300.0


def probe_workbook(
    path: Path,
    kind: str,
    name: str,
    max_cells: int,
    memory_mb: int = DEFAULT_MEMORY_MB,
    seconds: float = DEFAULT_SECONDS,
) -> None:
    """Read the workbook in a limited child; raise InputError (named `name`) when it fails or dies."""
    env = {**os.environ, "RUST_BACKTRACE": "0"}
    cmd = [sys.executable, "-m", "auditor.ingest.probe", str(path), kind, name, str(max_cells)]
    limit = memory_mb * 1024 * 1024
    try:
        done = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            timeout=seconds,
            env=env,
            stdin=subprocess.DEVNULL,
            preexec_fn=lambda: _limit_memory(limit),
        )
    except subprocess.TimeoutExpired:
        raise InputError(
            name,
            f"reading the workbook took over {seconds:.0f} s and was stopped; open it in Excel, delete "
            "what is not the chargemaster (or stray cells far from it) and save a copy",
        ) from None
    if done.returncode == 0:
        return
    last = (done.stdout.strip().splitlines() or [""])[-1]
    if done.returncode == EXIT_BAD_INPUT and last.startswith("{"):
        where = json.loads(last)  # the same refusal an in-process read gives, worded by it
        raise InputError(name, where["reason"], where["sheet"], where["row"], where["column"])
    raise InputError(
        name,
        f"the spreadsheet reader failed on this workbook (it ran out of its {memory_mb:,} MB or crashed); "
        "the file is damaged or far larger than its data — open it in Excel and save a copy",
    )


def _limit_memory(limit: int) -> None:
    """In the child: cap its address space, so a runaway allocation fails there and not in the machine."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _child(argv: list[str]) -> int:
    """Read every sheet as the audit will; print the reason and exit 2 on a clean refusal."""
    from auditor.ingest.excel import read_excel
    from auditor.ingest.guards import Limits

    path, kind, name, max_cells = Path(argv[0]), argv[1], argv[2], int(argv[3])
    try:
        read_excel(path, kind, name, Limits(max_cells=max_cells))
    except InputError as exc:
        print(json.dumps({"reason": exc.reason, "sheet": exc.sheet, "row": exc.row, "column": exc.column}))
        return EXIT_BAD_INPUT
    return 0


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1:]))
