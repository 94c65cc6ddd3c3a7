"""One denials run: read remittances and worklists, settle reversals, join to the claims, analyse, draft appeals."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import field
from pathlib import Path

import polars as pl

from auditor.claims.pipeline import ClaimsRequest, run_claims
from auditor.claims.read import claim_chunks
from auditor.claims.result import ClaimsResult
from auditor.claims.wiser import load_scope
from auditor.claims.x12 import looks_like_x12
from auditor.denials.analytics import analyse
from auditor.denials.codes import SOURCE
from auditor.denials.drafts import build_drafts
from auditor.denials.join import join, with_claim_keys
from auditor.denials.model import DraftClaim, empty_remit
from auditor.denials.remit import read_835
from auditor.denials.settle import CLAIM_STATUS, payer_notes, settle
from auditor.denials.worklist import read_worklist
from auditor.errors import InputError
from auditor.ingest.reader import IngestOptions, file_sha256
from auditor.ingest.source import Source
from auditor.lean_dataclass import dataclass
from auditor.version import __version__


@dataclass
class DenialsRequest:
    """Options of a denials run besides the remittance files (paths, or (path, display name) pairs)."""

    claims: list = field(default_factory=list)  # paths or (path, display name) pairs
    # The claims already audited (a front that also shows the readiness report): not run a second time.
    claims_result: ClaimsResult | None = None
    state: str | None = None
    today: dt.date = field(default_factory=dt.date.today)
    # Denial reasons marked fixed: an edit code (WS001) or "CARC-197" -> the date it was fixed. Denials for
    # them on later dates of service are the recurring_after_fix pattern.
    fixed: dict[str, dt.date] = field(default_factory=dict)
    notice: Callable[[str], None] | None = None  # passed to the claims run (ClaimsRequest.notice)


@dataclass
class DenialsResult:
    """What the denials reports show: analytics, joined lines and claims, what was not joined, the drafts."""

    analytics: dict
    lines: pl.DataFrame
    claims: pl.DataFrame
    unjoined: list[dict]
    superseded: list[dict]
    drafts: list[DraftClaim]
    inputs: list[dict]
    notes: list[str]
    meta: dict


def read_remittance(path: Path) -> tuple[pl.DataFrame, str]:
    """One remittance input: an 835 or a denial worklist (csv/xlsx), and its format name."""
    if not path.is_file():
        raise InputError(str(path), "no such file")
    if looks_like_x12(
        path
    ):  # any X12 goes to the 835 reader, which names what it is (an 837, another version)
        return read_835(path), "x12-835"
    return read_worklist(path), "worklist"


def _claim_lines(paths: list[Path], options: IngestOptions | None = None) -> pl.DataFrame:
    """The claim lines of the claims files, as the claims reader sees them (to join remittance lines to).

    `options` are the claims run's (its size cap): a file the audit read is never refused here."""
    options = options or ClaimsRequest().ingest
    frames = []
    for path in paths:
        _acc, chunks = claim_chunks(path, options)
        frames.extend(chunk.select("file", "claim_id", "line", "code", "dos") for chunk in chunks)
    if not frames:
        return pl.DataFrame(
            schema={
                "file": pl.String,
                "claim_id": pl.String,
                "line": pl.String,
                "code": pl.String,
                "dos": pl.Date,
            }
        )
    return pl.concat(frames)


def _superseded(frame: pl.DataFrame) -> list[dict]:
    """One entry per adjudication not counted: the claim, its payer, why, what took its place and when."""
    return (
        frame.unique("_adj", keep="first", maintain_order=True)
        .select(
            "file",
            "row",
            "claim_id",
            "payer",
            "claim_status",
            pl.col("paid_date").cast(pl.String),
            "superseded",
            "superseded_by",
            pl.col("superseded_on").cast(pl.String),
        )
        .to_dicts()
    )


def run_denials(paths: list, request: DenialsRequest | None = None) -> DenialsResult:
    """Read, settle, join, analyse and draft; InputError names the file that could not be read.

    Files are paths or (path, display name) pairs: reports, the run record and messages show the name."""
    request = request or DenialsRequest()
    if not request.claims:
        raise InputError(
            "--claims", "give the claims the remittances answer (the claims extract or 837 files)"
        )
    scope = load_scope()
    remits = [Source.of(p) for p in paths]
    claim_files = [Source.of(p) for p in request.claims]
    names = {str(s.path): s.name for s in [*remits, *claim_files]}
    frames, inputs = [], []
    for src in remits:
        try:
            frame, fmt = read_remittance(src.path)
        except InputError as exc:
            raise dataclasses.replace(exc, path=src.name) from None  # the name the user knows the file by
        frames.append(frame.with_columns(file=pl.lit(src.name, dtype=pl.String)))
        inputs.append(
            {
                "role": "remittance",
                "path": src.name,
                "format": fmt,
                "sha256": file_sha256(src.path),
                "rows": frame.height,
            }
        )
    remit = pl.concat(frames, how="vertical_relaxed") if frames else empty_remit()
    paths_only = [s.path for s in claim_files]
    claims_request = ClaimsRequest(
        state=request.state, today=request.today, keep_lines=True, notice=request.notice
    )
    claims_result = request.claims_result or run_claims(paths_only, claims_request)
    for f in claims_result.files:
        inputs.append(
            {
                "role": "claims",
                "path": names.get(str(f["path"]), f["path"]),
                "format": f.get("format"),
                "sha256": f.get("sha256"),
                "rows": f.get("rows_read"),
            }
        )
    # Settled per claim (its key, as the join picks it) and payer: two claims sharing an id stay apart.
    keyed = with_claim_keys(remit, claims_result)
    standing, superseded = settle(keyed)
    # The claims run kept its lines (read once); a result handed in without them is read again here.
    claim_lines = claims_result.lines
    if claim_lines is None:
        claim_lines = _claim_lines(paths_only, claims_request.ingest)
    joined = join(standing, claims_result, claim_lines, scope)
    joined.lines = joined.lines.with_columns(
        claim_file=pl.col("claim_file").replace(names), file=pl.col("file").replace(names)
    )
    analytics = analyse(joined.lines, scope, request.fixed)
    claims = analytics.pop("_claims")
    lines = analytics.pop("_lines")
    drafts = build_drafts(lines, claims, scope)
    notes = [
        "Denied lines are lines paid nothing on a charge with a reason code other than contractual, patient share "
        "or bundling, and every line of a claim denied whole (CLP02 4).",
        "No WISeR-specific remark codes are known (wiser-research 4): patterns are read from CARCs and the claims.",
    ]
    if superseded.height:
        notes.append(
            f"{superseded.select('_adj').n_unique()} adjudication(s) were reversed or replaced by a later one and are not counted."
        )
    notes += payer_notes(keyed)  # payer names too ambiguous to give their id-less adjudications an id
    return DenialsResult(
        analytics=analytics,
        lines=lines,
        claims=claims,
        unjoined=joined.unjoined,
        superseded=_superseded(superseded),
        drafts=drafts,
        inputs=inputs,
        notes=notes,
        meta={
            "generated_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
            "tool_version": __version__,
            "wiser_scope": scope.version,
            "code_labels": SOURCE,
            "claim_status_codes": CLAIM_STATUS,
        },
    )
