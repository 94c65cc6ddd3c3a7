"""Read 837I and 837P X12 claim files into claim-line raw fields, through pyx12's validating reader."""

from __future__ import annotations

import codecs
import io
import re
from dataclasses import field
from pathlib import Path
from typing import Any

import polars as pl
import pyx12.error_handler
import pyx12.errors
import pyx12.params
import pyx12.x12context

from auditor.claims.x12_stream import LoopTracker, segments
from auditor.errors import InputError
from auditor.lean_dataclass import dataclass

# GS08 (version/release) -> our format name. These are the two 5010 guides pyx12 ships 837 maps for.
FORMATS = {"005010X223A2": "x12-837i", "005010X222A1": "x12-837p"}
COLUMNS = (
    "row",
    "claim_id",
    "line",
    "dos",
    "bill_type",
    "pos",
    "state",
    "payer",
    "payer_name",
    "revenue_code",
    "cpt",
    "modifiers",
    "units",
    "charges",
    "diagnoses",
    "utn",
    "file",
    "sheet",
)
SCHEMA = {name: (pl.Int64 if name == "row" else pl.String) for name in COLUMNS}
MAX_ERRORS = 50
# Files up to this size are read through pyx12's validating reader; larger ones stream (see read_837).
VALIDATE_BYTES = 10 * 1024 * 1024
MAX_MESSAGE = 240  # characters of one message; pyx12 quotes whole element values
# HI qualifiers that carry ICD-10-CM diagnoses: principal, other, then reason for visit, admitting, external
# cause. Procedure, value, condition, occurrence and DRG qualifiers are not diagnoses and are left out.
PRINCIPAL_DX = "ABK"
OTHER_DX = ("ABF", "APR", "ABJ", "ABN")
# Service facility location loop (claim level; 837P also has one per line) by format.
FACILITY_LOOPS = {"x12-837i": ("2310E",), "x12-837p": ("2310C", "2420C")}
# GS01 functional identifier codes a user might feed us by mistake, for the error message.
GROUPS = {
    "HP": "835 payment/remittance advice",
    "HS": "270 eligibility inquiry",
    "HB": "271 eligibility response",
    "HR": "276 claim status inquiry",
    "HN": "277 claim status response",
    "BE": "834 benefit enrollment",
    "RA": "820 premium payment",
    "HI": "278 services review",
    "FA": "999/997 acknowledgment",
}
_BLANK = b" \t\r\n\x00"


@dataclass
class X12Claims:
    """Service lines read from an 837 file, lines that could not be used, and pyx12's validation messages."""

    format: str
    frame: pl.DataFrame
    skipped: list[dict] = field(default_factory=list)  # {row, reason}
    errors: list[str] = field(default_factory=list)


def looks_like_x12(path: Path) -> bool:
    """True when the file starts, after an optional BOM and whitespace, with an ISA segment."""
    try:
        with Path(path).open("rb") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    return _strip_head(head)[1].startswith(b"ISA")


def read_837(path: Path, validate: bool | None = None) -> X12Claims:
    """Read an 837I or 837P file into one row per service line; raise InputError when it cannot be read.

    `validate`: True reads through pyx12 (every segment checked against the guide, ~1,000 lines/s), False
    through the streaming segment reader (no validation, ~100x faster); None picks pyx12 up to VALIDATE_BYTES.
    """
    path = Path(path)
    if not looks_like_x12(path):
        raise InputError(str(path), "this is not an X12 file: it does not start with an ISA segment")
    if validate is None:
        validate = path.stat().st_size <= VALIDATE_BYTES
    state = _Claims837(path)
    if not validate:
        ordinal = _walk_stream(path, state)
        state.finish(ordinal, False, False)
        note = (
            f"read with the streaming segment reader (the file is over {VALIDATE_BYTES // 2**20} MB): "
            "the X12 structure was not validated against the implementation guide"
        )
        return X12Claims(state.format or "x12-837", state.frame(), state.skipped, [note, *state.errors])
    collector = _Collector()
    ordinal, leftover, empty_segment = walk_segments(path, collector, state, "837")
    state.finish(ordinal, leftover, empty_segment)
    return X12Claims(
        format=state.format or "x12-837",
        frame=state.frame(),
        skipped=state.skipped,
        errors=collector.messages(state.errors),
    )


