"""What `cdm-audit inspect` shows: per file and sheet, the header, the mapping, and every row's fate."""

from __future__ import annotations

import polars as pl

from auditor.ingest import Ingested

SAMPLE_FIELDS = ("charge_code", "description", "revenue_code", "code", "modifiers", "price", "code_source")
_RAW_OF = {
    "revenue_code": "revenue_code_raw",
    "code": "code_raw",
    "price": "price_raw",
    "modifiers": "modifiers_raw",
}


def inspect_dict(ingested: Ingested, samples: int = 3) -> dict:
    """The JSON document of `inspect --json`, with a few normalised sample rows per sheet."""
    files = []
    for f in ingested.files:
        fd = f.to_dict()
        for sd in fd["sheets"]:
            sd["sample_rows"] = (
                _samples(ingested.frame, f.path, sd["name"], samples) if sd["header_row"] is not None else []
            )
        files.append(fd)
    return {"files": files}


def _samples(frame: pl.DataFrame, path: str, sheet: str, n: int) -> list[dict]:
    """First n audited rows of a sheet: normalised values, with the raw cell where it differs."""
    rows = frame.filter((pl.col("file") == path) & (pl.col("sheet") == sheet)).head(n)
    out = []
    for rec in rows.iter_rows(named=True):
        item = {"row": rec["row"]}
        for k in SAMPLE_FIELDS:
            if rec.get(k) is not None:
                item[k] = rec[k]
            raw = _RAW_OF.get(k)
            if raw and rec.get(raw) is not None and not _same(rec[raw], rec.get(k)):
                item[f"{k}_raw"] = rec[raw]
        out.append(item)
    return out


def _same(raw: str, value) -> bool:
    """Whether the raw cell says the same as the normalised value ('371.00' is 371.0)."""
    if isinstance(value, float):
        try:
            return float(raw) == value
        except ValueError:
            return False
    return str(raw) == str(value)


def render_text(doc: dict, max_skipped: int = 10) -> str:
    """Human-readable form of the inspect document."""
    lines = []
    for f in doc["files"]:
        if f.get("error"):
            lines.append(f"{f['path']}  NOT READ: {f['error']}")
            continue
        lines.append(f"{f['path']}  ({f['format']}, {f['size']:,} bytes, sha256 {f['sha256'][:12]}…)")
        for s in f["sheets"]:
            lines += _sheet_lines(s, max_skipped)
    return "\n".join(lines)


def _sheet_lines(s: dict, max_skipped: int) -> list[str]:
    """One sheet: its kind and why, where the header is, each role with its evidence, and row fates."""
    kind = s.get("kind", "cdm").replace("_", " ")
    hidden = " (hidden)" if s.get("hidden") else ""
    if s["header_row"] is None:
        lines = [f"  sheet {s['name']!r}{hidden}: {kind}, not audited: {s['note']}"]
        if s["rows_read"]:
            lines.append(f"    {s['rows_read']} non-blank rows listed as skipped")
        return lines
    where = "no header row: every row is data" if s["header_row"] == 0 else f"header on row {s['header_row']}"
    lines = [f"  sheet {s['name']!r}{hidden}: {kind}, {where}"]
    if s.get("kind_reason"):
        lines.append(f"    kind: {s['kind_reason']}")
    width = max((len(k) for k in s["columns"]), default=10)
    for role, header in s["columns"].items():
        lines.append(f"    {role:<{width}}  <- {header!r}" + _evidence_text(s, role))
    if not any(k in s["columns"] for k in ("cpt", "hcpcs", "code (CMS code|N pairs)")):
        lines.append("    no CPT/HCPCS column: edits that need a code cannot run on this sheet")
    if s.get("stray_cells"):
        cells = ", ".join(f"{c['cell']} ({c['text'][:30]!r})" for c in s["stray_cells"][:5])
        lines.append(f"    not read: {len(s['stray_cells'])} stray cell(s) far right of the table: {cells}")
    if s.get("code_types"):
        lines.append("    codes by type: " + ", ".join(f"{k} {v:,}" for k, v in s["code_types"].items()))
    if s["unmapped_headers"]:
        lines.append(
            "    not used: "
            + ", ".join(repr(h) for h in s["unmapped_headers"][:12])
            + (" …" if len(s["unmapped_headers"]) > 12 else "")
        )
    if s.get("note"):
        lines.append(f"    note: {s['note']}")
    lines.append(
        f"    rows: {s['rows_read']:,} read, {s['rows_audited']:,} audited, {s['rows_skipped']:,} skipped"
    )
    for sk in s["skipped"][:max_skipped]:
        lines.append(f"      skipped row {sk['row']}: {sk['reason']}")
    if len(s["skipped"]) > max_skipped:
        lines.append(f"      … and {len(s['skipped']) - max_skipped} more (use --json for all)")
    for r in s.get("sample_rows", []):
        cells = ", ".join(f"{k}={v!r}" for k, v in r.items() if k != "row")
        lines.append(f"    row {r['row']}: {cells}")
    return lines


def _evidence_text(s: dict, role: str) -> str:
    """'  (column C; content: 97% CPT/HCPCS-shaped; header: partial)', plus the runner-up when it was close."""
    ev = s.get("evidence", {}).get(role)
    col = s.get("column_index", {}).get(role)
    parts = [f"column {col}"] if col else []
    if ev:
        if ev.get("content"):
            parts.append(f"content: {ev['content']}")
        parts.append(f"header: {ev['header']}")
    text = f"  ({'; '.join(parts)})" if parts else ""
    conf = s.get("confidence", {}).get(role, 1.0)
    if ev and ev.get("runner_up") and conf < 0.75:
        ru = ev["runner_up"]
        text += f"  [unsure: next best {ru['header']!r}, column {ru['column_index']}]"
    return text
