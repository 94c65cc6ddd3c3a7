"""Fuzz worker: run `cdm-audit inspect` in this process on each case path read from stdin, one JSON line out.

The parent starts it with memory and time limits and reads a "start" line before each case, so a case that
aborts the process (a native reader's allocation failure) or runs away is known by name.
"""

from __future__ import annotations

import json
import sys

from click.testing import CliRunner


def main() -> int:
    """Read paths line by line; print {"start": path} then {"case", "exit", "stderr", "exception"} for each."""
    from auditor.cli import main as cli

    runner = CliRunner()
    for line in sys.stdin:
        path = line.strip()
        if not path:
            continue
        print(json.dumps({"start": path}), flush=True)
        result = runner.invoke(cli, ["inspect", path, "--samples", "1"])
        crash = None
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            crash = f"{type(result.exception).__name__}: {result.exception}"[:500]
        print(
            json.dumps(
                {"case": path, "exit": result.exit_code, "stderr": result.stderr[-2000:], "exception": crash}
            ),
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
