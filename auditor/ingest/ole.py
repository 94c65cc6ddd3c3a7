"""List the entries of an OLE compound file (CFB) from its header and directory chain, bounded for hostile files.

A legacy .xls, a password-protected .xlsx and a .doc are all compound files; what tells them apart is the
names in the directory ("Workbook", "EncryptedPackage", "WordDocument"). The directory may sit anywhere in
the file (writers put it after the streams), so it is found by following its sector chain through the FAT,
never by searching the first megabytes for the names.
"""

from __future__ import annotations

import struct
from typing import BinaryIO

HEADER_SIZE = 512
DIR_ENTRY_SIZE = 128
ENDOFCHAIN = 0xFFFFFFFE
FREESECT = 0xFFFFFFFF
MAX_REGSECT = 0xFFFFFFFA
# A chargemaster workbook has a handful of directory entries; a directory chain this long is a loop or junk.
MAX_DIR_SECTORS = 4096


class OleError(ValueError):
    """The container's header or directory cannot be followed (damaged or hostile file)."""


def entry_names(fh: BinaryIO, size: int) -> list[str]:
    """Names of the storages and streams in the compound file open in `fh` (`size` bytes long)."""
    fh.seek(0)
    header = fh.read(HEADER_SIZE)
    if len(header) < HEADER_SIZE:
        raise OleError("the compound-file header is cut short")
    major, byte_order, shift = struct.unpack_from("<HHH", header, 0x1A)
    if byte_order != 0xFFFE:
        raise OleError("the compound-file header has no little-endian byte-order mark")
    if (major, shift) not in ((3, 9), (4, 12)):
        raise OleError(f"unknown compound-file version {major} with {1 << min(shift, 30)}-byte sectors")
    sector_size = 1 << shift
    # Sector n starts at (n + 1) * sector_size; the last one may be cut short in files written lazily.
    sectors = max(0, (size - 1) // sector_size)
    (num_fat, first_dir, _txn, _cutoff, _mini_fat, _num_mini, first_difat, num_difat) = struct.unpack_from(
        "<IIIIIIII", header, 0x2C
    )
    per_sector = sector_size // 4
    difat = list(struct.unpack_from("<109I", header, 0x4C))
    seen: set[int] = set()
    sect = first_difat
    while sect <= MAX_REGSECT and len(seen) < min(num_difat, sectors):
        if sect in seen or sect >= sectors:
            raise OleError("the DIFAT chain loops or points past the end of the file")
        seen.add(sect)
        block = _sector(fh, sect, sector_size)
        ids = struct.unpack(f"<{per_sector}I", block)
        difat.extend(ids[:-1])
        sect = ids[-1]
    fat_sectors = [s for s in difat[: min(num_fat, sectors)] if s <= MAX_REGSECT]

    def next_sector(sect: int) -> int:
        index, slot = divmod(sect, per_sector)
        if index >= len(fat_sectors) or fat_sectors[index] >= sectors:
            raise OleError(f"sector {sect} has no FAT entry")
        fh.seek((fat_sectors[index] + 1) * sector_size + slot * 4)
        raw = fh.read(4)
        if len(raw) < 4:
            raise OleError("the FAT is cut short")
        return struct.unpack("<I", raw)[0]

    names: list[str] = []
    visited: set[int] = set()
    sect = first_dir
    while sect != ENDOFCHAIN:
        if sect > MAX_REGSECT or sect >= sectors:
            raise OleError(f"the directory chain points to sector {sect}, past the end of the file")
        if sect in visited or len(visited) >= MAX_DIR_SECTORS:
            raise OleError("the directory chain loops")
        visited.add(sect)
        block = _sector(fh, sect, sector_size)
        for off in range(0, sector_size, DIR_ENTRY_SIZE):
            entry = block[off : off + DIR_ENTRY_SIZE]
            name_len, kind = struct.unpack_from("<HB", entry, 0x40)
            if kind == 0 or not 2 <= name_len <= 64:  # unused slot, or a name length no writer produces
                continue
            names.append(entry[: name_len - 2].decode("utf-16-le", errors="replace"))
        sect = next_sector(sect)
    if not names:
        raise OleError("the directory holds no entries")
    return names


def _sector(fh: BinaryIO, sect: int, sector_size: int) -> bytes:
    """The bytes of sector `sect`, zero-padded when the file ends inside it."""
    fh.seek((sect + 1) * sector_size)
    block = fh.read(sector_size)
    return block + bytes(sector_size - len(block))
