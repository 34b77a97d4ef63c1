"""`provml ontology ...`: check the ontology offline, and show where its files are for Protégé."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    name="ontology",
    help="The provml OWL ontology: check it offline, find its files.",
    no_args_is_help=True,
)


@app.command()
def check(
    ontology: Annotated[
        Path | None,
        typer.Option("--ontology", help="Ontology Turtle file (default: the packaged one)."),
    ] = None,
    catalog: Annotated[
        Path | None,
        typer.Option(
            "--catalog",
            help="Import catalog (default: the one beside the ontology, else the packaged one).",
        ),
    ] = None,
    shapes: Annotated[Path | None, typer.Option("--shapes", help="SHACL shapes file.")] = None,
    example: Annotated[
        list[Path] | None,
        typer.Option("--example", help="Data file to reason over and validate (repeatable)."),
    ] = None,
) -> None:
    """Load the ontology offline (rdflib, owlready2), run HermiT, the QC rules and SHACL."""
    from rich.console import Console
    from rich.table import Table

    from provml.errors import OntologyError
    from provml.ontology.check import run_checks
    from provml.ontology.paths import OILGAS_EXAMPLE, ONTOLOGY_FILE, SHAPES_FILE

    console = Console()
    ontology_file = ontology or ONTOLOGY_FILE
    try:
        report = run_checks(
            ontology_file=ontology_file,
            catalog_file=catalog,
            shapes_file=shapes or SHAPES_FILE,
            examples=tuple(example) if example else (OILGAS_EXAMPLE,),
        )
    except OntologyError as error:
        console.print(f"[bold red]error:[/] {error}", highlight=False)
        raise typer.Exit(1) from error

    terms = Table(title=f"Terms declared in {ontology_file.name}", title_justify="left")
    terms.add_column("kind")
    terms.add_column("count", justify="right")
    for kind, count in report.term_counts.items():
        terms.add_row(kind, str(count))
    terms.add_row("[bold]total[/]", f"[bold]{sum(report.term_counts.values())}[/]")
    console.print(terms)

    steps = Table(title="Checks", title_justify="left")
    steps.add_column("", width=2)
    steps.add_column("check")
    steps.add_column("detail", overflow="fold")
    for step in report.steps:
        mark = "[green]✓[/]" if step.passed else "[bold red]✗[/]"
        steps.add_row(mark, step.name, step.detail)
    console.print(steps)

    passed = sum(step.passed for step in report.steps)
    if report.ok:
        console.print(f"[bold green]OK[/]: {passed}/{len(report.steps)} checks passed")
        return
    console.print(f"[bold red]FAILED[/]: {passed}/{len(report.steps)} checks passed")
    raise typer.Exit(1)


@app.command()
def path() -> None:
    """Print where the ontology, its catalog, shapes and example are (open the .ttl in Protégé)."""
    from provml.ontology.paths import (
        ALIGNMENT_FILE,
        CATALOG_FILE,
        IMPORTS_DIR,
        OILGAS_EXAMPLE,
        ONTOLOGY_FILE,
        SHAPES_FILE,
    )

    for name, location in [
        ("ontology", ONTOLOGY_FILE),
        ("catalog", CATALOG_FILE),
        ("imports", IMPORTS_DIR),
        ("alignment", ALIGNMENT_FILE),
        ("shapes", SHAPES_FILE),
        ("example", OILGAS_EXAMPLE),
    ]:
        typer.echo(f"{name}\t{location}")
