"""Which input columns an edit needs, which the chargemaster has, and how to say what is missing."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

# Canonical chargemaster fields an edit can need (the frame's columns less bookkeeping and raw copies);
# kept literal so loading the catalogue does not import the readers; a test keeps it within ingest's CANONICAL.
FIELDS = (
    "charge_code",
    "description",
    "revenue_code",
    "code",
    "modifiers",
    "units",
    "price",
    "department",
    "status",
    "effective_from",
    "effective_to",
    "narrative",
    "ndc",
    "setting",
)

# Note prefixes: a not-evaluable edit's note, and the part of a ran edit's note naming inputs it could not see.
NOT_EVALUABLE = "not evaluable: "
UNSEEN = "not evaluated on "

LABELS = {
    "code": "CPT/HCPCS",
    "charge_code": "charge code",
    "revenue_code": "revenue code",
    "ndc": "NDC",
    "modifiers": "modifier",
    "effective_from": "effective-from date",
    "effective_to": "effective-to date",
}

# Check kind -> fields it reads to decide. Row conditions (`only_if`, `unless`, a `says` entry's
# `when_field`) and description discounts (`companion_description_not`) are not needs: an absent
# column there only means the condition never holds.
_BY_KIND = {
    "code-format": ("code",),
    "code-valid-in-quarter": ("code",),
    "status-indicator": ("code",),
    "code-crosswalk": ("code",),
    "requires-companion": ("code",),
    "add-on-needs-primary": ("code",),
    "forbids-companion": ("code",),
    "description-vs-code": ("description", "code"),
    "description-reads-as": ("description", "code"),
    "duplicate-charge-code": ("charge_code",),
    "price-below-rate": ("price", "code"),
    "sheet-priced-per-area": ("price", "code", "description"),
    "duplicate-price": ("price", "code"),
    "price-outlier": ("price", "code"),
    # Claim-only kinds: claim lines have their own required columns; listed for completeness.
    "max-units": ("units", "code"),
    "product-units-vs-area": ("units", "code"),
    "prior-auth": (),
    "diagnosis-quality": (),
    "diagnosis-side": ("code",),
    "diagnosis-fit": ("code",),
}
# Kinds whose decisive column is the `field` param; a `when` selector adds the code it selects on.
_FIELD_KINDS = ("allowed-values", "field-required")
# Sheet kinds (set by ingest when it classifies sheets) whose rows are audited as chargemaster lines.
_AUDITED_KINDS = ("cdm", "pharmacy", "professional_fee")


def needed_fields(edit) -> tuple[str, ...]:
    """Canonical fields the edit cannot decide without: its YAML `needs:`, else derived from check and params."""
    if edit.needs is not None:
        return tuple(edit.needs)
    if edit.check in _FIELD_KINDS:
        field = edit.params["field"]
        return (field, "code") if edit.params.get("when") is not None else (field,)
    return _BY_KIND.get(edit.check, ())


def label(field: str) -> str:
    """How a field's column is named in messages ('CPT/HCPCS', 'revenue code')."""
    return LABELS.get(field, field.replace("_", " "))


def missing_note(missing: Iterable[str]) -> str:
    """'no description or CPT/HCPCS column' for the fields missing."""
    return "no " + " or ".join(label(f) for f in missing) + " column"


def _sheet_fields(
    columns: dict[str, str], code_pairs: bool = False, code_types: dict | None = None
) -> set[str]:
    """Fields one sheet's mapped columns supply (roles cpt/hcpcs and CMS code pairs feed several)."""
    out = {role for role in columns if role in FIELDS}
    if "cpt" in columns or "hcpcs" in columns:
        # Modifiers glued to the code (15271-RT) are read from the code column itself.
        out |= {"code", "modifiers"}
    if code_pairs:  # a CMS standard-charges file's code|N / code|N|type pairs carry every kind of code
        out |= {"code", "charge_code", "revenue_code"}
        # An NDC only where some pair holds one: no NDC column stands empty in such a file, so drug lines
        # without one are no sign of a blank column (RC005 would say "though the file has an NDC column").
        out |= {"ndc"} if (code_types or {}).get("NDC") else set()
    return out


def sheet_fields(ingested) -> dict[str, set[str]]:
    """Audited chargemaster sheet (as named in notes) -> fields it supplies."""
    sheets = [
        (f, s)
        for f in ingested.files
        for s in f.sheets
        if s.header_row is not None and getattr(s, "kind", "cdm") in _AUDITED_KINDS
    ]
    # A sheet that found a header but contributed no rows says nothing about the data; use it only
    # when no sheet has rows, so an empty input still reports its columns rather than none.
    sheets = [(f, s) for f, s in sheets if s.rows_audited] or sheets
    several_files = len({f.path for f, _ in sheets}) > 1
    return {
        _where(f.path, s.name, several_files): _sheet_fields(
            s.columns, bool(getattr(s, "code_pairs", None)), getattr(s, "code_types", None)
        )
        for f, s in sheets
    }


def _where(path: str, sheet: str, several_files: bool) -> str:
    """How notes name a sheet: sheet 'Supplies' (plus "of cdm.xlsx" when several files), file 'x.csv' for text files."""
    name = Path(path).name
    if sheet == name:
        return f"file {name!r}"
    return f"sheet {sheet!r}" + (f" of {name}" if several_files else "")


def available_fields(ingested) -> set[str]:
    """Fields at least one audited chargemaster sheet supplies."""
    return set().union(*sheet_fields(ingested).values())


def unseen_note(edit, sheets: dict[str, set[str]]) -> str:
    """'not evaluated on sheet 'Supplies': no CPT/HCPCS column' for audited sheets lacking a needed field."""
    needed = needed_fields(edit)
    parts = []
    for name, fields in sheets.items():
        missing = [f for f in needed if f not in fields]
        if missing:
            parts.append(f"{UNSEEN}{name}: {missing_note(missing)}")
    return "; ".join(parts)
