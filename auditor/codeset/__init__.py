"""Reference code sets: HCPCS/CPT validity per quarter (CMS OPPS Addendum B) and ICD-10-CM (`codeset.icd10`)."""

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
# Where each name lives, loaded on first use: `codes status` reads a code's status without polars, and an audit
# never needs the Addendum B importer.
_HOMES = {
    "CodeImportError": "importer",
    "ImportResult": "importer",
    "import_quarter": "importer",
    "CodeTable": "table",
    "CodeStatus": "quarters",
    "CodeTableError": "quarters",
    "QuarterChoice": "quarters",
    "quarter_of": "quarters",
}


def __getattr__(name: str):
    """A name of the package, imported from its module on first use."""
    if name in _HOMES:
        import importlib

        return getattr(importlib.import_module(f"auditor.codeset.{_HOMES[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
