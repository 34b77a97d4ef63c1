"""`provml stats`: what the knowledge graph holds (triples, named graphs, workflow runs)."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table

from provml.errors import ProvmlError, StoreError

#: Named graphs under this prefix hold one workflow run each (team contract 2).
RUN_GRAPH_PREFIX = "https://w3id.org/provml/id/run/"


def _location(store: str | None) -> str:
    """The store to open: the option, else $PROVML_STORE, else ./provml-store; must exist."""
    from provml.kg import backend_for, default_location
    from provml.kg.oxigraph import directory_of

    location = store or default_location()
    if backend_for(location) == "oxigraph" and not directory_of(location).is_dir():
        raise StoreError(
            f"no store at {location}: load data first (`provml load`), or pass --store PATH|URL "
            "or set $PROVML_STORE"
        )
    return location


def stats(
    store: str | None = typer.Option(
        None,
        "--store",
        metavar="PATH|URL",
        help="Store directory or SPARQL endpoint URL (default: $PROVML_STORE or ./provml-store).",
    ),
    output_format: str = typer.Option(
        "table", "--format", metavar="table|json", help="Output format.", case_sensitive=False
    ),
    wait: float = typer.Option(
        0.0,
        "--wait",
        metavar="SECONDS",
        help="While another process writes the store directory, wait this long for it.",
    ),
    user: str | None = typer.Option(
        None, "--user", envvar="PROVML_STORE_USER", help="User for a remote endpoint."
    ),
    password: str | None = typer.Option(
        None, "--password", envvar="PROVML_STORE_PASSWORD", help="Password for a remote endpoint."
    ),
) -> None:
    """Show the triples, named graphs and workflow runs in the knowledge graph."""
    from provml.kg import backend_for, open_store

    if output_format.lower() not in ("table", "json"):
        raise typer.BadParameter("use table or json", param_hint="--format")
    try:
        location = _location(store)
        remote = backend_for(location) != "oxigraph"
        options = {"user": user, "password": password} if remote else {"wait": wait}
        with open_store(location, **options) as opened:
            where, backend = opened.location, backend_for(location)
            graphs = {graph: opened.count(graph) for graph in opened.graphs()}
            triples = opened.count()
    except ProvmlError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    runs = sum(graph.startswith(RUN_GRAPH_PREFIX) for graph in graphs)
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
