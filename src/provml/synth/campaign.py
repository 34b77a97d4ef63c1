"""One synthetic training campaign: runs of three seismic workflows, each a distributed job whose
ranks write their own spool files, streamed event by event.

Rank 0 of a run records the whole lifecycle: curation chains from raw survey blocks with domain
attributes, a split into training/validation sets, a training task with hyperparameters, epochs
with per-step training loss and per-epoch validation loss/iou, the model, an evaluation and an
inference with predictions. Every other rank records its own training task and epochs with
per-step loss. Some evaluations fail (out of memory), some runs crash (a rank times out, every
rank's epoch fails, no model), and some are still going (no model, no end).
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from typing import Any, TextIO

from provml.synth.cluster import Cluster, Rank
from provml.synth.writer import RunWriter

DEFAULT_EVENTS = 1_000_000
DEFAULT_SEED = 42
WORKFLOWS = ("fault segmentation", "horizon picking", "facies classification")
PEOPLE = ("maria", "joao", "ana", "li", "sam")
SURVEYS = (("F3 Netherlands", 100, 750, 300, 1250), ("Kerry 3D", 510, 796, 58, 792))
# Each survey's geographic box (west, south, east, north, degrees); blocks are strips of it.
SIDES = ("west", "south", "east", "north")
SURVEY_BOXES = {
    "F3 Netherlands": (4.6, 54.75, 4.96, 54.95),
    "Kerry 3D": (173.8, -39.6, 174.0, -39.4),
}
BLOCKS_PER_SURVEY = 6
EPOCHS = (15, 40)
STEPS_PER_EPOCH = 4
# Job sizes in GPUs and how often each is drawn.
WORLD_SIZES = (1, 2, 4, 8, 16)
WORLD_WEIGHTS = (4, 3, 3, 2, 1)
CURATION = (
    ("cleaning", "clean seismic", {"clip_percentile": 99.5, "despike": True}),
    ("filtering", "filter noise", {"band_hz": "5-60", "order": 4}),
    ("normalisation", "normalise amplitudes", {"method": "rms", "window_ms": 500}),
)
CRASH_RATE = 0.03
EVALUATION_FAILURE_RATE = 0.05
OPEN_EVERY = 30


@dataclass
class RunFacts:
    """What one generated run holds that the canned queries can be asked about."""

    run: str
    workflow: str
    events: int = 0
    finished: bool = False
    crashed: bool = False
    still_open: bool = False
    failed_task: bool = False
    model: str | None = None
    prediction: str | None = None
    training_set: str = ""
    raw: list[tuple[str, tuple[int, int]]] = field(default_factory=list)
    best_iou: float = 0.0


def _degrees(value: float) -> float:
    """A coordinate rounded to a micro-degree (no binary noise in the data)."""
    return round(value, 6)


def raw_blocks() -> list[tuple[str, dict[str, Any]]]:
    """The raw survey blocks every run draws from: ids and domain attributes."""
    blocks = []
    for survey, low, high, cross_low, cross_high in SURVEYS:
        width = (high - low) // BLOCKS_PER_SURVEY
        for index in range(BLOCKS_PER_SURVEY):
            start = low + index * width
            block = f"{survey.split()[0].lower()}-block{index}"
            west, south, east, north = SURVEY_BOXES[survey]
            strip = (east - west) / BLOCKS_PER_SURVEY
            box = (west + index * strip, south, west + (index + 1) * strip, north)
            attributes = {
                "survey": {"name": survey},
                "inline": [start, start + width - 1],
                "crossline": [cross_low, cross_high],
                "depth": {"min": 0, "max": 1848, "unit": "ms"},
                "bbox": dict(
                    zip(("west", "south", "east", "north"), map(_degrees, box), strict=True)
                ),
            }
            blocks.append((block, attributes))
    return blocks


def _run_start(
    w: RunWriter, number: int, workflow: str, rank: Rank, world: int, pid: int, torch: str
) -> None:
    """The run_start of one rank's process."""
    w.emit(
        "run_start",
        name=workflow,
        study="fault detection",
        experiment=f"{workflow} sweep",
        on_behalf_of="Geo Lab" if number % 3 == 0 else None,
        user=PEOPLE[number % len(PEOPLE)],
        host=rank.host,
        pid=pid,
        argv=[
            "torchrun",
            f"--nproc-per-node={world}",
            "train.py",
            "--config",
            f"cfg{number % 4}.yaml",
        ],
        cwd="/scratch/seismic",
        python="3.11.7",
        platform="Linux-6.1.0-x86_64-with-glibc2.36",
        software={"torch": torch, "numpy": "1.26.4"},
        git={"commit": f"{number % 97:08x}", "branch": "main", "dirty": False, "remote": None},
        hpc={
            "scheduler": "slurm",
            "job_id": str(700_000 + number),
            "node": rank.host,
            "rank": rank.rank,
            "local_rank": rank.local_rank,
            "world_size": world,
            "gpus": [str(rank.gpu)],
        },
        attributes={"basin": "North Sea"},
    )


