"""ICD-10-CM code sets: validity, billability and vagueness of diagnosis codes, via simple-icd-10-cm."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import importlib.util
import re
import threading
import warnings
from collections.abc import Iterable
from dataclasses import field
from pathlib import Path

import polars as pl

from auditor.errors import InputError
from auditor.lean_dataclass import dataclass

MAX_SUGGESTIONS = 6
SCHEMA = {
    "input": pl.String,
    "dx": pl.String,
    "valid": pl.Boolean,
    "billable": pl.Boolean,
    "description": pl.String,
    "unspecified": pl.Boolean,
    "unspecified_laterality": pl.Boolean,
    "other": pl.Boolean,
    "side": pl.String,
    "billable_children": pl.String,
    "alternatives": pl.String,
}
_PACKAGE = ("package",)
# Words that end the body-part phrase after "unspecified" ("unspecified knee, initial", "foot with").
_STOP_WORDS = frozenset(
    {
        "with",
        "without",
        "of",
        "and",
        "or",
        "due",
        "in",
        "to",
        "for",
        "following",
        "affecting",
        "as",
        "from",
        "at",
        "by",
        "not",
        "on",
        "involving",
        "except",
        "other",
        "unspecified",
    }
)
_PHRASE = re.compile(r"[a-z'-]+(?: [a-z'-]+){0,3}")
_ICD_SHAPE = re.compile(r"^[A-Z][0-9][0-9A-Z](?:[0-9A-Z]{1,4})?$")
_MONTHS = {"january": 1, "april": 4, "july": 7, "october": 10}

# simple-icd-10-cm keeps the one release it has loaded in its module globals: remember which one it holds
# and serialise access, so code sets of different releases can be used side by side.
_LOCK = threading.RLock()
_loaded: tuple | None = None


def normalise(code: object) -> str:
    """A diagnosis code as claims write it: trimmed, upper-case, dot after 3 characters ("m1711" -> "M17.11").

    Text that does not look like an ICD-10-CM code comes back stripped and upper-cased, never an error.
    """
    text = "" if code is None else str(code).strip().upper()
    compact = re.sub(r"[\s.]", "", text)
    if _ICD_SHAPE.match(compact):
        return compact if len(compact) == 3 else f"{compact[:3]}.{compact[3:]}"
    return text


def _package(files: tuple[str, str] | None):
    """The simple_icd_10_cm module holding the requested data (package default when `files` is None)."""
    global _loaded
    with warnings.catch_warnings():
        # Its loader uses importlib.resources.read_text, deprecated since Python 3.11.
        warnings.simplefilter("ignore", DeprecationWarning)
        import simple_icd_10_cm as cm  # ~2 s and ~190 MB: only when a claim's diagnoses are checked

    if _loaded is None:
        _loaded = _PACKAGE
    key = _PACKAGE if files is None else files
    if key != _loaded:
        _loaded = None  # a failed load leaves the package half-built: reload next time
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if files is None:
                cm.change_version()
            else:
                cm.change_version(files[0], files[1])
        _loaded = key
    return cm


def _words_after(text: str, start: int) -> list[str]:
    """Up to four words following position `start`, cut at punctuation or a joining word."""
    m = _PHRASE.match(text, start)
    words = []
    for w in m.group(0).split() if m else []:
        if w in _STOP_WORDS:
            break
        words.append(w)
    return words


def _side(description: str) -> str | None:
    """'R', 'L' or 'B' as the description names it (bilateral, or both sides named, is 'B')."""
    low = description.lower()
    if re.search(r"\bbilateral\b", low):
        return "B"
    right, left = re.search(r"\bright\b", low), re.search(r"\bleft\b", low)
    if right and left:
        return "B"
    return "R" if right else "L" if left else None


@dataclass(eq=False)
class DiagnosisCodeSet:
    """One release of ICD-10-CM and the dates of service it is meant for; classifies codes, caching each."""

    label: str
    valid_from: dt.date
    valid_to: dt.date
    files: tuple[str, str] | None = None
    _table: pl.DataFrame | None = field(default=None, repr=False)
    _lateral: frozenset[str] | None = field(default=None, repr=False)
    _by_description: dict[str, dict[str, str]] = field(default_factory=dict, repr=False)

    def covers(self, day: dt.date) -> bool:
        """Whether services on `day` fall in this code set's period."""
        return self.valid_from <= day <= self.valid_to

    def period(self) -> str:
        """'2026-04-01 to 2026-09-30'."""
        return f"{self.valid_from} to {self.valid_to}"

    def classify(self, codes: Iterable[str | None]) -> pl.DataFrame:
        """One row per distinct input code (nulls skipped): normalised `dx`, validity, billing, vagueness."""
        inputs = list(dict.fromkeys(str(c) for c in codes if c is not None))
        asked = pl.DataFrame(
            {"input": inputs, "dx": [normalise(c) for c in inputs]},
            schema={"input": pl.String, "dx": pl.String},
        )
        found = asked.join(self.table(), on="dx", how="left", maintain_order="left")
        # A code the table does not hold is no ICD-10-CM code (or a chapter or block): not valid.
        flags = ("valid", "billable", "unspecified", "unspecified_laterality", "other")
        return found.with_columns(pl.col(f).fill_null(False) for f in flags).select(list(SCHEMA))

    def table(self) -> pl.DataFrame:
        """Every code and subcategory of the release, classified: built once from the package (a few seconds)
        and kept as a small parquet file under $CDM_AUDIT_HOME/icd10/, then read in milliseconds."""
        if self._table is None:
            with _LOCK:
                if self._table is None:
                    self._table = _cached_table(self)
        return self._table

    def table_ready(self) -> bool:
        """Whether table() reads the release's table (held, or cached on disk) rather than building it."""
        from auditor.derived_cache import is_cached  # on use, as in _cached_table

        return self._table is not None or is_cached(_ICD_KIND, _table_key(self), ".parquet")

    def build_table(self) -> pl.DataFrame:
        """Classify every category and subcategory of the release from the package's tree."""
        with _LOCK:
            cm = _package(self.files)
            lateral = self._laterality_phrases(cm)
            rows = [
                _describe(cm, dx, lateral, self._by_description)
                for dx in cm.get_all_codes(True)
                if cm.is_category_or_subcategory(dx)
            ]
        frame = pl.DataFrame(rows, schema={k: v for k, v in SCHEMA.items() if k != "input"})
        # The package lists a few codes twice (with and without the dot): one row each, or a join doubles them.
        return frame.unique("dx", keep="first", maintain_order=True)

    def _laterality_phrases(self, cm) -> frozenset[str]:
        """Body-part phrases the code set names with both 'right' and 'left' (knee, lower leg, side, ...)."""
        if self._lateral is None:
            right: set[str] = set()
            left: set[str] = set()
            for code in cm.get_all_codes(True):
                low = cm.get_description(code).lower()
                for m in re.finditer(r"\b(right|left) ", low):
                    words = _words_after(low, m.end())
                    target = right if m.group(1) == "right" else left
                    target.update(" ".join(words[:n]) for n in range(1, len(words) + 1))
            self._lateral = frozenset(right & left)
        return self._lateral


