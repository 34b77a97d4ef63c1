"""`provml serve` under load: queries/s and p50/p99 latency of a canned query (and of the same
lookup through the SPARQL endpoint) for concurrent clients on loopback.

Run: ``python bench/serve.py`` (``--events N``: size of the synthetic population, default
20,000 events, about 160k triples; ``--clients C ...``, default 1 4 16; ``--duration S`` per
point, default 5; ``--workers W``, the server's query threads, default 4; ``--query NAME``,
default metric_trajectory; ``--store-dir DIR`` to keep the store). The population is
`provml synth`'s (a training campaign on a cluster, as bench/queries.py uses), loaded with
``load_spools(..., bulk=True)``; the server is a real ``provml serve`` subprocess, and each client
a thread with its own keep-alive HTTP connection sending the next request when the last answer
arrived. The clients run on the same machine as the server and share its cores, so the figures
are a floor for a server with the machine to itself. It reports, never asserts.

Then a run under attack (``--bombs N``, default 20; 0 skips it): one client sends the canned query
back to back for ``--duration`` s with the server idle, then again while N heavy queries arrive at
once (half aggregates over a cartesian product, for CPU; half ORDER BY over one, for memory),
``--rounds`` times (default 3), then idle once more: the idle windows bracket every attack, so a
change in the machine's other load over the run weighs on both figures alike (each round's
bombs are new texts, not repeats the server would refuse at once).
``--variety``: ``shapes`` (the default, the hardest case) gives every bomb a shape of its own (n
more OPTIONAL patterns), so neither the server's refusal of repeats nor its turns by shape
help; ``constants`` varies only a constant (two shapes); ``same`` sends copies. It
prints p50/p99 of the simple query (all rounds together, their ratio, and each round's p99s)
and the server's resident memory (the server, its fork server
and its query workers together) idle, while the bombs run (peak) and after, beside the bound
(`provml serve --max-memory`, ``--max-memory`` here, times the 2 x workers queries that may run at
once, above the idle figure), and how the bombs were answered. The server runs with
``--timeout`` (``--attack-timeout``, default 5 s).

``--pages``: instead, the explorer's views (the page's hash routes) timed as the page loads them:
each view's canned queries fetched at once (six connections, as a browser opens to one host;
a model's inferences after its first round): the first load (the server has not yet timed
those queries' shapes), then ``--repeat`` times (default 5) after one more; p50 and the
slowest, the ratio to the 1 s target, and to the same run's baseline (the ``GET /queries``
listing, which runs no query), and how many answers were 503 (busy: retried as the page does,
1 s then 2 s later). ``--reuse`` keeps a store built before under ``--store-dir``
(its parameters in ``parameters.json`` beside it).
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures
import contextlib
import dataclasses
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from provml.kg import open_store
from provml.loaders.load import load_spools
from provml.loaders.ontology import load_ontology
from provml.synth import parameters, write_population


def build_store(root: Path, events: int) -> tuple[Path, dict[str, dict[str, object]], int]:
    """Generate and load the population; the store, each query's parameters, its triples."""
    spool, store = root / "spool", root / "store"
    picks = write_population(spool, events)
    with open_store(store) as opened:
        load_ontology(opened)
        load_spools(opened, [spool], bulk=True, workers=1)
        triples = opened.count()
    print(f"store: {picks.events:,} events, {triples:,} quads")
    return store, parameters(picks), triples


ANY_WORKFLOW = "urn:provml:any-workflow"
#: What the page's fetches per view: rounds of canned queries (name, parameters) or paths.
PageRound = list[str]


def canned_path(name: str, **params: object) -> str:
    """The URL path of a canned query with its parameters."""
    return f"/queries/{name}?" + urllib.parse.urlencode({k: str(v) for k, v in params.items()})


