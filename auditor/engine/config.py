"""Facility configuration (auditor.toml): disable edits, change severities, set revenue codes, waive lines."""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import field
from pathlib import Path

from auditor.errors import InputError
from auditor.lean_dataclass import dataclass
from auditor.resources import resource_dir

_SEVERITIES = ("error", "warning", "info")


@dataclass
class Waiver:
    """A reviewed exception: findings for this charge code (and edit, if given) stay visible as waived."""

    charge_code: str
    reason: str
    edit: str | None = None
    until: dt.date | None = None

    def covers(self, edit: str, charge_code: str | None, today: dt.date) -> bool:
        """Whether this waiver applies to a finding."""
        return charge_code is not None and charge_key(charge_code) == self.key and self.applies(edit, today)

    @property
    def key(self) -> str:
        """The charge code as waivers compare it (charge_key)."""
        return charge_key(self.charge_code)

    def applies(self, edit: str, today: dt.date) -> bool:
        """Whether this waiver is for this edit (or any edit) and not expired on `today`."""
        return (not self.edit or self.edit.upper() == edit) and (self.until is None or today <= self.until)


def charge_key(charge_code: str) -> str:
    """A charge code as waivers compare it: trimmed, upper case."""
    return charge_code.strip().upper()


@dataclass
class FacilityConfig:
    """Settings merged from the packaged defaults and the facility's auditor.toml."""

    disabled: set[str] = field(default_factory=set)
    severity: dict[str, str] = field(default_factory=dict)
    values: dict = field(default_factory=dict)
    waivers: list[Waiver] = field(default_factory=list)
    extra_lists: dict[str, Path] = field(default_factory=dict)
    path: str | None = None
    raw_text: str = ""

    def lookup(self, dotted: str):
        """Value of `revenue_codes.devices`-style keys."""
        node = self.values
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                raise KeyError(dotted)
            node = node[part]
        return node

    def to_dict(self) -> dict:
        """What the run record shows of the configuration."""
        return {
            "path": self.path,
            "disabled": sorted(self.disabled),
            "severity": dict(sorted(self.severity.items())),
            "values": self.values,
            "waivers": [
                {
                    "charge_code": w.charge_code,
                    "edit": w.edit,
                    "reason": w.reason,
                    "until": w.until.isoformat() if w.until else None,
                }
                for w in self.waivers
            ],
            "extra_lists": {k: str(v) for k, v in self.extra_lists.items()},
        }


def load_config(path: Path | None = None, known_edits: set[str] | None = None) -> FacilityConfig:
    """Packaged defaults, overlaid with the facility file when given; bad settings are InputErrors."""
    defaults = tomllib.loads((resource_dir("edits") / "defaults.toml").read_text(encoding="utf-8"))
    cfg = FacilityConfig(values=defaults)
    if path is None:
        return cfg
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except FileNotFoundError:
        raise InputError(name, "configuration file not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(name, f"configuration is not valid TOML: {exc}") from None
    cfg.path, cfg.raw_text = name, text
    unknown = set(data) - {"edits", "severity", "revenue_codes", "waivers", "lists", "pricing"}
    if unknown:
        raise InputError(
            name,
            f"unknown section(s) {', '.join(sorted(unknown))}; allowed: edits, severity, "
            "revenue_codes, pricing, lists, waivers",
        )
    known = known_edits or set()
    disabled = {c.upper() for c in data.get("edits", {}).get("disable", [])}
    for code in disabled | {c.upper() for c in data.get("severity", {})}:
        if known and code not in known:
            raise InputError(name, f"unknown edit code {code}")
    cfg.disabled = disabled
    for code, sev in data.get("severity", {}).items():
        if sev not in _SEVERITIES:
            raise InputError(name, f"severity for {code} must be one of {', '.join(_SEVERITIES)}")
        cfg.severity[code.upper()] = sev
    for section in ("revenue_codes", "pricing"):
        for key, value in data.get(section, {}).items():
            if key not in defaults.get(section, {}):
                raise InputError(name, f"unknown setting {section}.{key}")
            if section == "revenue_codes":
                value = [str(v).strip().zfill(4) for v in value]
            cfg.values[section][key] = value
    for key, value in data.get("lists", {}).items():
        p = (path.parent / value).resolve()
        if not p.is_file():
            raise InputError(name, f"list file for {key} not found: {p}")
        cfg.extra_lists[key] = p
    for i, w in enumerate(data.get("waivers", []), start=1):
        if "charge_code" not in w or not str(w.get("reason", "")).strip():
            raise InputError(name, f"waiver #{i} needs charge_code and a reason")
        until = w.get("until")
        if until is not None and not isinstance(until, dt.date):
            raise InputError(name, f"waiver #{i}: until must be a date like 2026-12-31")
        if w.get("edit") and known and str(w["edit"]).upper() not in known:
            raise InputError(name, f"waiver #{i}: unknown edit code {w['edit']}")
        cfg.waivers.append(Waiver(str(w["charge_code"]), str(w["reason"]), w.get("edit"), until))
    return cfg
