"""Load the edit catalogue (YAML) and its code lists; validate every edit before it can run."""

from __future__ import annotations

import datetime as dt
import hashlib
import pickle
import re
from dataclasses import dataclass, field
from pathlib import Path

from auditor.derived_cache import cached, code_key, source_key
from auditor.engine import categories
from auditor.engine.checks import validate_params
from auditor.engine.conditions import row_condition
from auditor.engine.lists import CatalogError, load_lists
from auditor.engine.needs import FIELDS
from auditor.resources import resource_dir
from auditor.version import __version__

FAMILIES = (
    "skin-substitute",
    "neurostimulator",
    "device-description",
    "knee-arthroscopy",
    "code-validity",
    "revenue-code",
    "pricing",
    "pairing-table",
    "diagnosis",
    "wiser",
)
CATEGORIES = categories.NAMES  # the category table holds each category's queue, label and claim flag
SEVERITIES = ("error", "warning", "info")
SCOPES = ("chargemaster", "pairing", "claim")
# Billing settings an edit's rule belongs to: OPPS status indicators, device C-codes and revenue codes
# are hospital outpatient (facility) rules that a professional fee schedule never meets.
SETTINGS = ("hospital-outpatient", "professional")
# A problem gathers an edit's findings on one code, one charge code (across sheets), or the whole file.
GROUPS = ("code", "charge_code", "file")
REQUIRED = (
    "code",
    "name",
    "family",
    "category",
    "severity",
    "check",
    "message",
    "what",
    "why",
    "fix",
    "references",
    "effective",
)
_CODE = re.compile(r"^[A-Z]{2}\d{3}$")
_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


@dataclass(frozen=True)
class Reference:
    """Where a fact comes from, and whether it was seen in the source (verified) or inferred."""

    url: str
    verified: bool
    note: str = ""


@dataclass
class Edit:
    """One pairing edit as declared in `edits/*.yaml`."""

    code: str
    name: str
    family: str
    category: str
    severity: str
    check: str
    message: str
    what: str
    why: str
    fix: str
    references: list[Reference]
    effective_from: dt.date | None
    effective_to: dt.date | None
    params: dict = field(default_factory=dict)
    scopes: tuple[str, ...] = SCOPES
    unless: list[dict] = field(default_factory=list)
    only_if: list[dict] = field(default_factory=list)
    examples: dict = field(default_factory=dict)
    source_file: str = ""
    # Input columns the edit cannot decide without, when deriving them from the check kind would be wrong.
    needs: tuple[str, ...] | None = None
    settings: tuple[str, ...] = SETTINGS
    # How findings fold into problems: per code, per charge code, or one per file (None: by check kind).
    group: str | None = None
    # Edits whose finding on the same line says this one's gap more strongly: there this edit's finding is
    # lowered to info, so one gap is not three problems at the top of the report.
    implied_by: tuple[str, ...] = ()

    @property
    def verified(self) -> bool:
        """True only when every reference was seen in its source."""
        return all(r.verified for r in self.references)

    def in_force(self, day: dt.date) -> bool:
        """Whether the edit applies to services on `day`."""
        return (self.effective_from is None or self.effective_from <= day) and (
            self.effective_to is None or day <= self.effective_to
        )

    def period(self) -> str:
        """'2026-01-01 onwards', 'through 2025-12-31', or 'always'."""
        a, b = self.effective_from, self.effective_to
        if a and b:
            return f"{a} to {b}"
        if a:
            return f"{a} onwards"
        if b:
            return f"through {b}"
        return "always"

    def reference_text(self) -> str:
        """References as one line, each tagged verified or inferred."""
        return "; ".join(
            f"{r.url} ({'verified' if r.verified else 'inferred'}{': ' + r.note if r.note else ''})"
            for r in self.references
        )


@dataclass
class EditSet:
    """All edits plus the code lists they use and the catalogue's version fingerprint."""

    edits: list[Edit]
    lists: dict[str, list[dict]]
    version: str
    folder: Path

    def get(self, code: str) -> Edit:
        """The edit with this code (case-insensitive)."""
        for e in self.edits:
            if e.code == code.upper():
                return e
        raise KeyError(code)


def load_edits(folder: Path | None = None, extra_lists: dict[str, list[dict]] | None = None) -> EditSet:
    """Read every `*.yaml` edit file and `lists/*.csv` (facility lists replace same-named ones).

    Without facility lists the result is cached per folder, in the process and on disk, until one of its
    files (or the engine's code) changes, so a server, a batch or the next run parses the catalogue once.
    """
    folder = folder or resource_dir("edits")
    if extra_lists:
        return _load(folder, extra_lists)
    sources = [*folder.glob("*.yaml"), *(folder / "lists").glob("*.csv")]
    key = source_key(sources, str(folder.resolve()), code_key("engine"), __version__)
    # Parsing and validating the catalogue takes ~65 ms, reading it back pickled ~4 ms: most of a small
    # file's audit, so the validated set is kept on disk until an edit file or the engine changes.
    return cached("edits", key, lambda: _load(folder, None), _read_pickle, _write_pickle, ".pickle")


def _read_pickle(path: Path) -> EditSet:
    """A validated catalogue this tool pickled into its own cache folder."""
    value = pickle.loads(path.read_bytes())
    if not isinstance(value, EditSet):
        raise TypeError(f"{path} holds no edit set")
    return value


