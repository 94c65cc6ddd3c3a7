"""A streaming 837 segment reader: the segments auditing needs, their loops told by a small state machine.

pyx12 validates every segment against the implementation guide at ~1,000 lines/s; a month of claims is
millions of lines. This reader splits the file on its own delimiters (from the ISA header), a block at a
time, and places each segment in the 837 loops the audit reads (2000A/B, 2010AA/BB, 2300, 2310x, 2400,
2420x); it feeds the same walker pyx12's path feeds, so both give the same lines. It does not validate:
`read_837` says which reader ran.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from auditor.errors import InputError

BLOCK = 1 << 20
ISA_LENGTH = 106
# NM101 entity codes of the service facility location: its N4 gives the state the line is served in.
FACILITY = "77"
HL_LOOPS = {"20": "2000A", "22": "2000B", "23": "2000C"}
# Loops a name (NM1) opens below the hierarchical level it appears in: (loop, NM101) -> loop.
NAME_LOOPS = {
    ("2000A", "85"): "2010AA",
    ("2000A", "87"): "2010AB",
    ("2000B", "IL"): "2010BA",
    ("2000B", "PR"): "2010BB",
    ("2000C", "QC"): "2010CA",
}


class Segment:
    """One segment's elements, read by pyx12-style references such as 'CLM05-1' or 'HI02-2'."""

    __slots__ = ("elements", "id", "sub")

    def __init__(self, elements: list[str], sub: str) -> None:
        self.elements, self.sub, self.id = elements, sub, elements[0]

    def get_seg_id(self) -> str:
        """The segment id (CLM, SV2, ...)."""
        return self.id

    def __len__(self) -> int:
        return len(self.elements) - 1

    def get_value(self, ref: str) -> str | None:
        """The element (or component after '-') a reference names; None when the segment does not have it."""
        body = ref[len(self.id) :]
        position, _, component = body.partition("-")
        index = int(position)
        if index >= len(self.elements):
            return None
        value = self.elements[index]
        if not component:
            return value
        parts = value.split(self.sub)
        at = int(component) - 1
        return parts[at] if at < len(parts) else None


def segments(path: Path, skip: int) -> Iterator[tuple[int, Segment]]:
    """(ordinal, segment) for every segment of the file, the ISA header giving the delimiters."""
    with path.open("rb") as fh:
        fh.seek(skip)
        head = fh.read(ISA_LENGTH).decode("utf-8", errors="replace")
        if len(head) < ISA_LENGTH or not head.startswith("ISA"):
            raise InputError(str(path), "the ISA interchange header is not valid X12: it is cut short", row=1)
        element, sub, term = head[3], head[104], head[105]
        rest, ordinal = head, 0
        while True:
            block = fh.read(BLOCK)
            text = rest + block.decode("utf-8", errors="replace")
            pieces = text.split(term)
            rest = pieces.pop() if block else ""
            for piece in pieces:
                piece = piece.strip("\r\n\t ")
                if not piece:
                    continue  # line breaks between segments, or an empty segment: nothing to read
                ordinal += 1
                yield ordinal, Segment(piece.split(element), sub)
            if not block:
                if rest.strip():
                    raise InputError(
                        str(path),
                        f"the file ends before the interchange trailer (IEA): it looks truncated after "
                        f"segment {ordinal}",
                        row=ordinal + 1,
                    )
                return


class LoopTracker:
    """The 837 loop each segment belongs to, as far as the audit's walker reads them."""

    def __init__(self, facility_loops: dict[str, tuple[str, ...]]) -> None:
        self.facility_loops, self.format = facility_loops, ""
        self.level = self.loop = ""

    def place(self, seg: Segment) -> str | None:
        """The loop id of this segment (None for envelope segments, which the walker reads by id)."""
        sid = seg.id
        if sid in ("ISA", "IEA", "GS", "GE", "ST", "SE", "BHT"):
            self.level = self.loop = ""
            return None
        if sid == "HL":
            self.level = self.loop = HL_LOOPS.get(seg.get_value("HL03") or "", "2000")
        elif sid == "CLM":
            self.loop = "2300"
        elif sid == "LX":
            self.loop = "2400"
        elif sid == "SBR" and self.loop in ("2300", "2320", "2330"):
            self.loop = "2320"  # another payer's subscriber: not the claim's payer
        elif sid in ("LIN", "SVD", "LQ"):
            self.loop = {"LIN": "2410", "SVD": "2430", "LQ": "2440"}[sid]
        elif sid == "NM1":
            self.loop = self._name_loop(seg.get_value("NM101") or "")
        return self.loop

    def _name_loop(self, entity: str) -> str:
        """The loop an NM1 opens: a provider or payer name below a level, claim or line."""
        if self.loop in HL_LOOPS.values() or self.loop.startswith("2010"):
            return NAME_LOOPS.get((self.level, entity), f"{self.level}-name")
        facility = self.facility_loops.get(self.format, ())
        if self.loop.startswith(("2300", "231", "232", "233")):
            if self.loop.startswith(("232", "233")):
                return "2330"
            return (
                next((f for f in facility if f.startswith("231")), "2310") if entity == FACILITY else "2310"
            )
        if self.loop.startswith("24"):
            return (
                next((f for f in facility if f.startswith("242")), "2420") if entity == FACILITY else "2420"
            )
        return self.loop
