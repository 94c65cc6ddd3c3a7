"""Chargemaster description wording: tokens with CDM abbreviations expanded, each remembering how it was written."""

from __future__ import annotations

import re
from typing import NamedTuple

# W/ and W/O are words of their own in CDM text ("GEN W/CHARGER", "KIT W/O EXT"); & and + join two items.
_TOKEN = re.compile(r"W/O|W/|[A-Z0-9]+|&|\+")
# Words that start a clause naming a second item (kit contents, "with charger") or an absent one.
_JOINS = {"W/": "WITH", "W": "WITH", "WITH": "WITH", "INCL": "WITH", "INCLUDES": "WITH", "INCLUDING": "WITH"}
_JOINS |= {"&": "AND", "+": "AND", "AND": "AND"}  # not PLUS: product names (DURAGEN PLUS, PLATINUM PLUS)
_JOINS |= {"W/O": "WITHOUT", "WO": "WITHOUT", "WITHOUT": "WITHOUT", "NO": "WITHOUT"}
_LONGEST = 4  # the longest abbreviation or lexicon phrase, in words


class Word(NamedTuple):
    """One normalised word of a description and the text it was read from."""

    text: str
    raw: str


class Abbreviations:
    """CDM abbreviation -> word(s), matched on whole words, longest phrase first."""

    def __init__(self, rows: list[dict[str, str]]):
        self._map: dict[tuple[str, ...], tuple[str, ...]] = {}
        for r in rows:
            short = tuple(_TOKEN.findall(r["short"].upper()))
            if short:
                self._map[short] = tuple(r["word"].upper().split())
        # Most words start no abbreviation: one set lookup skips the phrase lookups at that word.
        self._first = frozenset(k[0] for k in self._map)

    def expand(self, tokens: list[str]) -> list[Word]:
        """The tokens with abbreviations replaced; every word keeps the raw text it came from."""
        out: list[Word] = []
        i = 0
        while i < len(tokens):
            if tokens[i] not in self._first:
                out.append(Word(tokens[i], tokens[i]))
                i += 1
                continue
            for n in range(min(_LONGEST, len(tokens) - i), 0, -1):
                key = tuple(tokens[i : i + n])
                if key in self._map:
                    raw = " ".join(key)
                    out.extend(Word(w, raw) for w in self._map[key])
                    i += n
                    break
            else:
                out.append(Word(tokens[i], tokens[i]))
                i += 1
        return out


def tokens(description: str) -> list[str]:
    """Upper-cased word tokens; hyphens, slashes and brackets separate words ("DR-T" -> DR, T)."""
    return _TOKEN.findall(description.upper())


def main_clause(words: list[Word]) -> list[Word]:
    """The words naming the billed item: up to the first 'with'/'and', minus anything after 'without'."""
    out: list[Word] = []
    dropping = False
    for w in words:
        join = _JOINS.get(w.text)
        if join == "WITHOUT":
            dropping = True
            continue
        if join in ("WITH", "AND"):
            if out:
                break
            continue
        if not dropping:
            out.append(w)
    return out
