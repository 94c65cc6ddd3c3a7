"""Find a sheet's header row (or none) and map its columns to roles from header text and content together."""

from __future__ import annotations

import functools
import re
from dataclasses import field

import polars as pl

from auditor.ingest.assign import best_assignment
from auditor.ingest.content import ColumnProfile, cell_flags, filled_count, profile, profiles, sample_rows
from auditor.ingest.evidence import Content, content_evidence
from auditor.ingest.fields import TableKind, norm_header
from auditor.ingest.shapes import RULE_LINE
from auditor.lean_dataclass import dataclass

SCAN_ROWS = 30  # where a header may be
_NUMBERED = re.compile(r"(?:\s+[0-9]+)+$")  # 'DESCRIPTION 2' -> 'DESCRIPTION'
LATE_ROWS = 2000  # where a header may be below a preamble of one-cell lines that fills the first SCAN_ROWS
PROBE_ROWS = 250  # data rows read to judge a header candidate
SAMPLE_HEAD, SAMPLE_TAIL = 700, 200  # rows profiled for the final mapping: the start and the end of a sheet
EXACT = 1.0
HINT = 0.7
PREFER_BONUS = 0.05
DEMOTE = 0.25  # another price type: still a price, but second to the gross charge
THRESHOLD = 0.35  # weakest evidence that still maps a role
MAX_MULTI = 12  # columns one multi-column role (modifiers, diagnoses) may take
_CMS_CODE = re.compile(r"^CODE ([0-9]+)$")
_CMS_GROSS = "STANDARD CHARGE GROSS"  # standard_charge|gross, normalised
# Header words naming columns no role takes (payer terms, statistics, the facility): their content,
# however code- or money-like, speaks for no role unless the header itself names one.
OTHER_WORDS = frozenset(
    {
        "METHODOLOGY",
        "PAYER",
        "PLAN",
        "ALGORITHM",
        "RANK",
        "CASES",
        "VISITS",
        "FACILITY",
        "HOSPITAL",
        "SITE",
        "MNEMONIC",
        "PERCENTILE",
        "MEDIAN",
        "COUNT",
        "AWP",
        "COST",
        "NEGOTIATED",
        "DISCOUNTED",
        "DISCOUNT",
        "DISCHARGES",
        "ENCOUNTERS",
        "VOLUME",
        "WEIGHT",
        "LOS",
        # OPPS status indicators and APC numbers: Medicare's payment facts, read from Addendum B instead.
        "INDICATOR",
        "SI",
        "APC",
    }
)
SIBLINGS = {
    "cpt": "hcpcs",
    "hcpcs": "cpt",
    "effective_from": "effective_to",
    "effective_to": "effective_from",
}
_VALUE = re.compile(r"^[\$\(\-]?\s*[0-9][0-9,\.\-/ ]*\)?$|^(?:[0-9]{4}[0-9FTUMA]|[A-V][0-9]{4})\b")
VALUE = _VALUE  # a cell that is a value (amount, number, code), never a header label
_RULE = re.compile(RULE_LINE)
_YEAR = re.compile(r"\b(19[89][0-9]|20[0-4][0-9])\b")


@dataclass
class RoleEvidence:
    """Why a role went to its column: the scores, the content facts, and the next-best column."""

    score: float
    header: float
    content: str
    runner_up: tuple[int, float] | None = None


