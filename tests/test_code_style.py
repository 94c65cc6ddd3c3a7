"""The project's own style rules, checked like behaviour: ruff lint, ruff format, and mypy on web and session.

Each runs as a child process with the pinned tool from the test extras, over the paths pyproject.toml names.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PATHS = ["auditor", "tests", "benchmarks", "samples", "scripts"]


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=REPO, capture_output=True, text=True, timeout=600
    )


def test_ruff_lint_passes():
    """Errors, pyflakes, import order, pyupgrade and bugbear (pyproject [tool.ruff.lint])."""
    res = _run("ruff", "check", *PATHS)
    assert res.returncode == 0, res.stdout[-3000:]


def test_code_is_ruff_formatted():
    """`ruff format` leaves every file as it is."""
    res = _run("ruff", "format", "--check", *PATHS)
    assert res.returncode == 0, res.stdout[-3000:]


def test_mypy_passes_on_web_and_session():
    """No type errors in auditor/web and auditor/session.py (pyproject [tool.mypy])."""
    res = _run("mypy")
    assert res.returncode == 0, res.stdout[-3000:]
