"""Appeal (redetermination) and prior-authorization resubmission drafts: jinja2 text, then DOCX, PDF and a zip."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import traceback
import zipfile
from pathlib import Path
from typing import NamedTuple

from auditor.denials.appeal_files import write_docx, write_pdf
from auditor.denials.letter import parse
from auditor.denials.model import DraftClaim, DraftLine
from auditor.errors import InputError
from auditor.resources import resource_dir

KINDS = ("redetermination", "pa_resubmission")
ZIP_NAME = "appeal-drafts.zip"
SERVICE_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
# Text from input files must not change the draft's structure: a newline could start a heading or a table row.
BREAKS = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u2028\u2029]+")
UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def packaged_templates() -> Path:
    """The appeal templates shipped with the package."""
    return resource_dir("templates") / "appeals"


def _clean(value):
    """A copy of `value` with every string on one line (control characters and line breaks to spaces)."""
    if isinstance(value, str):
        return BREAKS.sub(" ", value).strip()
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.replace(
            value, **{f.name: _clean(getattr(value, f.name)) for f in dataclasses.fields(value)}
        )
    return value


def _text(value) -> str:
    """How a value prints in a draft: "—" for nothing, ISO dates, everything else as str."""
    if value is None or value == "":
        return "—"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _cell(value) -> str:
    """A table cell value, its pipes escaped so they do not split the row."""
    return _text(value).replace("|", "\\|")


def _money(value) -> str:
    """Dollars with cents, "—" when not given."""
    return "—" if value is None else f"{value:,.2f}"


def _reasons(line: DraftLine) -> str:
    """The line's CARCs with our labels, then its RARCs: "CO-50 (not medically necessary); RARC N115"."""
    labels = list(line.carc_labels) + [""] * (len(line.carcs) - len(line.carc_labels))
    parts = [f"{c} ({lab})" if lab else c for c, lab in zip(line.carcs, labels, strict=False)]
    if line.rarcs:
        parts.append("RARC " + ", ".join(line.rarcs))
    return "; ".join(parts)


def _environment(user_dir: Path | None):
    """Jinja2 over the user's folder first, then ours; plain text out, strict about undefined names."""
    from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined

    dirs = ([str(user_dir)] if user_dir else []) + [str(packaged_templates())]
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(d) for d in dirs]),
        autoescape=False,  # the output is plain structured text, laid out and escaped by each writer
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_text,
    )
    env.filters.update(cell=_cell, money=_money, reasons=_reasons)
    return env


def template_name(service: str, user_dir: Path | None = None) -> str:
    """`<service>.j2` when the user's folder or ours has it, else `default.j2`."""
    name = f"{service}.j2"
    if SERVICE_ID.match(service or ""):
        for d in (user_dir, packaged_templates()):
            if d is not None and (d / name).is_file():
                return name
    return "default.j2"


def _where(exc: Exception) -> tuple[str | None, int | None]:
    """The template file and line an error came from (syntax errors carry them; others are in the traceback)."""
    filename, lineno = getattr(exc, "filename", None), getattr(exc, "lineno", None)
    if not filename:
        for frame in reversed(traceback.extract_tb(exc.__traceback__)):
            if frame.filename.endswith(".j2"):
                return frame.filename, frame.lineno
    return filename, lineno


def render_text(claim: DraftClaim, templates: Path | None = None) -> str:
    """The draft's structured text from the service's template (a user's `templates` folder wins file by file)."""
    from jinja2 import TemplateError

    if claim.kind not in KINDS:
        raise ValueError(f"draft kind must be one of {KINDS}, not {claim.kind!r}")
    user_dir = Path(templates) if templates else None
    name = template_name(claim.service, user_dir)
    try:
        return _environment(user_dir).get_template(name).render(claim=_clean(claim))
    except Exception as exc:
        # Our templates are tested, so only a user's folder brings a broken one; an error outside any template
        # (or with no user folder) is a bug of ours and keeps its traceback.
        filename, lineno = _where(exc)
        if user_dir is None or not (filename or isinstance(exc, TemplateError)):
            raise
        at = f"line {lineno}: " if lineno else ""
        reason = f"{at}appeal template error: {type(exc).__name__}: {exc}"
        raise InputError(filename or str(user_dir), reason) from None


def safe_name(text: str) -> str:
    """A file name stem from a claim id: only letters, digits, dot, dash and underscore; never hidden or empty."""
    return UNSAFE_NAME.sub("_", text).strip("._")[:100] or "claim"


class DraftFiles(NamedTuple):
    """The files of one claim's draft."""

    docx: Path
    pdf: Path


def _stems(claims: list[DraftClaim]) -> list[str]:
    """One file name stem per claim, `<safe id>-<kind>`, unique even where ids clean (or case-fold) alike."""
    used: set[str] = set()
    out = []
    for claim in claims:
        stem, n = f"{safe_name(claim.claim_id)}-{claim.kind}", 1
        while stem.lower() in used:  # "A/1" and "A 1" both read A_1 (and two claims may share an id)
            n += 1
            stem = f"{safe_name(claim.claim_id)}-{n}-{claim.kind}"
        used.add(stem.lower())
        out.append(stem)
    return out


def write_drafts(
    claims: list[DraftClaim], out_dir: Path, templates: Path | None = None
) -> dict[str, DraftFiles]:
    """`<claim_id>-<kind>.docx` and `.pdf` per claim in `out_dir` and appeal-drafts.zip of them; returns
    claim identity (DraftClaim.identity) -> its files, so reports link each claim to its own draft."""
    if not claims:
        return {}
    texts = [render_text(c, templates) for c in claims]  # every template error before any file is written
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, DraftFiles] = {}
    for claim, text, stem in zip(claims, texts, _stems(claims), strict=True):
        blocks = parse(text)
        title = f"{claim.kind.replace('_', ' ')} draft, claim {claim.claim_id}"
        written[claim.identity()] = DraftFiles(
            write_docx(blocks, out_dir / f"{stem}.docx", title),
            write_pdf(blocks, out_dir / f"{stem}.pdf", title, footer=f"Draft: claim {claim.claim_id}"),
        )
    with zipfile.ZipFile(out_dir / ZIP_NAME, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for files in written.values():
            for path in files:
                zf.write(path, arcname=path.name)
    return written
