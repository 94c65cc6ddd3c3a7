"""What an audit asks of the run history: the database, whether to record, what to compare with."""

from __future__ import annotations

from pathlib import Path

from auditor.derived_cache import default_home
from auditor.lean_dataclass import dataclass

FILE_NAME = "history.sqlite"


def database_path(db: Path | str | None = None) -> Path:
    """The history database: `db` as given (~ expanded), else $CDM_AUDIT_HOME/history.sqlite."""
    return Path(db).expanduser() if db else default_home() / FILE_NAME


@dataclass
class HistoryOptions:
    """What an audit asks of the run history."""

    db: Path | None = None  # None: $CDM_AUDIT_HOME/history.sqlite
    record: bool = True  # False: --no-history (still compares when compare_with is set)
    compare_with: str | None = "last"  # "last", a run id, or None for no comparison
    facility: str | None = None  # None: guessed from the chargemaster file names
    label: str | None = None  # e.g. the recurring-run file that asked for this audit

    @property
    def active(self) -> bool:
        """Whether the history is touched at all."""
        return self.record or bool(self.compare_with)

    def database(self) -> Path:
        """The history database this run uses: `db`, else $CDM_AUDIT_HOME/history.sqlite."""
        return database_path(self.db)

    @property
    def needed(self) -> bool:
        """Whether the history step has anything to do: record, or compare with runs already recorded."""
        return self.record or (bool(self.compare_with) and self.database().is_file())
