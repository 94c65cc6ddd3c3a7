"""Stream a multipart upload into a private folder: size cap, accepted file types, body timeouts, complete forms."""

from __future__ import annotations

import asyncio
import os
import re
import unicodedata
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, cast

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect

from auditor.lean_dataclass import dataclass

if TYPE_CHECKING:  # python-multipart declares its callback table for type checkers only
    from python_multipart.multipart import MultipartCallbacks

ACCEPTED = (".xlsx", ".xlsm", ".xls", ".csv", ".txt", ".tsv", ".psv", ".json")
# File field -> the file types it accepts: chargemasters and pairing tables, and the facility's auditor.toml.
FILE_FIELDS = {"files": ACCEPTED, "pairing_table": ACCEPTED, "config": (".toml",)}
MAX_FIELD_BYTES = 64 * 1024
# Past the cap the rest of the body is read and thrown away (up to this much) so that the browser,
# still sending, receives the 413 page instead of a reset connection.
DRAIN_LIMIT = 256 * 1024 * 1024
BODY_TIMEOUT = 60.0  # seconds a request body may go without sending anything
BODY_TOTAL_TIMEOUT = 30 * 60.0  # seconds a whole request body may take (100 MB at ~0.5 Mbit/s)
INCOMPLETE = "upload incomplete: {why}; nothing was audited or kept, send the files again"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_UNSAFE = re.compile(r"[<>:\"/\\|?*]+")


class UploadError(Exception):
    """An upload the server refuses: HTTP status and the one-line message shown to the user."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


class BodyTimeout(UploadError):
    """A request body that stopped arriving (408)."""

    def __init__(self, message: str):
        super().__init__(408, message)


class BodyTimeoutMiddleware:
    """Give every request body a deadline: BODY_TIMEOUT without data, BODY_TOTAL_TIMEOUT in all.

    A client that stalls half-way through an upload would otherwise hold its connection, its half-stored
    files and a request task for ever; the handler gets BodyTimeout (408) from its next read instead.
    """

    def __init__(self, app, idle: float = BODY_TIMEOUT, total: float = BODY_TOTAL_TIMEOUT):
        self.app, self.idle, self.total = app, idle, total

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.total
        done = False

        async def timed_receive():
            nonlocal done
            if done:  # after the body only a disconnect can come: no deadline for that wait
                return await receive()
            wait = min(self.idle, deadline - loop.time())
            try:
                message = await asyncio.wait_for(receive(), max(wait, 0.0))
            except TimeoutError:
                done = True
                raise BodyTimeout(_timeout_message(self.idle, self.total, wait < self.idle)) from None
            if message["type"] != "http.request" or not message.get("more_body", False):
                done = True
            return message

        return await self.app(scope, timed_receive, send)


def _timeout_message(idle: float, total: float, whole: bool) -> str:
    """408's message: which limit the body ran into."""
    if whole:
        return f"upload timed out: the request took longer than {total:g} seconds; nothing was audited, send it again"
    return f"upload timed out: no data arrived for {idle:g} seconds; nothing was audited, send it again"


@dataclass
class Upload:
    """One stored file: the form field it came in, its display name, where it is stored, its size."""

    field: str
    name: str
    path: Path
    size: int = 0


