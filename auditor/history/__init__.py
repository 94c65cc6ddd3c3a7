"""Run history: every audit recorded in SQLite, compared across quarters, with acknowledgements."""

from auditor.history.hook import HistoryOptions, apply_history

__all__ = ["HistoryOptions", "apply_history"]
