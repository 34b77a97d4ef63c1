"""Canned-query latency: every query of ``provml.queries`` on stores of about 1M and 10M
triples, loaded from a synthetic population of capture events, against the issue's targets.

Run: ``python bench/queries.py`` (``--events N ...`` one store per size, default sizes give about
1M and 10M triples; ``--repeat R``, default 5; ``--store-dir DIR`` to keep the stores). The
population is many runs of three workflows: curation chains from raw survey blocks with domain
attributes (survey, inline and crossline ranges), learning-data splits, training with
hyperparameters, epochs and per-epoch training/validation metrics, models, evaluation, inference
with predictions; some tasks fail and some runs are still open (no ``run_end``). Each run is
written line by line to its own spool file (bounded memory) and loaded with
``load_spools(..., bulk=True)`` into a fresh embedded store. For each store it prints the load
time (digests included), the triple count, and per canned query the median and max latency over
R runs (after one warm-up), the rows returned and whether it meets the target: lookups and
lineage queries under 20 ms, every canned query under 1 s (both stated at 10M triples). For the
queries that read the loader's digests it times their plain PROV-O version (`queries/plain/`) in
the same run and prints the speed-up and whether both return the same rows. Each query runs in
a child process killed after ``--timeout-s`` (Oxigraph cannot interrupt a query). It reports,
never asserts.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from argparse import SUPPRESS
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

from provml.kg import open_store
from provml.loaders import iris
from provml.loaders.load import load_spools
from provml.queries import PLAIN_QUERIES, list_queries, run_query

# This generator gives about 8 triples per event.
DEFAULT_EVENTS = (125_000, 1_250_000)
WORKFLOWS = ("fault segmentation", "horizon picking", "facies classification")
PEOPLE = ("maria", "joao", "ana", "li", "sam")
SURVEYS = (("F3 Netherlands", 100, 750, 300, 1250), ("Kerry 3D", 510, 796, 58, 792))
BLOCKS_PER_SURVEY = 6
EPOCHS = (15, 40)
STEPS_PER_EPOCH = 4
CURATION = (
    ("cleaning", "clean seismic", {"clip_percentile": 99.5, "despike": True}),
    ("filtering", "filter noise", {"band_hz": "5-60", "order": 4}),
    ("normalisation", "normalise amplitudes", {"method": "rms", "window_ms": 500}),
)
# Targets of the issue (at 10M triples): lookups and lineage queries, and every canned query.
LOOKUP_TARGET_S = 0.020
# A query slower than this is timed once (its warm-up), not repeated.
SLOW_S = 5.0
ANY_TARGET_S = 1.0
LOOKUP_OR_LINEAGE = {
    "curation_steps",
    "declared_vs_actual",
    "diff_runs",
    "metric_trajectory",
    "compare_metric_trajectories",
    "model_predictions",
    "model_responsibility",
    "models_from_domain_file",
    "raw_inputs_of_prediction",
    "reproduce_run",
    "task_times",
    "workflow_plan",
}


def iri(kind: str, name: str) -> str:
    """A plain IRI of the provml id scheme (what queries take as `iri` parameters)."""
    if kind == "run":
        return iris.plain(iris.run(name))
    if kind == "entity":
        return iris.plain(iris.entity(name))
    return iris.plain(iris.named(kind, name))


@dataclass
class Picks:
    """Ids from the generated data that make every canned query return rows."""

    runs: list[str] = field(default_factory=list)
    models: list[str] = field(default_factory=list)
    predictions: list[str] = field(default_factory=list)
    training_sets: list[str] = field(default_factory=list)
    raw: str = ""
    inline: tuple[int, int] = (0, 0)
    events: int = 0


class RunWriter:
    """Writes one run's events, one JSON line at a time, to its spool file."""

    def __init__(self, sink: TextIO, run: str, t: float) -> None:
        """Events of `run` go to `sink`, starting at time `t`."""
        self.sink, self.run, self.t = sink, run, t
        self.prefix = f"{zlib.crc32(run.encode()):08x}"
        self.counter = 0
        self.events = 0

    def emit(self, kind: str, seconds: float = 0.5, **fields: Any) -> str:
        """Write one event `seconds` after the previous one; its id."""
        self.counter += 1
        self.t += seconds
        event_id = f"{self.prefix}.{self.counter}"
        record = {"v": 1, "kind": kind, "id": event_id, "run": self.run, "t": self.t, **fields}
        self.sink.write(json.dumps(record, separators=(",", ":")) + "\n")
        self.events += 1
        return event_id

    def task(self, name: str, phase: str, host: str, pid: int, **fields: Any) -> str:
        """Start a task; its id."""
        fields = {"stage": None, "operation": None, "parent": None, **fields}
        return self.emit(
            "task_start",
            task=f"{self.prefix}.{self.counter + 1}",
            name=name,
            phase=phase,
            host=host,
            pid=pid,
            thread="MainThread",
            rank=None,
            attributes={},
            **fields,
        )

    def end(self, task: str, seconds: float, error: str | None = None) -> None:
        """End a task after `seconds`, failed when `error` is given."""
        status = "failed" if error else "completed"
        self.emit("task_end", seconds, task=task, status=status, error=error)

    def entity(self, entity: str, kind: str, derived: list[str], **fields: Any) -> None:
        """Declare an entity."""
        defaults = dict(path=None, size=None, sha256=None, format=None, architecture=None)
        defaults.update(framework=None, attributes={})
        self.emit(
            "entity",
            entity=entity,
            type=kind,
            name=entity,
            derived_from=derived,
            **{**defaults, **fields},
        )


