"""Loading cost: events/s and triples/s converting and loading a synthetic spool, against the
ceiling of pyoxigraph's own bulk_load of exactly the same quads, measured in the same run.

Run: ``python bench/load.py`` (``--events N``, default 1,000,000; ``--workers N``). The spool
looks like a distributed training job: one file per rank, each with a run_start, plans,
entities, curation/training/evaluation tasks with epoch sections, hyperparameters, and mostly
metrics. It prints, each measured once in this run, on a fresh store in a temporary directory:

1. conversion alone (parse, validate, convert to N-Quads; one process);
2. ``load_spools`` end to end, transactional commits (the default), and with ``--bulk``;
3. the ceiling: ``pyoxigraph.Store.bulk_load`` of the N-Quads text from step 1;
and the ratio of each end-to-end rate to the ceiling (the target: at least 50%).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time
from pathlib import Path

import pyoxigraph

from provml.kg import open_store
from provml.loaders.batch import convert_lines
from provml.loaders.load import DEFAULT_BATCH_BYTES, load_spools

RUN = "bench-load"
RANKS = 4


def write_spool(directory: Path, events: int) -> list[Path]:
    """One spool file per rank, `events` lines in all; returns the files."""
    rng = random.Random(42)
    per_rank = events // RANKS
    files = []
    t = 1_700_000_000.0
    for rank in range(RANKS):
        prefix = f"{rank + 1:x}beef"
        counter = iter(range(1, 10**9))
        path = directory / RUN / f"node{rank // 2}-{4000 + rank}-0.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        lines: list[str] = []

        def emit(kind, prefix=prefix, lines=lines, sequence=counter, **fields) -> str:
            nonlocal t
            t += 0.001
            event_id = f"{prefix}.{next(sequence)}"
            lines.append(
                json.dumps(
                    {"v": 1, "kind": kind, "id": event_id, "run": RUN, "t": t, **fields},
                    separators=(",", ":"),
                )
            )
            return event_id

        host = f"node{rank // 2}"
        emit(
            "run_start",
            name="seismic fault segmentation",
            study="fault detection",
            experiment="unet",
            user="maria",
            on_behalf_of="geo lab",
            host=host,
            pid=4000 + rank,
            argv=["train.py", "--config", "f3.yaml"],
            cwd="/scratch/f3",
            python="3.11.7",
            platform="Linux-6.1.0-x86_64-with-glibc2.36",
            software={"torch": "2.3.1", "numpy": "1.26.4"},
            git={"commit": "3f2a9c1e", "branch": "main", "dirty": False, "remote": None},
            hpc={
                "scheduler": "slurm",
                "job_id": "734512",
                "node": host,
                "rank": rank,
                "local_rank": rank % 2,
                "world_size": RANKS,
                "gpus": [str(rank % 2)],
            },
            attributes={"basin": "North Sea"},
        )
        emit(
            "plan",
            name="train unet",
            phase="learning",
            inputs=[{"name": "patches"}],
            outputs=[{"name": "model"}],
            store="/lustre",
        )
        emit(
            "entity",
            entity="f3-segy",
            type="raw_data",
            name="F3",
            path="/data/F3.segy",
            size=1_503_478_272,
            sha256="9f2c1a7e4b5d8c3f0a6e1b2d7c4f9a8e3b6d1c0f5a2e7b4d9c8f1a3e6b0d2c5f",
            format="segy",
            derived_from=[],
            attributes={"inline": [100, 750], "depth": {"min": 0, "max": 1848, "unit": "ms"}},
        )
        training = emit(
            "task_start",
            task=f"{prefix}.t",
            name="train unet",
            phase="learning",
            stage="training",
            host=host,
            pid=4000 + rank,
            thread="MainThread",
            rank=rank,
        )
        emit("used", task=f"{prefix}.t", entity="f3-segy", role="training data")
        emit(
            "params",
            task=f"{prefix}.t",
            values={"learning_rate": 0.001, "batch_size": 16, "optimizer": "adam"},
        )
        del training
        remaining = per_rank - len(lines) - 4
        epochs = 10
        per_epoch = max(1, remaining // epochs - 2)
        written = 0
        for epoch in range(epochs):
            section = f"{prefix}.e{epoch}"
            emit(
                "task_start",
                task=section,
                name=f"epoch {epoch}",
                phase="learning",
                stage="epoch",
                parent=f"{prefix}.t",
                host=host,
                pid=4000 + rank,
                thread="MainThread",
                rank=rank,
            )
            for step in range(per_epoch):
                if written >= remaining - 2 * (epochs - epoch):
                    break
                emit(
                    "metrics",
                    task=section,
                    values={"loss": rng.random()},
                    step=epoch * per_epoch + step,
                    epoch=epoch,
                    split="training" if step % 10 else "validation",
                    model=None,
                )
                written += 1
            emit("task_end", task=section, status="completed", error=None)
        emit(
            "entity",
            entity=f"unet-rank{rank}",
            type="model",
            name="unet",
            path=None,
            size=None,
            sha256=None,
            format="pt",
            architecture="UNet(depth=4)",
            framework="torch",
            derived_from=["f3-segy"],
        )
        emit("generated", task=f"{prefix}.t", entity=f"unet-rank{rank}", role=None)
        emit("task_end", task=f"{prefix}.t", status="completed", error=None)
        emit("run_end", status="completed", error=None)
        path.write_text("\n".join(lines) + "\n")
        files.append(path)
    return files


def convert_only(files: list[Path], output: Path) -> tuple[float, int, int]:
    """Seconds, events and quads to convert every file (one process); N-Quads to `output`."""
    events = quads = 0
    elapsed = 0.0
    with open(output, "wb") as sink:
        for path in files:
            with open(path, "rb") as handle:
                first_line = 1
                while data := handle.read(DEFAULT_BATCH_BYTES):
                    data += handle.readline()
                    start = time.perf_counter()
                    batch = convert_lines(data, first_line)
                    elapsed += time.perf_counter() - start
                    assert not batch.bad, batch.bad[:1]
                    first_line += data.count(b"\n")
                    events += batch.events
                    quads += batch.quads
                    sink.write(batch.nquads)
    return elapsed, events, quads


def end_to_end(
    files: list[Path], directory: Path, bulk: bool, workers: int | None
) -> tuple[float, int]:
    """Seconds for load_spools into a fresh embedded store, and the triples it then holds."""
    with open_store(directory) as store:
        start = time.perf_counter()
        report = load_spools(
            store, files, checkpoint=directory.with_suffix(".json"), bulk=bulk, workers=workers
        )
        elapsed = time.perf_counter() - start
        assert not report.bad
        return elapsed, store.count()


def ceiling(nquads: Path, directory: Path) -> tuple[float, int]:
    """Seconds for pyoxigraph's bulk_load of the N-Quads file into a fresh store, and its size."""
    store = pyoxigraph.Store(str(directory))
    start = time.perf_counter()
    store.bulk_load(path=str(nquads), format=pyoxigraph.RdfFormat.N_QUADS)
    store.flush()
    elapsed = time.perf_counter() - start
    return elapsed, len(store)


