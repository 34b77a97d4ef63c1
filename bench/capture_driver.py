"""One capture system logging one metric per call, at a paced rate, in this process.

Run by bench/capture.py as ``python capture_driver.py SYSTEM RATE N REPEATS DIRECTORY``
(RATE 0: unthrottled), with whichever interpreter has SYSTEM installed (yProv4ML needs its own),
so this file needs only the standard library and the system under test. Prints one JSON object:
per repeat, the calls made, seconds, calling-thread and process CPU seconds, and bytes written,
for the logging loop and for the same paced loop without logging (to subtract the pacing).
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

Call = Callable[[int], object]
Done = Callable[[], object]
System = tuple[Call, Done, Done]  # log step i; make the events durable; close (not timed)


def paced(n: int, rate: float, call: Call) -> tuple[float, float]:
    """Call ``call(i)`` for i < n at ``rate`` calls/s (0: as fast as possible), in 1 ms ticks.

    Returns this thread's CPU seconds inside the calls (pacing and sleeping left out) and, when
    paced, inside as many no-op calls timed the same way in the same ticks (before the call in
    even ticks, after it in odd ones): the timer's own cost and the cold start after each sleep,
    measured beside the calls so that drifts in machine load fall on both.
    """
    thread_time = time.thread_time
    if not rate:
        start = thread_time()
        for i in range(n):
            call(i)
        return thread_time() - start, 0.0
    per_tick = max(1, round(rate / 1000))
    tick = per_tick / rate
    due = time.perf_counter()
    inside = inside_null = 0.0
    first = 0
    while first < n:
        last = min(n, first + per_tick)
        call_first = bool(first // per_tick % 2)
        one, other = (call, _nothing) if call_first else (_nothing, call)
        start = thread_time()
        for i in range(first, last):
            one(i)
        middle = thread_time()
        for i in range(first, last):
            other(i)
        spans = (middle - start, thread_time() - middle)
        inside += spans[not call_first]
        inside_null += spans[call_first]
        first = last
        due += tick
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
    return inside, inside_null


def tree_bytes(directory: Path) -> int:
    """Bytes of every file under ``directory``."""
    return sum(path.stat().st_size for path in directory.rglob("*") if path.is_file())


def measure(
    n: int, rate: float, setup: Callable[[Path], System], directory: Path
) -> dict[str, float]:
    """One repeat: the paced loop without logging, then with; CPU deltas and bytes written."""
    figures: dict[str, float] = {}
    for name, capturing in (("null", False), ("run", True)):
        target = directory / f"{name}-{time.monotonic_ns()}"
        target.mkdir()
        call, finish, close = setup(target) if capturing else (_nothing, _done, _done)
        wall, thread, process = time.perf_counter(), time.thread_time(), time.process_time()
        inside, inside_null = paced(n, rate, call)
        pacing = time.thread_time() - thread - inside  # this thread's CPU between the calls
        finish()  # make the events durable as far as the system does: part of the cost
        # the calls, other threads (background writers) and the final flush; not the pacing
        figures[f"{name}_process"] = time.process_time() - process - pacing
        figures[f"{name}_thread"] = inside
        figures[f"{name}_thread_null"] = inside_null
        figures[f"{name}_wall"] = time.perf_counter() - wall
        figures[f"{name}_bytes"] = tree_bytes(target)
        close()
    return figures


def _nothing(step: int) -> None:
    pass


def _done() -> None:
    pass


# -- the systems: setup(directory) -> (log one metric for step i, make it durable) --------------
def setup_baseline(directory: Path) -> System:
    """json.dumps of the provml metric record + a buffered append."""
    handle = open(directory / "baseline.jsonl", "w", buffering=1 << 16)  # noqa: SIM115

    def call(step: int) -> None:
        record = {
            "v": 1,
            "kind": "metrics",
            "id": f"bench.{step}",
            "run": "bench-run",
            "t": time.time(),
            "task": None,
            "values": {"loss": 0.5},
            "step": step,
            "epoch": None,
            "split": "training",
            "model": None,
        }
        handle.write(json.dumps(record) + "\n")

    return call, handle.flush, handle.close


def setup_provml(directory: Path) -> System:
    """provml buffered: Workflow.log_metric; flush() at the end."""
    import provml

    wf = provml.Workflow("bench", spool_dir=directory, capture_git=False).start()
    log_metric = wf.log_metric

    def call(step: int) -> None:
        log_metric("loss", 0.5, step=step, split="training")

    return call, wf.flush, wf.end


def setup_provlake(directory: Path) -> System:
    """ProvLake's client, file persister: one task (begin + end) per metric."""
    from provlake import ProvLake
    from provlake.capture import ProvTask, ProvWorkflow

    ProvLake._persister_singleton_instance = None
    persister = ProvLake.get_persister(
        log_dir=str(directory), should_send_to_file=True, managed_persistence=True
    )
    workflow = ProvWorkflow(persister, "bench")
    workflow.begin()

    def call(step: int) -> None:
        task = ProvTask(persister, "train_step", workflow, input_args={"step": step})
        task.begin()
        task.end({"loss": 0.5})

    return call, workflow.end, _done


