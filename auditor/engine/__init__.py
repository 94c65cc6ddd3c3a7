"""The pairing-edit engine: edits as data, check kinds as code, findings as data."""

from auditor.engine.catalog import Edit, EditSet, load_edits
from auditor.engine.config import FacilityConfig, load_config
from auditor.engine.findings import Finding
from auditor.engine.runner import AuditRun, run_edits

__all__ = [
    "AuditRun",
    "Edit",
    "EditSet",
    "FacilityConfig",
    "Finding",
    "load_config",
    "load_edits",
    "run_edits",
]