def _walk_stream(path: Path, walker: _Claims837) -> int:
    """Feed every segment to the walker from the streaming reader, loops placed by LoopTracker."""
    with path.open("rb") as fh:
        skip, _ = _strip_head(fh.read(4096))
    tracker = LoopTracker(FACILITY_LOOPS)
    ordinal = 0
    for ordinal, seg in segments(path, skip):
        tracker.format = walker.group_format or ""
        walker.segment(ordinal, seg.id, tracker.place(seg), seg)
    return ordinal


def _strip_head(head: bytes) -> tuple[int, bytes]:
    """How many leading bytes are a UTF-8 BOM or whitespace, and the rest of the head."""
    skip = len(codecs.BOM_UTF8) if head.startswith(codecs.BOM_UTF8) else 0
    rest = head[skip:].lstrip(_BLANK)
    return len(head) - len(rest), rest


def _open_stripped(path: Path) -> io.TextIOWrapper:
    """The file as text positioned on 'ISA': pyx12 wants the ISA segment as the very first characters."""
    raw = path.open("rb")
    skip, _ = _strip_head(raw.read(4096))
    raw.seek(skip)
    # X12 text is ASCII; a stray byte becomes U+FFFD (which pyx12 reports) instead of a decode crash.
    return io.TextIOWrapper(raw, encoding="utf-8", errors="replace", newline="")


def walk_segments(
    path: Path, collector: Any, walker: Any, structure: str, unsupported: Any = None
) -> tuple[int, bool, bool]:
    """Feed every segment of an X12 file to `walker.segment(ordinal, seg_id, loop_id, seg)` through pyx12's
    validating reader; return (segments read, text left after the last one, an empty segment among it)."""
    ordinal = 0
    with _open_stripped(path) as text:
        try:
            reader = pyx12.x12context.X12ContextReader(pyx12.params.params(), collector, text)
        except pyx12.errors.X12Error as exc:
            raise InputError(
                str(path), f"the ISA interchange header is not valid X12: {exc}", row=1
            ) from None
        with reader:
            nodes = reader.iter_segments()
            while (node := _next_node(nodes, path, ordinal + 1, structure, unsupported)) is not None:
                ordinal += 1
                seg = node.seg_data
                seg_id = seg.get_seg_id()
                collector.flush(ordinal, seg_id)
                # pyx12 hands back the previous map node for a segment it could not place; such a segment
                # is reported by the collector and must not be read as if it were that previous segment.
                loop_id = node.x12_map_node.parent.id if node.x12_map_node.id == seg_id else None
                walker.segment(ordinal, seg_id, loop_id, seg)
            # pyx12 stops quietly at an empty segment or at text with no segment terminator.
            leftover = reader.src.raw.buffer.strip()
            empty_segment = bool(leftover) and reader.src.seg_term in leftover
    return ordinal, bool(leftover), empty_segment


def _next_node(nodes: Any, path: Path, ordinal: int, structure: str, unsupported: Any = None) -> Any:
    """The next segment node from pyx12, or None at the end; pyx12 failures become one InputError."""
    try:
        return next(nodes)
    except StopIteration:
        return None
    except pyx12.errors.EngineError as exc:
        found = re.search(r"fic=(\w*), vriic=(\w*)", str(exc))
        if found:
            group, version = (v if v != "None" else "" for v in found.groups())
            raise InputError(str(path), (unsupported or _unsupported)(group, version), row=ordinal) from None
        raise InputError(
            str(path), f"pyx12 could not place this segment in the {structure} structure ({exc})", row=ordinal
        ) from None
    except OSError:
        raise  # a disk or map-installation problem, not a fault of the file's content
    except Exception as exc:  # pyx12 raises assorted errors (IndexError, X12Error...) on malformed input
        reason = str(exc).strip() or type(exc).__name__
        raise InputError(
            str(path),
            f"pyx12 cannot read on from this segment; the X12 structure around it is "
            f"broken ({reason[:MAX_MESSAGE]})",
            row=ordinal,
        ) from None


