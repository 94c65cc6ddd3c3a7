"""HCPCS/CPT code validity per quarter, from CMS OPPS Addendum B (packaged history plus user imports)."""

from auditor.codeset.importer import CodeImportError, ImportResult, import_quarter
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
