"""Chargemaster and encoder pairing-edit auditor."""

from auditor.errors import InputError
from auditor.ingest import Ingested, IngestOptions, read_inputs

__version__ = "0.1.0"

__all__ = ["InputError", "IngestOptions", "Ingested", "read_inputs", "__version__"]