def setup_flowcept(directory: Path) -> System:
    """Flowcept offline (its default): one FlowceptTask per metric; stop() dumps the buffer."""
    os.chdir(directory)  # the offline buffer file is written to the working directory
    from flowcept import Flowcept, FlowceptTask

    flowcept = Flowcept(workflow_name="bench").start()

    def call(step: int) -> None:
        FlowceptTask(activity_id="train_step", used={"step": step}, generated={"loss": 0.5})

    return call, flowcept.stop, _done


def setup_yprov4ml(directory: Path) -> System:
    """yProv4ML: log_metric keeps values in memory and appends CSV every 100 logs."""
    import yprov4ml
    from yprov4ml.constants import PROV4ML_DATA

    yprov4ml.start_run(
        experiment_name="bench",
        provenance_save_dir=str(directory),
        save_after_n_logs=100,
        metrics_file_type="csv",
    )
    log_metric = yprov4ml.log_metric

    def call(step: int) -> None:
        log_metric("loss", 0.5, context="training", step=step)

    return call, PROV4ML_DATA.save_all_metrics, yprov4ml.end_run


def setup_mlflow(directory: Path) -> System:
    """MLflow on a local SQLite store, asynchronous logging; flush_async_logging at the end."""
    import mlflow

    mlflow.set_tracking_uri(f"sqlite:///{directory / 'mlflow.db'}")
    mlflow.start_run()
    mlflow.log_metric("warmup", 0.0)

    def call(step: int) -> None:
        mlflow.log_metric("loss", 0.5, step=step, synchronous=False)

    return call, mlflow.flush_async_logging, mlflow.end_run


SYSTEMS = {
    "baseline": setup_baseline,
    "provml": setup_provml,
    "provlake": setup_provlake,
    "flowcept": setup_flowcept,
    "yprov4ml": setup_yprov4ml,
    "mlflow": setup_mlflow,
}


def main() -> None:
    system, rate, n, repeats, directory = sys.argv[1:6]
    setup = SYSTEMS[system]
    root = Path(directory)
    warnings.simplefilter("ignore")
    for noisy in ("mlflow", "alembic"):  # not logging.disable: ProvLake writes through logging
        logging.getLogger(noisy).setLevel(logging.ERROR)
    results: list[dict[str, Any]] = []
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        measure(min(int(n), 200), 0, setup, root)  # warm up imports and caches
        for _ in range(int(repeats)):
            results.append(measure(int(n), float(rate), setup, root))
    print(
        json.dumps(
            {"system": system, "n": int(n), "python": sys.version.split()[0], "repeats": results}
        )
    )


if __name__ == "__main__":
    main()
