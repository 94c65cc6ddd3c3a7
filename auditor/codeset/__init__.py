"""Reference code sets: HCPCS/CPT validity per quarter (CMS OPPS Addendum B) and ICD-10-CM (`codeset.icd10`)."""

from auditor.codeset.table import CodeStatus, CodeTable, CodeTableError, QuarterChoice, quarter_of

__all__ = [
    "CodeImportError",
    "CodeStatus",
    "CodeTable",
    "CodeTableError",
    "ImportResult",
    "QuarterChoice",
    "import_quarter",
    "quarter_of",
]
_IMPORTER = ("CodeImportError", "ImportResult", "import_quarter")


def __getattr__(name: str):
    """The Addendum B importer's names, loaded on first use: an audit only reads the table."""
    if name in _IMPORTER:
        from auditor.codeset import importer

        return getattr(importer, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
