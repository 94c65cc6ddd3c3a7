"""How strongly a column's content speaks for each chargemaster role, and whether it rules a role out."""

from __future__ import annotations

import math

from auditor.ingest.content import ColumnProfile
from auditor.lean_dataclass import dataclass


@dataclass(frozen=True)
class Content:
    """Content evidence for one (column, role): support in [0, 1], plausibility in [0, 1], and why."""

    support: float  # how clearly the values are this role, with no header at all
    plausible: float  # how far the values allow the role (0: a header naming it must be wrong)
    why: str


# Share of Level II codes (letter + 4 digits) among a column's codes for it to be a HCPCS-only column.
PURE_LEVEL2 = 0.98


def _clamp(x: float) -> float:
    return max(0.0, min(1.0, x))


def _pct(x: float) -> str:
    return f"{round(100 * x)}%"


def code_trust(p: ColumnProfile) -> float:
    """How far code-shaped values are real CPT/HCPCS codes: 5-digit item numbers are mostly unknown codes.

    A letter and four digits (C1778) is a HCPCS code by shape; five digits may be an item number, so
    those count by the share CMS's code history knows. Old files hold codes CMS has since deleted: 80%
    known is already certain. A handful of values proves little either way, so small samples lean on
    the shape.
    """
    coded, cpt = p.share("code"), p.share("cpt")
    if coded <= 0:
        return 0.0
    digits = _clamp((p.share("known") / cpt - 0.3) / 0.5) if cpt > 0 else 1.0
    digits = max(digits, _clamp(1 - p.n / 30))
    return (coded - cpt + cpt * digits) / coded


def _cpt(p: ColumnProfile) -> Content:
    coded, lvl2 = p.share("code"), p.share("lvl2")
    trust = code_trust(p)
    support = coded * (0.25 + 0.75 * trust)
    if coded and lvl2 / coded >= PURE_LEVEL2:
        support *= 0.85  # a column of Level II codes only is better read as the HCPCS column
    plausible = coded * (0.3 + 0.7 * trust)
    return Content(support, plausible, f"{_pct(coded)} CPT/HCPCS-shaped, {_pct(trust)} trusted as codes")


def _hcpcs(p: ColumnProfile) -> Content:
    coded, lvl2 = p.share("code"), p.share("lvl2")
    trust = code_trust(p)
    pure = coded > 0 and lvl2 / coded >= PURE_LEVEL2
    support = lvl2 * (0.25 + 0.75 * trust) * (1.0 if pure else 0.3)
    # A column that also holds CPT codes is the CPT/HCPCS column, whatever its header calls it.
    plausible = coded * (0.3 + 0.7 * trust) * (1.0 if pure else 0.5)
    return Content(support, plausible, f"{_pct(lvl2)} HCPCS Level II-shaped, {_pct(trust)} trusted as codes")


def _revenue(p: ColumnProfile) -> Content:
    bare, in_text = p.share("rev"), p.share("rev_text")
    shaped = max(bare, in_text)
    # Revenue codes repeat: a few dozen values over thousands of lines. A list of unique 3-digit
    # numbers is DRGs or prices.
    few = p.distinct <= 200 and (p.ratio <= 0.5 or p.n < 40)
    support = shaped * (1.0 if few else 0.35) * (0.6 if p.share("decimal") > 0.3 else 1.0)
    what = "revenue codes in labels" if in_text > bare else "NUBC revenue-code-shaped"
    return Content(support, shaped, f"{_pct(shaped)} {what}, {p.distinct} distinct")


def _price(p: ColumnProfile) -> Content:
    money = p.share("money")
    cents = max(p.share("decimal"), p.share("dollar"))
    varied = 1.0 - p.len_mode
    support = money * (0.55 + 0.45 * max(cents, min(varied * 1.5, 1.0)))
    support = min(1.0, support + 0.2 * _clamp((0.9 - p.ratio) / 0.4))  # prices repeat; item numbers do not
    if p.share("integer") > 0.9 and p.len_mode > 0.9 and p.ratio > 0.9:
        support *= 0.3  # unique integers of one length are item numbers, not prices
    if p.sequential > 0.8:
        support = 0.0  # 1, 2, 3 ...: a row counter
    support *= _clamp(p.fill / 0.4)  # a mostly empty price column is not the sheet's price
    return Content(support, money, f"{_pct(money)} money-shaped, {_pct(cents)} with cents or $")


