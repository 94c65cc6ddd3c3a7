"""The analyst's corrections as per-sheet reading choices: from the review form, from the API, for a saved profile."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from auditor.errors import InputError
from auditor.ingest.fields import CHARGEMASTER
from auditor.ingest.kinds import KINDS
from auditor.ingest.reader import SheetChoice
from auditor.lean_dataclass import dataclass
from auditor.web.review import label, where

_FORM_PARTS = {"sheet": 2, "header": 2, "noheader": 2, "kind": 2, "map": 3}
_SHEET_KEYS = ("header_row", "kind", "columns")


@dataclass
class Corrected:
    """The review's outcome: every sheet's choices, each sheet's full single-column mapping, whether to re-read."""

    per_sheet: dict[str, SheetChoice]
    full: dict[str, dict[str, str]]
    reread: bool = False


def copy_choices(per_sheet: dict[str, SheetChoice]) -> dict[str, SheetChoice]:
    """A deep enough copy: choices are edited in place by pruning."""
    return {n: SheetChoice(c.header_row, c.kind, dict(c.columns)) for n, c in per_sheet.items()}


def apply(choice: SheetChoice | None, changes: dict) -> SheetChoice:
    """A sheet's choice with changes applied: header_row, kind (None clears), columns (None or '' clears a role)."""
    out = SheetChoice(
        *((choice.header_row, choice.kind, dict(choice.columns)) if choice else (None, None, {}))
    )
    if "header_row" in changes:
        out.header_row = changes["header_row"]
    if "kind" in changes:
        out.kind = changes["kind"]
    for fld, ref in changes.get("columns", {}).items():
        if not ref:
            out.columns.pop(fld, None)
            continue
        # A column feeds one role: a new choice for it replaces an older choice of the same column.
        out.columns = {k: v for k, v in out.columns.items() if v != ref}
        out.columns[fld] = ref
    return out


def apply_all(per_sheet: dict[str, SheetChoice], patches: dict[str, dict]) -> dict[str, SheetChoice]:
    """Every sheet's choice with its patch applied; choices left empty are dropped."""
    out = copy_choices(per_sheet)
    for name, changes in patches.items():
        out[name] = apply(out.get(name), changes)
    return {n: c for n, c in out.items() if c.to_dict()}


# ---- the review form ------------------------------------------------------------------------------
def form_edits(items: Iterable[tuple[str, object]]) -> dict[tuple[int, int], dict]:
    """The review form's fields per (file, sheet): section marker, header row, no-header tick, kind, columns."""
    edits: dict[tuple[int, int], dict] = {}
    for key, value in items:
        name, _, rest = key.partition("-")
        parts = rest.split("-")
        if _FORM_PARTS.get(name) != len(parts) or not all(p.isdigit() for p in parts):
            continue
        nums = tuple(int(p) for p in parts)
        edit = edits.setdefault((nums[0], nums[1]), {})
        if name == "map":
            edit.setdefault("columns", {})[nums[2]] = str(value)
        else:
            edit[name] = str(value)
    return edits


def corrections(
    review: dict, edits: dict[tuple[int, int], dict], current: dict[str, SheetChoice]
) -> Corrected:
    """Every sheet's choices after the analyst's edits; InputError on a conflict or an impossible choice.

    Only changes become choices (the reader already finds the rest), and earlier choices stay: a correction to
    one sheet or column never resets another. A sheet name in several files gets one choice (the reader applies
    choices by sheet name), so the files must agree.
    """
    patches: dict[str, dict] = {}
    full: dict[str, dict[str, str]] = {}
    set_by: dict[tuple[str, str], object] = {}
    reread = False
    for f in review["files"]:
        for s in f["sheets"]:
            at = where(f["name"], s["name"])
            changes, mapping = sheet_changes(at, s, edits.get((f["index"], s["index"]), {}))
            reread = reread or "header_row" in changes
            _merge(patches.setdefault(s["name"], {}), changes, s["name"], set_by)
            full.setdefault(s["name"], {}).update(mapping)
    return Corrected(apply_all(current, patches), full, reread)