def main() -> None:
    """Run every measurement once and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=None)
    arguments = parser.parse_args()
    measure(arguments.events, arguments.workers)


def measure(events_wanted: int, workers: int | None = None) -> dict:
    """Run every measurement once, print the figures and return them: events, quads, the
    conversion rate, the ceiling's quads/s, and per end-to-end load its label, quads/s and
    share of the ceiling."""
    arguments = argparse.Namespace(events=events_wanted, workers=workers)
    with tempfile.TemporaryDirectory(prefix="provml-bench-load-") as temporary:
        root = Path(temporary)
        files = write_spool(root / "spool", arguments.events)
        size = sum(path.stat().st_size for path in files)
        lines = sum(path.read_bytes().count(b"\n") for path in files)
        cores = os.cpu_count()
        print(f"spool: {lines:,} events in {len(files)} files, {size / 1e6:.0f} MB; {cores} cores")

        convert_seconds, events, quads = convert_only(files, root / "same.nq")
        print(
            f"{'convert only (1 process):':27}{events / convert_seconds:>10,.0f} events/s"
            f" {quads / convert_seconds:>10,.0f} quads/s  ({quads:,} quads,"
            f" {convert_seconds:.1f} s)"
        )

        rows = []
        for label, bulk in (("load_spools transactional", False), ("load_spools --bulk", True)):
            seconds, triples = end_to_end(
                files, root / f"store-{int(bulk)}", bulk, arguments.workers
            )
            rows.append((label, seconds, triples))
        ceiling_seconds, ceiling_triples = ceiling(root / "same.nq", root / "ceiling")
        ceiling_rate = quads / ceiling_seconds
        print(
            f"{'ceiling (bulk_load, same):':27}{'':>19} {ceiling_rate:>10,.0f} quads/s"
            f"  ({ceiling_seconds:.1f} s, {ceiling_triples:,} stored)"
        )
        measured: dict = {
            "events": events,
            "quads": quads,
            "convert_quads_per_s": quads / convert_seconds,
            "ceiling_quads_per_s": ceiling_rate,
            "loads": [],
        }
        for label, seconds, triples in rows:
            rate = quads / seconds
            print(
                f"{label + ':':27}{events / seconds:>10,.0f} events/s {rate:>10,.0f} quads/s"
                f"  ({seconds:.1f} s, {triples:,} stored) = {rate / ceiling_rate:.0%} of ceiling"
            )
            measured["loads"].append((label, rate, rate / ceiling_rate))
    return measured


if __name__ == "__main__":
    main()
