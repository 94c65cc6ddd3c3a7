"""Hand-written sheet expectations (kind, header row, column roles) and their comparison with the reader's report.

One place for the YAML format and the scoring, used by `benchmarks/mapping.py` (a measurement over any corpus) and
`tests/test_mapping_shared.py` (one test per sheet of the shared corpus). The format (see
`tests/data/mapping/shared-corpus.yaml`):

    files:
      - path: real-cdm/x/file.xlsx          # relative to the data root
        sheets:
          - name: Sheet 1                   # workbook sheet name; for csv/txt the file name
            kind: cdm                       # cdm | pharmacy | price_view | professional_fee | removed | summary
            header_row: 1                   # row number of the header's last line; 0 = no header row; omitted = not scored
            roles: {charge_code: 1, ...}    # role -> 1-based column; omitted = not scored
            linked_to: Other sheet          # price_view only: the sheet it repeats
            note: "why"                     # optional
      - path: real-cdm-more/y/not-a-table.csv
        error: true                         # read_file must raise auditor.errors.InputError

Scoring of one expected sheet against the report's sheet dict (`FileReport.to_dict()["sheets"][i]`):
  * kind: report["kind"] == expected kind (a missing field is wrong);
  * header row (when expected): report["header_row"] == expected (0 means "no header row": only 0 matches);
  * roles (when expected): for each role, report["column_index"][role] == expected column (missing = wrong);
  * extra roles (sheets whose expected kind is not summary, and whose roles are expected): roles the report maps
    that the expectation does not list (from column_index, or from `columns` when column_index is missing);
  * linked_to: compared when the expectation has one and the report's sheet carries a "linked_to" key.
A sheet is fully right when nothing differs. A file the reader refuses makes each of its sheets wrong, unless the
expectation says `error: true`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

KINDS = ("cdm", "pharmacy", "price_view", "professional_fee", "removed", "summary")
ROLES = (
    "charge_code",
    "description",
    "revenue_code",
    "cpt",
    "hcpcs",
    "modifiers",
    "units",
    "ndc",
    "setting",
    "department",
    "status",
    "effective_from",
    "effective_to",
    "narrative",
    "code_type",
    "price",
)

REPO = Path(__file__).resolve().parents[1]
DEFAULT_ROOT = REPO.parent / "shared" / "data"
DEFAULT_EXPECTED = REPO / "tests" / "data" / "mapping" / "shared-corpus.yaml"


# ------------------------------------------------------------------------------------------------------------------
# The expectation file
# ------------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ExpectedSheet:
    name: str
    kind: str
    header_row: int | None = None  # None = not scored
    roles: dict[str, int] | None = None  # None = not scored
    linked_to: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class ExpectedFile:
    path: str
    sheets: tuple[ExpectedSheet, ...] = ()
    error: bool = False


def load_expected(path: Path | str) -> list[ExpectedFile]:
    """Parse and validate an expectation YAML; raise ValueError naming the first problem."""
    path = Path(path)
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(doc, dict) or not isinstance(doc.get("files"), list):
        raise ValueError(f"{path}: expected a mapping with a 'files' list")
    files, seen = [], set()
    for i, entry in enumerate(doc["files"]):
        where = f"{path}: files[{i}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
            raise ValueError(f"{where}: needs a 'path'")
        rel = entry["path"]
        where = f"{path}: {rel}"
        if rel in seen:
            raise ValueError(f"{where}: listed twice")
        seen.add(rel)
        unknown = set(entry) - {"path", "sheets", "error", "note"}
        if unknown:
            raise ValueError(f"{where}: unknown keys {sorted(unknown)}")
        error = bool(entry.get("error", False))
        raw_sheets = entry.get("sheets") or []
        if error and raw_sheets:
            raise ValueError(f"{where}: a file with error: true lists no sheets")
        if not error and not raw_sheets:
            raise ValueError(f"{where}: lists no sheets")
        sheets = tuple(_sheet(s, f"{where}: sheets[{j}]") for j, s in enumerate(raw_sheets))
        names = [s.name for s in sheets]
        if len(set(names)) != len(names):
            raise ValueError(f"{where}: a sheet name is listed twice")
        for s in sheets:
            if s.linked_to is not None and s.linked_to not in names:
                raise ValueError(f"{where}: sheet {s.name!r} links to {s.linked_to!r}, which is not listed")
        files.append(ExpectedFile(rel, sheets, error))
    return files


def _sheet(raw: object, where: str) -> ExpectedSheet:
    if not isinstance(raw, dict) or raw.get("name") is None:
        raise ValueError(f"{where}: needs a 'name'")
    name = str(raw["name"])
    where = f"{where} ({name!r})"
    unknown = set(raw) - {"name", "kind", "header_row", "roles", "linked_to", "note"}
    if unknown:
        raise ValueError(f"{where}: unknown keys {sorted(unknown)}")
    kind = raw.get("kind")
    if kind not in KINDS:
        raise ValueError(f"{where}: kind must be one of {KINDS}, not {kind!r}")
    header_row = raw.get("header_row")
    if header_row is not None and (
        not isinstance(header_row, int) or isinstance(header_row, bool) or header_row < 0
    ):
        raise ValueError(f"{where}: header_row must be an integer >= 0")
    roles = raw.get("roles")
    if roles is not None:
        if not isinstance(roles, dict):
            raise ValueError(f"{where}: roles must be a mapping role -> column")
        for role, col in roles.items():
            if role not in ROLES:
                raise ValueError(f"{where}: unknown role {role!r}")
            if not isinstance(col, int) or isinstance(col, bool) or col < 1:
                raise ValueError(f"{where}: role {role!r} needs a 1-based column number, not {col!r}")
        if len(set(roles.values())) != len(roles):
            raise ValueError(f"{where}: a column has two roles")
        roles = dict(roles)
    linked_to = raw.get("linked_to")
    if (kind == "price_view") != (linked_to is not None):
        raise ValueError(f"{where}: linked_to goes with kind price_view, and price_view needs it")
    return ExpectedSheet(
        name, kind, header_row, roles, None if linked_to is None else str(linked_to), raw.get("note")
    )


# ------------------------------------------------------------------------------------------------------------------
# Reading one file with the code under test
# ------------------------------------------------------------------------------------------------------------------
@dataclass
class Outcome:
    """What read_file did with one file: its report dict, or the InputError message when it refused."""

    report: dict | None = None
    refused: str | None = None
    crashed: str | None = None  # any other exception: the file counts as wrong, the run goes on
    seconds: float = 0.0


def read_outcome(path: Path) -> Outcome:
    """Run the public reader on one file; never raises."""
    import time

    t0 = time.perf_counter()
    try:
        from auditor.errors import InputError
        from auditor.ingest import IngestOptions, read_file
    except Exception as exc:  # noqa: BLE001 - the package may be mid-rewrite; every file then counts as wrong
        return Outcome(crashed=f"cannot import the reader: {type(exc).__name__}: {exc}")
    try:
        _frame, report = read_file(Path(path), IngestOptions())
        out = Outcome(report=report.to_dict())
    except InputError as exc:
        out = Outcome(refused=str(exc))
    except Exception as exc:  # noqa: BLE001 - a crash is a result to report, not a reason to stop measuring
        out = Outcome(crashed=f"{type(exc).__name__}: {exc}")
    out.seconds = time.perf_counter() - t0
    return out


# ------------------------------------------------------------------------------------------------------------------
# Comparison
# ------------------------------------------------------------------------------------------------------------------
@dataclass
class SheetResult:
    file: str
    expected: ExpectedSheet
    reported: dict | None
    kind_ok: bool
    header_ok: bool | None  # None = not scored
    roles_right: int
    roles_expected: int
    extra_roles: list[str] = field(default_factory=list)
    diffs: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.diffs


@dataclass
class FileResult:
    expected: ExpectedFile
    outcome: Outcome
    sheets: list[SheetResult] = field(default_factory=list)
    unexpected_sheets: list[str] = field(default_factory=list)  # in the report, not in the expectation
    refusal_ok: bool | None = None  # for error: true files
    diffs: list[str] = field(default_factory=list)  # file-level


def _as_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def reported_roles(sheet: dict) -> dict[str, int | None]:
    """role -> 1-based column from the report's column_index; roles only in `columns` map to None (column unknown)."""
    roles: dict[str, int | None] = {}
    columns = sheet.get("columns")
    if isinstance(columns, dict):
        roles.update({str(k): None for k, v in columns.items() if v is not None})
    index = sheet.get("column_index")
    if isinstance(index, dict):
        roles.update({str(k): _as_int(v) for k, v in index.items() if v is not None})
    return roles


