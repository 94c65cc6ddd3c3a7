"""Read what item a chargemaster description names, and judge whether it fits the device or product code.

All knowledge is data in `edits/lists/`: `cdm_abbreviations` (CDM shorthand -> words), `item_words`
(generic nouns and qualifiers) and `item_brands` (product names), each row a phrase that names an item
kind (with a rank: an accessory named beside its device is the billed item, "CHARGER IPG" is a charger)
and/or sets flags (trial, rechargeable, dual, pacing ...); `item_kinds` turns a kind plus flags into
the codes that bill it, first matching row wins; `device_codes` lists the device codes judged, with the
family a description without context words is read in; skin substitute codes come from
`skin_substitute_products`, their brands from `item_brands` rows carrying codes.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from auditor.engine.wording import Abbreviations, Word, main_clause, tokens
from auditor.lean_dataclass import dataclass

CONTEXTS = ("neuro", "cardiac", "vascular", "skin")
# Chamber words (DR, VR, SR-T ...) describe a generator: "DFBR DR-T 3 LD" is the ICD, not a lead.
_GENERATORS = ("icd", "pacemaker")
# Family words (NEUROSTIMULATOR, NRSTM) prefix every part in some CDMs ('KIT NRSTM 60CM OCTAD' is a lead):
# below this rank a kind supports a code but never contradicts one on its own.
_WEAK = 45
# Verdicts kept before the cache starts over (a long-lived server reads many chargemasters).
_MAX_VERDICTS = 200_000
_OTHER_DOMAINS = ("vascular", "skin", "skin-nos")
# A length of 35 cm or more ('6FR 45CM SHEATH', 'SHEATH 6F X 55 CM') sets the flag `long`: a long sheath is most
# often a guiding sheath, which C1894 excludes, so item_kinds reads C1887 as fitting it too.
_LENGTH_CM = re.compile(r"(?<![0-9.])([0-9]{2,3})\s?CM\b")
_LONG_CM = 35
# A kit or set naming several catheter-lab devices is a procedure kit: which one it bills is unclear.
_KIT_KINDS = frozenset(
    {
        "catheter",
        "guiding-catheter",
        "guidewire",
        "sheath",
        "introducer",
        "needle",
        "dilator",
        "balloon",
        "stent",
    }
)
# Implant words and product names mean other things in catheter-lab and wound-care names ('BALLOON CHARGER',
# 'MAXI LD' = large diameter, 'STENT GRAFT ... EXT' = an extension cuff, 'VERSA GRAFT'): on those codes they
# count only beside a word that says neuro or cardiac.
_IMPLANT_KINDS = frozenset(
    {
        "charger",
        "programmer",
        "remote-monitor",
        "antenna",
        "anchor",
        "extension",
        "lead",
        "generator",
        "icd",
        "pacemaker",
        "accessory",
    }
)


@dataclass(frozen=True)
class Entry:
    """One lexicon phrase: the item kind it names (if any), its rank, the flags it sets."""

    words: tuple[str, ...]
    kind: str
    rank: int
    flags: frozenset[str]
    unless: frozenset[str]
    means: str
    codes: tuple[str, ...]


class Hit(NamedTuple):
    """A lexicon phrase found in a description, where and as written."""

    entry: Entry
    position: int
    raw: str


@dataclass(frozen=True)
class Verdict:
    """What the description names against what the code bills.

    `outcome` is supports / contradicts / no_evidence / noc_brand (a product with its own code on a
    not-otherwise-classified code) / ambiguous (several items, or a family word alone, against the code) /
    not_judged; `codes` the code(s) to report for what the description names (empty: no device or product
    code fits); `decided` the words that decided, as written.
    """

    outcome: str
    means: str = ""
    codes: tuple[str, ...] = ()
    decided: str = ""
    note: str = ""


class Lexicon:
    """The description reader, built once from the edit set's lists."""

    def __init__(self, lists: dict[str, list[dict[str, str]]]):
        self.abbreviations = Abbreviations(lists.get("cdm_abbreviations", []))
        self._phrases: dict[tuple[str, ...], list[Entry]] = {}
        for row in [*lists.get("item_words", []), *lists.get("item_brands", [])]:
            words = tuple(tokens(row["words"]))
            entry = Entry(
                words=words,
                kind=row.get("kind", "").strip(),
                rank=int(row.get("rank") or 0),
                flags=frozenset(row.get("flags", "").split()),
                unless=frozenset(row.get("unless", "").split()),
                means=row.get("means", "").strip(),
                codes=tuple(row.get("codes", "").split()),
            )
            self._phrases.setdefault(words, []).append(entry)
        self._longest = max((len(k) for k in self._phrases), default=1)
        self._first = frozenset(k[0] for k in self._phrases)  # words that start a phrase
        self._rules = [
            (
                r["kind"],
                frozenset(r["needs"].split()),
                r["means"],
                tuple(r["codes"].split()),
                _use(r),
                r.get("note", ""),
            )
            for r in lists.get("item_kinds", [])
        ]
        self._verdicts: dict[tuple[str, str], Verdict] = {}
        self.families = {r["code"].upper(): r["family"] for r in lists.get("device_codes", [])}
        self.bills = {r["code"].upper(): r["bills"] for r in lists.get("device_codes", [])}
        for r in lists.get("skin_substitute_products", []):
            code = r["code"].upper()
            self.families[code] = "skin-nos" if r.get("nos") else "skin"
            self.bills[code] = (
                "not-otherwise-classified skin substitute" if r.get("nos") else "skin substitute"
            )

    def hits(self, words: list[Word]) -> list[Hit]:
        """Lexicon phrases in the words, longest first at each position, each word used once."""
        out: list[Hit] = []
        texts = [w.text for w in words]
        i = 0
        while i < len(texts):
            if texts[i] not in self._first:
                i += 1
                continue
            for n in range(min(self._longest, len(texts) - i), 0, -1):
                entries = self._phrases.get(tuple(texts[i : i + n]))
                if entries:
                    raw = " ".join(dict.fromkeys(w.raw for w in words[i : i + n]))
                    out.extend(Hit(e, i, raw) for e in entries)
                    i += n
                    break
            else:
                i += 1
        return out

    def judge(self, code: str, description: str) -> Verdict:
        """Whether the description supports the code, contradicts it, or says nothing about the item (each
        (code, description) read once: several edits ask about the same lines)."""
        key = (code, description)
        hit = self._verdicts.get(key)
        if hit is None:
            if len(self._verdicts) >= _MAX_VERDICTS:
                self._verdicts.clear()
            hit = self._verdicts[key] = self._judge(code, description)
        return hit

    def _judge(self, code: str, description: str) -> Verdict:
        """judge(), uncached."""
        family = self.families.get(code)
        if family is None:
            return Verdict("not_judged")
        kept, flags = self._read(description, family)
        named = _named(kept, family)
        if not named:
            return Verdict("no_evidence")
        kinds = {h.entry.kind for h in named} & _KIT_KINDS
        if len(kinds) > 1 and (family == "vascular" or "kit" in flags):
            return Verdict("ambiguous")  # 'BALLOON SAV 4FR SHTH': a balloon sized for a sheath
        best = min(named, key=lambda h: (-h.entry.rank, h.position))
        if best.entry.kind == "lead" and "chamber" in flags:
            best = next((h for h in named if h.entry.kind in _GENERATORS), best)
        rule = next((r for r in self._rules if r[0] == best.entry.kind and r[1] <= flags), None)
        if rule is None or rule[3] == ("@unknown",):
            return Verdict("no_evidence")
        _, needs, means, codes, use, note = rule
        if best.entry.rank < _WEAK and needs <= set(CONTEXTS) and code not in codes:
            return Verdict("ambiguous")
        if codes == ("@brand",):
            codes = use = tuple(
                dict.fromkeys(c for h in named if h.entry.kind == "skin" for c in h.entry.codes)
            )
        means = means or best.entry.means
        if best.entry.kind == "skin":
            listed = " ".join(best.entry.words)
            # The brand as written ('FLEX HD'), or as listed when written in shorthand ('ALDRM' -> Alloderm).
            brand = best.raw if best.raw.replace(" ", "") == listed.replace(" ", "") else listed
            means = f"{brand.title()} ({means})"
        decided = [best.raw]
        for flag in sorted(needs - set(CONTEXTS)):
            decided.extend(h.raw for h in kept if flag in h.entry.flags and h.raw not in decided)
        if "long" in needs:
            decided.append(_long_length(description))
        if family == "skin-nos":
            outcome = "noc_brand" if best.entry.kind == "skin" else "contradicts"
        else:
            outcome = "supports" if code in codes else "contradicts"
        return Verdict(outcome, means, use, " + ".join(f"'{d}'" for d in decided), note)

    def _read(self, description: str, family: str) -> tuple[list[Hit], set[str]]:
        """The lexicon hits of the main clause that stand, and the flags they set (plus the code's family
        when no word says neuro, cardiac, vascular or skin)."""
        found = self.hits(main_clause(self.abbreviations.expand(tokens(description))))
        plain = frozenset().union(*(h.entry.flags for h in found if not h.entry.unless))
        kept = [h for h in found if not (h.entry.unless & plain)]
        flags: set[str] = set().union(*(h.entry.flags for h in kept))
        if not flags & set(CONTEXTS):
            flags.add(family.removesuffix("-nos"))
        if _long_length(description):
            flags.add("long")
        return kept, flags


def _long_length(description: str) -> str:
    """The first length of 35 cm or more the description names, as written ('45CM'), else ''."""
    for match in _LENGTH_CM.finditer(description.upper()):
        if int(match.group(1)) >= _LONG_CM:
            return match.group(0)
    return ""


def _use(row: dict[str, str]) -> tuple[str, ...]:
    """The codes to suggest: `use`, else every code that fits; '-' when none can be told from the words
    (a dilator fits C1894 in an introducer set, but a urethral one is a supply)."""
    use = (row.get("use") or row["codes"]).split()
    return () if use == ["-"] else tuple(use)


def _named(kept: list[Hit], family: str) -> list[Hit]:
    """The hits naming an item; on catheter-lab and skin codes implant words only beside a neuro/cardiac word."""
    named = [h for h in kept if h.entry.kind]
    if family in _OTHER_DOMAINS:
        said = set().union(*(h.entry.flags for h in kept if h.entry.kind not in _IMPLANT_KINDS))
        if not said & {"neuro", "cardiac"}:
            named = [h for h in named if h.entry.kind not in _IMPLANT_KINDS]
    return named
