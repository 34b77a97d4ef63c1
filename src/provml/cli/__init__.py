"""The `provml` command line; `main` names the extra to install when one is missing.

The typer app itself is `provml.cli.app.app`. This module needs only the standard library, so the
`provml` script of a bare `pip install provml` answers with the fix instead of a traceback.
"""

from __future__ import annotations

import sys

from provml.extras import install_hint


def main() -> None:
    """Run the `provml` command line."""
    try:
        from provml.cli.app import app

        app()
    except ModuleNotFoundError as error:
        hint = install_hint(error)
        if hint is None:
            raise
        sys.stderr.write(f"error: {hint}\n")
        raise SystemExit(2) from None