def _write_pickle(value: EditSet, path: Path) -> None:
    """Pickle a validated catalogue."""
    path.write_bytes(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))


def _load(folder: Path, extra_lists: dict[str, list[dict]] | None) -> EditSet:
    """Parse and validate the catalogue (uncached)."""
    lists = load_lists(folder / "lists")
    for name, rows in (extra_lists or {}).items():
        if name not in lists:
            raise CatalogError(
                f"no packaged list named {name!r} to replace; lists are: {', '.join(sorted(lists))}"
            )
        lists[name] = rows
    import yaml  # only when the catalogue is parsed, not when its cached copy is read

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's C loader: ~10x the pure-Python one
    edits: list[Edit] = []
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        digest.update(path.name.encode() + text.encode())
        doc = yaml.load(text, Loader=loader) or {}
        for raw in doc.get("edits", []):
            edits.append(_parse_edit(raw, path.name))
    for path in sorted((folder / "lists").glob("*.csv")):
        digest.update(path.name.encode() + path.read_bytes())
    for name, rows in sorted((extra_lists or {}).items()):
        digest.update(name.encode() + repr(rows).encode())
    seen: dict[str, str] = {}
    for e in edits:
        if e.code in seen:
            raise CatalogError(f"edit code {e.code} is used twice ({seen[e.code]} and {e.source_file})")
        seen[e.code] = e.source_file
    for e in edits:
        if unknown := [c for c in e.implied_by if c not in seen]:
            raise CatalogError(
                f"{e.source_file}: edit {e.code}: implied_by names unknown edit(s) {', '.join(unknown)}"
            )
        validate_params(e, lists)
        for cond in e.unless + e.only_if:
            try:
                row_condition(cond)
            except CatalogError as exc:
                raise CatalogError(f"{e.source_file}: edit {e.code}: {exc}") from None
    edits.sort(key=lambda e: e.code)
    return EditSet(edits, lists, digest.hexdigest()[:12], folder)


def _parse_edit(raw: dict, source: str) -> Edit:
    """Validate the fixed fields of one edit and build it."""
    where = f"{source}: edit {raw.get('code', '?')}"
    missing = [k for k in REQUIRED if k not in raw]
    if missing:
        raise CatalogError(f"{where} lacks {', '.join(missing)}")
    if not _CODE.match(str(raw["code"])):
        raise CatalogError(f"{where}: code must look like SS001")
    if not _NAME.match(str(raw["name"])):
        raise CatalogError(f"{where}: name must be kebab-case")
    for key, allowed in (("family", FAMILIES), ("category", CATEGORIES), ("severity", SEVERITIES)):
        if raw[key] not in allowed:
            raise CatalogError(f"{where}: {key} {raw[key]!r} is not one of {', '.join(allowed)}")
    refs = []
    for r in raw["references"] or []:
        if not isinstance(r, dict) or "url" not in r or "verified" not in r:
            raise CatalogError(f"{where}: each reference needs url and verified")
        refs.append(Reference(str(r["url"]), bool(r["verified"]), str(r.get("note", ""))))
    if not refs:
        raise CatalogError(f"{where}: at least one reference is required")
    eff = raw["effective"] or {}
    scopes = tuple(raw.get("scopes", SCOPES))
    if any(s not in SCOPES for s in scopes):
        raise CatalogError(f"{where}: scopes must be among {', '.join(SCOPES)}")
    group = raw.get("group")
    if group is not None and group not in GROUPS:
        raise CatalogError(f"{where}: group must be one of {', '.join(GROUPS)}")
    settings = tuple(raw.get("settings", SETTINGS))
    if not settings or any(s not in SETTINGS for s in settings):
        raise CatalogError(f"{where}: settings must be among {', '.join(SETTINGS)}")
    implied = raw.get("implied_by") or []
    if not isinstance(implied, list) or any(not _CODE.match(str(c)) or c == raw["code"] for c in implied):
        raise CatalogError(f"{where}: implied_by must be a list of other edits' codes")
    needs = raw.get("needs")
    if needs is not None:
        if not isinstance(needs, list) or any(n not in FIELDS for n in needs):
            raise CatalogError(f"{where}: needs must be a list of fields among {', '.join(FIELDS)}")
        needs = tuple(needs)
    return Edit(
        code=raw["code"],
        name=raw["name"],
        family=raw["family"],
        category=raw["category"],
        severity=raw["severity"],
        check=raw["check"],
        message=str(raw["message"]).strip(),
        what=str(raw["what"]).strip(),
        why=str(raw["why"]).strip(),
        fix=str(raw["fix"]).strip(),
        references=refs,
        effective_from=_date(eff.get("from"), where),
        effective_to=_date(eff.get("to"), where),
        params=raw.get("params") or {},
        scopes=scopes,
        unless=raw.get("unless") or [],
        only_if=raw.get("only_if") or [],
        examples=raw.get("examples") or {},
        source_file=source,
        needs=needs,
        settings=settings,
        group=group,
        implied_by=tuple(str(c) for c in implied),
    )


def _date(value, where: str) -> dt.date | None:
    """YAML dates arrive as date objects; accept ISO strings too."""
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise CatalogError(f"{where}: {value!r} is not a date (YYYY-MM-DD)") from None