@dataclass
class Received:
    """A parsed form: text fields (every value of each name) and the stored files."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    files: list[Upload] = field(default_factory=list)

    def get(self, name: str, default: str = "") -> str:
        """First value of a text field, stripped."""
        values = self.fields.get(name)
        return values[0].strip() if values else default

    def flag(self, name: str) -> bool:
        """A checkbox or boolean field: on/true/1/yes."""
        return self.get(name).lower() in ("on", "true", "1", "yes")


def display_name(raw: str) -> str:
    """A client file name reduced to a harmless label: last path part, no control or path characters."""
    name = unicodedata.normalize("NFC", raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("_", _CONTROL.sub("", name)).strip(" .")
    if len(name) > 120:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:110] + dot + ext[:8]) if dot and len(ext) <= 8 else name[:120]
    return name or "upload"


def unique_name(name: str, seen: set[str]) -> str:
    """A display name not used yet in this upload ('cdm (2).xlsx' for the second 'cdm.xlsx')."""
    out, n = name, 1
    while out.lower() in seen:
        n += 1
        out = f"{Path(name).stem} ({n}){Path(name).suffix}"
    seen.add(out.lower())
    return out


def accepted_suffix(name: str, accepted: tuple[str, ...] = ACCEPTED) -> str | None:
    """The lower-case suffix when it is one of the accepted types, else None."""
    suffix = Path(name).suffix.lower()
    return suffix if suffix in accepted else None


def mb(n: int) -> str:
    """Bytes as MB for messages ('1.5 MB', '100 MB')."""
    return f"{n / 2**20:.1f} MB".replace(".0 MB", " MB")


def _type_error(name: str, accepted: tuple[str, ...]) -> UploadError:
    """415 for a file whose name is not an accepted type."""
    return UploadError(415, f"{name}: this file type is not accepted; upload {', '.join(accepted)} files")


class _Parser:
    """python-multipart callbacks writing file parts straight into `dest` while counting bytes."""

    def __init__(
        self,
        dest: Path,
        max_bytes: int,
        file_fields: dict[str, tuple[str, ...]],
        max_files: int,
        max_fields: int,
    ):
        self.dest, self.max_bytes, self.file_fields = dest, max_bytes, file_fields
        self.max_files, self.max_fields = max_files, max_fields
        self.out = Received()
        self.total = 0
        self.error: UploadError | None = None
        self._headers: dict[bytes, bytes] = {}
        self._hname = self._hvalue = b""
        self._field: str | None = None
        self._value = bytearray()
        self._upload: Upload | None = None
        self._fh: BinaryIO | None = None
        self._skip = False
        self._names: set[str] = set()
        self.ended = False  # the closing boundary was read: the form is whole

    def fail(self, err: UploadError) -> None:
        """Remember the first refusal; everything after it is only drained."""
        if self.error is None:
            self.error = err
        self.close()

    def close(self) -> None:
        """Close the file being written, if any."""
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def on_part_begin(self) -> None:
        self._headers, self._field, self._value, self._upload, self._skip = {}, None, bytearray(), None, False

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._hname += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._hvalue += data[start:end]

    def on_header_end(self) -> None:
        self._headers[self._hname.lower()] = self._hvalue
        self._hname = self._hvalue = b""

    def on_headers_finished(self) -> None:
        if self.error:
            return
        _disp, opts = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = opts.get(b"name", b"").decode("utf-8", "replace")
        if not name:
            return self.fail(UploadError(400, "malformed form: a part has no field name"))
        self._field = name
        if b"filename" not in opts:
            if sum(len(v) for v in self.out.fields.values()) >= self.max_fields:
                return self.fail(UploadError(400, f"too many form fields (at most {self.max_fields})"))
            return
        raw = opts[b"filename"].decode("utf-8", "replace")
        if not raw:  # a file input left empty: browsers still send an empty part
            self._skip = True
            return
        if name not in self.file_fields:
            return self.fail(UploadError(400, f"unexpected file field {name!r}"))
        shown = display_name(raw)
        if accepted_suffix(shown, self.file_fields[name]) is None:
            return self.fail(_type_error(shown, self.file_fields[name]))
        if len(self.out.files) >= self.max_files:
            return self.fail(UploadError(400, f"too many files (at most {self.max_files} in one audit)"))
        shown = unique_name(shown, self._names)
        # The folder is generated; the file inside keeps the sanitised client name, so that everything the
        # reader names after the file (a text file's only sheet, its messages) reads as the analyst's file.
        folder = self.dest / str(len(self.out.files) + 1)
        folder.mkdir(mode=0o700)
        path = folder / shown
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        self._fh = os.fdopen(fd, "wb")
        self._upload = Upload(name, shown, path)
        self.out.files.append(self._upload)

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self.error or self._skip or self._field is None:
            return
        n = end - start
        if self._upload is None:
            if len(self._value) + n > MAX_FIELD_BYTES:
                return self.fail(UploadError(400, f"form field {self._field!r} is too long"))
            self._value += data[start:end]
            return
        self.total += n
        if self.total > self.max_bytes:
            return self.fail(
                UploadError(
                    413,
                    f"{self._upload.name}: the upload is larger than the "
                    f"{mb(self.max_bytes)} limit; split the file or ask for a higher "
                    "--max-upload-mb",
                )
            )
        # Local disk writes of one network chunk: too short to be worth a thread hop.
        assert self._fh is not None  # a file part opens its file in on_headers_finished
        self._fh.write(data[start:end])
        self._upload.size += n

    def on_part_end(self) -> None:
        if self.error or self._skip or self._field is None:
            return
        if self._upload is None:
            self.out.fields.setdefault(self._field, []).append(self._value.decode("utf-8", "replace"))
        else:
            self.close()

    def on_end(self) -> None:
        self.ended = True

    def callbacks(self) -> MultipartCallbacks:
        """The callback table python-multipart expects."""
        return cast(
            "MultipartCallbacks",
            {
                k: getattr(self, k)
                for k in (
                    "on_part_begin",
                    "on_part_data",
                    "on_part_end",
                    "on_header_field",
                    "on_header_value",
                    "on_header_end",
                    "on_headers_finished",
                    "on_end",
                )
            },
        )


async def receive(
    request,
    dest: Path,
    max_bytes: int,
    file_fields: dict[str, tuple[str, ...]] | None = None,
    max_files: int = 20,
    max_fields: int = 200,
) -> Received:
    """Parse a multipart/form-data request, storing files in `dest`; raise UploadError (400/413/415)."""
    ctype, params = parse_options_header(request.headers.get("content-type", ""))
    if ctype != b"multipart/form-data":
        raise UploadError(415, "send the files as multipart/form-data (a form with a file field)")
    boundary = params.get(b"boundary")
    if not boundary:
        raise UploadError(400, "malformed form: the multipart boundary is missing")
    declared = int(request.headers.get("content-length") or 0)
    if declared > max_bytes + DRAIN_LIMIT:
        raise UploadError(413, f"the upload ({mb(declared)}) is larger than the {mb(max_bytes)} limit")
    state = _Parser(dest, max_bytes, file_fields or FILE_FIELDS, max_files, max_fields)
    parser = MultipartParser(boundary, state.callbacks())
    drained = 0
    try:
        async for chunk in request.stream():
            if state.error is None:
                try:
                    parser.write(chunk)
                except FormParserError:
                    state.fail(UploadError(400, "malformed form data (the multipart body is damaged)"))
            else:
                drained += len(chunk)
                if drained > DRAIN_LIMIT:
                    break
        if state.error is None:
            parser.finalize()
    except ClientDisconnect:
        # Nobody is left to read the answer; the 400 makes the caller drop the run folder all the same.
        state.fail(
            UploadError(400, INCOMPLETE.format(why="the connection closed before the whole form arrived"))
        )
    except BodyTimeout as exc:
        state.fail(exc)  # a refusal found before the stall stays the answer
    finally:
        state.close()
    if state.error is None and not state.ended:
        # A body cut short (a dropped connection relayed as a complete request, a client that stopped early)
        # ends without the closing boundary: its last file is a fragment, never something to audit.
        state.fail(UploadError(400, INCOMPLETE.format(why="the form data ended before its closing boundary")))
    if state.error is not None:
        raise state.error
    return state.out
