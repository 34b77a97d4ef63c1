"""Capture cost: µs per log_metric for provml, a bare baseline and peers; training-loop overhead.

Run: ``python bench/capture.py`` (``--quick`` for a short run). Peers are timed when installed:
MLflow (``pip install 'provml[bench]'``) on a local SQLite store, and ProvLake's client
(``pip install --ignore-requires-python provlake``: it declares Python < 3.9) with its file
persister. Every figure is the median of several repeats measured in this same run.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import os
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import provml

RUN = "bench-run"


def median_time(function: Callable[[], float], repeats: int) -> float:
    """Median over ``repeats`` of the seconds ``function`` reports."""
    return statistics.median(function() for _ in range(repeats))


# -- per-call cost ---------------------------------------------------------------------------
def bare_baseline(n: int, directory: Path) -> float:
    """json.dumps of the same metrics record + a buffered file write, per call."""
    path = directory / "baseline.jsonl"
    with open(path, "w", buffering=1 << 16) as handle:
        start = time.perf_counter()
        for step in range(n):
            record = {
                "v": 1,
                "kind": "metrics",
                "id": f"bench.{step}",
                "run": RUN,
                "t": time.time(),
                "task": None,
                "values": {"loss": 0.5},
                "step": step,
                "epoch": None,
                "split": "training",
                "model": None,
            }
            handle.write(json.dumps(record) + "\n")
        elapsed = time.perf_counter() - start
    path.unlink()
    return elapsed / n


def provml_cost(n: int, directory: Path, durability: str) -> tuple[float, float]:
    """(calling-thread seconds per log_metric, end-to-end seconds per event incl. writing)."""
    spool = tempfile.mkdtemp(dir=directory)
    wf = provml.Workflow("bench", spool_dir=spool, durability=durability, capture_git=False)
    wf.start()
    wf.flush()
    log_metric = wf.log_metric
    start = time.perf_counter()
    for step in range(n):
        log_metric("loss", 0.5, step=step, split="training")
    calling = time.perf_counter() - start
    wf.flush()
    total = time.perf_counter() - start
    wf.end()
    assert wf.capture_health.ok, wf.capture_health
    return calling / n, total / n


def mlflow_cost(n: int, directory: Path, synchronous: bool) -> tuple[float, float] | None:
    """MLflow log_metric on a local SQLite store: (calling thread, end-to-end incl. flush)."""
    try:
        import mlflow
    except ImportError:
        return None
    logging.getLogger("mlflow").setLevel(logging.ERROR)
    logging.getLogger("alembic").setLevel(logging.ERROR)
    store = directory / f"mlflow-{synchronous}-{time.monotonic_ns()}.db"
    mlflow.set_tracking_uri(f"sqlite:///{store}")
    with (
        warnings.catch_warnings(),
        contextlib.redirect_stderr(io.StringIO()),
        mlflow.start_run(),
    ):
        warnings.simplefilter("ignore")
        mlflow.log_metric("warmup", 0.0)
        start = time.perf_counter()
        for step in range(n):
            mlflow.log_metric("loss", 0.5, step=step, synchronous=synchronous)
        calling = time.perf_counter() - start
        if not synchronous:
            mlflow.flush_async_logging()
        total = time.perf_counter() - start
    return calling / n, total / n


def provlake_cost(n: int, directory: Path) -> float | None:
    """ProvLake's client: seconds per task begin+end with its file persister."""
    try:
        from provlake import ProvLake
        from provlake.capture import ProvTask, ProvWorkflow
    except ImportError:
        return None
    ProvLake._persister_singleton_instance = None
    persister = ProvLake.get_persister(
        log_dir=str(directory), should_send_to_file=True, managed_persistence=True
    )
    workflow = ProvWorkflow(persister, "bench")
    workflow.begin()
    start = time.perf_counter()
    for step in range(n):
        task = ProvTask(persister, "train_step", workflow, input_args={"step": step})
        task.begin()
        task.end({"loss": 0.5})
    elapsed = time.perf_counter() - start
    workflow.end()
    return elapsed / n


