"""Read denial worklist exports (csv, xlsx) into remittance lines, finding columns by header words and content."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from auditor.claims.project import service_date
from auditor.denials.model import REMIT_SCHEMA
from auditor.errors import InputError
from auditor.ingest import normalize as nz
from auditor.ingest.excel import read_excel
from auditor.ingest.fields import norm_header
from auditor.ingest.raw import RawSheet
from auditor.ingest.sniff import sniff
from auditor.ingest.text import read_text

HEADER_ROWS = 30  # a header below this many rows of titles is not looked for
GROUPS = ("CO", "PR", "OA", "PI", "CR")
# field -> (exact header names, words any of which may name it, words that rule a header out). Earlier
# fields win a tie: "Payer Claim Number" is the payer's claim id, not ours.
FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "payer_claim_id": (
        ("ICN", "DCN", "CCN", "PAYER CLAIM ID", "PAYER CLAIM NUMBER", "PAYER ICN", "CLAIM CONTROL NUMBER"),
        (),
        (),
    ),
    "claim_id": (
        (
            "CLAIM ID",
            "CLAIM",
            "CLAIM NUMBER",
            "CLAIM NO",
            "CLAIM NUMBER NUMBER",
            "PATIENT ACCOUNT",
            "PATIENT ACCOUNT NUMBER",
            "PATIENT ACCOUNT NO",
            "PT ACCOUNT",
            "ACCOUNT",
            "ACCOUNT NUMBER",
            "ACCT",
            "ACCT NUMBER",
            "PCN",
            "PATIENT CONTROL NUMBER",
            "ENCOUNTER",
            "ENCOUNTER ID",
            "INVOICE",
            "INVOICE NUMBER",
            "HAR",
            "VISIT NUMBER",
        ),
        ("CLAIM", "ACCOUNT", "ACCT"),
        ("PAYER", "LINE", "DATE", "STATUS", "AMOUNT", "TYPE", "CODE", "REASON"),
    ),
    "line": (
        ("LINE", "LINE NUMBER", "LINE NO", "LINE NUMBER NUMBER", "SERVICE LINE", "CLAIM LINE", "LN", "SEQ"),
        ("LINE",),
        ("DATE", "CHARGE", "AMOUNT", "UNITS", "REVENUE", "CODE", "STATUS", "PAID"),
    ),
    "code": (
        (
            "HCPCS",
            "CPT",
            "CPT HCPCS",
            "HCPCS CPT",
            "CPT CODE",
            "HCPCS CODE",
            "PROCEDURE",
            "PROCEDURE CODE",
            "PROC CODE",
            "PROC",
            "SERVICE CODE",
            "BILLED CODE",
            "CODE",
        ),
        ("HCPCS", "CPT", "PROCEDURE"),
        ("DESCRIPTION", "DESC", "MODIFIER", "MOD", "REVENUE", "REASON", "REMARK", "GROUP", "DIAGNOSIS"),
    ),
    "modifiers": (("MODIFIER", "MODIFIERS", "MOD", "MODS"), ("MODIFIER", "MOD"), ("DESCRIPTION",)),
    "revenue_code": (
        ("REVENUE CODE", "REV CODE", "REVENUE", "REV", "REV CD", "UB REV CODE"),
        ("REVENUE", "REV"),
        ("DESCRIPTION", "AMOUNT"),
    ),
    "units": (("UNITS", "UNIT", "QTY", "QUANTITY", "UNITS BILLED", "BILLED UNITS"), ("UNITS",), ("PRICE",)),
    "dos": (
        ("DOS", "DATE OF SERVICE", "SERVICE DATE", "SVC DATE", "FROM DATE", "DOS FROM", "SERVICE FROM DATE"),
        ("DOS", "SERVICE"),
        ("TO", "THRU", "THROUGH", "END", "BIRTH"),
    ),
    "paid_date": (
        (
            "DENIAL DATE",
            "REMIT DATE",
            "REMITTANCE DATE",
            "PAID DATE",
            "PAYMENT DATE",
            "CHECK DATE",
            "ADJUDICATION DATE",
            "PROCESS DATE",
            "PROCESSED DATE",
            "DETERMINATION DATE",
            "ERA DATE",
        ),
        ("DENIAL", "REMIT", "REMITTANCE", "CHECK", "ADJUDICATION", "ADJUDICATED", "PROCESSED"),
        (),
    ),
    "charge": (
        ("BILLED", "CHARGE", "CHARGES", "BILLED AMOUNT", "CHARGE AMOUNT", "LINE CHARGE", "TOTAL CHARGE"),
        ("BILLED", "CHARGE", "CHARGES"),
        ("DATE", "CODE", "UNITS"),
    ),
    "paid": (
        ("PAID", "PAID AMOUNT", "PAYMENT", "PAYMENT AMOUNT", "AMOUNT PAID", "ALLOWED", "ALLOWED AMOUNT"),
        ("PAID", "PAYMENT", "ALLOWED"),
        ("DATE", "CODE", "UNITS", "STATUS"),
    ),
    "adjusted": (("ADJUSTMENT", "ADJUSTMENT AMOUNT", "ADJ AMOUNT", "DENIED AMOUNT"), (), ()),
    "group_codes": (("GROUP CODE", "GROUP", "ADJ GROUP", "CAS GROUP", "ADJUSTMENT GROUP"), ("GROUP",), ()),
    "carcs": (
        (
            "CARC",
            "CARCS",
            "CARC CODE",
            "REASON CODE",
            "REASON CODES",
            "REASON",
            "DENIAL CODE",
            "DENIAL REASON",
            "DENIAL REASON CODE",
            "ADJUSTMENT REASON",
            "ADJUSTMENT REASON CODE",
            "CAS REASON",
        ),
        ("CARC", "REASON"),
        ("REMARK", "RARC", "DESCRIPTION", "DESC", "TEXT"),
    ),
    "rarcs": (("RARC", "RARCS", "REMARK", "REMARKS", "REMARK CODE", "REMARK CODES"), ("RARC", "REMARK"), ()),
    "payer": (
        ("PAYER", "PAYOR", "PAYER NAME", "PAYOR NAME", "INSURANCE", "PLAN", "FINANCIAL CLASS", "CARRIER"),
        ("PAYER", "PAYOR", "INSURANCE"),
        ("ID", "NUMBER", "CLAIM", "ADDRESS"),
    ),
    "claim_status": (("CLAIM STATUS", "STATUS", "CLAIM STATUS CODE", "CLP02"), ("STATUS",), ()),
}
# Status words some worklists write instead of the CLP02 code.
# Worklists also carry states an 835 never does: a claim suspended for pre-payment review (WISeR sends claims
# without an affirmed authorization there) and a non-affirmed prior authorization request.
STATUS_WORDS = {
    "DENIED": "4",
    "DENIAL": "4",
    "PAID": "1",
    "REVERSAL": "22",
    "REVERSED": "22",
    "PENDED": "pended",
    "PENDING": "pended",
    "PEND": "pended",
    "SUSPENDED": "pended",
    "ADR": "pended",
    "NON-AFFIRMED": "non-affirmed",
    "NON AFFIRMED": "non-affirmed",
    "NONAFFIRMED": "non-affirmed",
}
_CARC = re.compile(r"\b(CO|PR|OA|PI|CR)?[\s\-:]*([A-Z]?[0-9]{1,3})\b")
_GROUP_ONLY = re.compile(rf"^(?:{'|'.join(GROUPS)})$")
_GROUPED_CARCS = re.compile(rf"^(?:(?:{'|'.join(GROUPS)})[\s\-:]*[A-Z]?[0-9]{{1,3}}[\s;,/]*)+$")
_BARE_CARCS = re.compile(r"^(?:[A-Z]?[0-9]{1,3}[\s;,/]*)+$")
_RARC = re.compile(r"\b(MA[0-9]{2,3}|[MN][0-9]{1,3})\b")


def read_worklist(path: Path, sheet: str | None = None, ignored: list[str] | None = None) -> pl.DataFrame:
    """The worklist's rows in REMIT_SCHEMA (source "worklist"); headers of columns not read go to `ignored`."""
    path = Path(path)
    sheets = _raw_sheets(path)
    if sheet is not None:
        chosen = [s for s in sheets if s.name == sheet]
        if not chosen:
            names = ", ".join(repr(s.name) for s in sheets)
            raise InputError(str(path), f"no sheet named {sheet!r} (sheets: {names})", sheet=sheet)
        sheets = chosen
    # The first sheet with a claim id and a reason code column; else the sheet whose header names most fields.
    best: tuple[RawSheet, int, dict[str, list[int]]] | None = None
    for raw in sheets:
        found = _header(raw.frame) if raw.frame is not None else None
        if found is None:
            continue
        if {"claim_id", "carcs"} <= found[1].keys():
            best = (raw, *found)
            break
        if best is None or len(found[1]) > len(best[2]):
            best = (raw, *found)
    if best is None:
        raise InputError(
            str(path),
            f"no denial worklist header found in the first {HEADER_ROWS} rows (looked for a claim id or "
            "patient account column and a CARC/reason code column)",
            sheet=sheet,
        )
    named = None if best[0].delimited else best[0].name
    raw, header_at, mapping = best
    missing = [
        label
        for name, label in (("claim_id", "claim id"), ("carcs", "CARC/reason code"))
        if name not in mapping
    ]
    if missing:
        raise InputError(
            str(path),
            f"no {' and no '.join(missing)} column in the header (row {raw.first_row + header_at}); "
            f"columns: {', '.join(_headers(raw.frame, header_at))}",
            sheet=named,
        )
    if ignored is not None:
        used = {i for cols in mapping.values() for i in cols}
        heads = _headers(raw.frame, header_at)
        ignored.extend(h for i, h in enumerate(heads) if i not in used and h)
    return _project(str(path), named, raw, header_at, mapping)


