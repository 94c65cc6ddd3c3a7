"""Reference code sets: HCPCS/CPT validity per quarter (CMS OPPS Addendum B) and ICD-10-CM (`codeset.icd10`)."""

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
