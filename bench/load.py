"""Loading cost: events/s and triples/s converting and loading a `provml synth` spool, against
the ceiling of pyoxigraph's own bulk_load of exactly the same quads, measured in the same run.

Run: ``python bench/load.py`` (``--events N``, default 1,000,000; ``--workers N``). The spool is
`provml synth`'s: a training campaign on a cluster, one file per rank and restart of each run
(thousands of files at 1M events). It prints, each measured once in this run, on a fresh store in
a temporary directory:

1. conversion alone (parse, validate, convert to N-Quads; one process);
2. ``load_spools`` end to end (the default: atomic per batch, digests included), then with
   ``bulk=True``, each in a child process whose peak resident memory is reported;
3. the ceiling: ``pyoxigraph.Store.bulk_load`` of the N-Quads text from step 1, before and after
   the loads (their mean is the baseline; both are printed);
and the ratio of each end-to-end rate to the ceiling (targets: 50% for the default, 80% bulk).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph

from provml.capture.reader import spool_files
from provml.kg import open_store
from provml.loaders.batch import convert_lines
from provml.loaders.load import DEFAULT_BATCH_BYTES, load_spools
from provml.synth import synthesize


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
) -> tuple[float, int, float]:
    """Seconds for load_spools into a fresh embedded store (in a child process), the triples it
    then holds, and the child's peak resident memory in MB."""
    command = [sys.executable, __file__, "--child", str(directory), str(int(bulk))]
    command += [str(workers or 0), *map(str, files)]
    child = subprocess.Popen(command, stdout=subprocess.PIPE)
    assert child.stdout is not None
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise SystemExit(f"the load in a child process failed ({child.returncode})")
    seconds, triples = json.loads(output)
    return seconds, triples, usage.ru_maxrss / 1024


def _child(arguments: list[str]) -> None:
    """Run one end-to-end load (called as ``load.py --child STORE BULK WORKERS FILE...``)."""
    directory, bulk, workers, *files = arguments
    with open_store(Path(directory)) as store:
        start = time.perf_counter()
        report = load_spools(
            store,
            [Path(name) for name in files],
            checkpoint=Path(directory).with_suffix(".json"),
            bulk=bulk == "1",
            workers=int(workers) or None,
        )
        elapsed = time.perf_counter() - start
        assert not report.bad, report.bad[:1]
        print(json.dumps([elapsed, store.count()]))


def ceiling(nquads: Path, directory: Path) -> tuple[float, int, float]:
    """Seconds for pyoxigraph's bulk_load of the N-Quads file into a fresh store, its size, and
    the peak resident memory in MB (in a child process: this one stays small, so the loads'
    children, forked from it, report their own peak)."""
    child = subprocess.run(
        [sys.executable, __file__, "--ceiling", str(nquads), str(directory)],
        capture_output=True,
        check=True,
    )
    return tuple(json.loads(child.stdout))  # type: ignore[return-value]


def _ceiling_child(nquads: str, directory: str) -> None:
    """Measure the ceiling (called as ``load.py --ceiling NQUADS STORE``)."""
    store = pyoxigraph.Store(directory)
    start = time.perf_counter()
    store.bulk_load(path=nquads, format=pyoxigraph.RdfFormat.N_QUADS)
    store.flush()
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps([elapsed, len(store), peak]))


def main() -> None:
    """Run every measurement once and print the figures."""
    if sys.argv[1:2] == ["--child"]:
        _child(sys.argv[2:])
        return
    if sys.argv[1:2] == ["--ceiling"]:
        _ceiling_child(*sys.argv[2:4])
        return
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
        synthesize(root / "synth", arguments.events)
        files = list(spool_files(root / "synth" / "spool"))
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

        # The ceiling before and after the loads, their mean the baseline: on a shared machine
        # one measure of it moves by a fifth from run to run.
        first_seconds, _, _ = ceiling(root / "same.nq", root / "ceiling-first")
        shutil.rmtree(root / "ceiling-first")
        rows = []
        for label, bulk in (("load_spools (default)", False), ("load_spools --bulk", True)):
            seconds, triples, peak = end_to_end(
                files, root / f"store-{int(bulk)}", bulk, arguments.workers
            )
            rows.append((label, seconds, triples, peak))
            shutil.rmtree(root / f"store-{int(bulk)}")
        last_seconds, ceiling_triples, ceiling_peak = ceiling(root / "same.nq", root / "ceiling")
        ceiling_seconds = (first_seconds + last_seconds) / 2
        ceiling_rate = quads / ceiling_seconds
        print(
            f"{'ceiling (bulk_load, same):':27}{'':>19} {ceiling_rate:>10,.0f} quads/s"
            f"  ({ceiling_seconds:.1f} s: {first_seconds:.1f} s before the loads,"
            f" {last_seconds:.1f} s after; {ceiling_triples:,} stored, peak RSS"
            f" {ceiling_peak:,.0f} MB)"
        )
        measured: dict = {
            "events": events,
            "quads": quads,
            "convert_quads_per_s": quads / convert_seconds,
            "ceiling_quads_per_s": ceiling_rate,
            "loads": [],
        }
        for label, seconds, triples, peak in rows:
            rate = quads / seconds
            print(
                f"{label + ':':27}{events / seconds:>10,.0f} events/s {rate:>10,.0f} quads/s"
                f"  ({seconds:.1f} s, {triples:,} stored, peak RSS {peak:,.0f} MB)"
                f" = {rate / ceiling_rate:.0%} of ceiling"
            )
            measured["loads"].append((label, rate, rate / ceiling_rate))
    return measured


if __name__ == "__main__":
    main()
