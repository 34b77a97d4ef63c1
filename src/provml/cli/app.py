"""The `provml` typer app: each layer adds its commands from its own module."""

from __future__ import annotations

import typer

import provml
from provml.cli import mlflow, ontology, prov, queries
from provml.cli.annotate import annotate
from provml.cli.demo import demo
from provml.cli.load import load
from provml.cli.serve import serve
from provml.cli.store import stats
from provml.cli.synth import synth

app = typer.Typer(
    name="provml",
    help="Provenance for the lifecycle of scientific machine learning, in a knowledge graph.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


def _print_version(value: bool) -> None:
    """Print the installed version and stop, for `--version`."""
    if value:
        typer.echo(f"provml {provml.__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False,
        "--version",
        callback=_print_version,
        is_eager=True,
        help="Show the version and exit.",
    ),
) -> None:
    """Provenance for the lifecycle of scientific machine learning, in a knowledge graph."""


app.add_typer(ontology.app, name="ontology")
app.command()(demo)
app.command()(synth)
app.command()(stats)
app.command()(load)
app.command("import-mlflow")(mlflow.import_mlflow)
app.command("import-prov")(prov.import_prov)
app.command("export")(prov.export)
app.command("queries")(queries.queries)
app.command("query")(queries.query)
app.command("sparql")(queries.sparql)
app.command("lineage")(queries.lineage)
app.command("serve")(serve)
app.command("annotate")(annotate)