def _unsupported(group: str, version: str) -> str:
    """Why a functional group is not one we read."""
    if group != "HC":
        kind = GROUPS.get(group, f"functional group {group or '(blank)'}")
        return f"this X12 file holds {kind} transactions (GS01 {group or 'blank'}), not 837 claims"
    return (
        f"this 837 is version {version or '(blank)'}; only 5010 institutional (005010X223A2) "
        "and professional (005010X222A1) claims are read"
    )


def _date(qualifier: str | None, value: str | None) -> str | None:
    """A DTP date as YYYY-MM-DD (the from-date of a range); kept as written when it is not CCYYMMDD."""
    if not value:
        return None
    first = value.split("-")[0] if qualifier == "RD8" else value[:8] if qualifier == "DT" else value
    if len(first) == 8 and first.isdigit():
        return f"{first[:4]}-{first[4:6]}-{first[6:]}"
    return value


def _value(seg: Any, ref: str) -> str | None:
    """An element or sub-element value, None when absent or blank."""
    value = seg.get_value(ref)
    if value is None:
        return None
    return value.strip() or None


class _Collector(pyx12.error_handler.errh_list):
    """pyx12 error handler that keeps each validation message with the segment it was raised on."""

    def __init__(self) -> None:
        super().__init__()
        self.pending: list[str] = []
        self.kept: list[str] = []
        self.total = 0

    def isa_error(self, err_cde: str, err_str: str) -> None:
        self.pending.append(err_str)

    def gs_error(self, err_cde: str, err_str: str) -> None:
        self.pending.append(err_str)

    def st_error(self, err_cde: str, err_str: str) -> None:
        self.pending.append(err_str)

    def seg_error(
        self, err_cde: str, err_str: str, err_value: str | None = None, src_line: int | None = None
    ) -> None:
        self.pending.append(err_str)

    def ele_error(self, err_cde: str, err_str: str, bad_value: str | None, refdes: str | None = None) -> None:
        self.pending.append(err_str)

    def flush(self, ordinal: int, seg_id: str | None) -> None:
        """Attach the messages raised while reading a segment to its ordinal."""
        for message in self.pending:
            self.total += 1
            if len(self.kept) < MAX_ERRORS:
                text = " ".join(message.split())
                text = text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "\u2026"
                self.kept.append(f"segment {ordinal} ({seg_id}): {text}")
        self.pending = []

    def messages(self, ours: list[str]) -> list[str]:
        """The kept messages (ours first), with a count of the ones left out."""
        kept = [*ours, *self.kept][:MAX_ERRORS]
        more = len(ours) + self.total - len(kept)
        return kept + ([f"{more} more validation messages not shown"] if more > 0 else [])