def _table_key(code_set: DiagnosisCodeSet) -> str:
    """What the table depends on: the release (files or package label) and this module's classification code."""
    parts = [code_set.label, *(code_set.files or ())]
    for f in code_set.files or ():
        stat = Path(f).stat()
        parts.append(f"{stat.st_size}:{stat.st_mtime_ns}")
    digest = hashlib.sha256("\x1f".join(parts).encode())
    digest.update(Path(__file__).read_bytes())  # a change to the rules below makes a new table
    return digest.hexdigest()[:16]


_ICD_KIND = "icd10"  # the cache folder of the releases' tables


def _cached_table(code_set: DiagnosisCodeSet) -> pl.DataFrame:
    """The release's table from the cache folder, built and stored there when missing (one file per release)."""
    from auditor.derived_cache import cached  # on use: keeps this module's imports light

    return cached(
        _ICD_KIND,
        _table_key(code_set),
        code_set.build_table,
        pl.read_parquet,
        lambda table, path: table.write_parquet(path),
        ".parquet",
        prune=False,
    )


def _vagueness(description: str, lateral: frozenset[str]) -> tuple[bool, bool, bool]:
    """(unspecified, unspecified laterality, other) from the description; at most one is true.

    An "unspecified" that only leaves the side open ("unspecified knee") is a laterality gap; any other
    "unspecified" makes the code unspecified. "Other ..." codes are specified but vague.
    """
    low = description.lower()
    hits = [" ".join(_words_after(low, m.end() + 1)) for m in re.finditer(r"\bunspecified\b", low)]
    if hits:
        if all(h in lateral for h in hits):
            return False, True, False
        return True, False, False
    return False, False, description.startswith("Other ")


