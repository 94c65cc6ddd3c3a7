"""Finding identity across runs: the facility name, and a key per finding that survives moved rows."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from pathlib import Path

# Tokens that change from one quarterly extract to the next without changing what is audited:
# years and dates (2026, 20260401, 2026-04-01), quarters (2026Q2, Q2), month names and version tags.
# Other digit runs stay: they are often the facility's identity (OSHPD 106190422, a tax id).
_VOLATILE = re.compile(
    r"^(?:(?:19|20)[0-9]{2}(?:(?:0[1-9]|1[0-2])(?:[0-3][0-9])?)?"  # 2026, 202604, 20260401
    r"|(?:19|20)[0-9]{2}q[1-4]|q[1-4](?:(?:19|20)?[0-9]{2})?|fy(?:19|20)?[0-9]{2}"  # 2026q2, q2, q22026, fy26
    r"|jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
    r"|v[0-9]+|final|copy|export|extract)$"
)
_DATE_SPLIT = re.compile(r"(?<=[0-9])[-.](?=[0-9])")  # 2026-04-01 -> one token before splitting on separators


def slug(text: str) -> str:
    """'Torrance Memorial / CDM' -> 'torrance-memorial-cdm' (the comparable form of a facility name)."""
    return "-".join(t for t in re.split(r"[^0-9a-z]+", text.lower()) if t)


def default_facility(paths: Iterable[str | Path]) -> str:
    """A facility name guessed from the chargemaster file names: stems without dates, quarters or versions."""
    names = []
    for p in paths:
        stem = _DATE_SPLIT.sub("", Path(p).stem.lower())
        tokens = [t for t in re.split(r"[^0-9a-z]+", stem) if t and not _VOLATILE.match(t)]
        names.append("-".join(tokens) or "chargemaster")
    return "+".join(sorted(set(names))) or "chargemaster"


def _norm_text(value: str | None) -> str:
    """Upper-case, single-spaced text, so re-typed spacing or case does not break an identity."""
    return " ".join((value or "").upper().split())


# Checks that report one finding per group of lines, placed on the group's first line: which line
# that is depends on row order, so the group (its code, or its charge code) is the identity instead.
GROUP_CHECKS = {"duplicate-price": "code", "duplicate-charge-code": "charge_code"}


def base_key(
    facility_slug: str,
    scope: str | None,
    edit: str,
    charge_code: str | None,
    code: str | None,
    description: str | None,
    group_by: str | None = None,
) -> tuple[str, str, str, str]:
    """(source, edit, line, code): the line is the charge code, or the description where there is none."""
    source = f"{facility_slug}/{scope or 'chargemaster'}"
    charge = (charge_code or "").strip().upper()
    code = (code or "").strip().upper()
    if group_by == "code":
        return source, edit, "group", code
    if group_by == "charge_code":
        return source, edit, f"cc:{charge}", ""
    line = f"cc:{charge}" if charge else f"desc:{_norm_text(description)}"
    return source, edit, line, code


def finding_keys(facility_slug: str, findings: list, checks: dict[str, str] | None = None) -> list[str]:
    """The identity key of each finding (same order), numbered when one line carries the same key twice.

    `checks` maps edit code -> check kind, so group findings are keyed by their group (GROUP_CHECKS).
    """
    checks = checks or {}
    bases = [
        base_key(
            facility_slug,
            f.scope,
            f.edit,
            f.charge_code,
            f.code,
            f.description,
            GROUP_CHECKS.get(checks.get(f.edit, "")),
        )
        for f in findings
    ]
    # Two findings with one base key (a charge code built twice): number them in row order, so the
    # n-th occurrence this quarter matches the n-th occurrence last quarter.
    order = sorted(
        range(len(findings)),
        key=lambda i: (findings[i].file, findings[i].sheet or "", findings[i].row or 0, i),
    )
    seen: dict[tuple, int] = {}
    keys = [""] * len(findings)
    for i in order:
        n = seen[bases[i]] = seen.get(bases[i], 0) + 1
        keys[i] = json.dumps([*bases[i], n], ensure_ascii=False, separators=(",", ":"))
    return keys


def short_id(key: str) -> str:
    """The 12-character id shown in reports and taken by `cdm-audit ack` (a hash of the key)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]
