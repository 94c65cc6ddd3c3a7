"""Read a CMS hospital price transparency JSON file (v2 or v3) as one table of items."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import polars as pl

from auditor.errors import InputError
from auditor.ingest.raw import RawSheet

SHEET = "standard_charge_information"
# A number longer than this is refused where it is used (no charge or code needs more digits).
MAX_NUMBER_CHARS = 100
# Escapes such as "\ud800" with no partner decode to lone surrogates, which no UTF-8 writer can take.
_SURROGATE = re.compile("[\ud800-\udfff]")


def read_cms_json(path: Path, name: str | None = None) -> list[RawSheet]:
    """One row per standard-charge item, with the header row the CSV layout uses; errors name `name`."""
    name = name or str(path)
    doc = _load(name, path.read_bytes())
    if not isinstance(doc, dict) or not isinstance(doc.get(SHEET), list):
        raise InputError(
            name, "JSON file is not a CMS standard-charges file (no 'standard_charge_information' list)"
        )
    items = doc[SHEET]
    try:
        return [RawSheet(SHEET, _table(name, items), first_row=0)]
    except RecursionError:  # a value nested hundreds deep inside an item, rendered as text
        raise InputError(name, "a value in the JSON is nested too deeply to read as cell text") from None


def _load(name: str, raw: bytes) -> object:
    """Parse JSON text; depth, over-long numbers and bad bytes give an InputError, never a crash."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return json.loads(raw, parse_int=_number(int), parse_float=_number(float), parse_constant=_constant)
    except json.JSONDecodeError as exc:
        raise InputError(name, f"not valid JSON: {exc}") from None
    except UnicodeDecodeError as exc:
        raise InputError(name, f"not valid JSON: bytes at offset {exc.start} are not UTF-8") from None
    except RecursionError:
        raise InputError(
            name,
            "not valid JSON for a standard-charges file: arrays or objects nested too deeply "
            "(a CMS file is a few levels deep)",
        ) from None


class _HugeNumber(str):
    """The text of a JSON number too long or too large to be a charge or a code (parsed lazily, never used)."""


class _Unreadable(Exception):
    """A value that cannot be cell text; the caller names the item."""


def _number(kind):
    """A JSON number as int or float while it is a sane size, else a _HugeNumber holding its text.

    int() refuses strings of more than 4,300 digits (Python 3.11) and float() turns 1e999 into inf; only a
    value the table uses is refused, so a huge number in a field the audit ignores does no harm.
    """

    def parse(text: str):
        if len(text) > MAX_NUMBER_CHARS:
            return _HugeNumber(text)
        value = kind(text)
        return value if kind is int or math.isfinite(value) else _HugeNumber(text)

    return parse


def _constant(text: str) -> str:
    """NaN, Infinity and -Infinity (not JSON, but Python writes them) as text."""
    return text


def _table(name: str, items: list) -> pl.DataFrame:
    """The items as text columns under the CSV layout's header row."""
    for k, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise InputError(name, "item is not an object", sheet=SHEET, row=k)
        for key, want in (("code_information", list), ("standard_charges", list), ("drug_information", dict)):
            value = item.get(key)
            if value is not None and not isinstance(value, want):
                what = "a list" if want is list else "an object"
                raise InputError(name, f"{key} is not {what}", sheet=SHEET, row=k)
    width = max((len(it.get("code_information") or []) for it in items), default=1) or 1
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
        try:
            rows.append(_row(item, width))
        except _Unreadable as exc:
            raise InputError(name, str(exc), sheet=SHEET, row=k) from None
    frame = pl.DataFrame(
        [list(col) for col in zip(*rows, strict=False)],
        schema=[f"c{i}" for i in range(len(header))],
        orient="col",
    )
    return frame.with_columns(pl.all().cast(pl.String))


def _row(item: dict, width: int) -> list[str | None]:
    """One item as the cells of its row."""
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
    return row


def _text(value) -> str | None:
    """Render a JSON scalar as cell text ('1200' not '1200.0'); a lone surrogate (\\ud800) becomes U+FFFD."""
    if value is None:
        return None
    if isinstance(value, _HugeNumber):
        shown = value if len(value) <= 24 else f"{value[:12]}...{value[-8:]}"
        raise _Unreadable(f"the number {shown} ({len(value)} characters) is too large for a charge or a code")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        text = ",".join(str(v) for v in value)
    else:
        text = str(value)
    return text if text.isascii() else _SURROGATE.sub("\ufffd", text)
