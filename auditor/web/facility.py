"""The facility settings an upload brings: its auditor.toml, and the edits selected or ignored."""

from __future__ import annotations

import re
import tomllib

from auditor.audit import expand_edit_codes
from auditor.errors import InputError
from auditor.web.jobs import RunInput
from auditor.web.uploads import Received

CONFIG_FIELD = "config"


def config_input(form: Received) -> RunInput | None:
    """The uploaded facility configuration (one auditor.toml), or None; refused when it points at other files."""
    uploads = [f for f in form.files if f.field == CONFIG_FIELD]
    if not uploads:
        return None
    if len(uploads) > 1:
        raise InputError("config", "upload one facility configuration (auditor.toml), not several")
    up = uploads[0]
    try:
        data = tomllib.loads(up.path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        data = {}  # the audit refuses it with the reason, naming the upload
    if "lists" in data:
        # List paths are relative to the configuration's folder: on the server that is a private upload
        # folder, and a path reaching out of it would read the server's files.
        raise InputError(
            up.name,
            "[lists] names code-list files beside the configuration, which an upload does "
            "not bring; remove the section, or run `cdm-audit audit --config` where the "
            "lists are",
        )
    return RunInput(up.name, "config", up.path, up.size)


def edit_selection(form: Received) -> tuple[set[str] | None, set[str]]:
    """The select and ignore fields ('SS, NS001' like --select/--ignore) as edit codes: (select or None, ignore)."""
    return _codes(form.get("select")) or None, _codes(form.get("ignore"))


def _codes(text: str) -> set[str]:
    """Edit codes or two-letter family prefixes separated by commas or spaces."""
    return expand_edit_codes(re.split(r"[,\s]+", text), "select/ignore") if text else set()
