"""Chargemaster and encoder pairing-edit auditor: `run_session(SessionRequest(files=[...]))` audits from Python."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from auditor.errors import InputError
from auditor.version import __version__

# Public name -> the module that defines it, imported on first use: `import auditor` (and so every
# `cdm-audit` start, `--help` included) loads neither polars nor the readers, engine or reports up front.
_LAZY = {
    "Ingested": "auditor.ingest",
    "IngestOptions": "auditor.ingest",
    "Source": "auditor.ingest",
    "read_inputs": "auditor.ingest",
    "run_session": "auditor.session",
    "SessionRequest": "auditor.session",
    "SessionResult": "auditor.session",
    "HistoryOptions": "auditor.history",
    "Finding": "auditor.engine",
    "load_edits": "auditor.engine",
}

__all__ = [
    "Finding",
    "HistoryOptions",
    "InputError",
    "IngestOptions",
    "Ingested",
    "SessionRequest",
    "SessionResult",
    "Source",
    "__version__",
    "load_edits",
    "read_inputs",
    "run_session",
]

if TYPE_CHECKING:
    from auditor.engine import Finding, load_edits
    from auditor.history import HistoryOptions
    from auditor.ingest import Ingested, IngestOptions, Source, read_inputs
    from auditor.session import SessionRequest, SessionResult, run_session


def __getattr__(name: str):
    """The lazily exported names (module attribute hook, PEP 562)."""
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'auditor' has no attribute {name!r}")