@dataclass
class HeaderMatch:
    """Where the header is and which column feeds which role."""

    index: int  # frame row of the header's last line; -1 when the sheet has no header row
    span: int  # 1, or 2 when the header is split over two rows (0 without a header)
    headers: list[str]  # header text per column, as written (two-line headers joined with a space)
    mapping: dict[str, list[int]] = field(default_factory=dict)
    confidence: dict[str, float] = field(default_factory=dict)
    cms_codes: list[tuple[int, int]] = field(default_factory=list)  # (code col, type col) pairs of a CMS file
    evidence: dict[str, RoleEvidence] = field(default_factory=dict)
    profiles: dict[int, ColumnProfile] = field(default_factory=dict, repr=False)
    fit: float = 0.0  # total evidence, used to compare header candidates
    # The cell flags of the sheet's sample rows (content.cell_flags: one row per cell).
    flags: pl.DataFrame | None = field(default=None, repr=False)

    @property
    def headerless(self) -> bool:
        """True when every row of the sheet is data."""
        return self.index < 0

    @property
    def score(self) -> float:
        """Sum of role confidences; CMS code pairs count as a strong anchor."""
        return sum(self.confidence.values()) + (1.5 if self.cms_codes else 0.0)

    def header_of(self, name: str, first_col: int = 0) -> str:
        """Header text (or texts joined by ' + ') feeding role `name`; 'column C' where there is no header."""
        return " + ".join(
            self.headers[i] or f"column {column_letter(first_col + i)}" for i in self.mapping.get(name, [])
        )


def column_letter(index: int) -> str:
    """0 -> 'A', 27 -> 'AB' (the frame column, before any offset of the sheet)."""
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


@functools.lru_cache(maxsize=65536)
def field_score(header: str, spec) -> float:
    """How well one normalised header names a field: 1.0 exact alias, ~0.7 by a whole-word hint, else 0."""
    if not header:
        return 0.0
    if header in spec.aliases:
        return EXACT
    tokens = set(header.split())
    if tokens & spec.exclude_words:
        return 0.0
    padded = f" {header} "
    if any(hint in padded for hint in spec.padded_hints):
        bonus = PREFER_BONUS if tokens & spec.prefer_words else 0.0
        # "Inpatient price" is a weaker price than "Outpatient price" for an outpatient audit.
        malus = PREFER_BONUS if "INPATIENT" in tokens or "IP" in tokens else 0.0
        if tokens & spec.demote_words:
            malus += DEMOTE
        return HINT + bonus - malus
    return 0.0


# Header shorthand, spelled out for matching ('Chg #' is a charge number, 'Svc Cd' a service code, 'Std Chg' a
# standard charge): a header is read as well as the words it abbreviates, so the field lists hold each header once.
# Not PROC: a bare 'Proc' is a procedure's code as often as its name, and 'Procedure' alone heads descriptions.
_SHORTHAND = {
    "CHG": "CHARGE",
    "CHRG": "CHARGE",
    "CHGE": "CHARGE",
    "CHGS": "CHARGES",
    "CHRGS": "CHARGES",
    "NBR": "NUMBER",
    "NUM": "NUMBER",
    "NO": "NUMBER",
    "CD": "CODE",
    "DESC": "DESCRIPTION",
    "DESCR": "DESCRIPTION",
    "DSC": "DESCRIPTION",
    "SVC": "SERVICE",
    "SRVC": "SERVICE",
    "AMT": "AMOUNT",
    "PRC": "PRICE",
    "REV": "REVENUE",
    "STD": "STANDARD",
    "DEPT": "DEPARTMENT",
    "QTY": "QUANTITY",
    "MOD": "MODIFIER",
    "DT": "DATE",
    "CLM": "CLAIM",
    "DIAG": "DIAGNOSIS",
    "LN": "LINE",
    "DEV": "DEVICE",
    "ACCT": "ACCOUNT",
    "ENC": "ENCOUNTER",
    "TOT": "TOTAL",
}


def spelled_out(header: str) -> str:
    """A normalised header with its shorthand words spelled out ('CHG NBR' -> 'CHARGE NUMBER')."""
    return " ".join(_SHORTHAND.get(w, w) for w in header.split())


@functools.lru_cache(maxsize=65536)
def _roles_named(header: str, kind: TableKind) -> tuple[tuple[str, float], ...]:
    """The roles one normalised header names, with their scores (asked once per distinct header text: a wide
    export's header search reads the same cells again for every candidate row); the header as written or
    spelled out, whichever names a role better."""
    spelled = spelled_out(header)
    forms = [f for f in dict.fromkeys((header, spelled)) if f and not kind.vocabulary.isdisjoint(f.split())]
    if not forms:
        return ()  # a value, or words no alias or hint holds (aliases and hints match whole words)
    words = set(spelled.split())
    scores = {}
    for form in forms:
        for spec in kind.fields:
            if words & spec.exclude_words:
                continue  # the words spelled out rule the field out ('Implant Chg Cd' is a charge code, no HCPCS)
            if (s := field_score(form, spec)) > scores.get(spec.name, 0.0):
                scores[spec.name] = s
    return tuple((spec.name, scores[spec.name]) for spec in kind.fields if spec.name in scores)


