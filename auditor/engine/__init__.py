"""The pairing-edit engine: edits as data, check kinds as code, findings as data.

The names below load on first use: listing or explaining edits reads the catalogue's text without importing
polars and the checks (PEP 562 module __getattr__).
"""

from __future__ import annotations

import importlib

_HOMES = {
    "AuditRun": "auditor.engine.runner",
    "Edit": "auditor.engine.edit",
    "EditSet": "auditor.engine.edit",
    "FacilityConfig": "auditor.engine.config",
    "Finding": "auditor.engine.findings",
    "load_config": "auditor.engine.config",
    "load_edits": "auditor.engine.catalog",
    "run_edits": "auditor.engine.runner",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str):
    """The public name from the module that defines it, imported now."""
    if name not in _HOMES:
        raise AttributeError(f"module 'auditor.engine' has no attribute {name!r}")
    return getattr(importlib.import_module(_HOMES[name]), name)