def provml_task_cost(n: int, directory: Path) -> float:
    """provml's own task begin+end with one metric inside, per task (for the ProvLake row)."""
    spool = tempfile.mkdtemp(dir=directory)
    with provml.Workflow("bench", spool_dir=spool, capture_git=False) as wf:
        start = time.perf_counter()
        for step in range(n):
            with wf.task("train_step", "learning", stage="iteration") as task:
                task.log_metric("loss", 0.5, step=step)
        elapsed = time.perf_counter() - start
    return elapsed / n


# -- training-loop overhead ------------------------------------------------------------------
def sklearn_loop(epochs: int, wf: provml.Workflow | None) -> float:
    """SGD partial_fit epochs on a small classification set; log the loss when ``wf`` is given."""
    import numpy as np
    from sklearn.datasets import make_classification
    from sklearn.linear_model import SGDClassifier

    X, y = make_classification(n_samples=2000, n_features=20, random_state=0)
    model = SGDClassifier(loss="log_loss", random_state=0)
    classes = np.array([0, 1])
    start = time.perf_counter()
    task = wf.task("fit", "learning", stage="training").start() if wf else None
    for epoch in range(epochs):
        model.partial_fit(X, y, classes=classes)
        loss = float(np.mean(model.decision_function(X[:200]) * (2 * y[:200] - 1) < 0))
        if wf is not None:
            wf.log_metric("error", loss, epoch=epoch, split="training")
            wf.log_metric("lr", 0.01, epoch=epoch)
    if task is not None:
        task.end()
    return time.perf_counter() - start


