"""`provml import-prov` and `provml export`: W3C PROV documents in, RDF or PROV documents out."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from provml.cli import options
from provml.errors import ProvmlError

_IMPORT_FORMATS = (
    "turtle, trig, rdfxml, jsonld, ntriples, nquads, prov-json, prov-xml, prov-n, prov-jsonld"
)
_EXPORT_FORMATS = (
    "turtle, ntriples, nquads, trig, jsonld, rdfxml, prov-json, prov-n, prov-xml, prov-jsonld"
)

_FILES = typer.Argument(..., metavar="FILE...", help="PROV documents to import.")
_OUTPUT = typer.Option(
    None, "--output", "-o", metavar="FILE", help="Write here (default: standard output)."
)


@options.store_command
def import_prov(
    files: list[Path] = _FILES,
    input_format: str | None = typer.Option(
        None,
        "--format",
        help=f"Format of every FILE (default: from the extension): {_IMPORT_FORMATS}.",
    ),
    graph: str | None = typer.Option(
        None,
        "--graph",
        metavar="IRI",
        help="Named graph to import into (default: import/prov/{sha256 of the file}).",
    ),
    store_options: options.StoreOptions = options.STORE_OPTIONS,
) -> None:
    """Import W3C PROV documents (PROV-JSON, PROV-XML, PROV-N, PROV-O RDF), one transaction each."""
    from provml.loaders.prov_import import import_prov as import_one

    failed = False
    try:
        with store_options.open(must_exist=False) as opened:
            for path in files:
                try:
                    report = import_one(opened, path, format=input_format, graph=graph)
                except ProvmlError as error:  # this file changed nothing; go on with the others
                    typer.echo(f"error: {error}", err=True)
                    failed = True
                    continue
                for note in report.notes:
                    typer.echo(f"note: {note}", err=True)
                if report.triples == 0:
                    typer.echo(
                        f"{path}: no statements (0 triples); nothing imported, no graph"
                    )  # none to export
                    continue
                bundles = f", {len(report.bundles)} bundles" if report.bundles else ""
                typer.echo(f"{path}: {report.triples} triples into {report.graph}{bundles}")
            opened.flush()
    except ProvmlError as error:
        raise options.fail(error) from None
    if failed:
        raise typer.Exit(1)


@options.store_command
def export(
    run: str | None = typer.Option(None, "--run", metavar="ID", help="Export workflow run ID."),
    graph: str | None = typer.Option(None, "--graph", metavar="IRI", help="Export this graph."),
    output_format: str = typer.Option(..., "--format", help=f"One of {_EXPORT_FORMATS}."),
    output: Path | None = _OUTPUT,
    store_options: options.StoreOptions = options.STORE_OPTIONS,
) -> None:
    """Export a run, a named graph, or the whole store (dataset formats) as RDF or W3C PROV."""
    from provml.loaders.iris import run_graph
    from provml.loaders.prov_export import export as export_graph

    if run is not None and graph is not None:
        raise typer.BadParameter("pass --run or --graph, not both", param_hint="--run")
    selected = run_graph(run) if run is not None else graph
    try:
        with store_options.open() as opened:
            target = output if output is not None else sys.stdout.buffer
            report = export_graph(opened, target, output_format, graph=selected)
    except ProvmlError as error:
        raise options.fail(error) from None
    for note in report.notes:
        typer.echo(f"note: {note}", err=True)
