"""Run history: every audit recorded in SQLite, compared across quarters, with acknowledgements."""

from auditor.history.hook import HistoryOptions, audit_hook

__all__ = ["HistoryOptions", "audit_hook"]