def raw_blocks() -> list[tuple[str, dict[str, Any]]]:
    """The raw survey blocks every run draws from: ids and domain attributes."""
    blocks = []
    for survey, low, high, cross_low, cross_high in SURVEYS:
        width = (high - low) // BLOCKS_PER_SURVEY
        for index in range(BLOCKS_PER_SURVEY):
            start = low + index * width
            block = f"{survey.split()[0].lower()}-block{index}"
            attributes = {
                "survey": {"name": survey},
                "inline": [start, start + width - 1],
                "crossline": [cross_low, cross_high],
            }
            blocks.append((block, attributes))
    return blocks


def write_run(sink: TextIO, number: int, rng: random.Random, open_run: bool) -> Picks:
    """One whole run (or a still-open one); the ids it contributes to the picks (and
    `picks.events`, how many events it wrote)."""
    run = f"run-{number:06d}"
    workflow = WORKFLOWS[number % len(WORKFLOWS)]
    host = f"node{number % 8:02d}"
    pid = 10_000 + number
    w = RunWriter(sink, run, 1_700_000_000.0 + number * 7_200.0)
    picks = Picks(runs=[run])
    w.emit(
        "run_start",
        name=workflow,
        study="fault detection",
        experiment=f"{workflow} sweep",
        on_behalf_of="Geo Lab" if number % 3 == 0 else None,
        user=PEOPLE[number % len(PEOPLE)],
        host=host,
        pid=pid,
        argv=["train.py", "--config", f"cfg{number % 4}.yaml"],
        cwd="/scratch/seismic",
        python="3.11.7",
        platform="Linux-6.1.0-x86_64-with-glibc2.36",
        software={"torch": rng.choice(("2.2.2", "2.3.1")), "numpy": "1.26.4"},
        git={"commit": f"{number % 97:08x}", "branch": "main", "dirty": False, "remote": None},
        hpc={
            "scheduler": "slurm",
            "job_id": str(700_000 + number),
            "node": host,
            "rank": 0,
            "local_rank": 0,
            "world_size": 1,
            "gpus": [str(number % 4)],
        },
        attributes={"basin": "North Sea"},
    )
    w.emit(
        "plan",
        name="clean seismic",
        phase="curation",
        inputs=[{"name": "seismic_volume", "type": "SEG-Y", "schema": "segy-rev1"}],
        outputs=[{"name": "clean_volume"}],
        store="/lustre/scratch",
    )
    w.emit(
        "plan",
        name="train unet",
        phase="learning",
        inputs=[{"name": "patches"}],
        outputs=[{"name": "fault_model"}],
        store=None,
    )
    blocks = raw_blocks()
    chosen = rng.sample(blocks, rng.choice((1, 1, 2)))
    for block, attributes in chosen:
        w.entity(
            block,
            "raw_data",
            [],
            path=f"/data/{block}.segy",
            size=1_503_478_272,
            sha256=hashlib.sha256(block.encode()).hexdigest(),
            format="segy",
            attributes=attributes,
        )
    picks.raw, first = chosen[0][0], chosen[0][1]["inline"]
    picks.inline = (first[0] + 5, first[1] - 5)
    current = [block for block, _ in chosen]
    for step, (operation, name, params) in enumerate(CURATION[: rng.randint(1, 3)]):
        task = w.task(name, "curation", host, pid, operation=operation)
        for entity in current:
            w.emit("used", task=task, entity=entity, role=None)
        w.emit("params", task=task, values=params)
        product = f"{run}-cur{step}"
        w.entity(product, "domain_data", current)
        w.emit("generated", task=task, entity=product, role=None)
        w.end(task, rng.uniform(30, 600))
        current = [product]
    split = w.task("split patches", "preparation", host, pid, operation="splitting")
    w.emit("used", task=split, entity=current[0], role=None)
    sets = {kind: f"{run}-{kind.split('_')[0]}" for kind in ("training_set", "validation_set")}
    for kind, entity in sets.items():
        w.entity(entity, kind, current)
        w.emit("generated", task=split, entity=entity, role=None)
    w.end(split, rng.uniform(10, 120))
    picks.training_sets.append(sets["training_set"])

    training = w.task("train unet", "learning", host, pid, stage="training")
    for entity in sets.values():
        w.emit("used", task=training, entity=entity, role=None)
    w.emit(
        "params",
        task=training,
        values={
            "learning_rate": rng.choice((1e-4, 5e-4, 1e-3, 5e-3)),
            "batch_size": rng.choice((8, 16, 32)),
            "optimizer": rng.choice(("adam", "sgd")),
            "dropout": round(rng.uniform(0.0, 0.5), 2),
        },
    )
    epochs = rng.randint(*EPOCHS)
    if open_run:
        epochs = max(2, epochs // 2)
    loss, iou = rng.uniform(0.9, 1.3), rng.uniform(0.2, 0.4)
    for epoch in range(epochs):
        section = w.task(f"epoch {epoch}", "learning", host, pid, stage="epoch", parent=training)
        for step in range(STEPS_PER_EPOCH):
            loss *= rng.uniform(0.95, 1.0)
            w.emit(
                "metrics",
                30.0,
                task=section,
                values={"loss": round(loss, 5)},
                step=epoch * STEPS_PER_EPOCH + step,
                epoch=epoch,
                split="training",
                model=None,
            )
        iou = min(0.95, iou + rng.uniform(-0.01, 0.03))
        w.emit(
            "metrics",
            20.0,
            task=section,
            values={"loss": round(loss * 1.1, 5), "iou": round(iou, 5)},
            step=(epoch + 1) * STEPS_PER_EPOCH - 1,
            epoch=epoch,
            split="validation",
            model=None,
        )
        w.end(section, 1.0)
    if open_run:
        picks.events = w.events
        return picks  # still training: no model, no task_end, no run_end
    model = f"{run}-unet"
    w.entity(model, "model", [], architecture="UNet(depth=4)", framework="torch 2.3")
    w.emit("generated", task=training, entity=model, role="trained model")
    w.end(training, 1.0)
    picks.models.append(model)
    evaluation = w.task("evaluate", "learning", host, pid, stage="evaluation")
    w.emit("used", task=evaluation, entity=model, role=None)
    if rng.random() < 0.05:
        w.end(evaluation, rng.uniform(5, 60), error="RuntimeError: CUDA out of memory")
    else:
        w.emit(
            "metrics",
            task=evaluation,
            values={"f1": round(iou + 0.1, 5), "mean_iou": round(iou, 5)},
            step=None,
            epoch=None,
            split="test",
            model=model,
        )
        w.end(evaluation, rng.uniform(30, 300))
    inference = w.task("predict faults", "inference", host, pid)
    w.emit("used", task=inference, entity=model, role=None)
    w.emit("used", task=inference, entity=current[0], role=None)
    prediction = f"{run}-faults"
    w.entity(prediction, "predictions", [model])
    w.emit("generated", task=inference, entity=prediction, role=None)
    w.end(inference, rng.uniform(60, 900))
    picks.predictions.append(prediction)
    w.emit("run_end", status="completed", error=None)
    picks.events = w.events
    return picks


def write_population(directory: Path, events: int) -> tuple[int, int, Picks]:
    """Runs until `events` events are written, one spool file each; files, events and picks."""
    rng = random.Random(42)
    picks = Picks()
    written = number = 0
    while written < events:
        path = directory / f"run-{number:06d}" / f"node{number % 8:02d}-{10_000 + number}-0.jsonl"
        path.parent.mkdir(parents=True)
        with open(path, "w") as sink:
            # One run in 30 is still going (a spool copied while the job runs).
            run_picks = write_run(sink, number, rng, open_run=number % 30 == 29)
        written += run_picks.events
        picks.runs += run_picks.runs
        picks.models += run_picks.models
        picks.predictions += run_picks.predictions
        picks.training_sets += run_picks.training_sets
        if not picks.raw:
            picks.raw, picks.inline = run_picks.raw, run_picks.inline
        number += 1
    return number, written, picks


def parameters(picks: Picks) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each canned query's name and the parameters, taken from the data, that it runs with."""
    workflow = iri("workflow", WORKFLOWS[0])
    finished = [run for run in picks.runs if f"{run}-unet" in picks.models]
    run, other = iri("run", finished[0]), iri("run", finished[-1])
    values: dict[str, dict[str, Any]] = {
        "compare_metric_trajectories": dict(run=run, other=other, metric="loss"),
        "curation_steps": dict(dataset=iri("entity", picks.training_sets[0])),
        "declared_vs_actual": dict(run=run),
        "diff_runs": dict(run=run, other=other),
        "failed_tasks": dict(workflow=workflow),
        "metric_trajectory": dict(run=run, metric="loss"),
        "model_predictions": dict(model=iri("entity", picks.models[0])),
        "model_responsibility": dict(model=iri("entity", picks.models[0])),
        "models_covering_inline_range": dict(
            inline_min=picks.inline[0], inline_max=picks.inline[1], metric="iou", min_value=0.5
        ),
        "models_from_domain_file": dict(file=iri("entity", picks.raw)),
        "raw_inputs_of_prediction": dict(prediction=iri("entity", picks.predictions[0])),
        "reproduce_run": dict(run=run),
        "run_hyperparameters": dict(workflow=workflow),
        "running_runs": dict(workflow=iri("workflow", WORKFLOWS[29 % len(WORKFLOWS)])),
        "task_times": dict(run=run),
        "top_runs_by_metric": dict(workflow=workflow, metric="iou", k=5),
        "workflow_plan": dict(workflow=workflow),
    }
    for query in list_queries():
        yield query.name, values.get(query.name, {})


def measure(store: Any, name: str, params: dict[str, Any], repeat: int, plain: bool) -> None:
    """Print as JSON the latencies of `repeat` runs after one warm-up (only the warm-up's when
    it took over SLOW_S), and the rows (typed values), of one query (its plain PROV-O version
    when `plain`). Runs in a child process."""
    directories = [PLAIN_QUERIES] if plain else []
    start = time.perf_counter()
    rows = run_query(store, name, directories=directories, **params)
    latencies = [time.perf_counter() - start]
    if latencies[0] < SLOW_S:
        latencies.clear()
        for _ in range(repeat):
            start = time.perf_counter()
            rows = run_query(store, name, directories=directories, **params)
            latencies.append(time.perf_counter() - start)
    answer = [[_comparable(value) for value in row.values()] for row in rows]
    print(json.dumps({"latencies": latencies, "rows": answer}))


def _comparable(value: Any) -> Any:
    """A row value as JSON can hold it, numbers rounded so that decimal and double agree."""
    if isinstance(value, float | Decimal):
        return round(float(value), 6)
    return value if isinstance(value, int | bool | None) else str(value)


@dataclass
class Timing:
    """One query's figures, or why there are none."""

    latencies: list[float] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)
    failure: str = ""

    @property
    def median(self) -> float:
        """The median latency in seconds (infinite when it failed)."""
        return statistics.median(self.latencies) if self.latencies else math.inf