def page_views(parameters: dict[str, dict[str, object]]) -> dict[str, list[PageRound]]:
    """Each view of the explorer and the requests it makes (explorer.js), on synth picks."""
    workflow = parameters["metric_summaries"]["workflow"]
    run, other = parameters["diff_runs"]["run"], parameters["diff_runs"]["other"]
    model = parameters["entity_facts"]["entity"]
    task_range = parameters["tasks_by_parameter_range"]
    attribute_range = parameters["entities_by_attribute_range"]
    return {
        "workflows": [[canned_path("workflows", search="")]],
        "runs table": [
            [
                canned_path("runs", in_workflow=workflow),
                canned_path("run_hyperparameters", workflow=workflow),
                canned_path("metric_summaries", workflow=workflow),
                canned_path("run_resources", workflow=workflow),
            ]
        ],
        "run": [
            [
                canned_path("runs", in_workflow=workflow),
                canned_path("run_metrics", run=run),
                canned_path("reproduce_run", run=run),
                canned_path("task_times", run=run),
                canned_path("phase_times", run=run),
                canned_path("run_outputs", run=run),
            ]
        ],
        "compare 2 runs": [
            [
                canned_path("run_metrics", run=run),
                canned_path("run_metrics", run=other),
                canned_path("diff_runs", run=run, other=other),
            ]
        ],
        "entity (model)": [
            [
                canned_path("entity_facts", entity=model),
                canned_path("annotations", target=model),
                canned_path("lineage_upstream", start=model),
                canned_path("lineage_downstream", start=model),
                "/lineage?" + urllib.parse.urlencode({"entity": str(model)}),
            ],
            # A trained model: then the inferences that used it.
            [canned_path("model_predictions", model=model)],
        ],
        "search (text)": [
            [
                canned_path("workflows", search="train"),
                canned_path("models", search="train"),
                canned_path("datasets", search="train"),
                canned_path("runs", in_workflow=ANY_WORKFLOW),
            ]
        ],
        "search (range)": [
            [
                canned_path("entities_by_attribute_range", **attribute_range),
                canned_path("tasks_by_parameter_range", **task_range),
                canned_path("runs_by_metric_range", metric="iou", min=0.5, max=1),
            ]
        ],
    }


#: Retries of a 503 (server busy with long queries), as the page does: 1 s, then 2 s later.
BUSY_RETRIES = 2
busy_answers = [0]


def fetch(base: str, path: str) -> bytes:
    """GET `path`, retrying a 503 as the page does (counted in `busy_answers`); its body (any
    other error status raises)."""
    for attempt in range(BUSY_RETRIES + 1):
        try:
            with urllib.request.urlopen(base + path, timeout=120) as reply:
                body: bytes = reply.read()
                return body
        except urllib.error.HTTPError as error:
            if error.code != 503 or attempt == BUSY_RETRIES:
                raise
            busy_answers[0] += 1
            time.sleep(attempt + 1)
    raise AssertionError("unreachable")


def time_view(base: str, rounds: list[PageRound], pool: concurrent.futures.Executor) -> float:
    """Seconds to load one view: each round's requests at once, rounds one after the other."""
    start = time.perf_counter()
    for paths in rounds:
        list(pool.map(lambda path: fetch(base, path), paths))
    return time.perf_counter() - start