def _header_scores(normed: list[str], kind: TableKind) -> dict[tuple[int, str], float]:
    """Header evidence per (column, role); among dated price headers the latest year is preferred."""
    out = {}
    for col, h in enumerate(normed):
        for role, s in _roles_named(h, kind):
            out[(col, role)] = s
    years = {
        col: max(int(y) for y in _YEAR.findall(normed[col]))
        for (col, role) in out
        if role == "price" and _YEAR.search(normed[col])
    }
    if len(set(years.values())) > 1:
        latest = max(years.values())
        for col, year in years.items():
            out[(col, "price")] += PREFER_BONUS if year == latest else -PREFER_BONUS
    return out


def _combine(header: float, content: Content, by_content: bool) -> float:
    """Header and content evidence in one score; content that rules a role out closes the header's say."""
    if not by_content:
        return 0.5 * header
    gate = max(0.0, min(1.0, (content.plausible - 0.2) / 0.4))
    return 0.6 * content.support + 0.5 * header * gate


def map_columns(
    headers: list[str], kind: TableKind, profiles: dict[int, ColumnProfile] | None = None
) -> HeaderMatch:
    """Assign roles to columns for the best total evidence (header text and, when given, column content)."""
    normed = [norm_header(h) for h in headers]
    match = HeaderMatch(index=-1, span=1, headers=list(headers), profiles=profiles or {})
    match.cms_codes = _cms_code_pairs(normed)
    by_content = profiles is not None and bool(kind.extra.get("by_content"))
    skip_roles = (
        {"cpt", "hcpcs", "charge_code", "revenue_code", "code_type", "ndc"} if match.cms_codes else set()
    )
    skip_cols = {c for pair in match.cms_codes for c in pair}
    # CMS's template names the gross charge: in a standard-charges file it is the price, however a payer's
    # negotiated amounts beside it look (whole-dollar gross charges read as weaker money than cents do).
    gross = {c for c, h in enumerate(normed) if h == _CMS_GROSS} if match.cms_codes else set()
    head = _header_scores(normed, kind)
    named_best: dict[tuple[int, str], float] = {}  # per column and role: the best header score of OTHER roles
    for (col, role), h in head.items():
        for spec in kind.fields:
            if spec.name != role and SIBLINGS.get(spec.name) != role:
                named_best[(col, spec.name)] = max(named_best.get((col, spec.name), 0.0), h)
    slots: list[str] = []
    for spec in kind.fields:
        if spec.name not in skip_roles:
            named = sum(1 for (_, role) in head if role == spec.name)
            slots += [spec.name] * (min(max(named, 1), MAX_MULTI) if spec.multi else 1)
    # Columns right of the header's last label are outside the table (spilled fields, stray notes).
    width = (
        max((i + 1 for i, h in enumerate(headers) if h), default=len(headers))
        if any(headers)
        else len(headers)
    )
    vetoed = {spec.name: set(spec.extra_veto) for spec in kind.fields if getattr(spec, "extra_veto", ())}
    table: dict[tuple[int, str], tuple[float, float, Content]] = {}
    named_cols = {col for col, _ in head}
    for col in range(width):
        if col in skip_cols:
            continue
        prof = (profiles or {}).get(col)
        if col not in named_cols and (prof is None or prof.n == 0):
            continue  # no header word and no value: no evidence for any role (a blank payer column)
        words = set(normed[col].split())
        other = bool(words & OTHER_WORDS)
        for spec in kind.fields:
            if spec.name in skip_roles or (gross and spec.name == "price" and col not in gross):
                continue
            h = head.get((col, spec.name), 0.0)
            if h == 0 and other:
                # The header names something no role takes: its content would count a quarter (as a vetoed
                # header's below), at most 0.6 * 0.25 = 0.15, under THRESHOLD and the runner-up cut.
                continue
            content = content_evidence(spec.name, prof) if by_content else Content(0.0, 1.0, "")
            if vetoed.get(spec.name) and words & vetoed[spec.name]:
                # The header names something else of the same shape (a cost, a difference, a discount).
                content = Content(content.support * 0.25, content.plausible, content.why)
            elif h == 0 and named_best.get((col, spec.name), 0.0) >= HINT:
                # The header names another role: only very clear content may overrule it.
                content = Content(content.support * 0.6, content.plausible, content.why)
            table[(col, spec.name)] = (_combine(h, content, by_content), h, content)
    # Each role's scored columns, left to right: the weights below and the runner-up read these, not every
    # column of a wide sheet.
    by_role: dict[str, list[tuple[int, float, float]]] = {}
    for (col, role), (s, h, _) in table.items():
        by_role.setdefault(role, []).append((col, s, h))
    weights: list[dict[int, float]] = []
    seen: dict[str, int] = {}
    for role in slots:
        extra = seen.get(role, 0)
        seen[role] = extra + 1
        # Further columns of a multi-column role need their header to say so.
        weights.append(
            {col: s for col, s, h in by_role.get(role, ()) if s >= THRESHOLD and (extra == 0 or h > 0)}
        )
    # Only the columns some slot can take are solved for; the others are the same as leaving a slot empty.
    usable = sorted({col for row in weights for col in row})
    picked = best_assignment([[row.get(col, 0.0) for col in usable] for row in weights])
    chosen = [usable[j] if j >= 0 else -1 for j in picked]
    for role, col in zip(slots, chosen, strict=False):
        if col < 0:
            continue
        s, h, content = table[(col, role)]
        match.mapping.setdefault(role, []).append(col)
        match.confidence[role] = max(match.confidence.get(role, 0.0), min(s / 0.8, 1.0) if by_content else h)
        if role not in match.evidence:
            match.evidence[role] = RoleEvidence(round(s, 3), h, content.why)
    for role, cols in match.mapping.items():
        cols.sort()
        others = sorted(
            ((s, c) for c, s, _ in by_role.get(role, ()) if c not in cols and s >= THRESHOLD * 0.6),
            reverse=True,
        )
        if others:
            match.evidence[role].runner_up = (others[0][1], round(others[0][0], 3))
    match.fit = sum(w[c] for w, c in zip(weights, chosen, strict=False) if c >= 0)
    _join_split_description(match, normed, by_role)
    return match


