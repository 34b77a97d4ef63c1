"""`provml load PATH...`: capture spools into the knowledge graph, resumable, with quarantine."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import typer

from provml.cli import options
from provml.errors import ProvmlError
from provml.loaders.follow import DEFAULT_INTERVAL


def default_sidecar(location: str, suffix: str) -> Path:
    """A file beside an embedded store (`<store>.<suffix>`), or in the current directory named
    after a remote store's URL, so each store keeps its own checkpoint and quarantine."""
    from provml.kg.registry import store_class

    directory = store_class(location).local_directory(location)
    if directory is not None:
        return directory.with_name(f"{directory.name}.{suffix}")
    digest = hashlib.sha256(location.encode()).hexdigest()[:12]
    return Path(f"provml-load-{digest}.{suffix}")


PATHS = typer.Argument(..., metavar="PATH...", help="Spool files, run directories or spool roots.")
CHECKPOINT = typer.Option(
    None,
    "--checkpoint",
    metavar="FILE",
    help="Where each file's load got to (default: <store>.checkpoint.json beside the store).",
)
QUARANTINE = typer.Option(
    None,
    "--quarantine",
    metavar="FILE",
    help="Bad lines go here as JSON lines (default: <store>.quarantine.jsonl).",
)
STRICT = typer.Option(False, "--strict", help="Fail on the first bad line instead.")
WORKERS = typer.Option(
    None, "--workers", min=1, metavar="N", help="Conversion processes (default: one per core)."
)
FOLLOW = typer.Option(
    False,
    "--follow",
    help="Keep loading the paths as they grow (running workflows) until interrupted; the "
    "store stays held meanwhile: query it through `provml serve --follow` instead.",
)
INTERVAL = typer.Option(
    DEFAULT_INTERVAL,
    "--interval",
    min=0.05,
    metavar="SECONDS",
    help="With --follow: seconds between looks.",
)
BULK = typer.Option(
    False,
    "--bulk",
    help="Gather more per commit and commit with bulk_load: faster for a large first import, "
    "more memory; atomic per commit only where the store's bulk_load is (the embedded store's "
    "is); a crash is repaired by loading again.",
)


@options.store_command
def load(
    paths: list[Path] = PATHS,
    store_options: options.StoreOptions = options.STORE_OPTIONS,
    checkpoint: Path | None = CHECKPOINT,
    quarantine: Path | None = QUARANTINE,
    strict: bool = STRICT,
    workers: int | None = WORKERS,
    bulk: bool = BULK,
    follow: bool = FOLLOW,
    interval: float = INTERVAL,
) -> None:
    """Load capture spools into the knowledge graph (and the ontology, once per store)."""
    from provml.loaders.load import load_spools
    from provml.loaders.ontology import load_ontology

    if follow:
        _follow(paths, store_options, checkpoint, quarantine, interval)
        return
    try:
        with store_options.open(must_exist=False) as opened:
            checkpoint = checkpoint or default_sidecar(opened.location, "checkpoint.json")
            quarantine = quarantine or default_sidecar(opened.location, "quarantine.jsonl")
            load_ontology(opened)
            report = load_spools(
                opened,
                paths,
                checkpoint=checkpoint,
                quarantine=quarantine,
                strict=strict,
                workers=workers,
                progress=sys.stderr.isatty(),
                bulk=bulk,
            )
    except ProvmlError as error:
        raise options.fail(error) from None
    typer.echo(
        f"loaded {report.events:,} events ({report.quads:,} quads) from {report.files} files "
        f"into {opened.location}: {len(report.runs)} runs"
    )
    if report.checkpoint_reset:
        typer.echo(
            f"{opened.location} held nothing loaded: the checkpoint {checkpoint} (of a store "
            "since removed or emptied) was started over"
        )
    for source in report.restarted:
        typer.echo(f"{source}: changed since the last load (replaced or truncated); loaded again")
    for torn in report.torn:
        typer.echo(
            f"{torn.path}:{torn.line}: torn final line, not loaded yet (loads once complete)"
        )
    for entity, times in report.regenerated.items():
        typer.echo(
            f"{entity}: generated {times} times without a content hash: kept apart by generation"
        )
    for bad in report.bad:
        typer.echo(str(bad), err=True)
    if report.bad:
        typer.echo(f"{len(report.bad)} bad lines quarantined in {quarantine}", err=True)


def _follow(
    paths: list[Path],
    store_options: options.StoreOptions,
    checkpoint: Path | None,
    quarantine: Path | None,
    interval: float,
) -> None:
    """`provml load --follow`: load the paths whenever they grow, until SIGINT or SIGTERM."""
    import signal
    import threading

    from provml.loaders.follow import follow_spools
    from provml.loaders.load import LoadReport
    from provml.loaders.ontology import load_ontology

    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    totals = LoadReport()

    def report_round(report: LoadReport) -> None:
        totals.events += report.events
        totals.quads += report.quads
        totals.runs |= report.runs
        if report.events or report.bad:
            typer.echo(f"loaded {report.events:,} events ({report.quads:,} quads)")
        for bad in report.bad:
            typer.echo(str(bad), err=True)
        sys.stdout.flush()

    try:
        with store_options.open(must_exist=False) as opened:
            load_ontology(opened)
            typer.echo(f"following {', '.join(map(str, paths))} into {opened.location}")
            sys.stdout.flush()
            follow_spools(
                opened,
                paths,
                stop=stop,
                checkpoint=checkpoint or default_sidecar(opened.location, "checkpoint.json"),
                quarantine=quarantine or default_sidecar(opened.location, "quarantine.jsonl"),
                interval=interval,
                on_round=report_round,
            )
    except ProvmlError as error:
        raise options.fail(error) from None
    typer.echo(
        f"stopped following: loaded {totals.events:,} events ({totals.quads:,} quads), "
        f"{len(totals.runs)} runs"
    )
