"""The catalogue's text (codes, names, periods, what/why/fix, references, examples) for listing and explaining
edits: cached apart from the prepared checks, so `cdm-audit edits` answers without loading polars."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from auditor.derived_cache import cached
from auditor.engine.edit import EditSet, catalogue_key, read_edit_set, write_edit_set
from auditor.resources import resource_dir


def load_edit_index(folder: Path | None = None) -> EditSet:
    """Every edit as declared, with its params as written (no prepared selectors or readers) and no code lists."""
    folder = folder or resource_dir("edits")
    return cached(
        "edit-index", catalogue_key(folder), lambda: _build(folder), read_edit_set, write_edit_set, ".pickle"
    )


def _build(folder: Path) -> EditSet:
    """The index of a freshly loaded catalogue: the one time listing edits loads the checks."""
    from auditor.engine.catalog import load_edits  # validates the catalogue; needs polars

    full = load_edits(folder)
    # Prepared params (`_` keys) hold selectors, readers and tables; the text and needs read only the rest.
    edits = [
        replace(e, params={k: v for k, v in e.params.items() if not k.startswith("_")}) for e in full.edits
    ]
    return EditSet(edits, {}, full.version, full.folder)