def compare_sheet(
    file: str, exp: ExpectedSheet, got: dict | None, why_missing: str | None = None
) -> SheetResult:
    """Score one expected sheet against the report's sheet dict (None = absent from the report or file refused)."""
    n_roles = len(exp.roles) if exp.roles is not None else 0
    if got is None:
        reason = why_missing or "sheet not in the report"
        return SheetResult(
            file, exp, None, False, None if exp.header_row is None else False, 0, n_roles, diffs=[reason]
        )
    diffs = []
    kind = got.get("kind", "<missing>")
    kind_ok = kind == exp.kind
    if not kind_ok:
        diffs.append(f"kind {kind!r}, expected {exp.kind!r}")
    header_ok = None
    if exp.header_row is not None:
        header = got.get("header_row", "<missing>")
        header_ok = _as_int(header) == exp.header_row and header is not None
        if not header_ok:
            diffs.append(f"header_row {header!r}, expected {exp.header_row}")
    if exp.linked_to is not None and "linked_to" in got and got.get("linked_to") != exp.linked_to:
        diffs.append(f"linked_to {got.get('linked_to')!r}, expected {exp.linked_to!r}")
    roles_right, extra = 0, []
    if exp.roles is not None:
        have = reported_roles(got)
        if not isinstance(got.get("column_index"), dict):
            diffs.append("no column_index in the report")
        elif not got["column_index"] and have:
            diffs.append("column_index is empty while columns maps roles")
        headers = got.get("columns") if isinstance(got.get("columns"), dict) else {}
        for role, col in sorted(exp.roles.items(), key=lambda kv: kv[1]):
            if have.get(role) == col:
                roles_right += 1
            elif role in have and have[role] is None:
                diffs.append(f"{role}: header {headers.get(role)!r}, column unknown, expected column {col}")
            elif role in have:
                diffs.append(f"{role}: column {have[role]} ({headers.get(role)!r}), expected {col}")
            else:
                diffs.append(f"{role}: not mapped, expected column {col}")
        if exp.kind != "summary":
            extra = sorted(r for r in have if r not in exp.roles)
            for role in extra:
                where = "column unknown" if have[role] is None else f"column {have[role]}"
                diffs.append(f"extra role {role}: {where} ({headers.get(role)!r})")
    return SheetResult(file, exp, got, kind_ok, header_ok, roles_right, n_roles, extra, diffs)