def _raw_sheets(path: Path) -> list[RawSheet]:
    """Every sheet of the file as text cells; a refusal names the file and says a worklist was expected."""
    try:
        kind = sniff(path).kind
        with path.open("rb") as fh:
            if fh.read(512).lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"ISA"):
                raise InputError(
                    str(path), "this is an X12 file, not a denial worklist: read an 835 as a remittance"
                )
        if kind in ("text", "text-utf16"):
            return read_text(path)[0]
        if kind == "json":
            raise InputError(str(path), "this is JSON, not a denial worklist export (csv or xlsx)")
        return list(read_excel(path, kind))
    except InputError as exc:
        exc.reason = exc.reason.replace("a chargemaster export", "a denial worklist export")
        raise


def _cells(frame: pl.DataFrame, i: int) -> list[str]:
    """The cells of frame row i as text ('' for blank)."""
    return [("" if v is None else str(v)) for v in frame.row(i)]


def _headers(frame: pl.DataFrame, at: int) -> list[str]:
    """The header row's cells, trimmed."""
    return [c.strip() for c in _cells(frame, at)]


def _score(header: str, field: str) -> int:
    """2 for an exact header name, 1 for a naming word with no ruling-out word, else 0."""
    names, words, veto = FIELDS[field]
    if header in names:
        return 2
    tokens = set(header.split())
    return int(bool(tokens & set(words)) and not tokens & set(veto))


