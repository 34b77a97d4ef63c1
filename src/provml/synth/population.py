"""A whole synthetic campaign on disk: spool files streamed run by run, and for every canned
query a parameter set taken from the generated data that makes it return rows."""

from __future__ import annotations

__all__ = [
    "DEFAULT_EVENTS",
    "DEFAULT_GPUS",
    "DEFAULT_NODES",
    "DEFAULT_SEED",
    "Picks",
    "iri",
    "parameters",
    "synthesize",
    "write_population",
]

import json
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from provml.errors import QueryError, SpoolError
from provml.loaders import iris
from provml.synth.campaign import (
    ANNOTATION_STREAM,
    CRASH_RATE,
    DEFAULT_EVENTS,
    DEFAULT_SEED,
    OPEN_EVERY,
    RunFacts,
    raw_blocks,
    write_annotations,
    write_run,
)
from provml.synth.cluster import DEFAULT_GPUS, DEFAULT_NODES, Cluster, Rank

KEEP = 4  # examples of each kind kept for the query parameters (memory stays bounded)


def iri(kind: str, name: str) -> str:
    """A plain IRI of the provml id scheme (what queries take as `iri` parameters)."""
    if kind == "run":
        return iris.plain(iris.run(name))
    if kind == "entity":
        return iris.plain(iris.entity(name))
    return iris.plain(iris.named(kind, name))


@dataclass
class Picks:
    """A few runs of each kind from the generated data, enough to ask every canned query."""

    finished: list[RunFacts] = field(default_factory=list)
    still_open: list[RunFacts] = field(default_factory=list)
    failing: list[RunFacts] = field(default_factory=list)
    runs: int = 0
    events: int = 0
    files: int = 0

    def add(self, facts: RunFacts) -> None:
        """Count a run and keep it if its kind still needs examples."""
        self.runs += 1
        self.events += facts.events
        for kept, wanted in (
            (self.finished, facts.finished),
            (self.still_open, facts.still_open),
            (self.failing, facts.failed_task),
        ):
            if wanted and len(kept) < KEEP:
                kept.append(facts)

    @property
    def complete(self) -> bool:
        """Whether every kind has the examples the parameters need."""
        return len(self.finished) >= 2 and bool(self.still_open) and bool(self.failing)


def _raw_block(picks: Picks) -> tuple[str, tuple[int, int]]:
    """The first raw block the first finished run used, and its inline range."""
    return picks.finished[0].raw[0]


def _raw_bbox(picks: Picks, edge: str) -> float:
    """One edge of the first finished run's first raw block's bounding box."""
    bbox: dict[str, float] = dict(raw_blocks())[_raw_block(picks)[0]]["bbox"]
    return bbox[edge]


#: The rules a query header's `#+ example: name = recipe` names: each picks a value from the
#: generated data that makes the query return rows (its result for the first finished run).
RECIPES: dict[str, Callable[[Picks], Any]] = {
    "finished_run": lambda picks: iri("run", picks.finished[0].run),
    "other_finished_run": lambda picks: iri("run", picks.finished[1].run),
    "finished_workflow": lambda picks: iri("workflow", picks.finished[0].workflow),
    "failed_task_workflow": lambda picks: iri("workflow", picks.failing[0].workflow),
    "open_workflow": lambda picks: iri("workflow", picks.still_open[0].workflow),
    "open_run": lambda picks: iri("run", picks.still_open[0].run),
    "finished_model": lambda picks: iri("entity", picks.finished[0].model or ""),
    "finished_prediction": lambda picks: iri("entity", picks.finished[0].prediction or ""),
    "finished_training_set": lambda picks: iri("entity", picks.finished[0].training_set),
    "raw_block": lambda picks: iri("entity", _raw_block(picks)[0]),
    # Five inlines inside the raw block's range on each side: a range the block covers.
    "inside_inline_min": lambda picks: _raw_block(picks)[1][0] + 5,
    "inside_inline_max": lambda picks: _raw_block(picks)[1][1] - 5,
    "raw_block_west": lambda picks: _raw_bbox(picks, "west"),
    "raw_block_south": lambda picks: _raw_bbox(picks, "south"),
    "raw_block_east": lambda picks: _raw_bbox(picks, "east"),
    "raw_block_north": lambda picks: _raw_bbox(picks, "north"),
    # The threshold the finished run's model meets: its best validation iou, rounded down.
    "covering_iou": lambda picks: math.floor(picks.finished[0].best_iou * 100) / 100,
}


