"""`cdm-audit run audit.toml`: a recurring audit described in a file, for schedulers (one line, exit 0/1/2)."""

from __future__ import annotations

import datetime as dt
import glob
import tomllib
from dataclasses import field
from pathlib import Path

from auditor.audit import expand_edit_codes
from auditor.errors import EXIT_BAD_INPUT, InputError
from auditor.history import HistoryOptions
from auditor.history.keys import slug
from auditor.ingest.probe import DEFAULT_MEMORY_MB
from auditor.ingest.profile import load_profile, profile_options
from auditor.lean_dataclass import dataclass
from auditor.report.renderers import ANNOTATED, CHARGEMASTER, formats
from auditor.session import SessionRequest, run_session

FAIL_ON = ("error", "warning", "info", "never")
DEFAULT_OUT = "cdm-audit-reports/{facility}/{quarter}"
KEYS = {
    "facility",
    "files",
    "pairing_tables",
    "config",
    "profile",
    "templates",
    "out",
    "formats",
    "annotated",
    "fail_on",
    "as_of",
    "history",
    "compare_with",
    "record",
    "select",
    "ignore",
    "max_size",
}


@dataclass
class RecurringRun:
    """One recurring audit as its TOML file describes it (paths still relative to that file)."""

    path: Path
    facility: str
    files: list[str]
    pairing_tables: list[str] = field(default_factory=list)
    config: str | None = None
    profile: str | None = None
    templates: str | None = None
    out: str = DEFAULT_OUT
    formats: list[str] = field(default_factory=lambda: ["html", "xlsx", "json", "csv"])
    annotated: str = "flagged"  # rows of report.xlsx's annotated sheets, as `cdm-audit audit --annotated`
    fail_on: str = "error"
    as_of: dt.date | None = None
    history: str | None = None
    compare_with: str | None = "last"
    record: bool = True
    select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    max_size: int = 300


@dataclass
class Outcome:
    """What a recurring run produced: exit code, the one summary line, the report folder and document."""

    exit_code: int
    line: str
    out_dir: Path | None = None
    doc: dict | None = None
    warnings: list[str] = field(default_factory=list)


def load_recurring(path: Path) -> RecurringRun:
    """Read and check a recurring-run TOML file; every problem is an InputError naming the file."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(str(path), "no such file") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(str(path), f"not a readable TOML file ({exc})") from None
    unknown = sorted(set(data) - KEYS)
    if unknown:
        raise InputError(str(path), f"unknown setting {unknown[0]!r}; known: {', '.join(sorted(KEYS))}")
    for key in ("facility", "files"):
        if not data.get(key):
            raise InputError(str(path), f"{key!r} is required")
    files = _str_list(path, data, "files")
    spec = RecurringRun(
        path=path,
        facility=str(data["facility"]),
        files=files,
        pairing_tables=_str_list(path, data, "pairing_tables"),
        select=_str_list(path, data, "select"),
        ignore=_str_list(path, data, "ignore"),
    )
    for key in ("config", "profile", "templates", "out", "history"):
        if key in data:
            if not isinstance(data[key], str):
                raise InputError(str(path), f"{key!r} must be a path string")
            setattr(spec, key, data[key])
    if "formats" in data:
        spec.formats = [f.strip().lower() for f in _str_list(path, data, "formats")]
        bad = [f for f in spec.formats if f not in formats(CHARGEMASTER)]
        if bad:
            raise InputError(
                str(path), f"unknown format {bad[0]!r}; choose from {', '.join(formats(CHARGEMASTER))}"
            )
    if data.get("annotated", "flagged") not in ANNOTATED:
        raise InputError(str(path), f"annotated must be one of {', '.join(ANNOTATED)}")
    spec.annotated = data.get("annotated", "flagged")
    if data.get("fail_on", "error") not in FAIL_ON:
        raise InputError(str(path), f"fail_on must be one of {', '.join(FAIL_ON)}")
    spec.fail_on = data.get("fail_on", "error")
    spec.as_of = _date(path, data.get("as_of"))
    compare = data.get("compare_with", "last")
    spec.compare_with = None if compare in (False, "none", "") else str(compare)
    spec.record = bool(data.get("record", True))
    if "max_size" in data:
        if not isinstance(data["max_size"], int) or data["max_size"] < 1:
            raise InputError(str(path), "max_size is a number of MB, at least 1")
        spec.max_size = data["max_size"]
    return spec


def _str_list(path: Path, data: dict, key: str) -> list[str]:
    """A setting that may be one string or a list of strings."""
    value = data.get(key, [])
    value = [value] if isinstance(value, str) else value
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(str(path), f"{key!r} must be a string or a list of strings")
    return value


def _date(path: Path, value) -> dt.date | None:
    """as_of as a TOML date (2026-04-01) or a 'YYYY-MM-DD' string; absent means today."""
    if value is None or isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise InputError(str(path), f"as_of {value!r} is not a date like 2026-04-01") from None


def placeholders(spec: RecurringRun, as_of: dt.date) -> dict[str, str]:
    """Values for {quarter}, {as_of}, {year} and {facility} in file patterns and the output folder."""
    return {
        "quarter": f"{as_of.year}Q{(as_of.month - 1) // 3 + 1}",
        "as_of": as_of.isoformat(),
        "year": str(as_of.year),
        "facility": slug(spec.facility),
    }


def expand(spec: RecurringRun, patterns: list[str], values: dict[str, str]) -> list[Path]:
    """Each pattern with placeholders filled, relative to the TOML file, globbed; a pattern matching nothing fails."""
    out: list[Path] = []
    for pattern in patterns:
        filled = _fill(spec, pattern, values)
        full = filled if Path(filled).is_absolute() else str(spec.path.parent / filled)
        matches = sorted(glob.glob(full)) if glob.has_magic(full) else ([full] if Path(full).exists() else [])
        if not matches:
            raise InputError(str(spec.path), f"no file matches {pattern!r} (looked for {full})")
        out += [Path(m) for m in matches]
    return out


def _fill(spec: RecurringRun, text: str, values: dict[str, str]) -> str:
    """str.format with only the known placeholders; anything else is a clear error."""
    try:
        return text.format(**values)
    except (KeyError, IndexError, ValueError) as exc:
        raise InputError(
            str(spec.path),
            f"{text!r}: unknown placeholder {exc}; use {{quarter}}, {{as_of}}, {{year}} or {{facility}}",
        ) from None


def _relative(spec: RecurringRun, value: str) -> Path:
    """A path setting, relative to the TOML file's folder."""
    p = Path(value).expanduser()
    return p if p.is_absolute() else spec.path.parent / p


