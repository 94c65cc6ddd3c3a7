"""Problems: an audit's findings folded into the things an analyst fixes, ranked in fix-first order.

A problem is one edit's findings on one subject:

- `code`: one CPT/HCPCS code (code validity, status indicators, code format, one code at several prices, an
  allowed-values rule on the code): a deleted code on 40 lines is one problem with 40 lines;
- `charge_code`: one charge code across sheets and files, for facts about a line (description vs code,
  companion and add-on checks, duplicate charge codes, revenue codes, modifiers, units, price outliers); a
  line without a charge code is grouped by its description, or stands alone when it has none either;
- `file`: one input file, for edits that say `group: file` in their YAML.

An edit's own `group:` wins over the rule by check kind. Findings of the chargemaster and of the pairing
table never share a problem. Problems are ranked by severity (of their unwaived findings; fully waived
problems come last), then by money at stake: per line, what the check reckoned when it says (a price spread, a
shortfall under the OPPS rate), else the code's OPPS payment rate in the audit quarter when Addendum B gives one,
else the line's charge; summed over the problem's lines. An info problem (a note or a tip) puts no money at stake.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import field

from auditor.engine.catalog import Edit
from auditor.engine.findings import SEVERITY_RANK, Finding
from auditor.lean_dataclass import dataclass

GROUPS = ("code", "charge_code", "file")
# Check kinds whose findings state a fact about the code itself, whatever line carries it.
CODE_KINDS = frozenset({"code-valid-in-quarter", "code-format", "status-indicator", "duplicate-price"})
# Check kinds that raise one finding per group of alike lines (on its first line, the others its related rows):
# every line of the group is a line of the problem, and a charge code on 2 lines is a 2-line problem.
GROUP_KINDS = frozenset({"duplicate-price", "duplicate-charge-code"})
TOP = 25  # the "Fix first" list of every report

Line = tuple[str, str | None, int | None]  # (file, sheet, row)


def edit_group(edit: Edit) -> str:
    """How an edit's findings fold into problems: its YAML `group`, else the rule by check kind."""
    if edit.group:
        return edit.group
    if edit.check in CODE_KINDS:
        return "code"
    if edit.check == "allowed-values" and edit.params.get("field") == "code":
        return "code"
    return "charge_code"


def counts_related(edit: Edit) -> bool:
    """Whether the edit's findings stand for groups of alike lines whose related rows are lines of the problem."""
    return edit.check in GROUP_KINDS


def related_lines(file: str, related_rows: Iterable[Mapping]) -> list[Line]:
    """A finding's related rows as (file, sheet, row) lines (a row without a file is in the finding's file)."""
    return [(r.get("file") or file, r.get("sheet"), r.get("row")) for r in related_rows]


# What a problem's message calls its subject when it adds "and N more like it on this ...".
_SUBJECT_WORD = {"code": "code", "charge_code": "charge code", "description": "item", "file": "file"}


