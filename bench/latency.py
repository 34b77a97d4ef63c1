"""Canned-query latency with a deadline: the queries run in a worker process, and one that takes
longer than the deadline is stopped (by ending the worker) and reported as such, so a slow query
cannot stall the whole benchmark."""

from __future__ import annotations

import multiprocessing
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Latency:
    """One query's figures: latencies in seconds (empty if it failed or ran out of time), rows,
    and why there are no latencies."""

    name: str
    latencies: list[float]
    rows: int
    problem: str = ""

    @property
    def median(self) -> float | None:
        """The median latency in seconds, if measured."""
        return statistics.median(self.latencies) if self.latencies else None


def _worker(
    store_dir: str, items: list[tuple[str, dict]], repeat: int, slow_s: float, conn
) -> None:
    """Measure each query in turn (bench/queries.py's `measure`), sending each result."""
    from provml.kg import open_store

    from bench.queries import measure

    with open_store(store_dir) as store:
        for name, params in items:
            try:
                latencies, rows = measure(store, name, params, repeat, slow_s)
                conn.send((name, latencies, rows, ""))
            except Exception as error:  # reported in the table, not raised
                conn.send((name, [], 0, f"{type(error).__name__}: {error}"))
    conn.close()


def measure_all(
    store_dir: Path, params: dict[str, dict[str, Any]], repeat: int, deadline_s: float
) -> list[Latency]:
    """Every query's latency on the (closed) store at `store_dir`; a query still running after
    `deadline_s` seconds is stopped and the rest go on in a new worker."""
    context = multiprocessing.get_context("spawn")
    pending = list(params.items())
    results: list[Latency] = []
    while pending:
        receiver, sender = context.Pipe(duplex=False)
        worker = context.Process(
            target=_worker,
            args=(str(store_dir), pending, repeat, deadline_s / (repeat + 1), sender),
        )
        worker.start()
        sender.close()
        # A worker's first query also waits for the worker's start (imports).
        startup = 10.0
        while pending:
            ready = receiver.poll(deadline_s + startup)
            startup = 0.0
            if not ready:
                name = pending.pop(0)[0]
                results.append(Latency(name, [], 0, f"over {deadline_s:g} s, stopped"))
                worker.kill()
                break
            try:
                name, latencies, rows, problem = receiver.recv()
            except EOFError:
                name = pending.pop(0)[0]
                results.append(Latency(name, [], 0, "the worker process died"))
                break
            pending.pop(0)
            results.append(Latency(name, latencies, rows, problem))
        worker.join()
        receiver.close()
    return results