def _join_split_description(
    match: HeaderMatch, normed: list[str], by_role: dict[str, list[tuple[int, float, float]]]
) -> None:
    """A description split over columns headed alike ('Description 1', 'Description 2', or 'Description' twice) is
    read whole, its columns joined in sheet order: a check reading only one part misses the words of the other
    ('KNEE SCOPE' | 'MENISCECTOMY MEDIAL'). Only columns no other role took, with description evidence."""
    chosen = match.mapping.get("description")
    if not chosen or len(chosen) != 1:
        return
    stem = _NUMBERED.sub("", normed[chosen[0]])
    taken = {c for cols in match.mapping.values() for c in cols}
    parts = [
        c
        for c, score, header in by_role.get("description", ())
        if c not in taken and header > 0 and score >= THRESHOLD and _NUMBERED.sub("", normed[c]) == stem
    ]
    if parts:
        match.mapping["description"] = sorted([*chosen, *parts])


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


def qualifies(match: HeaderMatch, kind: TableKind) -> bool:
    """A table names an anchor role (a code, or a description beside a price) and two roles in all."""
    anchors = set(kind.anchors) | set(kind.extra.get("content_anchors", ()))
    has_anchor = any(a in match.mapping for a in anchors) or bool(match.cms_codes)
    return has_anchor and (len(match.mapping) + len(match.cms_codes)) >= 2


def _cells(row) -> list[str]:
    return ["" if c is None else str(c).strip() for c in row]