def parameters(picks: Picks) -> dict[str, dict[str, Any]]:
    """Each canned query's parameters that make it return rows: its header's examples, each a
    literal or a recipe's value taken from the picks. QueryError naming the file for a recipe
    that RECIPES does not know."""
    from provml.queries import list_queries

    values: dict[str, dict[str, Any]] = {}
    for query in list_queries():
        values[query.name] = {}
        for example in query.examples:
            if example.recipe is None:
                values[query.name][example.param] = example.value
            elif example.recipe in RECIPES:
                values[query.name][example.param] = RECIPES[example.recipe](picks)
            else:
                raise QueryError(
                    f"{query.source}: example {example.param} = {example.recipe}: no such "
                    f"synth recipe (recipes: {', '.join(sorted(RECIPES))})"
                )
    return values


def _opener(directory: Path, run: str, counter: list[int]) -> Callable[[Rank, int], TextIO]:
    """Opens each rank's spool file of `run` (`<host>-<pid>-0.jsonl`), counting the files."""

    def open_file(rank: Rank, pid: int) -> TextIO:
        path = directory / run / f"{rank.host}-{pid}-0.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        counter[0] += 1
        return open(path, "w", encoding="utf-8", buffering=1 << 20)

    return open_file


def write_population(
    directory: Path,
    events: int = DEFAULT_EVENTS,
    *,
    seed: int = DEFAULT_SEED,
    nodes: int = DEFAULT_NODES,
    gpus: int = DEFAULT_GPUS,
) -> Picks:
    """Runs until at least `events` events are written (and every kind of run the queries need
    exists), one spool directory per run under `directory`; deterministic from `seed`.

    Memory stays bounded: each event is written as it is made. Raises CaptureError for a
    cluster without nodes or with fewer GPUs than nodes, SpoolError if `directory` cannot be
    written.
    """
    cluster = Cluster(nodes, gpus)
    rng = random.Random(seed)
    picks = Picks()
    counter = [0]
    number = 0
    try:
        while picks.events < events or not picks.complete:
            run = f"synth-{seed}-{number:06d}"
            # Run 1 is open and run 2 crashes, so even a tiny campaign has both.
            still_open = number % OPEN_EVERY == 1
            crash = number == 2 or rng.random() < CRASH_RATE
            facts = write_run(
                _opener(directory, run, counter),
                run,
                number,
                cluster,
                rng,
                still_open=still_open,
                crash=crash,
            )
            picks.add(facts)
            number += 1
        # People's annotations after the fact, on the raw blocks: a stream of their own.
        path = directory / ANNOTATION_STREAM / f"synth-{seed}-0.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", encoding="utf-8") as sink:
            picks.events += write_annotations(sink, 1_700_000_000.0 + number * 7_200.0)
        counter[0] += 1
    except OSError as error:
        raise SpoolError(
            f"cannot write the synthetic spool under {directory}: {error}", path=directory
        ) from None
    picks.files = counter[0]
    return picks


def synthesize(
    output: Path,
    events: int = DEFAULT_EVENTS,
    *,
    seed: int = DEFAULT_SEED,
    nodes: int = DEFAULT_NODES,
    gpus: int = DEFAULT_GPUS,
) -> Picks:
    """Write a campaign's spools to `output/spool` and the queries' parameters to
    `output/queries.json`. Refuses (SpoolError) an output whose spool directory is not empty,
    so a campaign is never mixed with another."""
    spool = output / "spool"
    if spool.exists() and (not spool.is_dir() or any(spool.iterdir())):
        raise SpoolError(
            f"{spool} already holds a spool: choose an empty output directory", path=spool
        )
    if output.exists() and not output.is_dir():
        raise SpoolError(f"{output} exists and is not a directory", path=output)
    picks = write_population(spool, events, seed=seed, nodes=nodes, gpus=gpus)
    try:
        (output / "queries.json").write_text(json.dumps(parameters(picks), indent=2) + "\n")
    except OSError as error:
        queries = output / "queries.json"
        raise SpoolError(f"cannot write {queries}: {error}", path=queries) from None
    return picks