def _match(cells: list[str]) -> dict[str, list[int]]:
    """Column indexes per field from header text: best score first; only modifiers take several columns."""
    normed = [norm_header(c) for c in cells]
    # A numbered header ('Mod 2', 'CARC 1') names the same field as the bare word.
    bare = [re.sub(r"\s*[0-9]+$", "", h) or h for h in normed]
    pairs = sorted(
        ((-_score(b, f), i, f) for i, b in enumerate(bare) if b for f in FIELDS if _score(b, f)),
        key=lambda t: (t[0], list(FIELDS).index(t[2]), t[1]),
    )
    out: dict[str, list[int]] = {}
    taken: set[int] = set()
    for _, i, field in pairs:
        if i in taken or (field in out and field not in ("modifiers", "carcs", "rarcs")):
            continue
        out.setdefault(field, []).append(i)
        taken.add(i)
    return out


def _header(frame: pl.DataFrame) -> tuple[int, dict[str, list[int]]] | None:
    """The row (frame index) naming the most fields in the first rows, with content-found columns added."""
    best: tuple[int, dict[str, list[int]]] | None = None
    for i in range(min(HEADER_ROWS, frame.height)):
        mapping = _match(_cells(frame, i))
        if len(mapping) >= 2 and (best is None or len(mapping) > len(best[1])):
            best = (i, mapping)
    if best is None:
        return None
    return best[0], _by_content(frame, *best)


def _by_content(frame: pl.DataFrame, at: int, mapping: dict[str, list[int]]) -> dict[str, list[int]]:
    """Add group, CARC, RARC and code columns that a header did not name, judged by their values."""
    taken = {i for cols in mapping.values() for i in cols}
    body = frame.slice(at + 1, 200)
    values = {
        i: [v.strip().upper() for v in body.get_column(c).drop_nulls().to_list() if v.strip()]
        for i, c in enumerate(frame.columns)
        if i not in taken
    }

    def share(i: int, pattern: re.Pattern) -> bool:
        return bool(values[i]) and sum(bool(pattern.match(v)) for v in values[i]) >= 0.8 * len(values[i])

    out = {k: list(v) for k, v in mapping.items()}
    for i in values:
        if "group_codes" not in out and share(i, _GROUP_ONLY):
            out["group_codes"] = [i]
    groups = set(out.get("group_codes", []))
    for i in values:
        if i in groups:
            continue
        if "carcs" not in out and (
            share(i, _GROUPED_CARCS) or (share(i, _BARE_CARCS) and {i - 1, i + 1} & groups)
        ):
            out["carcs"] = [i]
        elif "rarcs" not in out and share(i, re.compile(r"^(?:(?:MA|M|N)[0-9]{1,3}[\s;,/]*)+$")):
            out["rarcs"] = [i]
        elif "code" not in out and share(i, re.compile(nz.CODE_SHAPE)):
            out["code"] = [i]
    return out


