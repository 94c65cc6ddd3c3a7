"""Read a CMS hospital price transparency JSON file (v2 or v3) as one table of items."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from auditor.errors import InputError
from auditor.ingest.raw import RawSheet

SHEET = "standard_charge_information"


def read_cms_json(path: Path, name: str | None = None) -> list[RawSheet]:
    """One row per standard-charge item, with the header row the CSV layout uses; errors name `name`."""
    name = name or str(path)
    try:
        with path.open("rb") as fh:
            doc = json.load(fh)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(name, f"not valid JSON: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get(SHEET), list):
        raise InputError(
            name, "JSON file is not a CMS standard-charges file (no 'standard_charge_information' list)"
        )
    items = doc[SHEET]
    width = (
        max((len(it.get("code_information") or []) for it in items if isinstance(it, dict)), default=1) or 1
    )
    header = ["description"]
    for i in range(1, width + 1):
        header += [f"code|{i}", f"code|{i}|type"]
    header += [
        "setting",
        "standard_charge|gross",
        "modifiers",
        "drug_unit_of_measurement",
        "additional_generic_notes",
    ]
    rows = [header]
    for k, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise InputError(name, "item is not an object", sheet=SHEET, row=k)
        codes = item.get("code_information") or []
        row = [_text(item.get("description"))]
        for i in range(width):
            c = codes[i] if i < len(codes) and isinstance(codes[i], dict) else {}
            row += [_text(c.get("code")), _text(c.get("type"))]
        charges = [c for c in (item.get("standard_charges") or []) if isinstance(c, dict)]
        charges.sort(key=lambda c: 0 if c.get("setting") in ("outpatient", "both") else 1)
        first = charges[0] if charges else {}
        drug = item.get("drug_information") or {}
        row += [
            ",".join(sorted({_text(c.get("setting")) for c in charges if c.get("setting")})) or None,
            _text(first.get("gross_charge")),
            _text(first.get("modifier_code") or item.get("modifier_code")),
            _text(drug.get("unit")) if isinstance(drug, dict) else None,
            _text(first.get("additional_generic_notes")),
        ]
        rows.append(row)
    frame = (
        pl.DataFrame(
            [list(col) for col in zip(*rows, strict=False)],
            schema=[f"c{i}" for i in range(len(header))],
            orient="col",
        )
        if rows
        else None
    )
    frame = frame.with_columns(pl.all().cast(pl.String))
    return [RawSheet(SHEET, frame, first_row=0)]


def _text(value) -> str | None:
    """Render a JSON scalar as cell text ('1200' not '1200.0')."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)