@dataclass(frozen=True)
class Amounts:
    """What a line is worth when ranking: OPPS payment rates by code (one quarter) and each line's charge."""

    quarter: str | None = None  # the quarter the rates are for; None or no rates: charges only
    rates: Mapping[str, float] = field(default_factory=dict)
    charges: Mapping[Line, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Problem:
    """One edit's findings on one code, charge code or file: severity, lines, money at stake and its findings.

    `findings` are indices into the audit's findings list (ordered by problem rank, so a problem's findings
    sit together); `amount` is the money at stake (None: no line has a rate or a charge, or an info problem) and `basis` says
    how it was reckoned, e.g. "OPPS rate $1,234.56 (2026Q2) × 40 lines".
    """

    rank: int
    id: str
    edit: str
    name: str
    family: str
    category: str
    severity: str  # the highest of its unwaived findings (of all of them when every one is waived)
    waived: bool  # every finding waived
    group: str  # code | charge_code | file
    subject: str  # the code, charge code (or description, or file!sheet!row) or file it is about
    scope: str
    message: str
    lines: int
    related_lines: bool  # its findings' related rows are lines of the problem (counted in `lines`)
    files: tuple[str, ...]
    sheets: tuple[str, ...]
    amount: float | None
    rate: float | None  # the one OPPS rate its rated lines share, if they share one
    rate_quarter: str | None
    charge: float | None  # the line charge (the average when lines differ) of its lines without a rate
    basis: str
    findings: tuple[int, ...]

    def to_dict(self) -> dict:
        """findings.json's shape of one problem (the `problems` list)."""
        return {
            "rank": self.rank,
            "id": self.id,
            "edit": self.edit,
            "name": self.name,
            "family": self.family,
            "category": self.category,
            "severity": self.severity,
            "waived": self.waived,
            "group": self.group,
            "subject": self.subject,
            "scope": self.scope,
            "message": self.message,
            "lines": self.lines,
            "related_lines": self.related_lines,
            "files": list(self.files),
            "sheets": list(self.sheets),
            "amount": self.amount,
            "rate": self.rate,
            "rate_quarter": self.rate_quarter,
            "charge": self.charge,
            "basis": self.basis,
            "findings": list(self.findings),
        }


INFO_BASIS = "information only: no money at stake"


def rank_findings(
    findings: Sequence[Finding],
    groups: Mapping[str, str],
    amounts: Amounts,
    with_related: frozenset[str] = frozenset(),
) -> tuple[list[Finding], tuple[Problem, ...]]:
    """Group findings into problems and rank them; the findings reordered by problem rank, and the problems.

    `groups` maps edit code -> group (see edit_group); an edit it does not name groups by charge code.
    `with_related` names the edits whose related rows are lines of the problem too (see counts_related).
    Within a problem findings keep file, sheet, row order.
    """
    members: dict[tuple, list[Finding]] = {}
    for f in sorted(findings, key=Finding.sort_key):
        members.setdefault(_key(f, groups.get(f.edit, "charge_code")), []).append(f)
    drafts = sorted(
        (_draft(k, fs, amounts, k[1] in with_related) for k, fs in members.items()), key=lambda d: d["order"]
    )
    ordered: list[Finding] = []
    problems = []
    for rank, d in enumerate(drafts, start=1):
        start = len(ordered)
        ordered.extend(d["members"])
        problems.append(
            Problem(rank=rank, findings=tuple(range(start, len(ordered))), **d["fields"])  # type: ignore[arg-type]
        )
    return ordered, tuple(problems)


def _key(f: Finding, group: str) -> tuple[str, str, str, str]:
    """(scope, edit, group, subject): what makes two findings one problem."""
    scope = f.scope or "chargemaster"
    if group == "code":
        return scope, f.edit, group, (f.code or "").strip().upper()
    if group == "file":
        return scope, f.edit, group, f.file
    charge = (f.charge_code or "").strip().upper()
    if charge:
        return scope, f.edit, group, charge
    # No charge code: the description names the item across sheets; with neither, the line stands alone.
    text = " ".join((f.description or "").upper().split())
    return scope, f.edit, "description" if text else "line", text or f"{f.file}!{f.sheet or ''}!{f.row}"


# json.dumps(..., ensure_ascii=False) builds an encoder per call: one kept here writes the same text faster.
_ID_TEXT = json.JSONEncoder(ensure_ascii=False)


def _draft(key: tuple[str, str, str, str], found: list[Finding], amounts: Amounts, related: bool) -> dict:
    """A problem's fields (all but rank and finding indices), its members and its sort order."""
    scope, edit, group, subject = key
    live = [f for f in found if not f.waived]
    severity = max((f.severity for f in live or found), key=SEVERITY_RANK.__getitem__)
    # The flagged lines carry the money; a group's other lines (related rows) count as lines of the problem.
    lines = list(dict.fromkeys((f.file, f.sheet, f.row) for f in found))
    every = set(lines)
    if related:
        every |= {line for f in found for line in related_lines(f.file, f.related_rows)}
    codes = {(f.file, f.sheet, f.row): f.code for f in found}
    if severity == "info":
        # An info problem says something is expected or a tip ("fine for other payers"): the lines' charges
        # beside it would read as money at risk that the finding itself says is not.
        amount, rate, charge, basis, rated = None, None, None, INFO_BASIS, False
    else:
        stakes = {(f.file, f.sheet, f.row): _stake(f) for f in found}
        amount, rate, charge, basis, rated = _money(
            [(line, codes[line], stakes[line]) for line in lines], amounts, "group" if related else "line"
        )
    first = found[0]
    id_text = _ID_TEXT.encode([scope, edit, group, subject])
    problem_id = hashlib.sha256(id_text.encode("utf-8")).hexdigest()[:12]
    fields = {
        "id": problem_id,
        "edit": edit,
        "name": first.name,
        "family": first.family,
        "category": first.category,
        "severity": severity,
        "waived": not live,
        # A charge-code problem without a charge code is still grouped per line: report it as such.
        "group": group if group in GROUPS else "charge_code",
        "subject": subject,
        "scope": scope,
        "message": _message(found, group),
        "lines": len(every),
        "related_lines": related,
        "files": tuple(dict.fromkeys(f.file for f in found)),
        "sheets": tuple(dict.fromkeys(f.sheet for f in found if f.sheet)),
        "amount": amount,
        "rate": rate,
        "rate_quarter": amounts.quarter if rated else None,
        "charge": charge,
        "basis": basis,
    }
    # Unwaived first, most severe first, then the most money, the most lines; edit and subject break ties.
    order = (
        0 if live else 1,
        -SEVERITY_RANK[severity],
        -(amount or 0.0),
        -len(every),
        edit,
        group,
        subject,
    )
    return {"fields": fields, "members": found, "order": order}


def _message(found: list[Finding], group: str) -> str:
    """The first finding's message, saying how many more there are when the others say something else (the same
    code priced apart in 22 groups of lines is one problem; its first group's message alone would undercount it)."""
    first = found[0].message
    others = len(found) - 1
    if not others or all(f.message == first for f in found):
        return first
    return f"{first}; and {others:,} more like it on this {_SUBJECT_WORD.get(group, 'subject')}"


def _stake(f: Finding) -> tuple[str, float] | None:
    """(what, dollars) when the finding's check reckoned the money at stake itself (a price spread), else None."""
    value, what = f.extra.get("stake"), f.extra.get("stake_basis")
    return (what, float(value)) if value is not None and what else None


def _money(
    lines: Iterable[tuple[Line, str | None, tuple[str, float] | None]], amounts: Amounts, unit: str = "line"
) -> tuple:
    """(amount, shared rate, line charge, basis text, any line rated) over a problem's flagged lines: the stake its
    check reckoned, else the OPPS rate, else the charge. `unit` is what one staked finding stands for: a line, or
    a group of alike lines (one price spread for the group, however many lines it has)."""
    rated: list[float] = []
    charged: list[float] = []
    staked: dict[str, list[float]] = {}
    rates: set[float] = set()  # every line's rate, staked lines' too: the problem shows the rate it is about
    without = 0
    for line, code, stake in lines:
        rate = amounts.rates.get((code or "").strip().upper()) if code else None
        if rate is not None:
            rates.add(rate)
        if stake is not None:
            staked.setdefault(stake[0], []).append(stake[1])
        elif rate is not None:
            rated.append(rate)
        elif (charge := amounts.charges.get(line)) is not None:
            charged.append(charge)
        else:
            without += 1
    if not rated and not charged and not staked:
        return None, None, None, "no amount", False
    parts = [
        f"{what} {dollars(v[0])}"
        if unit == "group" and len(v) == 1
        else f"{'' if len(set(v)) == 1 else 'average '}{what} {dollars(_mean(v))} × {_count(len(v), unit)}"
        for what, v in staked.items()
    ]
    rate = next(iter(rates)) if len(rates) == 1 else None
    if rated:
        each = (
            f"OPPS rate {dollars(rated[0])}"
            if len(set(rated)) == 1
            else f"OPPS rates averaging {dollars(_mean(rated))}"
        )
        parts.append(f"{each} ({amounts.quarter}) × {_lines(len(rated))}")
    charge = None
    if charged:
        charge = charged[0] if len(set(charged)) == 1 else _mean(charged)
        each = "line charge" if len(set(charged)) == 1 else "average line charge"
        parts.append(f"{each} {dollars(charge)} × {_lines(len(charged))}")
    basis = " + ".join(parts)
    if without:
        basis += f"; {_lines(without)} without a rate or charge"
    total = sum(rated) + sum(charged) + sum(sum(v) for v in staked.values())
    return round(total, 2), rate, charge, basis, bool(rates)


def _mean(values: list[float]) -> float:
    return round(sum(values) / len(values), 2)


def _lines(n: int) -> str:
    return _count(n, "line")


def _count(n: int, unit: str) -> str:
    return f"{n:,} {unit}{'s' if n != 1 else ''}"


def dollars(value: float | None) -> str:
    """$1,234.56 (or '–' for no amount)."""
    return "–" if value is None else f"${value:,.2f}"


def line_charges(rows: Iterable[tuple[str, str | None, int | None, float | None]]) -> dict[Line, float]:
    """(file, sheet, row) -> charge, from (file, sheet, row, price) rows; lines without a price are left out."""
    return {(f, s, r): float(p) for f, s, r, p in rows if p is not None}
