"""Canned-query latency: every query of ``provml.queries`` on stores of about 1M and 10M
triples loaded from ``provml synth`` spools, against the project's latency targets, and for the
queries that read the loader's digests the same question over the plain PROV-O path in the same
run.

Run: ``python bench/queries.py`` (``--events N ...`` one store per size, default sizes give about
1M and 10M triples; ``--repeat R``, default 5; ``--store-dir DIR`` to keep the stores, and
``--reuse`` to measure again the stores an earlier run kept there instead of loading anew). The
population is a synthetic training campaign (`provml.synth`: ranks on an HPC cluster, curation
chains from raw survey blocks with domain attributes, trainings with hyperparameters and
per-epoch metrics, models, evaluations, predictions; failed tasks, crashed and still-open runs),
loaded with ``load_spools(..., bulk=True)`` into a fresh embedded store. For each store it prints
the load time (digests included), the triple count, and per canned query the median and max
latency over R runs after one warm-up, the rows returned and whether it meets the target: a
lineage answer in 20 ms + 0.15 ms per row (its first 100 rows in 20 ms), every other canned
query under 1 s (both stated at 10M triples), with the ratio of the median to the target. The
lineage walk (`provml.queries.lineage.walk`, one query per level) is timed too, whole and for
its first 100 rows, from the lineage queries' example starts. For
queries with a plain PROV-O version (`queries/plain/`) it times that too and prints the speed-up
and whether both return the same rows. Each query runs in a child process killed after
``--timeout-s`` (Oxigraph cannot interrupt a query). It reports, never asserts.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
import tempfile
import time
from argparse import SUPPRESS
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from provml.kg import open_store
from provml.loaders.load import load_spools
from provml.queries import PLAIN_QUERIES, get_query, run_query
from provml.synth import parameters, write_population

# About 1M and 10M triples (bench/__main__.py's TRIPLES_PER_EVENT).
DEFAULT_EVENTS = (140_000, 1_400_000)
# The targets at 10M triples by latency class (each query's `#+ latency:` header): lookups and
# lineage queries (plus PER_ROW_S for each row of the answer), and every other canned query.
TARGETS_S = {"lineage": 0.020, "interactive": 1.0}
PER_ROW_S = {"lineage": 0.00015, "interactive": 0.0}
# The rows a lineage answer's first part holds (which must come within TARGETS_S["lineage"]).
FIRST_ROWS = 100
# A query slower than this is timed once (its warm-up), not repeated.
SLOW_S = 5.0


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


@dataclass
class QueryFigures:
    """A canned query's timing, its plain PROV-O version's (if it has one), and its target."""

    name: str
    canned: Timing
    plain: Timing | None
    target_s: float
    timeout_s: float = 0.0

    @property
    def meets(self) -> bool:
        """Whether the canned query's median is under its target."""
        return self.canned.median < self.target_s

    @property
    def ratio(self) -> str:
        """The canned median over the target ('' when it failed)."""
        return f"{self.canned.median / self.target_s:.2f}" if self.canned.latencies else ""

    @property
    def speed_up(self) -> str:
        """Plain median over canned median ('>N' when the plain one timed out; '' if none)."""
        if self.plain is None or not self.canned.latencies:
            return ""
        if self.plain.failure:
            return f">{self.timeout_s / self.canned.median:.0f}x" if self.timeout_s else "-"
        return f"{self.plain.median / self.canned.median:.1f}x"

    @property
    def same_rows(self) -> str:
        """'yes' when both versions returned the same rows ('' without a plain one)."""
        if self.plain is None or self.plain.failure or self.canned.failure:
            return ""
        return "yes" if self.plain.rows == self.canned.rows else "NO"


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
    # Columns that differ between two runs of the same query (NOW()), left out of the comparison.
    volatile = set(get_query(name).volatile)
    kept = [column for column in rows.columns if column not in volatile]
    answer = [[_comparable(row[column]) for column in kept] for row in rows]
    print(json.dumps({"latencies": latencies, "rows": answer}))