def _carcs(cell: str | None, group: str | None) -> tuple[str | None, str | None]:
    """('CO-50; PR-1', None) -> ('CO,PR', '50,1'); a bare '50' takes the row's group column."""
    groups, reasons = [], []
    for g, reason in _CARC.findall((cell or "").upper()):
        groups.append(g or (group or "").strip().upper())
        reasons.append(reason)
    if not reasons and group:
        groups.append(group.strip().upper())
    return (",".join(dict.fromkeys(g for g in groups if g)) or None, ",".join(dict.fromkeys(reasons)) or None)


def _project(
    path: str, sheet: str | None, raw: RawSheet, at: int, mapping: dict[str, list[int]]
) -> pl.DataFrame:
    """Mapped text columns -> REMIT_SCHEMA rows; everything is read as text first, never guessed."""
    assert raw.frame is not None
    frame = raw.frame.slice(at + 1)
    names = frame.columns

    def text(field: str) -> pl.Expr:
        cols = [pl.col(names[i]) for i in mapping.get(field, [])]
        if not cols:
            return pl.lit(None, dtype=pl.String)
        return nz.clean_text(pl.concat_str(cols, separator="; ", ignore_nulls=True))

    cells = frame.select(
        row=pl.int_range(pl.len(), dtype=pl.Int64) + raw.first_row + at + 1,
        **{field: text(field) for field in FIELDS if field != "modifiers"},
        modifiers=nz.modifiers([names[i] for i in mapping.get("modifiers", [])]),
    ).filter(pl.any_horizontal(pl.all().exclude("row").is_not_null()))
    code, glued = nz.code_parts("code")
    status = _whole("claim_status").str.to_uppercase()
    out = cells.select(
        "row",
        _whole("claim_id").alias("claim_id"),
        "payer_claim_id",
        "payer",
        _date("paid_date").alias("paid_date"),
        status.replace(STATUS_WORDS).alias("claim_status"),
        _whole("line").alias("line"),
        code.alias("code"),
        nz.merge_modifiers(glued, pl.col("modifiers")).alias("modifiers"),
        nz.revenue_code("revenue_code").alias("revenue_code"),
        _whole("units").alias("units"),
        _date("dos").alias("dos"),
        nz.money("charge").alias("charge"),
        nz.money("paid").alias("paid"),
        nz.money("adjusted").alias("adjusted"),
        pl.col("carcs").alias("_carc"),
        pl.col("group_codes").alias("_group"),
        pl.col("rarcs")
        .str.extract_all(_RARC.pattern)
        .list.unique(maintain_order=True)
        .list.join(",")
        .alias("rarcs"),
    )
    split = [_carcs(c, g) for c, g in zip(out["_carc"].to_list(), out["_group"].to_list(), strict=True)]
    out = out.with_columns(
        group_codes=pl.Series([g for g, _ in split], dtype=pl.String),
        carcs=pl.Series([c for _, c in split], dtype=pl.String),
        rarcs=nz.clean_text("rarcs"),
        line_ordinal=pl.int_range(1, pl.len() + 1, dtype=pl.Int64).over("claim_id"),
        reversal=pl.col("claim_status").fill_null("") == "22",
        file=pl.lit(path, dtype=pl.String),
        payer_id=pl.lit(None, dtype=pl.String),  # worklists name the payer only
        sheet=pl.lit(sheet, dtype=pl.String),
        source=pl.lit("worklist", dtype=pl.String),
    )
    return out.select([pl.col(name).cast(dtype) for name, dtype in REMIT_SCHEMA.items()])


def _whole(col: str) -> pl.Expr:
    """Text with a spreadsheet's float tail dropped ('15271.0' -> '15271', '2.0' -> '2')."""
    return pl.col(col).str.replace(r"^([0-9]+)\.0+$", "${1}")


def _date(col: str) -> pl.Expr:
    """A date cell (ISO, US, Excel serial or date-time text) as a date; null when it is not a date."""
    return service_date(col).str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)
