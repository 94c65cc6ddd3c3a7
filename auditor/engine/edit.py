"""One edit and the edit set as the catalogue declares them: plain data, readable without polars or the checks."""

from __future__ import annotations

import datetime as dt
import pickle
from dataclasses import field
from pathlib import Path

from auditor.derived_cache import code_key, source_key
from auditor.lean_dataclass import dataclass
from auditor.version import __version__

SCOPES = ("chargemaster", "pairing", "claim")
# Billing settings an edit's rule belongs to: OPPS status indicators, device C-codes and revenue codes
# are hospital outpatient (facility) rules that a professional fee schedule never meets.
SETTINGS = ("hospital-outpatient", "professional")


@dataclass(frozen=True)
class Reference:
    """Where a fact comes from, and whether it was seen in the source (verified) or inferred."""

    url: str
    verified: bool
    note: str = ""


@dataclass
class Edit:
    """One pairing edit as declared in `edits/*.yaml`."""

    code: str
    name: str
    family: str
    category: str
    severity: str
    check: str
    message: str
    what: str
    why: str
    fix: str
    references: list[Reference]
    effective_from: dt.date | None
    effective_to: dt.date | None
    params: dict = field(default_factory=dict)
    scopes: tuple[str, ...] = SCOPES
    unless: list[dict] = field(default_factory=list)
    only_if: list[dict] = field(default_factory=list)
    examples: dict = field(default_factory=dict)
    source_file: str = ""
    # Input columns the edit cannot decide without, when deriving them from the check kind would be wrong.
    needs: tuple[str, ...] | None = None
    settings: tuple[str, ...] = SETTINGS
    # How findings fold into problems: per code, per charge code, or one per file (None: by check kind).
    group: str | None = None
    # Edits whose finding on the same line says this one's gap more strongly: there this edit's finding is
    # lowered to info, so one gap is not three problems at the top of the report.
    implied_by: tuple[str, ...] = ()

    @property
    def verified(self) -> bool:
        """True only when every reference was seen in its source."""
        return all(r.verified for r in self.references)

    def in_force(self, day: dt.date) -> bool:
        """Whether the edit applies to services on `day`."""
        return (self.effective_from is None or self.effective_from <= day) and (
            self.effective_to is None or day <= self.effective_to
        )

    def period(self) -> str:
        """'2026-01-01 onwards', 'through 2025-12-31', or 'always'."""
        a, b = self.effective_from, self.effective_to
        if a and b:
            return f"{a} to {b}"
        if a:
            return f"{a} onwards"
        if b:
            return f"through {b}"
        return "always"

    def reference_text(self) -> str:
        """References as one line, each tagged verified or inferred."""
        return "; ".join(
            f"{r.url} ({'verified' if r.verified else 'inferred'}{': ' + r.note if r.note else ''})"
            for r in self.references
        )


@dataclass
class EditSet:
    """All edits plus the code lists they use and the catalogue's version fingerprint."""

    edits: list[Edit]
    lists: dict[str, list[dict]]
    version: str
    folder: Path

    def get(self, code: str) -> Edit:
        """The edit with this code (case-insensitive)."""
        for e in self.edits:
            if e.code == code.upper():
                return e
        raise KeyError(code)


def catalogue_key(folder: Path) -> str:
    """What a catalogue's derived files depend on: its edit and list files, and the engine's code."""
    sources = [*folder.glob("*.yaml"), *(folder / "lists").glob("*.csv")]
    return source_key(sources, str(folder.resolve()), code_key("engine"), __version__)


def read_edit_set(path: Path) -> EditSet:
    """An edit set (or index) this tool pickled into its own cache folder."""
    value = pickle.loads(path.read_bytes())
    if not isinstance(value, EditSet):
        raise TypeError(f"{path} holds no edit set")
    return value


def write_edit_set(value: EditSet, path: Path) -> None:
    """Pickle an edit set (or index)."""
    path.write_bytes(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
