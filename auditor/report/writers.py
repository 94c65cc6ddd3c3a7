"""Write the audit document in each format; the registry maps a format name to its writer."""

from __future__ import annotations

import json
from pathlib import Path


def write_json(doc: dict, out_dir: Path) -> Path:
    """findings.json: the whole document, keys in a fixed order, UTF-8."""
    path = out_dir / "findings.json"
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    return path


WRITERS = {"json": write_json}
