"""WISeR scope as data: which claim lines need prior authorization, and why the others do not."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import field
from pathlib import Path

import polars as pl

from auditor.engine.conditions import row_condition
from auditor.engine.lists import CatalogError, expand_codes
from auditor.ingest import normalize as nz
from auditor.lean_dataclass import dataclass
from auditor.resources import resource_dir

PAYER_CLASSES = ("original_medicare", "medicare_advantage", "medicaid", "va_ihs", "other")
PAYER_LABELS = {
    "original_medicare": "Original Medicare",
    "medicare_advantage": "Medicare Advantage",
    "medicaid": "Medicaid",
    "va_ihs": "VA / IHS / TRICARE",
    "other": "another payer",
}


@dataclass
class WiserScope:
    """The scope file, parsed: services and their codes, states and participants, settings, exclusions."""

    version: str
    as_of: dt.date
    first_dos: dt.date
    model_to: dt.date
    states: dict[str, dict]
    services: dict[str, dict]
    code_service: dict[str, str]
    bill_type_prefixes: tuple[str, ...]
    places_of_service: tuple[str, ...]
    emergency_revenue: str
    emergency_modifiers: tuple[str, ...]
    payers: list[tuple[str, str]]
    path: str
    raw: dict = field(repr=False, default_factory=dict)

    def delayed_from(self, service: str) -> dt.date | None:
        """First date of service on which a delayed service is out of scope (None when not delayed)."""
        d = self.services[service].get("delayed")
        return d["from"] if d else None

    def service_table(self) -> dict[str, dict]:
        """Service id -> title, policy, policy_url, basis, checklist, codes, delayed note (for reports)."""
        out = {}
        for sid, s in self.services.items():
            delayed = s.get("delayed")
            out[sid] = {
                "title": s["title"],
                "policy": s["policy"],
                "policy_url": s.get("policy_url", ""),
                "basis": s.get("basis", "inferred"),
                "checklist": list(s.get("checklist") or []),
                "codes": sorted(expand_codes(s["codes"])),
                "delayed": f"from {delayed['from']}: {delayed.get('note', '')}".strip() if delayed else None,
            }
        return out


def load_scope(path: Path | None = None) -> WiserScope:
    """Read and check the WISeR scope file (the packaged one unless `path` is given)."""
    import yaml  # on use: a chargemaster audit imports this module but never reads the scope

    path = path or resource_dir("edits") / "wiser" / "scope.yaml"
    try:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's C loader: ~10x the pure-Python one
        doc = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=loader) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogError(f"{path}: cannot read the WISeR scope file ({exc})") from None
    try:
        services = doc["services"]
        code_service: dict[str, str] = {}
        for sid, s in services.items():
            for code in expand_codes(s["codes"]):
                if code in code_service:
                    raise CatalogError(f"{path}: code {code} is in services {code_service[code]} and {sid}")
                code_service[code] = sid
        payers = [(p["class"], p["pattern"]) for p in doc["payers"]]
        for cls, pattern in payers:
            if cls not in PAYER_CLASSES:
                raise CatalogError(f"{path}: payer class {cls!r} is not one of {', '.join(PAYER_CLASSES)}")
            re.compile(pattern)
        return WiserScope(
            version=str(doc["version"]),
            as_of=doc["as_of"],
            first_dos=doc["first_dos"],
            model_to=doc["model"]["to"],
            states={k.upper(): v for k, v in doc["states"].items()},
            services=services,
            code_service=code_service,
            bill_type_prefixes=tuple(str(x) for x in doc["settings"]["bill_type_prefixes"]),
            places_of_service=tuple(str(x).zfill(2) for x in doc["settings"]["places_of_service"]),
            emergency_revenue=doc["exclusions"]["emergency_revenue_pattern"],
            emergency_modifiers=tuple(doc["exclusions"]["emergency_modifiers"]),
            payers=payers,
            path=str(path),
            raw=doc,
        )
    except (KeyError, TypeError) as exc:
        raise CatalogError(f"{path}: the WISeR scope file lacks {exc}") from None


def payer_class(payer: pl.Expr, scope: WiserScope) -> pl.Expr:
    """Classify payer text (or an 837 filing indicator) into PAYER_CLASSES; null when no payer is given."""
    text = payer.str.to_uppercase().str.strip_chars()
    out = pl.lit(None, dtype=pl.String)
    for cls, pattern in reversed(scope.payers):
        out = pl.when(text.str.contains(f"(?i){pattern}")).then(pl.lit(cls)).otherwise(out)
    return pl.when(text.is_null() | (text == "")).then(None).otherwise(out)


def mark(frame: pl.DataFrame, scope: WiserScope) -> pl.DataFrame:
    """Add payer_class, setting(_label), wiser_category, wiser_in_scope, wiser_reason, wiser_state and participant."""
    states = list(scope.states)
    participants = {k: v["participant"] for k, v in scope.states.items()}
    delayed = {sid: start for sid in scope.services if (start := scope.delayed_from(sid))}
    # Payer regexes and code look-ups run once per distinct value: claim files repeat them on every line.
    f = frame.with_columns(wiser_state=pl.col("state"))
    tob = pl.col("bill_type").str.replace(r"^0", "")
    pos = pl.col("pos").str.zfill(2)
    in_setting = (
        pl.when(tob.is_not_null())
        .then(tob.str.slice(0, 2).is_in(scope.bill_type_prefixes))
        .when(pos.is_not_null())
        .then(pos.is_in(scope.places_of_service))
        .otherwise(True)
    )
    groups = [
        {"payer_class": payer_class(pl.col("payer"), scope)},
        {
            "wiser_category": pl.col("code").replace_strict(
                scope.code_service, default=None, return_dtype=pl.String
            )
        },
        {"participant": pl.col("state").replace_strict(participants, default=None, return_dtype=pl.String)},
        # setting_label is shown to people; `setting` is what the code-validity edits read (inpatient or not).
        {
            "setting_label": pl.when(tob.is_not_null())
            .then(pl.lit("TOB ") + tob)
            .when(pos.is_not_null())
            .then(pl.lit("POS ") + pos)
            .otherwise(None),
            "setting": pl.when(tob.str.starts_with("11"))
            .then(pl.lit("inpatient"))
            .otherwise(pl.lit("outpatient")),
            "_in_setting": in_setting,
        },
    ]
    # Emergency is a claim-level fact: an ER line (045X) or ET anywhere on the claim takes the visit out.
    er_line = pl.col("revenue_code").str.contains(scope.emergency_revenue).fill_null(False) | row_condition(
        {"field": "modifiers", "has_any": list(scope.emergency_modifiers)}
    )
    groups.append({"_er_line": er_line})
    f = f.hstack(nz.distinct_columns(f, groups))
    # The claims with an ER line, looked up per line (a window over a hundred thousand claims costs more).
    er_claims = f.filter(pl.col("_er_line")).get_column("claim_key").unique()
    f = f.with_columns(_er=pl.col("claim_key").is_in(er_claims.implode()).fill_null(False))
    delayed_on = pl.lit(False)
    for sid, start in delayed.items():
        delayed_on = delayed_on | ((pl.col("wiser_category") == sid) & (pl.col("_dos") >= start))
    wiser = pl.col("wiser_category").is_not_null()
    pc = pl.col("payer_class")
    reason = (
        pl.when(~wiser)
        .then(None)
        .when(pc.is_not_null() & (pc != "original_medicare"))
        .then(
            pl.lit("payer is ")
            + pc.replace_strict(PAYER_LABELS, default="another payer")
            + pl.lit(", not Original Medicare")
        )
        .when(pl.col("state").is_null())
        .then(pl.lit("no state on the claim (give --state)"))
        .when(~pl.col("state").is_in(states))
        .then(pl.col("state") + pl.lit(" is not a WISeR state"))
        .when(pl.col("_dos").is_null())
        .then(pl.lit("no date of service"))
        .when(pl.col("_dos") < scope.first_dos)
        .then(pl.lit(f"date of service before {scope.first_dos} (first WISeR date of service)"))
        .when(pl.col("_dos") > scope.model_to)
        .then(pl.lit(f"date of service after the model ends ({scope.model_to})"))
        .when(delayed_on)
        .then(pl.lit("service delayed by CMS (") + pl.col("wiser_category") + pl.lit(")"))
        .when(~pl.col("_in_setting"))
        .then(pl.col("setting_label") + pl.lit(" is not a WISeR setting (TOB 13X; POS 11, 12, 24)"))
        .when(pl.col("_er"))
        .then(pl.lit("emergency visit (revenue code 045X or modifier ET on the claim)"))
        .otherwise(None)
    )
    f = f.hstack(nz.distinct_columns(f, [{"wiser_reason": reason}]))
    return f.with_columns(wiser_in_scope=wiser & pl.col("wiser_reason").is_null()).drop(
        "_er", "_er_line", "_in_setting"
    )
