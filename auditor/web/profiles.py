"""Saved column profiles of the web app: TOML files in the user's data folder, picked by a sanitised name."""

from __future__ import annotations

import re
from pathlib import Path

from auditor.derived_cache import default_home
from auditor.errors import InputError
from auditor.ingest.profile import load_profile, save_profile
from auditor.ingest.reader import SheetChoice

_NAME = re.compile(r"[^A-Za-z0-9_-]+")


def profiles_dir() -> Path:
    """$CDM_AUDIT_HOME/profiles, else ~/.local/share/cdm-audit/profiles (created on first save)."""
    return default_home() / "profiles"


def safe_name(name: str) -> str:
    """A profile name usable as a file name: letters, digits, '-' and '_' only, 1-60 chars."""
    cleaned = _NAME.sub("-", (name or "").strip()).strip("-")[:60]
    if not cleaned:
        raise InputError("profile", "give the profile a name (letters, digits, '-', '_')")
    return cleaned


def list_profiles() -> list[str]:
    """Names of the saved profiles, sorted."""
    folder = profiles_dir()
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob("*.toml") if p.is_file())


def load(name: str) -> dict:
    """A saved profile by name: {columns, header_row, sheets, no_header, per_sheet}; InputError when missing."""
    path = profiles_dir() / f"{safe_name(name)}.toml"
    if not path.is_file():
        raise InputError(f"profile {name!r}", "no saved profile by that name")
    return load_profile(path)


def save(
    name: str,
    columns: dict[str, str],
    header_row: int | None,
    sheets: list[str] | None = None,
    no_header: bool = False,
    per_sheet: dict[str, SheetChoice] | None = None,
) -> str:
    """Write a profile (with its per-sheet choices); returns the sanitised name it was saved under."""
    clean = safe_name(name)
    folder = profiles_dir()
    folder.mkdir(parents=True, exist_ok=True)
    save_profile(
        folder / f"{clean}.toml", columns, header_row, sheets, no_header=no_header, per_sheet=per_sheet
    )
    return clean