def _charge_code(p: ColumnProfile) -> Content:
    code_like = p.share("code_like")
    unique = _clamp((p.ratio - 0.4) / 0.45)  # an item list repeats an item number now and then, not often
    support = code_like * unique * (1.0 - 0.9 * code_trust(p) * p.share("code"))
    if p.sequential > 0.8:
        support = 0.0
    if p.share("decimal") > 0.3 or p.share("dollar") > 0.1:
        support *= 0.2
    if p.share("integer") > 0.8 and p.len_mode < 0.35:
        support *= 0.4  # integers of every length are amounts, not item numbers
    if p.share("ndc") > 0.8:
        support *= 0.5
    if p.share("rev") > 0.9 and p.share("lettered") == 0:
        support *= 0.5  # 0111, 0120, 0278 ...: revenue codes, not item numbers
    plausible = code_like * (1.0 - p.share("decimal"))
    return Content(support, plausible, f"{_pct(code_like)} item-number-shaped, {_pct(p.ratio)} distinct")


def _description(p: ColumnProfile) -> Content:
    text = p.share("text")
    length = _clamp((p.mean_len - 4) / 12)
    varied = _clamp(p.ratio / 0.25)
    support = text * length * varied
    support = min(1.0, support + 0.1 * _clamp((p.mean_len - 15) / 25) * text)  # the long description wins
    return Content(support, p.share("lettered"), f"{_pct(text)} free text, mean {p.mean_len:.0f} characters")


def _department(p: ColumnProfile) -> Content:
    worded = p.share("lettered")
    variety = _clamp(math.log(max(p.distinct, 1)) / math.log(15))
    grouped = 1.0 if p.ratio <= 0.2 else _clamp((0.5 - p.ratio) / 0.3)
    # Department names are words; two-letter tokens (modifiers, flags) are not.
    wordy = _clamp((p.mean_len - 2) / 4)
    support = worded * variety * grouped * wordy * (0.2 if p.distinct <= 1 else 1.0)
    if p.share("code_type") > 0.5 or p.share("setting") > 0.5 or p.share("status") > 0.5:
        support *= 0.3
    return Content(
        support, 1.0 - p.share("decimal"), f"{p.distinct} distinct labels in {p.n:,} sampled lines"
    )


def _labels(flag: str, what: str, most: int) -> callable:
    def score(p: ColumnProfile) -> Content:
        s = p.share(flag)
        return Content(s if p.distinct <= most else s * 0.5, s, f"{_pct(s)} {what}")

    return score


def _ndc(p: ColumnProfile) -> Content:
    s = p.share("ndc")
    return Content(s, s, f"{_pct(s)} NDC-shaped")


def _modifiers(p: ColumnProfile) -> Content:
    s = p.share("modifier")
    support = s * (0.4 + 0.4 * p.share("lettered")) * (1.0 if p.distinct <= 60 else 0.3)
    return Content(support, s, f"{_pct(s)} modifier-shaped")


def _units(p: ColumnProfile) -> Content:
    s = p.share("money")
    return Content(0.2 * p.share("integer") * (1.0 if p.distinct <= 50 else 0.3), s, f"{_pct(s)} numbers")


def _dates(p: ColumnProfile) -> Content:
    s = p.share("date")
    return Content(0.3 * s, max(s, p.share("integer")), f"{_pct(s)} dates")


def _free(p: ColumnProfile) -> Content:
    return Content(0.0, 1.0, "")


SCORERS = {
    "charge_code": _charge_code,
    "description": _description,
    "revenue_code": _revenue,
    "cpt": _cpt,
    "hcpcs": _hcpcs,
    "modifiers": _modifiers,
    "units": _units,
    "price": _price,
    "department": _department,
    "status": _labels("status", "status labels", 8),
    "effective_from": _dates,
    "effective_to": _dates,
    "narrative": _free,
    "ndc": _ndc,
    "setting": _labels("setting", "inpatient/outpatient labels", 8),
    "code_type": _labels("code_type", "code-type labels", 40),
}


def content_evidence(role: str, p: ColumnProfile | None) -> Content:
    """Evidence for `role` from a column profile; roles without a scorer (other table kinds) have no opinion."""
    scorer = SCORERS.get(role)
    if p is None or scorer is None or p.n == 0:
        return Content(0.0, 1.0, "")
    got = scorer(p)
    # A few values cannot rule a role out: a one-line file's malformed code is still in the code column.
    weight = _clamp(p.n / 20)
    return Content(got.support, got.plausible * weight + (1 - weight), got.why)
