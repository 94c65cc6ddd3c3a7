"""Run history: every audit recorded in SQLite, compared across quarters, with acknowledgements."""

from auditor.history.options import HistoryOptions

__all__ = ["HistoryOptions", "apply_history"]


def __getattr__(name: str):
    # The history step (SQLite, comparisons) is imported when a run first uses it: building the options of an
    # audit that records nothing should not load it.
    if name == "apply_history":
        from auditor.history.hook import apply_history

        return apply_history
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
