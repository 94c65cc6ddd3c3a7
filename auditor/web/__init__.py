"""`cdm-audit serve`: a local web application over the same audit core and report writers as the CLI."""

from __future__ import annotations

__all__ = ["WebSettings", "create_app"]


def __getattr__(name: str):
    """Import the app only when asked: `auditor.cli.serve` must stay cheap for every CLI start."""
    if name in __all__:
        from auditor.web import app

        return getattr(app, name)
    raise AttributeError(name)