def _curate(w: RunWriter, facts: RunFacts, rng: random.Random, host: str, pid: int) -> list[str]:
    """Raw blocks, a curation chain and the split; the training and validation set ids."""
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
    chosen = rng.sample(raw_blocks(), rng.choice((1, 1, 2)))
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
        facts.raw.append((block, tuple(attributes["inline"])))
    current = [block for block, _ in chosen]
    for step, (operation, name, params) in enumerate(CURATION[: rng.randint(1, 3)]):
        task = w.task(name, "curation", host, pid, operation=operation, rank=0)
        for entity in current:
            w.used(task, entity)
        w.emit("params", task=task, values=params)
        product = f"{facts.run}-cur{step}"
        w.entity(product, "domain_data", current)
        w.generated(task, product, "domain_data", current)
        w.end(task, rng.uniform(30, 600))
        current = [product]
    split = w.task("split patches", "preparation", host, pid, operation="splitting", rank=0)
    w.used(split, current[0])
    sets = [f"{facts.run}-{kind.split('_')[0]}" for kind in ("training_set", "validation_set")]
    for kind, entity in zip(("training_set", "validation_set"), sets, strict=True):
        w.entity(entity, kind, current)
        w.generated(split, entity, kind, current)
    w.end(split, rng.uniform(10, 120))
    facts.training_set = sets[0]
    return [*sets, current[0]]


def _epochs(
    w: RunWriter,
    rank: Rank,
    pid: int,
    training: str,
    epochs: int,
    crash_at: int | None,
    rng: random.Random,
    facts: RunFacts,
) -> None:
    """One rank's epochs: per-step training loss, and on rank 0 the validation metrics."""
    loss, iou = rng.uniform(0.9, 1.3), rng.uniform(0.2, 0.4)
    for epoch in range(epochs):
        section = w.task(
            f"epoch {epoch}",
            "learning",
            rank.host,
            pid,
            stage="epoch",
            parent=training,
            rank=rank.rank,
        )
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
        if epoch == crash_at:
            w.end(section, 600.0, error=f"RuntimeError: NCCL watchdog timeout (rank {rank.rank})")
            return
        if rank.rank == 0:
            iou = min(0.95, iou + rng.uniform(-0.01, 0.03))
            facts.best_iou = max(facts.best_iou, round(iou, 5))
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


def _stopped_early(w: RunWriter, facts: RunFacts, training: str, crash_at: int | None) -> bool:
    """Whether a rank's training ended without a model: still open (nothing more is written: no
    task_end, no run_end) or crashed (its task and the run end failed)."""
    if facts.still_open:
        return True
    if crash_at is not None:
        w.end(training, 1.0, error="RuntimeError: a rank failed; the job was stopped")
        w.emit("run_end", status="failed", error="RuntimeError: NCCL watchdog timeout")
        return True
    return False