def _optional(spec: RecurringRun, value: str | None) -> Path | None:
    """An optional path setting, relative to the TOML file's folder."""
    return None if value is None else _relative(spec, value)


def execute(spec: RecurringRun, today: dt.date | None = None) -> Outcome:
    """Audit, record, compare and write the reports of one recurring run; return its outcome."""
    as_of = spec.as_of or today or dt.date.today()
    values = placeholders(spec, as_of)
    files = expand(spec, spec.files, values)
    pairing = expand(spec, spec.pairing_tables, values)
    profile = load_profile(_relative(spec, spec.profile)) if spec.profile else None
    # A scheduled run reads each workbook first in a child: one that crashes the reader fails alone.
    ingest = profile_options(
        profile, max_bytes=spec.max_size * 1024 * 1024, reader_memory_mb=DEFAULT_MEMORY_MB
    )
    select, ignore = _edit_codes(spec.select) or None, _edit_codes(spec.ignore)
    history = HistoryOptions(
        db=_optional(spec, spec.history),
        record=spec.record,
        compare_with=spec.compare_with,
        facility=spec.facility,
        label=str(spec.path),
    )
    # Known before the audit, so a bad {placeholder} in `out` fails before a run is recorded.
    out_dir = _relative(spec, _fill(spec, spec.out, values))
    outcome = run_session(
        SessionRequest(
            files=files,
            pairing_tables=pairing,
            as_of=as_of,
            config=_optional(spec, spec.config),
            ingest=ingest,
            select=select,
            ignore=ignore,
            history=history,
            formats=spec.formats,
            annotated=spec.annotated,
            out_dir=out_dir,
            templates=(_relative(spec, spec.templates),) if spec.templates else (),
            fail_on=spec.fail_on,
        )
    )
    out_dir.mkdir(parents=True, exist_ok=True)  # the summary line names it even when no report is asked
    message = outcome.audit.quarter.message
    return Outcome(
        outcome.exit_code,
        summary_line(outcome.document, out_dir, spec.facility),
        out_dir,
        outcome.document,
        [message] if message else [],
    )


def _edit_codes(values: list[str]) -> set[str]:
    """Edit codes or two-letter family prefixes (SS, NS001) -> the set of edit codes."""
    return expand_edit_codes(values, "select/ignore") if values else set()


def summary_line(doc: dict, out_dir: Path | None, facility: str | None = None) -> str:
    """`cdm-audit: facility X, 2026Q2, 18 errors 24 warnings 6 info, 5 new 3 resolved 2 implementation errors, report at DIR`."""
    run, sev, hist = doc["run"], doc["summary"]["by_severity"], doc.get("history") or {}
    quarter = run["quarter_requested"] + (f" (codes {run['quarter']}, stale)" if run["quarter_stale"] else "")
    counts = hist.get("counts") or {}
    since = (
        (
            f"{counts.get('new', 0)} new {counts.get('resolved', 0)} resolved "
            f"{counts.get('implementation_errors', 0)} implementation errors"
        )
        if counts
        else "no comparison"
    )
    facility = hist.get("facility") or facility or "-"
    return (
        f"cdm-audit: facility {facility}, {quarter}, {sev['error']} errors {sev['warning']} warnings "
        f"{sev['info']} info, {since}, report at {out_dir if out_dir is not None else '-'}"
    )


def run_file(path: Path, as_of: dt.date | None = None) -> Outcome:
    """load_recurring + execute, turning bad input into exit code 2 with one `error:` line."""
    try:
        spec = load_recurring(path)
        if as_of is not None:
            spec.as_of = as_of
        return execute(spec)
    except InputError as exc:
        return Outcome(EXIT_BAD_INPUT, f"cdm-audit: error: {exc}")
