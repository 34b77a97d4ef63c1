"""`provml demo`: the whole job on a small seismic workflow, in one command."""

from __future__ import annotations

from pathlib import Path

import typer

from provml.cli import options
from provml.errors import ProvmlError
from provml.extras import missing_modules, needs

OUTPUT = typer.Option(
    Path("provml-demo"),
    "--output",
    metavar="DIR",
    help="Where the survey, the spool, the store and the lineage picture go (reused by reruns).",
)


def demo(output: Path = OUTPUT) -> None:
    """Run a small seismic ML workflow with capture, load it, answer questions, draw its lineage."""
    from rich.console import Console

    from provml.demo import run_demo

    missing = missing_modules("demo")
    if missing:
        raise options.fail(ProvmlError(f"{needs('demo', 'provml demo')} ({', '.join(missing)})"))
    if output.exists() and not output.is_dir():
        raise options.fail(ProvmlError(f"--output {output}: exists and is not a directory"))
    try:
        run_demo(output, Console())
    except ProvmlError as error:
        raise options.fail(error) from None
    except OSError as error:
        failure = ProvmlError(f"--output {output}: cannot write the demo: {error}")
        raise options.fail(failure) from None
