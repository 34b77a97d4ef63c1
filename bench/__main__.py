"""Every benchmark in one table: `python -m bench` (`--quick`: small sizes, under 2 minutes).

Capture: process CPU per event of provml, a bare baseline and the peers installed, at 1k, 10k and
unthrottled calls/s, measured in the same run, and the training-loop overhead. Load: triples/s
of load_spools against pyoxigraph's bulk_load ceiling on the same quads. Queries: every canned
query's latency on stores loaded from `provml synth` spools (about 1M and 10M triples;
`--quick`: about 10k), each query stopped after a deadline. The table is printed and written,
with the machine's description, to bench/RESULTS.md (`--output` elsewhere).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import platform
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench import capture, load
from bench import queries as query_bench
from provml.kg import open_store

# About 7.2 triples per synthetic event.
TRIPLES_PER_EVENT = 7.2
FULL = {"load_events": 1_000_000, "query_triples": (1_000_000, 10_000_000), "deadline_s": 120.0}
QUICK = {"load_events": 20_000, "query_triples": (10_000,), "deadline_s": 15.0}
HEADER = ("benchmark", "measure", "value", "unit", "against")
Row = tuple[str, str, str, str, str]


def machine() -> dict[str, str]:
    """CPU model, cores, memory, Python and pyoxigraph versions of this machine."""
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as info:
        names = [line.split(":", 1)[1].strip() for line in info if line.startswith("model name")]
        cpu = names[0] if names else cpu
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "CPU": cpu,
        "cores": str(os.cpu_count()),
        "RAM": f"{memory:.0f} GiB",
        "OS": platform.platform(),
        "Python": sys.version.split()[0],
        "pyoxigraph": version("pyoxigraph"),
        "provml": version("provml"),
    }


def capture_rows(quick: bool) -> list[Row]:
    """bench/capture.py's figures as table rows: per-event CPU of provml, the baseline and each
    peer at each call rate, and the training-loop overhead."""
    with contextlib.redirect_stdout(io.StringIO()):
        figures = capture.measure(quick, install=False)
    rows: list[Row] = []
    for rate, systems in figures["per_event"].items():
        where = "unthrottled" if not rate else f"{rate:,}/s"
        base = systems["baseline"]
        for name, result in systems.items():
            label = f"{capture.LABELS[name]} @ {where}"
            if isinstance(result, str):
                rows.append(("capture", label, result, "", ""))
                continue
            against = (
                f"calling thread {result['thread'] * 1e6:.2f} µs; {result['bytes']:.0f} B/event"
            )
            if isinstance(base, dict) and name != "baseline":
                against = f"{result['process'] / base['process']:.2f}x baseline; {against}"
            rows.append(
                ("capture", label, f"{result['process'] * 1e6:.2f}", "µs CPU/event", against)
            )
    loop = figures["loop"]
    rows.append(
        (
            "capture",
            f"loop overhead: torch MLP, {loop['step_ms']:.2f} ms steps, 2 metrics/step",
            f"{loop['overhead_pct']:+.2f}",
            "% CPU",
            f"writer thread {loop['writer_pct']:.2f}%; no-op control {loop['control_pct']:+.2f}%",
        )
    )
    return rows


def load_rows(events: int) -> list[Row]:
    """bench/load.py's figures as table rows."""
    with contextlib.redirect_stdout(io.StringIO()):
        figures = load.measure(events)
    ceiling = figures["ceiling_quads_per_s"]
    size = f"{figures['events']:,} events"
    rows: list[Row] = [
        ("load", f"pyoxigraph bulk_load ceiling ({size})", f"{ceiling:,.0f}", "triples/s", "")
    ]
    for label, rate, share in figures["loads"]:
        rows.append(
            ("load", f"{label} ({size})", f"{rate:,.0f}", "triples/s", f"{share:.0%} of ceiling")
        )
    return rows


def query_rows(triples: int, deadline_s: float, repeat: int, root: Path) -> list[Row]:
    """Every canned query's latency on a store of about `triples` triples from `provml synth`,
    and the speed-up over its plain PROV-O version where it has one."""
    events = max(1, int(triples / TRIPLES_PER_EVENT))
    store, params, _ = query_bench.build_store(root, events)
    with open_store(str(store)) as opened:
        stored = opened.count()
    section = f"query @ {stored:,} triples"
    rows: list[Row] = []
    for item in query_bench.measure_queries(store, params, repeat, deadline_s):
        if item.canned.failure:
            rows.append((section, item.name, "-", "ms", item.canned.failure))
            continue
        verdict = "meets" if item.meets else "MISSES"
        against = (
            f"{verdict} < {item.target_s * 1000:.1f} ms (ratio {item.ratio});"
            f" {len(item.canned.rows)} rows"
        )
        if item.plain is not None:
            plain = item.plain.failure or f"{item.plain.median * 1000:.1f} ms"
            against += f"; plain PROV-O {plain}, {item.speed_up} faster"
            against += "" if item.same_rows == "yes" else f" (same rows: {item.same_rows or '-'})"
        rows.append(
            (
                section,
                item.name,
                f"{item.canned.median * 1000:.1f}",
                f"ms (median of {len(item.canned.latencies)})",
                against,
            )
        )
    for walked in query_bench.walk_figures(store, params, repeat):
        rows.append(
            (
                section,
                walked.label,
                f"{walked.whole_s * 1000:.1f}",
                f"ms (median of {repeat})",
                f"{walked.rows} rows; target {walked.target_s * 1000:.1f} ms (ratio"
                f" {walked.whole_s / walked.target_s:.2f}); first {walked.first_rows} rows in"
                f" {walked.first_s * 1000:.1f} ms (target 20 ms)",
            )
        )
    return rows


def markdown(rows: list[Row]) -> str:
    """The rows as a Markdown table."""
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def main() -> None:
    """Run every benchmark, print one table and write it with the machine to RESULTS.md."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (under 2 minutes)")
    parser.add_argument("--repeat", type=int, default=5, help="query repeats after a warm-up")
    parser.add_argument(
        "--output", type=Path, default=Path(__file__).with_name("RESULTS.md"), help="Markdown file"
    )
    arguments = parser.parse_args()
    sizes = QUICK if arguments.quick else FULL
    console = Console()
    started = time.perf_counter()
    rows: list[Row] = []
    with console.status("capture"):
        rows += capture_rows(arguments.quick)
    with console.status("load"):
        rows += load_rows(sizes["load_events"])
    with tempfile.TemporaryDirectory(prefix="provml-bench-") as temporary:
        for triples in sizes["query_triples"]:
            with console.status(f"queries on about {triples:,} triples"):
                rows += query_rows(triples, sizes["deadline_s"], arguments.repeat, Path(temporary))
    elapsed = time.perf_counter() - started
    table = Table(title=f"provml benchmarks ({'quick' if arguments.quick else 'full'})")
    for column in HEADER:
        table.add_column(column, justify="right" if column == "value" else "left")
    for row in rows:
        table.add_row(*row)
    console.print(table)
    described = machine()
    command = "python -m bench" + (" --quick" if arguments.quick else "")
    text = (
        "# provml benchmark results\n\n"
        f"`{command}`, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"{elapsed:.0f} s.\n\n"
        + "".join(f"- {name}: {value}\n" for name, value in described.items())
        + "\n"
        + markdown(rows)
        + "\n"
    )
    arguments.output.write_text(text)
    console.print(
        f"{elapsed:.0f} s; written to {arguments.output} ("
        + ", ".join(f"{name} {value}" for name, value in described.items())
        + ")",
        highlight=False,
    )


if __name__ == "__main__":
    main()
