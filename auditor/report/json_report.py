"""findings.json and claims.json through one writer: small parts indented, long lists one item a line."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import orjson

from auditor.lean_dataclass import dataclass
from auditor.report.context import ReportContext

if TYPE_CHECKING:  # the claims modules load on a claims run only
    from auditor.report.claims_context import ClaimsContext

ITEM_SEPARATOR = ",\n    "  # between two items of a list written one item a line
FRAME_CHUNK = 50_000  # frame rows encoded at a time: a 1M-row frame never sits in memory as text


@dataclass(frozen=True)
class Rows:
    """A list written one compact item a line; `blocks` are runs of encoded items joined by ITEM_SEPARATOR."""

    blocks: Iterable[str]


def list_rows(values: list) -> Rows:
    """A list of plain values as Rows (orjson writes the many finding lines ~10x faster than json)."""
    return Rows(
        [ITEM_SEPARATOR.join(orjson.dumps(v, default=str).decode() for v in values)] if values else []
    )


def frame_rows(frame, chunk: int = FRAME_CHUNK) -> Rows:
    """A polars frame as Rows, one object a row, encoded a slice at a time."""
    return Rows(
        frame.slice(start, chunk).write_ndjson().rstrip("\n").replace("\n", ITEM_SEPARATOR)
        for start in range(0, frame.height, chunk)
    )


def write_document(path: Path, parts: Iterable[tuple[str, object]]) -> Path:
    """One JSON object, keys in the order given: Rows one item a line, anything else indented; UTF-8."""
    with path.open("w", encoding="utf-8") as fh:
        fh.write("{")
        for i, (key, value) in enumerate(parts):
            fh.write(f"{',' if i else ''}\n  {json.dumps(key)}: ")
            if isinstance(value, Rows):
                _write_rows(fh, value)
            else:
                fh.write(json.dumps(value, indent=2, ensure_ascii=False, default=str).replace("\n", "\n  "))
        fh.write("\n}\n")
    return path


def _write_rows(fh, rows: Rows) -> None:
    """`[` + each item on its own line + `]`, or `[]` for none."""
    fh.write("[")
    empty = True
    for block in rows.blocks:
        fh.write(("\n    " if empty else ITEM_SEPARATOR) + block)
        empty = False
    fh.write("]" if empty else "\n  ]")


def write_json(ctx: ReportContext | dict, out_dir: Path) -> Path:
    """findings.json: the whole document, keys in a fixed order (plus history.json after a recorded run)."""
    doc = ReportContext.of(ctx).doc
    if "history" in doc:
        # The comparison with earlier runs changes with the history, not with the inputs: kept apart so
        # findings.json stays byte-identical for the same inputs and as-of date.
        (out_dir / "history.json").write_text(
            json.dumps(doc["history"], indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8"
        )
    # Run record and summary indented for reading; one finding (or skipped row) per line, which is
    # 3x faster to write than indenting everything and still diffs line by line.
    return write_document(
        out_dir / "findings.json",
        ((k, list_rows(v) if isinstance(v, list) else v) for k, v in doc.items() if k != "history"),
    )


def write_claims_json(ctx: ClaimsContext, out_dir: Path) -> Path:
    """claims.json: meta, summary, files, skipped, notes, services, edits; then a claim or finding a line."""
    result = ctx.result
    return write_document(
        out_dir / "claims.json",
        (
            ("meta", result.meta),
            ("summary", ctx.summary),
            ("files", result.files),
            ("skipped", result.skipped),
            ("notes", result.notes),
            ("services", result.services),
            ("edits", result.edits),
            ("claims", frame_rows(result.claims)),
            ("findings", frame_rows(result.findings)),
        ),
    )
