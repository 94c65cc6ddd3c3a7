"""How a command fails: one `error:` line on stderr and exit code 2, never a traceback (loads nothing heavy); and
the `note:` lines it prints on stderr before a wait."""

from __future__ import annotations

import functools
import sys
import traceback

import click

from auditor.errors import EXIT_BAD_INPUT, InputError


def friendly_errors(fn):
    """Turn InputError (and any crash) into one `error:` line on stderr and exit code 2."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except InputError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_BAD_INPUT)
        except (click.exceptions.Exit, click.ClickException, SystemExit, KeyboardInterrupt):
            raise
        except BrokenPipeError:  # output piped into `head`: stop quietly
            sys.stderr.close()
            sys.exit(0)
        except Exception as exc:  # never show a traceback to a user; --debug shows it
            if click.get_current_context().find_root().params.get("debug"):
                traceback.print_exc()
            click.echo(
                f"error: unexpected {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
                " (rerun with --debug and report it)",
                err=True,
            )
            sys.exit(EXIT_BAD_INPUT)

    return wrapper


def note(text: str) -> None:
    """Print one `note:` line on stderr (what a run does that takes a while, said before the wait)."""
    click.echo(f"note: {text}", err=True)