def _atypical(cells: list[str], profiles: dict[int, ColumnProfile]) -> float:
    """Share of a row's filled cells that do not look like the column below them (header labels do not)."""
    filled = [(i, c) for i, c in enumerate(cells) if c]
    if not filled:
        return 0.0
    odd = 0
    for i, c in filled:
        p = profiles.get(i)
        if p is None or p.n <= 3 or p.fill < 0.05:
            odd += (
                1  # a label over an (almost) empty column: the few values there may be the labels themselves
            )
            continue
        lettered = sum(ch.isalpha() for ch in c) >= 2
        if lettered and p.share("lettered") < 0.5:
            odd += 1
        elif p.ratio <= 0.05 and p.top is not None and c.upper() != p.top:
            odd += 1  # a label over a constant column (hospital name)
        elif not lettered and p.share("lettered") > 0.9:
            odd += 1
    return odd / len(filled)


def locate(
    frame: pl.DataFrame, kind: TableKind, header_row: int | None = None, no_header: bool = False
) -> HeaderMatch | None:
    """The best header (or headerless reading) of a sheet's frame, or None when it holds no table."""
    by_content = bool(kind.extra.get("by_content"))
    if header_row is not None or no_header:
        return _forced(frame, kind, header_row, by_content)
    rows = [_cells(r) for r in frame.head(SCAN_ROWS + 1).rows()]
    late = _late_start(frame, rows)
    if late:
        # Only a header found below the preamble moves the search: read headerless, the lines above would be data.
        found = locate(frame.slice(late), kind)
        if found is not None and not found.headerless:
            return _shifted(found, late)
    # One pass of cell flags serves the header search (the first rows) and the final mapping (head and tail).
    sample = sample_rows(frame, 0, head=SAMPLE_HEAD, tail=SAMPLE_TAIL) if by_content else None
    sampled = cell_flags(sample) if sample is not None else None
    flags = sampled.filter(pl.col("_row") < SCAN_ROWS + PROBE_ROWS) if sampled is not None else None
    cols = list(frame.columns)
    overall = profile(flags, cols) if flags is not None else {}
    overall_by_index = {i: overall[c] for i, c in enumerate(cols)} if overall else {}
    best: HeaderMatch | None = None
    best_total = 0.0
    candidates = _candidates(rows, kind, overall_by_index if by_content else None)
    # Every candidate's probe rows profiled in one query, not one each.
    windows = [(last + 1, last + 1 + PROBE_ROWS, texts) for texts, _span, last in candidates]
    probed = profiles(flags, cols, windows) if flags is not None else [None] * len(candidates)
    for (texts, span, last), got in zip(candidates, probed, strict=True):
        profs = {i: got[c] for i, c in enumerate(cols)} if got is not None else None
        m = map_columns(texts, kind, profs)
        if not qualifies(m, kind):
            continue
        m.index, m.span, m.flags = last, span, sampled
        total = (
            m.fit
            + (0.4 * _atypical(texts, profs or {}) if by_content else 0.0)
            + 1.5 * bool(m.cms_codes)
            - 0.02 * last
        )  # of two equal headers (a report's page headers) the first is the table's
        # A joined header must beat the single row clearly, or the second row is data.
        if best is None or total > best_total + (0.3 if span == 2 else 0.0):
            best, best_total = m, total
    if by_content:
        bare = _headerless(frame, kind, flags, cols, overall_by_index)
        if bare is not None and (best is None or bare.fit > best_total + 0.05):
            return bare
    return best


def _late_start(frame: pl.DataFrame, rows: list[list[str]]) -> int:
    """Where to search for a header below a long preamble (a disclaimer or notes, a cell or two a line) that fills
    the rows the search reads: a few rows above the first run of lines of three cells or more; 0 when a line of the
    first rows has three cells (a header may be among them), or no such run follows."""
    if frame.height <= SCAN_ROWS or any(sum(1 for c in r if c) >= 3 for r in rows):
        return 0
    head = frame.head(LATE_ROWS)
    counts = head.select(filled_count(head)).to_series().to_list()
    start = next((i for i in range(len(counts) - 2) if min(counts[i : i + 3]) >= 3), None)
    return max(0, start - 3) if start is not None else 0


