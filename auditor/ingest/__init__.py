"""Ingestion: any chargemaster export into one canonical polars frame, with every row accounted for."""

from auditor.ingest.reader import (
    CANONICAL,
    FileReport,
    Ingested,
    IngestOptions,
    SheetReport,
    read_file,
    read_inputs,
)
from auditor.ingest.source import Source

__all__ = [
    "CANONICAL",
    "FileReport",
    "IngestOptions",
    "Ingested",
    "SheetReport",
    "Source",
    "read_file",
    "read_inputs",
]
