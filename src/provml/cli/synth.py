"""`provml synth OUTPUT_DIR`: spools imitating a training campaign on an HPC cluster."""

from __future__ import annotations

from pathlib import Path

import typer

from provml.cli import options
from provml.errors import ProvmlError
from provml.synth.campaign import DEFAULT_EVENTS, DEFAULT_SEED
from provml.synth.cluster import DEFAULT_GPUS, DEFAULT_NODES

OUTPUT = typer.Argument(..., metavar="OUTPUT_DIR", help="Where spool/ and queries.json go.")
NODES = typer.Option(DEFAULT_NODES, "--nodes", min=1, help="Compute nodes of the cluster.")
GPUS = typer.Option(
    DEFAULT_GPUS, "--gpus", min=1, help="GPUs of the cluster (at least one a node)."
)
EVENTS = typer.Option(
    DEFAULT_EVENTS, "--events", min=1, metavar="N", help="Write runs until at least N events."
)
SEED = typer.Option(DEFAULT_SEED, "--seed", help="The same seed gives the same spools.")


def synth(
    output: Path = OUTPUT,
    nodes: int = NODES,
    gpus: int = GPUS,
    events: int = EVENTS,
    seed: int = SEED,
) -> None:
    """Generate capture spools of a synthetic training campaign, and parameters for every query."""
    from provml.synth import synthesize

    try:
        picks = synthesize(output, events, seed=seed, nodes=nodes, gpus=gpus)
    except ProvmlError as error:
        raise options.fail(error) from None
    typer.echo(
        f"{picks.events:,} events of {picks.runs:,} runs in {picks.files:,} spool files under "
        f"{output / 'spool'}; canned-query parameters in {output / 'queries.json'}\n"
        f"next: provml load --bulk {output / 'spool'} --store STORE"
    )
