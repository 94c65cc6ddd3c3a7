"""Load the edit catalogue (YAML) and its code lists; validate every edit before it can run."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path

from auditor.derived_cache import cached
from auditor.engine import categories
from auditor.engine.checks import validate_params
from auditor.engine.conditions import row_condition
from auditor.engine.edit import (
    SCOPES,
    SETTINGS,
    Edit,
    EditSet,
    Reference,
    catalogue_key,
    read_edit_set,
    write_edit_set,
)
from auditor.engine.lists import CatalogError, load_lists
from auditor.engine.needs import FIELDS
from auditor.resources import resource_dir

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
_CODE = re.compile(r"^[A-Z]{2}[0-9]{3}$")
_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def load_edits(folder: Path | None = None, extra_lists: dict[str, list[dict]] | None = None) -> EditSet:
    """Read every `*.yaml` edit file and `lists/*.csv` (facility lists replace same-named ones).

    Without facility lists the result is cached per folder, in the process and on disk, until one of its
    files (or the engine's code) changes, so a server, a batch or the next run parses the catalogue once.
    """
    folder = folder or resource_dir("edits")
    if extra_lists:
        return _load(folder, extra_lists)
    key = catalogue_key(folder)
    # Parsing and validating the catalogue takes ~65 ms, reading it back pickled ~4 ms: most of a small
    # file's audit, so the validated set is kept on disk until an edit file or the engine changes.
    return cached("edits", key, lambda: _load(folder, None), read_edit_set, write_edit_set, ".pickle")


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