def torch_loop(steps: int, wf: provml.Workflow | None) -> float:
    """A small MLP on CPU, one metric per step when ``wf`` is given."""
    import torch

    torch.manual_seed(0)
    torch.set_num_threads(1)
    model = torch.nn.Sequential(torch.nn.Linear(32, 64), torch.nn.ReLU(), torch.nn.Linear(64, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    x, y = torch.randn(256, 32), torch.randn(256, 1)
    start = time.perf_counter()
    task = wf.task("fit", "learning", stage="training").start() if wf else None
    for step in range(steps):
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
        value = loss.item()
        if wf is not None:
            wf.log_metric("loss", value, step=step, split="training")
    if task is not None:
        task.end()
    return time.perf_counter() - start


def loop_overhead(
    loop: Callable[[int, provml.Workflow | None], float], size: int, repeats: int, directory: Path
) -> dict[str, tuple[float, float]]:
    """Seconds without and with capture, runs interleaved: median wall, min wall, median CPU.

    CPU is the process's CPU time (all threads, so the writer thread counts); the minimum is
    the figure least disturbed by other load on a shared machine.
    """
    wall: dict[bool, list[float]] = {False: [], True: []}
    cpu: dict[bool, list[float]] = {False: [], True: []}
    loop(size // 4, None)  # warm up imports and caches
    for _ in range(repeats):
        for captured in (False, True):
            wf = None
            if captured:
                spool = tempfile.mkdtemp(dir=directory)
                wf = provml.Workflow("loop", spool_dir=spool, capture_git=False).start()
            cpu_start = time.process_time()
            wall[captured].append(loop(size, wf))
            if wf is not None:
                wf.end()  # writing the rest is part of the cost
            cpu[captured].append(time.process_time() - cpu_start)
    return {
        "median wall": (statistics.median(wall[False]), statistics.median(wall[True])),
        "min wall": (min(wall[False]), min(wall[True])),
        "median CPU": (statistics.median(cpu[False]), statistics.median(cpu[True])),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer calls and repeats")
    options = parser.parse_args()
    measure(options.quick)


def measure(quick: bool) -> dict:
    """Run every measurement, print the report, and return its figures (seconds per call by
    label, the baseline, MLflow's and ProvLake's costs or None, and per training loop its
    label, iterations, median-wall overhead % and calls x per-call cost %)."""
    options = argparse.Namespace(quick=quick)
    measured: dict = {"per_call": {}, "loops": []}
    n = 20_000 if options.quick else 200_000
    peer_n = 300 if options.quick else 2000
    repeats = 3 if options.quick else 7
    us = 1e6
    with tempfile.TemporaryDirectory() as temporary:
        directory = Path(temporary)
        print(
            f"provml capture benchmark ({'quick' if options.quick else 'full'}), Python "
            f"{sys.version.split()[0]}, {os.cpu_count()} CPUs; medians of {repeats} repeats\n"
        )
        baseline = median_time(lambda: bare_baseline(n, directory), repeats)
        buffered = [provml_cost(n, directory, "buffered") for _ in range(repeats)]
        buffered_call = statistics.median(b[0] for b in buffered)
        buffered_total = statistics.median(b[1] for b in buffered)
        sync = [provml_cost(peer_n, directory, "sync") for _ in range(repeats)]
        sync_call = statistics.median(s[0] for s in sync)
        print(f"{'per log_metric call':44} {'µs/call':>10} {'vs baseline':>12}")
        rows = [
            ("bare baseline (json.dumps + buffered write)", baseline),
            ("provml buffered, calling thread", buffered_call),
            ("provml buffered, end to end (incl. writer)", buffered_total),
            ("provml sync (write + fsync per call)", sync_call),
        ]
        peers: dict[str, float | None] = {}
        mlflow_sync = mlflow_cost(peer_n // 4, directory, synchronous=True)
        mlflow_async = mlflow_cost(peer_n, directory, synchronous=False)
        peers["mlflow sync"] = mlflow_sync[0] if mlflow_sync else None
        peers["mlflow async"] = mlflow_async[0] if mlflow_async else None
        if mlflow_async:
            rows.append(("MLflow sqlite, synchronous=True", mlflow_sync[0]))  # type: ignore[index]
            rows.append(("MLflow sqlite, synchronous=False (call)", mlflow_async[0]))
            rows.append(("MLflow sqlite, synchronous=False (+flush)", mlflow_async[1]))
        provlake = provlake_cost(peer_n, directory)
        provml_task = median_time(lambda: provml_task_cost(peer_n * 5, directory), repeats)
        rows.append(("provml task begin+end with 1 metric", provml_task))
        if provlake is not None:
            rows.append(("ProvLake task begin+end (file persister)", provlake))
        for label, seconds in rows:
            print(f"{label:44} {seconds * us:10.2f} {seconds / baseline:11.2f}x")
        measured.update(
            per_call=dict(rows),
            baseline=baseline,
            buffered_call=buffered_call,
            mlflow_sync=peers["mlflow sync"],
            mlflow_async=peers["mlflow async"],
            provlake=provlake,
            provml_task=provml_task,
        )
        if mlflow_async is None:
            print(f"{'MLflow':44} {'not installed':>10}")
        if provlake is None:
            print(f"{'ProvLake':44} {'not installed':>10}")
        print("\nratios (peer cost / provml buffered calling-thread cost)")
        print(f"  provml buffered vs bare baseline: {buffered_call / baseline:.2f}x the baseline")
        if provlake is not None:
            print(f"  ProvLake task / provml task:      {provlake / provml_task:.1f}x")
            print(
                f"  ProvLake per event / provml event: {provlake / 2 / buffered_call:.1f}x "
                "(ProvLake task = 2 events)"
            )
        for name in ("mlflow sync", "mlflow async"):
            value = peers[name]
            if value is not None:
                print(f"  {name} / provml:{' ' * (19 - len(name))}{value / buffered_call:.0f}x")
        print("\ntraining-loop overhead (runs interleaved; capture on vs off)")
        loops = [
            (
                "sklearn SGD partial_fit, 2 metrics/epoch",
                sklearn_loop,
                2,
                100 if options.quick else 400,
            ),
            ("torch MLP on CPU, 1 metric/step", torch_loop, 1, 200 if options.quick else 800),
        ]
        for label, loop, per_iteration, size in loops:
            figures = loop_overhead(loop, size, repeats * 2, directory)
            base = figures["median wall"][0]
            attributable = 100.0 * size * per_iteration * buffered_call / base
            print(f"  {label} ({size} iterations, {size * per_iteration} metric calls)")
            for name, (off, on) in figures.items():
                print(
                    f"    {name:12} off {off * 1000:8.1f} ms  on {on * 1000:8.1f} ms  "
                    f"overhead {100.0 * (on - off) / off:+6.2f}%"
                )
            print(f"    calls x per-call cost: {attributable:.3f}% of the loop")
            off, on = figures["median wall"]
            measured["loops"].append((label, size, 100.0 * (on - off) / off, attributable))
    return measured


if __name__ == "__main__":
    main()
