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

__all__ = ["CANONICAL", "FileReport", "IngestOptions", "Ingested", "SheetReport", "read_file", "read_inputs"]