def timed(
    store: Path, name: str, params: dict[str, Any], repeat: int, plain: bool, timeout_s: float
) -> Timing:
    """Measure one query in a child process on the closed store, killed after `timeout_s`
    (Oxigraph cannot interrupt a query)."""
    command = [sys.executable, __file__, "--measure", str(store), name, json.dumps(params),
               "--repeat", str(repeat)] + (["--plain"] if plain else [])  # fmt: skip
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return Timing(failure=f"> {timeout_s:.0f} s")
    if done.returncode != 0:
        return Timing(failure=done.stderr.strip().splitlines()[-1][:80])
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    return Timing(answer["latencies"], answer["rows"])


def bench_size(root: Path, events: int, repeat: int, timeout_s: float) -> list[str]:
    """Generate, load and query one store; the names of queries that miss a target."""
    spool = root / f"spool-{events}"
    start = time.perf_counter()
    runs, written, picks = write_population(spool, events)
    generated = time.perf_counter() - start
    print(f"\n== {written:,} events, {runs:,} runs (generated in {generated:.1f} s)")
    misses = []
    store_path = root / f"store-{events}"
    with open_store(store_path) as store:
        start = time.perf_counter()
        report = load_spools(store, [spool], bulk=True)
        loaded = time.perf_counter() - start
        triples = store.count()
    print(
        f"load_spools --bulk (with the load-time digests): {loaded:.1f} s, {report.events:,}"
        f" events, {len(report.bad)} bad; store holds {triples:,} triples"
    )
    print(
        f"{'query':30} {'median ms':>10} {'max ms':>9} {'rows':>6}  {'target':16}"
        f" {'plain PROV-O ms':>15} {'speed-up':>9}  same rows"
    )
    for name, params in parameters(picks):
        fast = timed(store_path, name, params, repeat, False, timeout_s)
        target = LOOKUP_TARGET_S if name in LOOKUP_OR_LINEAGE else ANY_TARGET_S
        met = fast.median < target
        if not met:
            misses.append(name)
        verdict = f"{'meets' if met else 'MISSES'} < {target * 1000:.0f} ms"
        if fast.failure:
            line = f"{name:30} {fast.failure:>10} {'':>9} {'':>6}  {verdict:16}"
        else:
            line = (
                f"{name:30} {fast.median * 1000:>10.1f} {max(fast.latencies) * 1000:>9.1f}"
                f" {len(fast.rows):>6}  {verdict:16}"
            )
        if (PLAIN_QUERIES / f"{name}.rq").exists():
            plain = timed(store_path, name, params, repeat, True, timeout_s)
            if plain.failure:
                floor = f">{plain_floor(timeout_s, fast):.0f}x"
                line += f" {plain.failure:>15} {floor:>9}"
            else:
                ratio = plain.median / fast.median
                same = "yes" if plain.rows == fast.rows else "NO"
                line += f" {plain.median * 1000:>15.1f} {ratio:>8.1f}x  {same}"
        print(line + ("" if fast.rows or fast.failure else "  (no rows)"), flush=True)
    print(f"misses at {triples:,} triples: {', '.join(misses) or 'none'}")
    return misses


