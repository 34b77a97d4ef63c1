"""`provml stats`: what the knowledge graph holds (triples, named graphs, workflow runs)."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table

from provml.cli import options
from provml.errors import ProvmlError


@options.store_command
def stats(
    store_options: options.StoreOptions = options.STORE_OPTIONS,
    output_format: str = typer.Option(
        "table", "--format", metavar="table|json", help="Output format.", case_sensitive=False
    ),
) -> None:
    """Show the triples, named graphs and workflow runs in the knowledge graph."""
    from provml.kg import backend_for
    from provml.loaders import iris

    if output_format.lower() not in ("table", "json"):
        raise typer.BadParameter("use table or json", param_hint="--format")
    try:
        with store_options.open() as opened:
            where, backend = opened.location, backend_for(opened.location)
            graphs = {graph: opened.count(graph) for graph in opened.graphs()}
            triples = opened.count()
    except ProvmlError as error:
        raise options.fail(error) from None
    runs = sum(iris.is_run_graph(graph) for graph in graphs)
    if output_format.lower() == "json":
        summary = {
            "store": where,
            "backend": backend,
            "triples": triples,
            "runs": runs,
            "graphs": [{"graph": graph, "triples": count} for graph, count in graphs.items()],
        }
        typer.echo(json.dumps(summary, indent=2))
        return
    table = Table(title=f"{where} ({backend})")
    table.add_column("named graph", overflow="fold")
    table.add_column("triples", justify="right")
    for graph, count in graphs.items():
        table.add_row(graph, f"{count:,}")
    table.caption = f"{triples:,} triples/quads in all, {runs} workflow runs"
    Console().print(table)