def _merge(into: dict, changes: dict, name: str, set_by: dict) -> None:
    """Add one section's changes to its sheet name's patch, refusing two different values for one setting."""
    flat = [(k, v) for k, v in changes.items() if k != "columns"]
    flat += [(f"column {fld}", ref) for fld, ref in changes.get("columns", {}).items()]
    for key, value in flat:
        if set_by.get((name, key), value) != value:
            raise InputError(
                f"sheet {name!r}",
                "is in several files with different choices; a choice applies to "
                "every sheet of that name, so make them agree or audit the files one at a time",
            )
        set_by[(name, key)] = value
    cols = changes.get("columns", {})
    into.update({k: v for k, v in changes.items() if k != "columns"})
    if cols:
        into.setdefault("columns", {}).update(cols)


def sheet_changes(at: str, s: dict, edit: dict) -> tuple[dict, dict[str, str]]:
    """One sheet's changes (header_row, kind, columns) and its full single-column mapping after them."""
    changes: dict = {}
    if "sheet" in edit:
        header = _header_change(at, s, edit)
        if header != s["header_row"]:
            changes["header_row"] = header
        kind = edit.get("kind") or s["kind"]
        if kind != s["kind"]:
            changes["kind"] = check_kind(at, kind, s)
    columns, mapping = column_changes(at, s, edit.get("columns", {}))
    if columns:
        changes["columns"] = columns
    return changes, mapping


def _header_change(at: str, s: dict, edit: dict) -> int | None:
    """The header row the form asks for: 0 when ticked 'no header row', a row number, or None to detect."""
    if edit.get("noheader"):
        return 0
    text = edit.get("header", "").strip()
    if not text:
        # Unticking 'no header row' on a sheet read without one says its first line is the header.
        return s["first_row"] if s["header_row"] == 0 else None
    return header_number(at, text, s)


def check_kind(at: str, kind, sheet: dict | None) -> str:
    """A sheet kind the analyst may set; a price view only where the reader found one (it needs its primary)."""
    if kind not in KINDS:
        raise InputError(at, f"unknown sheet kind {kind!r}; kinds are: {', '.join(KINDS)}")
    if kind == "price_view" and (sheet is None or sheet["kind"] != "price_view"):
        raise InputError(
            at,
            "a price view is found by comparing a sheet with the one it repeats, so it cannot "
            "be set by hand; choose summary to set the sheet aside",
        )
    return kind


def header_number(at: str, value, s: dict | None) -> int:
    """A header row number checked against the rows the reader looks at (InputError otherwise)."""
    text = str(value).strip()
    low, high = ((s.get("first_row") or 1), s.get("last_header_row")) if s else (1, None)
    if not text.isdigit() or int(text) < 1 or (high is not None and not low <= int(text) <= high):
        span = f"{low}-{high}" if high is not None else "1 or more"
        raise InputError(
            at,
            f"header row {text!r} is not a row number among the sheet's first rows ({span}); "
            "tick “this sheet has no header row” when every line is data",
        )
    return int(text)


def column_ref(c: dict) -> str:
    """How a choice names a column: its header text, or its letter for a blank or repeated header."""
    return c["header"] if c["header"].strip() and not c.get("duplicate") else c["letter"]


def column_changes(at: str, s: dict, picks: dict[int, str]) -> tuple[dict[str, str], dict[str, str]]:
    """(changed roles -> column, full mapping of single-column roles) from the analyst's field per column.

    A role on several columns (modifiers) cannot be one choice, and a role cannot be left without its only
    column (the reader would find it again by its header), so both are refused with what to do instead.
    """
    if s["header_row"] is None or not s["columns"]:
        return {}, {}
    known = set(CHARGEMASTER.names)
    refs = {c["index"]: column_ref(c) for c in s["columns"]}
    detected: dict[str, set[int]] = {}
    picked: dict[str, set[int]] = {}
    for c in s["columns"]:
        if c.get("cms"):
            continue
        if c["field"]:
            detected.setdefault(c["field"], set()).add(c["index"])
        value = picks.get(c["index"], c["field"])
        if value and value not in known:
            raise InputError(at, f"unknown field {value!r}")
        if value:
            picked.setdefault(value, set()).add(c["index"])
    changes: dict[str, str] = {}
    full: dict[str, str] = {}
    for fld in sorted(set(detected) | set(picked), key=CHARGEMASTER.names.index):
        cols, was = picked.get(fld, set()), detected.get(fld, set())
        if len(cols) == 1:
            full[fld] = refs[next(iter(cols))]
        if cols == was:
            continue
        if len(cols) > 1:
            raise InputError(
                at,
                f"{label(fld)} is chosen for {len(cols)} columns "
                f"({', '.join(repr(refs[i]) for i in sorted(cols))}); choose one",
            )
        if not cols:
            loose = [i for i in was if not any(i in v for v in picked.values())]
            if loose:
                raise InputError(
                    at,
                    f"column {refs[loose[0]]!r} cannot be left unused while it is the only "
                    f"{label(fld)} column: the reader finds {label(fld)} by its header or content. "
                    "Choose another field or column for it, or keep it",
                )
            continue
        changes[fld] = refs[next(iter(cols))]
    return changes, full