def _comparable(value: Any) -> Any:
    """A row value as JSON holds it, numbers rounded so that decimal and double agree."""
    if isinstance(value, float | Decimal):
        return round(float(value), 6)
    return value if isinstance(value, int | bool | None) else str(value)


def timed(
    store: Path, name: str, params: dict[str, Any], repeat: int, plain: bool, timeout_s: float
) -> Timing:
    """Measure one query in a child process on the closed store, killed after `timeout_s`."""
    command = [sys.executable, __file__, "--measure", str(store), name, json.dumps(params),
               "--repeat", str(repeat)] + (["--plain"] if plain else [])  # fmt: skip
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return Timing(failure=f"> {timeout_s:.0f} s")
    if done.returncode != 0:
        return Timing(failure=(done.stderr.strip().splitlines() or ["failed"])[-1][:80])
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    return Timing(answer["latencies"], answer["rows"])


def measure_queries(
    store: Path, params: dict[str, dict[str, Any]], repeat: int, timeout_s: float
) -> list[QueryFigures]:
    """Every canned query (and its plain version) on the closed store at `store`."""
    figures = []
    for name, values in sorted(params.items()):
        canned = timed(store, name, values, repeat, False, timeout_s)
        plain = None
        if (PLAIN_QUERIES / f"{name}.rq").exists():
            plain = timed(store, name, values, repeat, True, timeout_s)
        latency = get_query(name).latency or "interactive"
        target = TARGETS_S[latency] + PER_ROW_S[latency] * len(canned.rows)
        figures.append(QueryFigures(name, canned, plain, target, timeout_s))
    return figures


@dataclass
class WalkFigures:
    """The lineage walk from one start: rows and median seconds, whole and first rows."""

    label: str
    rows: int
    whole_s: float
    first_rows: int
    first_s: float

    @property
    def target_s(self) -> float:
        """The whole answer's target: 20 ms + 0.15 ms per row."""
        return TARGETS_S["lineage"] + PER_ROW_S["lineage"] * self.rows


def walk_figures(store: Path, params: dict[str, dict[str, Any]], repeat: int) -> list[WalkFigures]:
    """Time the lineage walk from the lineage queries' example starts: the whole answer and its
    first FIRST_ROWS rows, medians of `repeat` runs after one warm-up."""
    from provml.queries.lineage import walk

    figures = []
    with open_store(store) as opened:
        for name, down in (("lineage_upstream", False), ("lineage_downstream", True)):
            start = params.get(name, {}).get("start")
            if start is None:
                continue
            timings: dict[int | None, tuple[float, int]] = {}
            for limit in (None, FIRST_ROWS):
                walk(opened, start, down=down, limit=limit)
                latencies, rows = [], 0
                for _ in range(repeat):
                    began = time.perf_counter()
                    rows = len(walk(opened, start, down=down, limit=limit))
                    latencies.append(time.perf_counter() - began)
                timings[limit] = (statistics.median(latencies), rows)
            (whole, rows), (first, first_rows) = timings[None], timings[FIRST_ROWS]
            label = f"walk {'down' if down else 'up'} from {start.rsplit('/', 1)[-1]}"
            figures.append(WalkFigures(label, rows, whole, first_rows, first))
    return figures


def print_walks(figures: list[WalkFigures]) -> None:
    """One line per walk: rows, whole and first-rows medians against their targets."""
    first_target = TARGETS_S["lineage"]
    print(
        f"\n{'lineage walk':36} {'rows':>6} {'whole ms':>9} {'target ms':>9} {'ratio':>5}"
        f" {'first rows':>10} {'ms':>6} {'target':>6} {'ratio':>5}"
    )
    for item in figures:
        print(
            f"{item.label:36} {item.rows:>6} {item.whole_s * 1000:>9.1f}"
            f" {item.target_s * 1000:>9.1f} {item.whole_s / item.target_s:>5.2f}"
            f" {item.first_rows:>10} {item.first_s * 1000:>6.1f} {first_target * 1000:>6.1f}"
            f" {item.first_s / first_target:>5.2f}",
            flush=True,
        )