def _describe(cm, dx: str, lateral: frozenset[str], by_description: dict) -> dict:
    """Classification of one normalised code (`by_description` caches each category's description index)."""
    out = {
        "dx": dx,
        "valid": False,
        "billable": False,
        "description": None,
        "unspecified": False,
        "unspecified_laterality": False,
        "other": False,
        "side": None,
        "billable_children": None,
        "alternatives": None,
    }
    # Chapters ("13") and blocks ("M15-M19") are items of the package but not codes.
    if not dx or not cm.is_valid_item(dx) or not cm.is_category_or_subcategory(dx):
        return out
    description = cm.get_description(dx)
    billable = cm.is_leaf(dx)
    out.update(valid=True, billable=billable, description=description, side=_side(description))
    if not billable:
        leaves = [d for d in cm.get_descendants(dx) if cm.is_leaf(d)]
        out["billable_children"] = _listing(leaves)
        return out
    unspecified, laterality, other = _vagueness(description, lateral)
    out.update(unspecified=unspecified, unspecified_laterality=laterality, other=other)
    if laterality:
        out["alternatives"] = _sided_twins(cm, dx, description, by_description) or _alternatives(
            cm, dx, lateral
        )
    elif unspecified:
        out["alternatives"] = _alternatives(cm, dx, lateral)
    return out


def _sided_twins(cm, dx: str, description: str, by_description: dict) -> str | None:
    """Codes of the same category whose description is this one with the side named (M17.10 -> M17.11/.12)."""
    wanted = [
        re.sub(r"\bunspecified\b", side, description, flags=re.I).lower()
        for side in ("right", "left", "bilateral")
    ]
    category = dx[:3]
    if category not in by_description:
        index: dict[str, str] = {}
        for d in cm.get_descendants(category):
            if cm.is_leaf(d):
                index.setdefault(cm.get_description(d).lower(), d)
        by_description[category] = index
    index = by_description[category]
    return _listing([index[w] for w in wanted if w in index])


def _alternatives(cm, dx: str, lateral: frozenset[str]) -> str | None:
    """Billable codes with type and side near a vague one (same parent, else higher up), same 7th char."""
    node = dx
    extension = dx[-1] if cm.is_extended_subcategory(dx) else None
    for _ in range(3):
        node = cm.get_parent(node)
        if not node or not cm.is_category_or_subcategory(node):
            return None
        found = []
        for d in cm.get_descendants(node):
            if d == dx or not cm.is_leaf(d) or (extension and (len(d) != len(dx) or d[-1] != extension)):
                continue
            # "Other ..." siblings are specific enough to offer (M23.8X9 -> M23.8X1, M23.8X2).
            if not any(_vagueness(cm.get_description(d), lateral)[:2]):
                found.append(d)
        if found:
            return _listing(found)
    return None


def _listing(codes: list[str]) -> str | None:
    """'M54.50, M54.51, M54.59', capped at six codes with a count of the rest ('... and 12 more')."""
    if not codes:
        return None
    text = ", ".join(codes[:MAX_SUGGESTIONS])
    return text + (f" and {len(codes) - MAX_SUGGESTIONS} more" if len(codes) > MAX_SUGGESTIONS else "")


# -- code set periods from file names ---------------------------------------------------------------