def _rank_zero(
    w: RunWriter,
    facts: RunFacts,
    rank: Rank,
    pid: int,
    epochs: int,
    crash_at: int | None,
    rng: random.Random,
) -> None:
    """The lifecycle recorded by rank 0, from raw data to predictions."""
    training_set, validation_set, curated = _curate(w, facts, rng, rank.host, pid)
    training = w.task("train unet", "learning", rank.host, pid, stage="training", rank=0)
    for entity in (training_set, validation_set):
        w.used(training, entity)
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
    _epochs(w, rank, pid, training, epochs, crash_at, rng, facts)
    if _stopped_early(w, facts, training, crash_at):
        return
    model = f"{facts.run}-unet"
    w.entity(model, "model", [], architecture="UNet(depth=4)", framework="torch 2.3")
    w.generated(training, model, "model", [training_set, validation_set], "trained model")
    w.end(training, 1.0)
    facts.model = model
    evaluation = w.task("evaluate", "learning", rank.host, pid, stage="evaluation", rank=0)
    w.used(evaluation, model)
    if rng.random() < EVALUATION_FAILURE_RATE:
        facts.failed_task = True
        w.end(evaluation, rng.uniform(5, 60), error="RuntimeError: CUDA out of memory")
    else:
        w.emit(
            "metrics",
            task=evaluation,
            values={"f1": round(facts.best_iou + 0.1, 5), "mean_iou": facts.best_iou},
            step=None,
            epoch=None,
            split="test",
            model=model,
        )
        w.end(evaluation, rng.uniform(30, 300))
    inference = w.task("predict faults", "inference", rank.host, pid, rank=0)
    w.used(inference, model)
    w.used(inference, curated)
    prediction = f"{facts.run}-faults"
    w.entity(prediction, "predictions", [model])
    w.generated(inference, prediction, "predictions", [model, curated])
    w.end(inference, rng.uniform(60, 900))
    facts.prediction = prediction
    w.emit("run_end", status="completed", error=None)
    facts.finished = True


def _other_rank(
    w: RunWriter,
    facts: RunFacts,
    rank: Rank,
    pid: int,
    epochs: int,
    crash_at: int | None,
    rng: random.Random,
) -> None:
    """A data-parallel rank's own training task and epochs."""
    training = w.task("train unet", "learning", rank.host, pid, stage="training", rank=rank.rank)
    _epochs(w, rank, pid, training, epochs, crash_at, rng, facts)
    if _stopped_early(w, facts, training, crash_at):
        return
    w.end(training, 1.0)
    w.emit("run_end", status="completed", error=None)


def write_run(
    open_file: Any,
    run: str,
    number: int,
    cluster: Cluster,
    rng: random.Random,
    *,
    still_open: bool = False,
    crash: bool = False,
) -> RunFacts:
    """One distributed run, each rank's events streamed to the file `open_file(rank, host, pid)`
    returns (a TextIO it closes after the rank); the run's facts."""
    workflow = WORKFLOWS[number % len(WORKFLOWS)]
    facts = RunFacts(run, workflow, still_open=still_open, crashed=crash and not still_open)
    world = rng.choices(WORLD_SIZES, WORLD_WEIGHTS)[0]
    ranks = cluster.place(world)
    epochs = rng.randint(*EPOCHS)
    if still_open:
        epochs = max(2, epochs // 2)
    crash_at = rng.randrange(1, epochs) if facts.crashed else None
    facts.failed_task = facts.crashed
    torch = rng.choice(("2.2.2", "2.3.1"))
    start = 1_700_000_000.0 + number * 7_200.0
    for rank in ranks:
        pid = 10_000 + (number * 17 + rank.rank) % 50_000
        sink: TextIO = open_file(rank, pid)
        with sink:
            w = RunWriter(sink, run, start, process=str(rank.rank))
            _run_start(w, number, workflow, rank, len(ranks), pid, torch)
            # Ranks draw from their own generator so the others do not shift rank 0's data.
            rank_rng = random.Random(rng.random()) if rank.rank else rng
            if rank.rank == 0:
                _rank_zero(w, facts, rank, pid, epochs, crash_at, rank_rng)
            else:
                _other_rank(w, facts, rank, pid, epochs, crash_at, rank_rng)
            facts.events += w.events
    return facts


#: The annotation stream's name (capture's `provml.capture.annotations` uses the same).
ANNOTATION_STREAM = "annotations"


def write_annotations(sink: TextIO, t: float) -> int:
    """Annotations after the fact on the raw blocks, written to `sink` from time `t`: each block
    rated by a reviewer, and every other block corrected later by another; the events written."""
    w = RunWriter(sink, ANNOTATION_STREAM, t)
    for index, (block, _) in enumerate(raw_blocks()):
        reviews: list[tuple[str, str, str | None]] = [("good", PEOPLE[index % len(PEOPLE)], None)]
        if index % 2 == 0:
            reviews.append(("fair", PEOPLE[(index + 1) % len(PEOPLE)], "dead traces"))
        for value, person, comment in reviews:
            w.emit(
                "annotation",
                seconds=3_600.0,
                target={"entity": block},
                key="quality",
                value=value,
                by=person,
                at=w.t + 3_600.0,
                unit=None,
                comment=comment,
            )
    return w.events