def compare_file(exp: ExpectedFile, outcome: Outcome) -> FileResult:
    """Score every expected sheet of one file against what the reader did with it."""
    res = FileResult(exp, outcome)
    if exp.error:
        res.refusal_ok = outcome.refused is not None
        if outcome.crashed:
            res.diffs.append(f"expected InputError, got {outcome.crashed}")
        elif not res.refusal_ok:
            res.diffs.append("expected the reader to refuse this file (InputError); it read it")
        return res
    if outcome.report is None:
        why = (
            f"file refused: {outcome.refused}"
            if outcome.refused is not None
            else f"reader crashed: {outcome.crashed}"
        )
        res.diffs.append(why)
        res.sheets = [compare_sheet(exp.path, s, None, why) for s in exp.sheets]
        return res
    by_name: dict[str, dict] = {}
    for sheet in outcome.report.get("sheets") or []:
        by_name.setdefault(str(sheet.get("name")), sheet)
    res.sheets = [compare_sheet(exp.path, s, by_name.get(s.name)) for s in exp.sheets]
    expected_names = {s.name for s in exp.sheets}
    res.unexpected_sheets = [n for n in by_name if n not in expected_names]
    return res


@dataclass
class Totals:
    roles_right: int = 0
    roles_expected: int = 0
    extra_roles: int = 0
    headers_right: int = 0
    headers_expected: int = 0
    kinds_right: int = 0
    sheets: int = 0
    fully_right: int = 0
    refusals_right: int = 0
    refusals_expected: int = 0
    files_refused_wrongly: int = 0
    unexpected_sheets: int = 0


def totals(results: list[FileResult]) -> Totals:
    t = Totals()
    for f in results:
        if f.expected.error:
            t.refusals_expected += 1
            t.refusals_right += bool(f.refusal_ok)
            continue
        if f.outcome.report is None:
            t.files_refused_wrongly += 1
        t.unexpected_sheets += len(f.unexpected_sheets)
        for s in f.sheets:
            t.sheets += 1
            t.kinds_right += s.kind_ok
            t.fully_right += s.ok
            t.roles_right += s.roles_right
            t.roles_expected += s.roles_expected
            t.extra_roles += len(s.extra_roles)
            if s.header_ok is not None:
                t.headers_expected += 1
                t.headers_right += s.header_ok
    return t