def period_from_name(name: str) -> tuple[dt.date, dt.date, str] | None:
    """(valid_from, valid_to, label part) from a CMS-style file name: '...April-2026...' or '...2026...'."""
    low = name.lower()
    m = re.search(r"(january|april|july|october)[-_ ]?(?:1[-_ ])?(20[0-9][0-9])", low)
    if m:
        month, year = _MONTHS[m.group(1)], int(m.group(2))
        fiscal = year + 1 if month >= 10 else year
        return (
            dt.date(year, month, 1),
            dt.date(fiscal, 9, 30),
            f"ICD-10-CM FY{fiscal}, {m.group(1).capitalize()} 1, {year} update",
        )
    m = re.search(r"(?<![0-9])(20[0-9][0-9])(?![0-9])", low)
    if m:
        fiscal = int(m.group(1))
        return dt.date(fiscal - 1, 10, 1), dt.date(fiscal, 9, 30), f"ICD-10-CM FY{fiscal}"
    return None


def _xml_version(path: Path) -> str | None:
    """The `<version>` of a CMS tabular XML (read from its first few kilobytes)."""
    with path.open(encoding="utf-8", errors="replace") as fh:
        head = fh.read(4096)
    m = re.search(r"<version>\s*(20[0-9][0-9])\s*</version>", head)
    return m.group(1) if m else None


def _package_data() -> tuple[Path, Path]:
    """The code list and tabular XML simple-icd-10-cm ships (found without importing it)."""
    spec = importlib.util.find_spec("simple_icd_10_cm")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("simple-icd-10-cm is not installed (pip install simple-icd-10-cm)")
    data = Path(list(spec.submodule_search_locations)[0]) / "data"
    codes = sorted(data.glob("code-list-*.txt"))
    tabular = sorted(data.glob("*tabular*.xml"))
    if not codes or not tabular:
        raise ImportError(f"simple-icd-10-cm data files not found in {data}")
    return codes[-1], tabular[-1]


@functools.lru_cache(maxsize=1)
def package_code_set() -> DiagnosisCodeSet:
    """The code set simple-icd-10-cm ships (1.5.0: FY2026 with the April 1, 2026 update)."""
    # One instance per process: the package data never changes, and sharing the instance keeps its
    # classification cache warm from one claims run to the next.
    from importlib.metadata import version  # on use: chargemaster audits import this module too

    codes, tabular = _package_data()
    found = period_from_name(codes.name) or period_from_name(tabular.name)
    if found is None:
        raise ImportError(f"cannot tell the ICD-10-CM release of {codes.name}")
    start, end, name = found
    return DiagnosisCodeSet(f"{name} (simple-icd-10-cm {version('simple-icd-10-cm')})", start, end)


def load_code_set(
    codes_file: str | Path,
    tabular_file: str | Path,
    valid_from: dt.date | None = None,
    valid_to: dt.date | None = None,
) -> DiagnosisCodeSet:
    """A code set from CMS's files (code list + tabular XML); its period comes from the file names or the
    XML version, or from `valid_from`/`valid_to` (which win). Raises InputError for unreadable files."""
    codes_path, tabular_path = Path(codes_file), Path(tabular_file)
    for p in (codes_path, tabular_path):
        if not p.is_file():
            raise InputError(str(p), "ICD-10-CM file not found")
    found = period_from_name(codes_path.name) or period_from_name(tabular_path.name)
    if found is None:
        year = _xml_version(tabular_path)
        found = period_from_name(f"fy{year}") if year else None
    if found is None and (valid_from is None or valid_to is None):
        raise InputError(
            str(codes_path),
            "cannot tell which fiscal year these ICD-10-CM files are for; "
            "give the first and last date of service they apply to",
        )
    start, end, name = found or (valid_from, valid_to, "ICD-10-CM")
    start, end = valid_from or start, valid_to or end
    if start > end:
        raise InputError(str(codes_path), f"ICD-10-CM period starts {start}, after it ends {end}")
    files = (str(codes_path.resolve()), str(tabular_path.resolve()))
    with _LOCK:
        try:
            cm = _package(files)
        except Exception as exc:  # the package raises bare ParseError/ValueError/IndexError on bad files
            raise InputError(
                str(tabular_path), f"not a readable ICD-10-CM code list + tabular XML pair ({exc})"
            ) from None
        if not cm.get_all_codes(True):
            raise InputError(str(tabular_path), "the ICD-10-CM tabular XML holds no codes")
    return DiagnosisCodeSet(f"{name} ({codes_path.name})", start, end, files)