def _shifted(match: HeaderMatch, rows: int) -> HeaderMatch:
    """A match found on the frame less its first `rows` rows, as a match on the whole frame."""
    if match.index >= 0:
        match.index += rows
    if match.flags is not None:
        match.flags = match.flags.with_columns(pl.col("_row") + rows)
    return match


def _candidates(
    rows: list[list[str]], kind: TableKind, overall: dict[int, ColumnProfile] | None, limit: int = 6
) -> list[tuple[list[str], int, int]]:
    """Rows (and pairs of rows) that may be the header, best first: header words, or labels over data."""
    scored = []
    seen: set[tuple[str, ...]] = set()
    for i in range(min(len(rows), SCAN_ROWS)):
        cells = rows[i]
        if sum(1 for c in cells if c) < 2 or tuple(cells) in seen:
            continue  # a repeat of an earlier line is a report's page header: the first one is the table's
        seen.add(tuple(cells))
        tries = [(cells, 1)]
        below = rows[i + 1] if i + 1 < len(rows) else []
        # A CMS standard-charges header (code|1, code|1|type ...) is one line by the template: the line of
        # values above it (hospital name, date, version) is never its first half.
        cms_below = any(below) and bool(_cms_code_pairs([norm_header(t) for t in below]))
        if any(below) and not cms_below and _label_line(below, kind, overall):
            tries.append(([f"{a} {b}".strip() for a, b in zip(cells, below, strict=False)], 2))
        for texts, span in tries:
            hits = _header_scores([norm_header(t) for t in texts], kind)
            named = len({col for col, _ in hits})
            odd = _atypical(texts, overall) if overall is not None else 1.0
            if named < 2 and odd < 0.5:
                continue  # a data row: hardly a header word, and it looks like the rows around it
            # Rows after the first strong one are rarely the header; order keeps the scan stable.
            scored.append(
                (named + 2 * odd + (0.5 if span == 1 else 0.0) - 0.02 * i, -i, texts, span, i + span - 1)
            )
    scored.sort(key=lambda t: (t[0], t[1]), reverse=True)
    return [(texts, span, last) for _, _, texts, span, last in scored[:limit]]


def _label_line(cells: list[str], kind: TableKind, overall: dict[int, ColumnProfile] | None) -> bool:
    """Whether a row reads as header labels (the second line of a split header), not as a data row."""
    if all(_RULE.match(c) for c in cells if c):
        return False  # the dashes under a printed report's header
    if overall is not None and _atypical(cells, overall) >= 0.5:
        return True
    # Header words tell only on a line with no value in it: a CMS file's data rows say 'RC' and 'HCPCS'
    # in their type columns beside codes and amounts.
    valued = any(_VALUE.match(c.upper()) for c in cells if c)
    return not valued and bool(_header_scores([norm_header(t) for t in cells], kind))


def names_roles(cells: list[str], kind: TableKind) -> bool:
    """Whether a row reads as a header of its own: two or more columns named by header words, no value in it."""
    cells = _cells(cells)
    if sum(1 for c in cells if c) < 2 or any(_VALUE.match(c.upper()) for c in cells if c):
        return False
    return len({col for col, _ in _header_scores([norm_header(t) for t in cells], kind)}) >= 2


def _headerless(frame: pl.DataFrame, kind: TableKind, flags, cols, overall) -> HeaderMatch | None:
    """Every row as data, roles from content alone; only when the content is clear."""
    first = next((i for i, r in enumerate(frame.head(SCAN_ROWS).rows()) if any(_cells(r))), None)
    if first is None or frame.height - first < 5:
        return None
    row0 = _cells(frame.row(first))
    odd = _atypical(row0, overall)
    if odd >= 0.3:
        return None  # the first line stands out from the rows below it: it is a header, however unfamiliar
    m = map_columns([""] * len(cols), kind, overall)
    clear = [r for r, e in m.evidence.items() if e.score >= 0.4]
    if not qualifies(m, kind) or len(clear) < 2:
        return None
    m.index, m.span = -1, 0
    m.fit = m.fit + 0.4 * (1.0 - odd)
    return m