class _Claims837:
    """Walks the segments of one 837 file in order and emits one raw row per service line."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.format: str | None = None
        self.group_format: str | None = None
        self.rows: dict[str, list] = {name: [] for name in COLUMNS}
        self.skipped: list[dict] = []
        self.errors: list[str] = []
        self.last_id: str | None = None
        self.open_interchanges = 0
        self.billing_state: str | None = None
        self.payer: str | None = None
        self.payer_name: str | None = None
        self.claim: dict | None = None
        self.line: dict | None = None

    def segment(self, ordinal: int, seg_id: str | None, loop_id: str | None, seg: Any) -> None:
        """Take in one segment; loop_id is None when pyx12 could not place it."""
        self.last_id = seg_id
        if seg_id in ("ISA", "IEA", "GS", "GE", "ST", "SE"):
            self._envelope(ordinal, seg_id, seg)
            return
        if loop_id is None or self.group_format is None:
            return
        if seg_id == "HL":
            self._end_claim()
            if loop_id == "2000A":
                self.billing_state = self.payer = self.payer_name = None
            elif loop_id == "2000B":
                self.payer = self.payer_name = None
        elif loop_id == "2010AA" and seg_id == "N4":
            self.billing_state = _value(seg, "N402")
        elif loop_id == "2000B" and seg_id == "SBR":
            self.payer = _value(seg, "SBR09")
        elif loop_id == "2010BB" and seg_id == "NM1" and _value(seg, "NM101") == "PR":
            self.payer_name = _value(seg, "NM103")
        elif loop_id == "2300":
            self._claim_segment(ordinal, seg_id, seg)
        elif seg_id == "N4" and loop_id in FACILITY_LOOPS[self.group_format]:
            target = self.line if loop_id.startswith("24") else self.claim
            if target is not None:
                target["state"] = _value(seg, "N402")
        elif loop_id == "2400":
            self._line_segment(ordinal, seg_id, seg)

    def finish(self, ordinal: int, leftover: bool, empty_segment: bool) -> None:
        """Close the last claim; a file that stops before its IEA trailer is refused as truncated."""
        self._end_claim()
        if empty_segment:
            raise InputError(
                str(self.path),
                f"segment {ordinal + 1} is empty (two segment terminators in a "
                "row) and pyx12 cannot read past it",
                row=ordinal + 1,
            )
        if self.open_interchanges or leftover or self.last_id != "IEA":
            raise InputError(
                str(self.path),
                "the file ends before the interchange trailer (IEA): it looks "
                f"truncated after segment {ordinal}",
                row=ordinal + 1,
            )

    def frame(self) -> pl.DataFrame:
        """The service lines as a frame with the raw claim-line columns."""
        return pl.DataFrame(self.rows, schema=SCHEMA)

    def _envelope(self, ordinal: int, seg_id: str, seg: Any) -> None:
        """Interchange, group and transaction headers and trailers."""
        if seg_id == "ISA":
            self.open_interchanges += 1
        elif seg_id == "IEA":
            self.open_interchanges -= 1
        elif seg_id == "GS":
            group, version = _value(seg, "GS01") or "", _value(seg, "GS08") or ""
            if version not in FORMATS:
                raise InputError(str(self.path), _unsupported(group, version), row=ordinal)
            self.group_format = FORMATS[version]
            if self.format is None:
                self.format = self.group_format
            elif self.format != self.group_format:
                self.errors.append(
                    f"segment {ordinal} (GS): the file mixes 837I and 837P groups; both are "
                    f"read and the file is labelled {self.format}"
                )
        elif seg_id == "ST" and _value(seg, "ST01") != "837":
            raise InputError(
                str(self.path),
                f"this X12 file holds a {_value(seg, 'ST01')} transaction, not 837 claims",
                row=ordinal,
            )
        elif seg_id in ("SE", "GE"):
            self._end_claim()
            self.billing_state = self.payer = self.payer_name = None

    def _claim_segment(self, ordinal: int, seg_id: str, seg: Any) -> None:
        """CLM and the claim-level segments that precede the service lines."""
        if seg_id == "CLM":
            self._end_claim()
            institutional = self.group_format == "x12-837i"
            facility, frequency = _value(seg, "CLM05-1"), _value(seg, "CLM05-3")
            self.claim = {
                "claim_id": _value(seg, "CLM01"),
                "state": None,
                "from": None,
                "utn": None,
                "dx": [],
                "bill_type": (facility + (frequency or "")) if institutional and facility else None,
                "pos": None if institutional else facility,
                "lines": [],
            }
        elif self.claim is None:
            return
        elif seg_id == "DTP" and _value(seg, "DTP01") == "434":
            self.claim["from"] = _date(_value(seg, "DTP02"), _value(seg, "DTP03"))
        elif seg_id == "REF" and _value(seg, "REF01") == "G1":
            self.claim["utn"] = _value(seg, "REF02")
        elif seg_id == "HI":
            for i in range(1, len(seg) + 1):
                qualifier, code = _value(seg, f"HI{i:02d}-1"), _value(seg, f"HI{i:02d}-2")
                if code and (qualifier == PRINCIPAL_DX or qualifier in OTHER_DX):
                    self.claim["dx"].append((qualifier, code))

    def _line_segment(self, ordinal: int, seg_id: str, seg: Any) -> None:
        """LX, SV1/SV2 and the line's own date and prior authorization."""
        if self.claim is None:
            return
        if seg_id == "LX":
            self.line = {
                "lx": ordinal,
                "line": _value(seg, "LX01"),
                "sv": None,
                "dos": None,
                "utn": None,
                "state": None,
            }
            self.claim["lines"].append(self.line)
        elif self.line is None:
            return
        elif seg_id in ("SV1", "SV2"):
            self.line["sv"] = (ordinal, seg_id, seg)
        elif seg_id == "DTP" and _value(seg, "DTP01") == "472":
            self.line["dos"] = _date(_value(seg, "DTP02"), _value(seg, "DTP03"))
        elif seg_id == "REF" and _value(seg, "REF01") == "G1":
            self.line["utn"] = _value(seg, "REF02")

    def _end_claim(self) -> None:
        """Emit the rows of the open claim: claim-level values are only complete once its lines are read."""
        claim, self.claim, self.line = self.claim, None, None
        if claim is None:
            return
        dx = [code for q, code in claim["dx"] if q == PRINCIPAL_DX]
        dx += [code for want in OTHER_DX for q, code in claim["dx"] if q == want]
        diagnoses = ";".join(dict.fromkeys(dx)) or None
        for line in claim["lines"]:
            if line["sv"] is None:
                self.skipped.append(
                    {
                        "row": line["lx"],
                        "reason": f"service line {line['line']} of claim "
                        f"{claim['claim_id']} has no SV1/SV2 service segment",
                    }
                )
                continue
            ordinal, seg_id, seg = line["sv"]
            if seg_id == "SV2":
                fields = {
                    "revenue_code": _value(seg, "SV201"),
                    "cpt": _value(seg, "SV202-2"),
                    "mods": [_value(seg, f"SV202-{i}") for i in range(3, 7)],
                    "charges": _value(seg, "SV203"),
                    "units": _value(seg, "SV205"),
                    "pos": None,
                }
            else:
                fields = {
                    "revenue_code": None,
                    "cpt": _value(seg, "SV101-2"),
                    "mods": [_value(seg, f"SV101-{i}") for i in range(3, 7)],
                    "charges": _value(seg, "SV102"),
                    "units": _value(seg, "SV104"),
                    "pos": _value(seg, "SV105") or claim["pos"],
                }
            if not fields["cpt"] and not fields["revenue_code"]:
                self.skipped.append(
                    {
                        "row": ordinal,
                        "reason": f"service line {line['line']} of claim "
                        f"{claim['claim_id']} has neither a procedure code nor a revenue code",
                    }
                )
                continue
            modifiers = ",".join(m for m in fields["mods"] if m) or None
            values = {
                "row": ordinal,
                "claim_id": claim["claim_id"],
                "line": line["line"],
                "dos": line["dos"] or (claim["from"] if seg_id == "SV2" else None),
                "bill_type": claim["bill_type"],
                "pos": fields["pos"],
                "state": line["state"] or claim["state"] or self.billing_state,
                "payer": self.payer,
                "payer_name": self.payer_name,
                "revenue_code": fields["revenue_code"],
                "cpt": fields["cpt"],
                "modifiers": modifiers,
                "units": fields["units"],
                "charges": fields["charges"],
                "diagnoses": diagnoses,
                "utn": line["utn"] or claim["utn"],
                "file": str(self.path),
                "sheet": None,
            }
            for name in COLUMNS:
                self.rows[name].append(values[name])