def build_store(
    root: Path, events: int, reuse: bool = False
) -> tuple[Path, dict[str, dict[str, Any]], str]:
    """Synthesize about `events` events, load them; the store, query parameters, a summary.

    The parameters and summary are kept beside the store; with `reuse`, a store kept by an
    earlier run is measured again as it is (a 10M-triple load takes about half an hour).
    """
    store_path = root / f"store-{events}"
    kept = root / f"store-{events}.json"
    if reuse and kept.exists():
        saved = json.loads(kept.read_text())
        # The parameters of today's catalogue (queries added since the store was built
        # included): the same seed writes the same campaign, so its picks name the same runs.
        with tempfile.TemporaryDirectory(prefix="provml-bench-picks-") as scratch:
            params = parameters(write_population(Path(scratch), events))
        return store_path, params, saved["summary"] + " (reused)"
    spool = root / f"spool-{events}"
    start = time.perf_counter()
    picks = write_population(spool, events)
    generated = time.perf_counter() - start
    with open_store(store_path) as store:
        start = time.perf_counter()
        report = load_spools(store, [spool], bulk=True)
        loaded = time.perf_counter() - start
        triples = store.count()
    summary = (
        f"{picks.events:,} events, {picks.runs:,} runs (generated in {generated:.1f} s);"
        f" load_spools --bulk with the load-time digests: {loaded:.1f} s, {len(report.bad)} bad;"
        f" store holds {triples:,} triples"
    )
    params = parameters(picks)
    kept.write_text(json.dumps({"parameters": params, "summary": summary}))
    return store_path, params, summary


def print_figures(figures: list[QueryFigures]) -> None:
    """One line per query: canned median and max, rows, target, plain median, speed-up."""
    print(
        f"{'query':30} {'median ms':>10} {'max ms':>9} {'rows':>6}  {'target':16} {'ratio':>5}"
        f" {'plain PROV-O ms':>15} {'speed-up':>9}  same rows"
    )
    for item in figures:
        verdict = f"{'meets' if item.meets else 'MISSES'} < {item.target_s * 1000:.1f} ms"
        canned = item.canned
        if canned.failure:
            line = f"{item.name:30} {canned.failure:>10} {'':>9} {'':>6}  {verdict:16} {'':>5}"
        else:
            line = (
                f"{item.name:30} {canned.median * 1000:>10.1f} {max(canned.latencies) * 1000:>9.1f}"
                f" {len(canned.rows):>6}  {verdict:16} {item.ratio:>5}"
            )
        if item.plain is not None:
            plain = item.plain.failure or f"{item.plain.median * 1000:.1f}"
            line += f" {plain:>15} {item.speed_up:>9}  {item.same_rows}"
        print(line + ("" if canned.rows or canned.failure else "  (no rows)"), flush=True)
    misses = [item.name for item in figures if not item.meets]
    print(f"misses: {', '.join(misses) or 'none'}")


def main() -> None:
    """Measure every canned query on one store per requested size and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, nargs="+", default=list(DEFAULT_EVENTS))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--store-dir", type=Path, default=None)
    parser.add_argument(
        "--reuse", action="store_true", help="measure the stores kept in --store-dir again"
    )
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
    print(
        "targets: lookups and lineage queries < 20 ms + 0.15 ms per row (first 100 rows < 20 ms),"
        " every canned query < 1 s (at 10M triples); ratio = median / target"
    )
    print(
        "plain PROV-O: the same question over the full PROV chain without the loader's digests"
        " (queries/plain/), in the same run; speed-up = plain median / canned median"
    )
    with tempfile.TemporaryDirectory(prefix="provml-bench-queries-") as temporary:
        root = arguments.store_dir or Path(temporary)
        root.mkdir(parents=True, exist_ok=True)
        for events in arguments.events:
            store, params, summary = build_store(root, events, arguments.reuse)
            print(f"\n== {summary}", flush=True)
            print_figures(measure_queries(store, params, arguments.repeat, arguments.timeout_s))
            print_walks(walk_figures(store, params, arguments.repeat))


if __name__ == "__main__":
    main()
