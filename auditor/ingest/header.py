"""Find the header row of a sheet and map its columns to canonical fields."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from auditor.ingest.fields import TableKind, norm_header

SCAN_ROWS = 30
EXACT = 1.0
HINT = 0.7
PREFER_BONUS = 0.05
_CMS_CODE = re.compile(r"^CODE (\d+)$")


@dataclass
class HeaderMatch:
    """Where the header is and which column feeds which field."""

    index: int  # frame row of the header's last line (data starts on the next row)
    span: int  # 1, or 2 when the header is split over two rows
    headers: list[str]  # header text per column, as written (two-line headers joined with a space)
    mapping: dict[str, list[int]] = field(default_factory=dict)
    confidence: dict[str, float] = field(default_factory=dict)
    cms_codes: list[tuple[int, int]] = field(default_factory=list)  # (code col, type col) pairs of a CMS file

    @property
    def score(self) -> float:
        """Sum of field confidences; CMS code pairs count as a strong anchor."""
        return sum(self.confidence.values()) + (1.5 if self.cms_codes else 0.0)

    def header_of(self, name: str) -> str:
        """Header text (or texts joined by ' + ') feeding field `name`."""
        return " + ".join(self.headers[i] for i in self.mapping.get(name, []))


def field_score(header: str, spec) -> float:
    """How well one normalised header names a field: 1.0 exact alias, ~0.7 by a whole-word hint, else 0."""
    if not header:
        return 0.0
    if header in spec.aliases:
        return EXACT
    tokens = set(header.split())
    if tokens & set(spec.exclude):
        return 0.0
    padded = f" {header} "
    if any(f" {hint} " in padded for hint in spec.hints):
        bonus = PREFER_BONUS if tokens & set(spec.prefer) else 0.0
        # "Inpatient price" is a weaker price than "Outpatient price" for an outpatient audit.
        malus = PREFER_BONUS if "INPATIENT" in tokens or "IP" in tokens else 0.0
        return HINT + bonus - malus
    return 0.0


def map_columns(headers: list[str], kind: TableKind) -> HeaderMatch:
    """Assign columns to fields greedily, best match first; each column feeds one field."""
    normed = [norm_header(h) for h in headers]
    candidates = []
    for col, h in enumerate(normed):
        for spec in kind.fields:
            s = field_score(h, spec)
            if s > 0:
                candidates.append((-s, col, spec.name, spec.multi))
    candidates.sort()
    match = HeaderMatch(index=-1, span=1, headers=list(headers))
    used: set[int] = set()
    for neg, col, name, multi in candidates:
        if col in used or (name in match.mapping and not multi):
            continue
        match.mapping.setdefault(name, []).append(col)
        match.confidence[name] = max(match.confidence.get(name, 0.0), -neg)
        used.add(col)
    match.cms_codes = _cms_code_pairs(normed)
    if match.cms_codes:
        # code|1, code|1|type ... carry the codes; no plain column should claim them.
        for name in ("cpt", "hcpcs", "charge_code", "revenue_code"):
            match.mapping.pop(name, None)
            match.confidence.pop(name, None)
    return match


def _cms_code_pairs(normed: list[str]) -> list[tuple[int, int]]:
    """Find the `code|N` / `code|N|type` column pairs of a CMS standard-charges file."""
    pairs = []
    for col, h in enumerate(normed):
        m = _CMS_CODE.match(h)
        if m:
            type_name = f"CODE {m.group(1)} TYPE"
            if type_name in normed:
                pairs.append((col, normed.index(type_name)))
    return pairs


def _qualifies(match: HeaderMatch, kind: TableKind) -> bool:
    """A header names at least one anchor field and two fields in all."""
    has_anchor = any(a in match.mapping for a in kind.anchors) or bool(match.cms_codes)
    return has_anchor and (len(match.mapping) + len(match.cms_codes)) >= 2


def detect_header(rows: list[list[str | None]], kind: TableKind) -> HeaderMatch | None:
    """Scan the first rows for the best header; try joining two rows for headers split over lines."""
    best: HeaderMatch | None = None
    limit = min(len(rows), SCAN_ROWS)
    for i in range(limit):
        cells = [("" if c is None else str(c).strip()) for c in rows[i]]
        if sum(1 for c in cells if c) < 2:
            continue
        tries = [(map_columns(cells, kind), 1)]
        if i + 1 < len(rows):
            nxt = [("" if c is None else str(c).strip()) for c in rows[i + 1]]
            joined = [f"{a} {b}".strip() for a, b in zip(cells, nxt + [""] * (len(cells) - len(nxt)))]
            tries.append((map_columns(joined, kind), 2))
        for m, span in tries:
            if not _qualifies(m, kind):
                continue
            m.index, m.span = i + span - 1, span
            # A joined header must beat both halves clearly, or the second row is data.
            if best is None or m.score > best.score + (0.5 if span == 2 else 0.0):
                best = m
    return best


def apply_overrides(match: HeaderMatch, overrides: dict[str, str], kind: TableKind) -> list[str]:
    """Force fields onto named columns; return the override names that match no header."""
    normed = [norm_header(h) for h in match.headers]
    missing = []
    for name, wanted in overrides.items():
        target = norm_header(wanted)
        if target not in normed:
            missing.append(wanted)
            continue
        col = normed.index(target)
        for other in list(match.mapping):
            if col in match.mapping[other]:
                match.mapping[other].remove(col)
                if not match.mapping[other]:
                    del match.mapping[other]
                    match.confidence.pop(other, None)
        match.mapping[name] = [col]
        match.confidence[name] = EXACT
    return missing