def plain_floor(timeout_s: float, fast: Timing) -> float:
    """The least speed-up a plain query that timed out shows (its warm-up alone ran about that
    long: a query over SLOW_S is not repeated)."""
    return timeout_s / fast.median if fast.latencies else 0.0


def main() -> None:
    """Measure every canned query on one store per requested size and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, nargs="+", default=list(DEFAULT_EVENTS))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--store-dir", type=Path, default=None)
    parser.add_argument(
        "--timeout-s", type=float, default=120.0, help="a query (all its runs) is stopped after"
    )
    parser.add_argument("--measure", nargs=3, metavar=("STORE", "NAME", "PARAMS"), help=SUPPRESS)
    parser.add_argument("--plain", action="store_true", help=SUPPRESS)
    arguments = parser.parse_args()
    if arguments.measure:
        store, name, params = arguments.measure
        with open_store(store) as opened:
            measure(opened, name, json.loads(params), arguments.repeat, arguments.plain)
        return
    print("targets: lookups and lineage queries < 20 ms, every canned query < 1 s (at 10M triples)")
    print(
        "plain PROV-O: the same question over the full PROV chain without the loader's digests"
        " (queries/plain/), in the same run; speed-up = plain median / canned median"
    )
    if arguments.store_dir is not None:
        arguments.store_dir.mkdir(parents=True, exist_ok=True)
        for events in arguments.events:
            bench_size(arguments.store_dir, events, arguments.repeat, arguments.timeout_s)
        return
    for events in arguments.events:
        with tempfile.TemporaryDirectory(prefix="provml-bench-queries-") as temporary:
            bench_size(Path(temporary), events, arguments.repeat, arguments.timeout_s)


if __name__ == "__main__":
    main()