# ---- the API ----------------------------------------------------------------------------------------
def sheet_patches(body, review: dict | None) -> dict[str, dict]:
    """The API's {sheet name: {header_row, kind, columns}}, checked (against the sheets under review, if any)."""
    if not isinstance(body, dict):
        raise InputError("sheets", "must be an object: sheet name -> {header_row, kind, columns}")
    known = {s["name"]: s for f in (review or {}).get("files", []) for s in f["sheets"]}
    out = {}
    for name, item in body.items():
        if review is not None and name not in known:
            raise InputError("sheets", f"no sheet named {name!r}; sheets are: {', '.join(sorted(known))}")
        if not isinstance(item, dict) or set(item) - set(_SHEET_KEYS):
            raise InputError(
                f"sheet {name!r}", "must be an object with header_row (0: no header row), kind and columns"
            )
        out[name] = _patch(name, item, known.get(name))
    return out


def _patch(name: str, item: dict, sheet: dict | None) -> dict:
    """One sheet's checked changes from the API."""
    at = f"sheet {name!r}"
    patch: dict = {}
    if "header_row" in item:
        value = item["header_row"]
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise InputError(at, "header_row must be a row number, 0 for no header row, or null to detect")
        patch["header_row"] = value if value in (None, 0) else header_number(at, value, sheet)
    if "kind" in item:
        patch["kind"] = None if item["kind"] is None else check_kind(at, item["kind"], sheet)
    if "columns" in item:
        cols = item["columns"]
        if not isinstance(cols, dict) or not all(v is None or isinstance(v, str) for v in cols.values()):
            raise InputError(
                at, "columns must map field names to a header, a column letter or number (null clears)"
            )
        unknown = [k for k in cols if k not in CHARGEMASTER.names]
        if unknown:
            raise InputError(at, f"unknown field {unknown[0]!r}; fields are: {', '.join(CHARGEMASTER.names)}")
        patch["columns"] = {k: (v.strip() if v else None) for k, v in cols.items()}
    return patch


# ---- saved profiles ---------------------------------------------------------------------------------
def profile_content(
    review: dict,
    columns: dict[str, str],
    header_row: int | None,
    no_header: bool,
    sheets: list[str] | None,
    per_sheet: dict[str, SheetChoice],
    full: dict[str, dict[str, str]],
) -> dict:
    """What a profile saved from the review holds: the run's settings, and per sheet its choices and full mapping.

    A lone text file's choices are saved for every sheet instead: its only sheet is named after the file,
    and next quarter's file has another name.
    """
    saved: dict[str, SheetChoice] = {}
    for f in review["files"]:
        for s in f["sheets"]:
            prior = per_sheet.get(s["name"]) or SheetChoice()
            header = (
                prior.header_row if prior.header_row is not None else (0 if s["header_row"] == 0 else None)
            )
            choice = SheetChoice(header, prior.kind, {**prior.columns, **full.get(s["name"], {})})
            if choice.to_dict():
                saved[s["name"]] = choice
    out: dict[str, Any] = {
        "columns": dict(columns),
        "header_row": header_row,
        "sheets": sheets,
        "no_header": no_header,
        "per_sheet": saved,
    }
    files = review["files"]
    lone = len(files) == 1 and [s["name"] for s in files[0]["sheets"]] == [files[0]["name"]]
    if lone and saved:
        only = saved.pop(files[0]["name"])
        out["columns"] = {**out["columns"], **only.columns}
        if only.header_row is not None:
            out["header_row"], out["no_header"] = (
                (None, True) if only.header_row == 0 else (only.header_row, False)
            )
    return out