def _forced(frame: pl.DataFrame, kind: TableKind, header_row: int | None, by_content: bool) -> HeaderMatch:
    """The user named the header row (frame index) or said there is none."""
    cols = list(frame.columns)
    start = 0 if header_row is None else header_row + 1
    profs = None
    if by_content:
        got = profile(cell_flags(sample_rows(frame, start)), cols)
        profs = {i: got[c] for i, c in enumerate(cols)}
    if header_row is None:
        m = map_columns([""] * len(cols), kind, profs)
        m.index, m.span = -1, 0
        return m
    m = map_columns(_cells(frame.row(header_row)), kind, profs)
    m.index, m.span = header_row, 1
    return m


def refine(frame: pl.DataFrame, match: HeaderMatch, kind: TableKind) -> HeaderMatch:
    """Re-map the chosen header's roles on a larger sample of its data (head and tail of the sheet)."""
    if not kind.extra.get("by_content"):
        return match
    cols = list(frame.columns)
    if match.flags is not None:
        got = profile(match.flags, cols, match.index + 1, header=match.headers)
    else:
        got = profile(cell_flags(sample_rows(frame, match.index + 1)), cols, header=match.headers)
    again = map_columns(match.headers, kind, {i: got[c] for i, c in enumerate(cols)})
    again.index, again.span, again.fit = match.index, match.span, match.fit
    return again if qualifies(again, kind) else match


def apply_overrides(
    match: HeaderMatch, overrides: dict[str, str], kind: TableKind, first_col: int = 0
) -> list[str]:
    """Force roles onto columns named by header text, letter (C) or 1-based number; return those not found."""
    normed = [norm_header(h) for h in match.headers]
    missing = []
    for name, wanted in overrides.items():
        col = _column_named(wanted, normed, first_col)
        if col is None:
            missing.append(wanted)
            continue
        for other in list(match.mapping):
            if col in match.mapping[other]:
                match.mapping[other].remove(col)
                if not match.mapping[other]:
                    del match.mapping[other]
                    match.confidence.pop(other, None)
                    match.evidence.pop(other, None)
        match.mapping[name] = [col]
        match.confidence[name] = EXACT
        match.evidence[name] = RoleEvidence(1.0, 1.0, "named by the user")
    return missing


def _holds(normed: list[str], wanted) -> bool:
    """Whether normalised header cells hold every column the user named (by text, or by letter or number), at
    least one of them by its text."""
    named = [t for t in (norm_header(w) for w in wanted) if t]
    return any(t in normed for t in named) and all(_column_named(w, normed, 0) is not None for w in wanted)


def holds_named(match: HeaderMatch | None, wanted) -> bool:
    """Whether a found header holds the columns the user named (--column field=HEADER); True when none was named
    by its text."""
    if not any(norm_header(w) for w in wanted):
        return True
    return (
        match is not None and not match.headerless and _holds([norm_header(h) for h in match.headers], wanted)
    )


def named_header_row(frame: pl.DataFrame, wanted) -> int | None:
    """The first of the rows a header may be on whose cells hold every column the user named, at least one by its
    header text; None when no row does."""
    for i, row in enumerate(frame.head(SCAN_ROWS).rows()):
        if _holds([norm_header(c) for c in row], wanted):
            return i
    return None


def _column_named(wanted: str, normed: list[str], first_col: int) -> int | None:
    """Frame column for a header text, else for a spreadsheet letter or 1-based number."""
    target = norm_header(wanted)
    if target and target in normed:
        return normed.index(target)
    text = wanted.strip().upper()
    if re.fullmatch(r"[A-Z]{1,3}", text):
        idx = 0
        for ch in text:
            idx = idx * 26 + ord(ch) - 64
        idx = idx - 1 - first_col
    elif text.isdigit() and int(text) >= 1:
        idx = int(text) - 1 - first_col
    else:
        return None
    return idx if 0 <= idx < len(normed) else None