def report_pages(base: str, parameters: dict[str, dict[str, object]], repeat: int) -> None:
    """Print each view's load time (p50, slowest) against the 1 s target and the baseline."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
        baseline_times = []
        for _ in range(repeat + 1):
            start = time.perf_counter()
            fetch(base, "/queries")
            baseline_times.append(time.perf_counter() - start)
        baseline = statistics.median(baseline_times[1:])
        print(f"baseline: GET /queries (no query) p50 {baseline * 1000:.1f} ms")
        print(
            f"{'view':<18} {'first ms':>9} {'p50 ms':>8} {'max ms':>8} {'p50/1 s':>8} "
            f"{'p50/baseline':>13} {'503s':>5}"
        )
        for view, rounds in page_views(parameters).items():
            # The first load: shapes the server has not timed yet run on probation (nice 10,
            # a fresh worker); it learns them, so later loads are the steady state.
            busy_answers[0] = 0
            first = time_view(base, rounds, pool)
            time_view(base, rounds, pool)
            times = [time_view(base, rounds, pool) for _ in range(repeat)]
            middle = statistics.median(times)
            print(
                f"{view:<18} {first * 1000:>9.1f} {middle * 1000:>8.1f} {max(times) * 1000:>8.1f} "
                f"{middle:>8.2f} {middle / baseline:>13.1f} {busy_answers[0]:>5}"
            )


def start_server(store: Path, workers: int, *options: str) -> tuple[subprocess.Popen[bytes], str]:
    """`provml serve` on a free loopback port, once it answers."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [
        sys.executable,
        "-m",
        "provml",
        "serve",
        "--store",
        str(store),
        "--port",
        str(port),
        "--workers",
        str(workers),
        *options,
    ]
    process = subprocess.Popen(command, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/queries", timeout=2):
                return process, base
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("provml serve did not start")


def load(base: str, path: str, clients: int, duration: float) -> tuple[int, int, list[float]]:
    """`clients` threads sending GET `path` back to back for `duration` s: answers, errors,
    latencies (s)."""
    host = urllib.parse.urlsplit(base)
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + duration

    def client() -> None:
        connection = http.client.HTTPConnection(host.hostname or "", host.port, timeout=60)
        mine: list[float] = []
        failed = 0
        while time.monotonic() < stop:
            start = time.perf_counter()
            connection.request("GET", path, headers={"Accept": "application/sparql-results+json"})
            reply = connection.getresponse()
            reply.read()
            if reply.status == 200:
                mine.append(time.perf_counter() - start)
            else:
                failed += 1
        connection.close()
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(latencies), errors[0], latencies


def percentile(values: list[float], fraction: float) -> float:
    """The value below which `fraction` of `values` fall (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


#: Aggregates over a cartesian product (CPU) and ORDER BY over one (memory).
CPU_BOMB = "SELECT (COUNT(*) AS ?n) (MAX(STR(?c)) AS ?m) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
MEMORY_BOMB = "SELECT ?a ?c ?f ?i WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?i ?f ?c"
PAGE = os.sysconf("SC_PAGE_SIZE")


def server_memory(pid: int) -> int:
    """Resident bytes of `pid` and every process below it (fork server, query workers)."""
    children: dict[int, list[int]] = collections.defaultdict(list)
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with (
                contextlib.suppress(OSError, IndexError, ValueError),
                open(f"/proc/{entry}/stat") as stat,
            ):
                children[int(stat.read().rsplit(")", 1)[1].split()[1])].append(int(entry))
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        todo.extend(children.get(current, []))
        with (
            contextlib.suppress(OSError, IndexError, ValueError),
            open(f"/proc/{current}/statm") as statm,
        ):
            total += int(statm.read().split()[1]) * PAGE
    return total


@dataclasses.dataclass
class Attack:
    """What a run under attack measured, over all its rounds."""

    idle: list[float]
    attacked: list[float]
    idle_memory: int
    peak_memory: int
    after_memory: int
    outcomes: collections.Counter[int]
    lasted: list[float]
    round_p99: list[tuple[float, float]]  # per round: idle p99 (the window before), attacked p99


def bomb_text(number: int, variety: str, round_number: int) -> str:
    """The text of bomb `number` of a round: CPU or memory by parity, varied by `variety`."""
    text = (CPU_BOMB, MEMORY_BOMB)[number % 2]
    if variety == "constants":  # one shape each, texts all different
        return text.replace("}", f"FILTER(?c != {number + 100 * round_number}) }}", 1)
    if variety == "shapes":  # every bomb of a shape of its own: n more optional patterns
        optional = range(number + 20 * round_number)
        extra = " ".join(f"OPTIONAL {{ ?a ?b ?x{k} }}" for k in optional)
        return text.replace("}", f"{extra} }}", 1)
    # Copies (each round's its own: a request stopped a moment ago is refused as a repeat).
    return text.replace("}", f"FILTER(?c != {100 * round_number}) }}", 1)


def attack(
    base: str, path: str, pid: int, bombs: int, duration: float, variety: str, rounds: int
) -> Attack:
    """Simple-query latencies and server memory idle and while `bombs` heavy queries run, in
    `rounds` rounds: an idle window, the bombs, 1 s to settle; then a last idle window. So the
    idle figures bracket every attack, and a change in the machine's other load over the run
    weighs on both alike."""
    host = urllib.parse.urlsplit(base)
    figures = Attack([], [], 0, 0, 0, collections.Counter(), [], [])

    def bomb(text: str) -> None:
        connection = http.client.HTTPConnection(host.hostname or "", host.port, timeout=120)
        connection.request("GET", "/sparql?" + urllib.parse.urlencode({"query": text}))
        reply = connection.getresponse()
        reply.read()
        figures.outcomes[reply.status] += 1
        connection.close()

    for round_number in range(rounds):
        idle = load(base, path, 1, duration)[2]
        figures.idle += idle
        figures.idle_memory = max(figures.idle_memory, server_memory(pid))
        texts = [bomb_text(number, variety, round_number) for number in range(bombs)]
        threads = [threading.Thread(target=bomb, args=(text,)) for text in texts]
        attacked: list[float] = []
        started = time.monotonic()
        for thread in threads:
            thread.start()
        while any(thread.is_alive() for thread in threads):
            attacked += load(base, path, 1, 0.2)[2]
            figures.peak_memory = max(figures.peak_memory, server_memory(pid))
        figures.lasted.append(time.monotonic() - started)
        figures.attacked += attacked
        figures.round_p99.append((percentile(idle, 0.99), percentile(attacked, 0.99)))
        time.sleep(1.0)
        figures.after_memory = max(figures.after_memory, server_memory(pid))
    figures.idle += load(base, path, 1, duration)[2]
    return figures


def report_attack(figures: Attack, bound: int, bombs: int) -> None:
    """Print the run under attack beside the idle one."""
    mib = 1024 * 1024
    p99s = {}
    for label, values in (("idle", figures.idle), ("attacked", figures.attacked)):
        p50, p99s[label] = statistics.median(values) * 1000, percentile(values, 0.99) * 1000
        print(
            f"  simple query {label:<9}: {len(values):>5} answers, "
            f"p50 {p50:6.2f} ms, p99 {p99s[label]:6.2f} ms"
        )
    rounds = ", ".join(f"{idle * 1000:.1f} / {hit * 1000:.1f}" for idle, hit in figures.round_p99)
    print(
        f"  p99 attacked / idle: {p99s['attacked'] / p99s['idle']:.2f} "
        f"(each round's p99 idle before it / attacked, ms: {rounds})"
    )
    print(
        f"  server memory: idle {figures.idle_memory / mib:,.0f} MiB, peak while the bombs ran "
        f"{figures.peak_memory / mib:,.0f} MiB, 1 s after {figures.after_memory / mib:,.0f} MiB "
        f"(bound {bound / mib:,.0f} MiB)"
    )
    lasted = ", ".join(f"{seconds:.1f}" for seconds in figures.lasted)
    outcomes = dict(sorted(figures.outcomes.items()))
    print(f"  {bombs} bombs a round answered {outcomes} (status: count) over {lasted} s")


def main() -> None:
    """Build the store, start the server, and print one line per target and client count."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--query", default="metric_trajectory")
    parser.add_argument("--store-dir", type=Path, default=None)
    parser.add_argument("--bombs", type=int, default=20)
    parser.add_argument("--variety", choices=["same", "constants", "shapes"], default="shapes")
    parser.add_argument("--attack-timeout", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--max-memory", default="1G")
    parser.add_argument("--pages", action="store_true")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--reuse", action="store_true")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        root = arguments.store_dir or Path(scratch)
        saved = root / "parameters.json"
        if arguments.reuse and saved.is_file():
            store, parameters = root / "store", json.loads(saved.read_text())
            print(f"store: {store} (reused)")
        else:
            store, parameters, _ = build_store(root, arguments.events)
            saved.write_text(json.dumps(parameters, default=str))
        if arguments.pages:
            process, base = start_server(store, arguments.workers)
            try:
                report_pages(base, parameters, arguments.repeat)
            finally:
                process.terminate()
                process.wait(30)
            return
        params = {name: str(value) for name, value in parameters[arguments.query].items()}
        run = parameters["metric_trajectory"]["run"]
        targets = {
            f"GET /queries/{arguments.query}": f"/queries/{arguments.query}?"
            + urllib.parse.urlencode(params),
            # A lookup through the protocol: the run's own triples, as JSON results.
            "GET /sparql (a run's triples)": "/sparql?"
            + urllib.parse.urlencode({"query": f"SELECT ?p ?o WHERE {{ <{run}> ?p ?o }}"}),
        }
        options = ["--timeout", str(arguments.attack_timeout), "--max-memory", arguments.max_memory]
        process, base = start_server(store, arguments.workers, *options)
        try:
            threads, seconds = arguments.workers, arguments.duration
            print(f"server: {base}, {threads} query workers; {seconds:g} s per point")
            columns = ("clients", "queries/s", "p50 ms", "p99 ms", "errors")
            widths = (7, 10, 8, 8, 6)
            print(
                f"{'target':<40} "
                + " ".join(f"{c:>{w}}" for c, w in zip(columns, widths, strict=True))
            )
            for label, path in targets.items():
                load(base, path, 1, 0.5)  # warm-up
                for clients in arguments.clients:
                    answered, failed, latencies = load(base, path, clients, arguments.duration)
                    if not latencies:
                        print(f"{label:<40} {clients:>7} {'-':>10} {'-':>8} {'-':>8} {failed:>6}")
                        continue
                    print(
                        f"{label:<40} {clients:>7} {answered / arguments.duration:>10.1f} "
                        f"{statistics.median(latencies) * 1000:>8.1f} "
                        f"{percentile(latencies, 0.99) * 1000:>8.1f} {failed:>6}"
                    )
            if arguments.bombs:
                label, path = next(iter(targets.items()))
                print(
                    f"under attack: {label}, 1 client, {arguments.bombs} bombs at once "
                    f"(--variety {arguments.variety}), {arguments.rounds} rounds"
                )
                figures = attack(
                    base,
                    path,
                    process.pid,
                    arguments.bombs,
                    arguments.duration,
                    arguments.variety,
                    arguments.rounds,
                )
                per_query = _size(arguments.max_memory)
                bound = figures.idle_memory + 2 * arguments.workers * per_query
                report_attack(figures, bound, arguments.bombs)
        finally:
            process.terminate()
            process.wait(30)


def _size(text: str) -> int:
    """Bytes of a size such as 1G or 512M."""
    from provml.serve.settings import parse_size

    return parse_size(text, "--max-memory")


if __name__ == "__main__":
    main()
