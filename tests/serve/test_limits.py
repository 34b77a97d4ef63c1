"""No single client can take `provml serve` down or get around its checks: queries past their
time or memory limit are stopped (their worker process ends), a burst of them leaves simple
queries answered, refused answers leave nothing behind, canned queries take only their declared
parameters, FROM clauses are honoured, and the HTTP layer refuses oversize or slow requests with
a status code."""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from provml.cli.app import app
from tests.helpers.serve import (
    RUN,
    build_store,
    cpu_seconds,
    process_tree,
    raw_exchange,
    resident_bytes,
    running_server,
)

#: Aggregates over a cartesian product: CPU for ever, little memory.
CPU_BOMB = "SELECT (COUNT(*) AS ?n) (MAX(STR(?c)) AS ?m) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
#: ORDER BY over a cartesian product: every row is held before the first is written.
MEMORY_BOMB = "SELECT ?a ?c ?f ?i WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?i ?f ?c"
SIMPLE = "SELECT ?s WHERE { ?s a <https://w3id.org/provml/ontology#TrainedModel> } LIMIT 5"
MAX_MEMORY = 300 * 1024 * 1024
MAX_BYTES = 20_000
HEADER_TIMEOUT = 1.0


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A read-only server with short limits."""
    store = build_store(tmp_path_factory.mktemp("limits"))
    with running_server(
        store,
        "--timeout",
        "2",
        "--max-memory",
        "300M",
        "--workers",
        "4",
        "--max-bytes",
        str(MAX_BYTES),
        "--header-timeout",
        str(HEADER_TIMEOUT),
    ) as running:
        yield running


def ask(server, query: str) -> tuple[int, bytes]:
    """Status and body of a query by GET."""
    code, _, body = server.request("/sparql", params={"query": query})
    return code, body


def latencies(server, count: int, answer: bytes | None = None) -> list[float]:
    """Seconds each of `count` simple queries took, one after the other (each answered, with
    `answer` if given)."""
    taken = []
    for _ in range(count):
        started = time.perf_counter()
        code, body = ask(server, SIMPLE)
        taken.append(time.perf_counter() - started)
        assert code == 200 and body == (answer or body), body
    return taken


def p99(values: list[float]) -> float:
    """The 99th percentile."""
    return statistics.quantiles(values, n=100)[98]


def launch(server, texts: list[str], outcomes: list[int]) -> list[threading.Thread]:
    """One started thread per query text, each adding its answer's status to `outcomes`."""
    bombs = [
        threading.Thread(
            target=lambda text=text: outcomes.append(ask(server, text)[0]), daemon=True
        )
        for text in texts
    ]
    for bomb in bombs:
        bomb.start()
    return bombs


def tree_memory(server) -> int:
    """The resident memory of the server and its workers."""
    return resident_bytes(process_tree(server.process.pid))


def test_a_cpu_bomb_past_the_timeout_stops_using_cpu_within_1_s(server):
    started = time.monotonic()
    code, body = ask(server, CPU_BOMB)
    assert code == 503 and b"limit of 2 s (provml serve --timeout)" in body, body
    assert time.monotonic() - started < 3.0
    time.sleep(0.5)  # a replacement worker starts meanwhile
    before = cpu_seconds(process_tree(server.process.pid))
    time.sleep(0.5)
    after = cpu_seconds(process_tree(server.process.pid))
    used = sum(after[pid] - before.get(pid, 0.0) for pid in after)
    assert used < 0.15, f"the server used {used:.2f} s of CPU in the 0.5 s after the deadline"
    assert ask(server, "ASK { ?s ?p ?o }") == (200, b'{"head":{},"boolean":true}')


def test_a_memory_bomb_gets_a_clear_error_and_the_server_stays_up(tmp_path):
    # A time limit the bomb cannot reach first: it runs at the lowest priority of its own
    # session, which on a busy machine is a small share of a CPU.
    store = build_store(tmp_path)
    with running_server(store, "--timeout", "60", "--max-memory", "200M") as server:
        idle = tree_memory(server)
        code, body = ask(server, MEMORY_BOMB)
        assert code == 422, body
        limit = b"more memory than this server's limit of 200 MiB (provml serve --max-memory)"
        assert limit in body, body
        assert ask(server, "ASK { ?s ?p ?o }")[0] == 200
        time.sleep(0.5)
        assert tree_memory(server) < idle + 64 * 1024 * 1024


def test_a_burst_of_bombs_leaves_simple_queries_answered(server):
    latencies(server, 20)  # warm
    idle = latencies(server, 200)
    idle_memory = tree_memory(server)
    outcomes: list[int] = []
    # Twenty different texts (none is the repeat of another), of two shapes.
    texts = [
        query.replace("}", f"FILTER(?c != {number}) }}", 1)
        for number, query in enumerate([CPU_BOMB, MEMORY_BOMB] * 10)
    ]
    bombs = launch(server, texts, outcomes)
    attacked: list[float] = []
    peak = 0
    while any(bomb.is_alive() for bomb in bombs):
        attacked += latencies(server, 5)
        peak = max(peak, tree_memory(server))
    assert set(outcomes) <= {422, 503} and len(outcomes) == 20
    # Every simple query was answered; their typical time did not move and their slowest
    # percentile stayed within twice the idle one (plus room for a shared, noisy machine).
    assert statistics.median(attacked) < 2 * statistics.median(idle) + 0.005
    # The target (p99 within 2x of idle) is a timing, measured by bench/serve.py (it
    # prints the ratio); what a test holds on a shared machine is that none waits long.
    assert p99(attacked) < 0.5, (p99(idle), p99(attacked))
    # At most `workers` fast and as many long queries at once, each within its limit.
    assert peak < idle_memory + 4 * MAX_MEMORY
    time.sleep(1.0)
    assert tree_memory(server) < idle_memory + 64 * 1024 * 1024


def test_a_bomb_sent_again_is_refused_at_once(server):
    text = f"{CPU_BOMB} # sent twice"
    assert ask(server, text)[0] == 503
    started = time.monotonic()
    code, body = ask(server, text)
    assert code == 503 and b"the same request was stopped less than 60 s ago" in body, body
    assert time.monotonic() - started < 0.5


def test_bombs_of_twenty_shapes_leave_simple_queries_answered(server):
    """The hardest case: no bomb shares a shape, so none is refused as a repeat; the simple
    query, whose shape the server has seen to be quick, is served before them. No bomb runs
    in a worker of normal priority, nor in the server's session."""
    answer = ask(server, SIMPLE)[1]
    idle = latencies(server, 200, answer)
    outcomes: list[int] = []
    texts = [
        CPU_BOMB.replace("}", " ".join(f"OPTIONAL {{ ?a ?b ?x{k} }}" for k in range(n)) + " }", 1)
        for n in range(20)
    ]
    server_session = os.getsid(server.process.pid)
    bombs = launch(server, texts, outcomes)
    attacked: list[float] = []
    workers: dict[int, tuple[int, int, int, str]] = {}
    while any(bomb.is_alive() for bomb in bombs):
        attacked += latencies(server, 5, answer)  # each answered alike within the time limit
        for pid in process_tree(server.process.pid)[2:]:
            with contextlib.suppress(OSError):
                workers[pid] = scheduling(pid)
    assert set(outcomes) <= {503} and len(outcomes) == 20
    # Workers of normal priority stayed in the server's session; the others each left it.
    lowered = [facts for facts in workers.values() if facts[1] > 0]
    assert lowered and all(facts[2] != server_session for facts in lowered)
    assert len({facts[2] for facts in lowered}) == len(lowered)
    assert all(facts[2] == server_session for facts in workers.values() if facts[1] == 0)
    assert statistics.median(attacked) < 2 * statistics.median(idle) + 0.005
    # The target (p99 within 2x of idle) is a timing, measured by bench/serve.py (it
    # prints the ratio); what a test holds on a shared machine is that none waits long.
    assert p99(attacked) < 0.5, (p99(idle), p99(attacked))


def scheduling(pid: int) -> tuple[int, int, int, str]:
    """A process's scheduling policy, nice value, session id and autogroup ("" without)."""
    with open(f"/proc/{pid}/stat") as stat:
        nice = int(stat.read().rsplit(")", 1)[1].split()[16])
    autogroup = Path(f"/proc/{pid}/autogroup")
    group = autogroup.read_text().strip() if autogroup.exists() else ""
    return os.sched_getscheduler(pid), nice, os.getsid(pid), group


def test_a_long_query_runs_at_the_lowest_priority_in_a_session_of_its_own(server):
    """Where Linux shares CPU time between sessions first (autogroups), nice and SCHED_IDLE
    only rank the processes of one session: a long query's worker leaves the server's."""
    code, before = ask(server, SIMPLE)
    assert code == 200 and json.loads(before)["results"]["bindings"], before

    def workers() -> dict[int, tuple[int, int, int, str]]:
        """The scheduling of each worker but those of earlier tests' long queries, which may
        still be ending."""
        found = {}
        for pid in process_tree(server.process.pid)[2:]:  # not the server, its fork server
            with contextlib.suppress(OSError):
                found[pid] = scheduling(pid)
        return {pid: facts for pid, facts in found.items() if pid not in ending}

    ending: set[int] = set()
    ending = {pid for pid, facts in workers().items() if facts[0] == os.SCHED_IDLE}
    outcomes: list[int] = []
    (bomb,) = launch(server, [f"{CPU_BOMB} # one long query"], outcomes)
    deadline = time.monotonic() + 1.5
    found = workers()
    while time.monotonic() < deadline and not any(
        policy == os.SCHED_IDLE for policy, *_ in found.values()
    ):
        time.sleep(0.05)
        found = workers()
    server_session = os.getsid(server.process.pid)
    long = [facts for facts in found.values() if facts[0] == os.SCHED_IDLE]
    assert len(long) == 1, found
    _, nice, session, group = long[0]
    assert nice == 19 and session != server_session, long
    assert group == "" or group.endswith(" nice 19"), group
    # The fast lane still holds a worker of normal priority in the server's session, which
    # the simple query (of a shape known to be quick) takes, and answers.
    assert (os.SCHED_OTHER, 0, server_session) in {facts[:3] for facts in found.values()}
    assert ask(server, SIMPLE) == (200, before)
    bomb.join()
    assert outcomes == [503]


def test_refused_answers_log_nothing_and_leave_no_memory_behind(server):
    everything = "SELECT * WHERE { ?s ?p ?o }"
    for _ in range(30):
        assert ask(server, everything)[0] == 422
    before = resident_bytes([server.process.pid])
    for _ in range(300):
        code, body = ask(server, everything)
        assert code == 422 and f"limit of {MAX_BYTES:,} bytes".encode() in body
    grown = resident_bytes([server.process.pid]) - before
    assert grown < 4 * 1024 * 1024, f"the server grew by {grown:,} bytes"
    log = server.log.read_text()
    assert "unsendable" not in log and "Traceback" not in log and "422" not in log


def test_canned_queries_take_only_their_declared_parameters(server):
    for value in (".", "abc", "/"):
        code, _, body = server.request(
            "/queries/metric_trajectory",
            params={"run": RUN, "metric": "loss", "directories": value},
        )
        assert code == 400, body
        assert b"unknown parameter 'directories'" in body and b"does not exist" not in body
    code, _, body = server.request(
        "/queries/metric_trajectory", params={"run": RUN, "metric": "loss"}
    )
    assert code == 200, body


def count(server, query: str, **params: str) -> int:
    """The ?n of a counting query sent with protocol parameters."""
    code, _, body = server.request(
        "/sparql",
        params={"query": query, **params},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert code == 200, body
    return int(json.loads(body)["results"]["bindings"][0]["n"]["value"])


def test_from_and_from_named_and_the_protocol_graphs_are_honoured(server):
    in_graph = count(server, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{RUN}> {{ ?s ?p ?o }} }}")
    union = count(server, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert 0 < in_graph < union
    assert count(server, f"SELECT (COUNT(*) AS ?n) FROM <{RUN}> WHERE {{ ?s ?p ?o }}") == in_graph
    named = f"SELECT (COUNT(*) AS ?n) FROM NAMED <{RUN}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"
    assert count(server, named) == in_graph
    any_graph = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    assert count(server, any_graph) > in_graph
    assert count(server, any_graph, **{"named-graph-uri": RUN}) == in_graph
    plain = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    assert count(server, plain, **{"default-graph-uri": RUN}) == in_graph
    # A keyword inside a string, an IRI or a name is not a dataset clause.
    text = 'SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o FILTER(?o != "FROM <x>") }'
    assert count(server, text) == union


def test_provml_sparql_honours_from(tmp_path):
    store = build_store(tmp_path)
    query = tmp_path / "count.rq"
    query.write_text(f"SELECT (COUNT(*) AS ?n) FROM <{RUN}> WHERE {{ ?s ?p ?o }}\n")
    graph = tmp_path / "graph.rq"
    graph.write_text(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{RUN}> {{ ?s ?p ?o }} }}\n")
    answers = []
    for file in (query, graph):
        result = CliRunner().invoke(
            app, ["sparql", str(file), "--store", str(store), "--format", "json"]
        )
        assert result.exit_code == 0, result.output
        answers.append(json.loads(result.output))
    assert answers[0] == answers[1] and answers[0]


def test_a_request_without_a_host_header_is_refused(server):
    for request in (b"GET /queries HTTP/1.0\r\n\r\n", b"GET /queries HTTP/1.1\r\n\r\n"):
        answer = raw_exchange(server.base, request)
        assert answer.startswith(b"HTTP/1.1 400 "), answer[:200]
    answer = raw_exchange(server.base, b"GET /queries HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200 "), answer[:200]


def test_oversize_urls_are_414_and_oversize_headers_431(server):
    huge = "x" * (1024 * 1024)
    code, _, body = server.request("/sparql", params={"query": huge})
    assert code == 414 and b"URL is longer than this server's limit" in body
    code, _, body = server.request("/queries", headers={"X-Padding": huge})
    assert code == 431 and b"headers are larger than this server's limit" in body
    code, _, body = server.request("/queries", headers={"X-Padding": "x" * 100_000})
    assert code == 431 and b"headers are larger than this server's limit" in body
    assert server.request("/queries")[0] == 200


def test_slow_and_idle_clients_are_timed_out(server):
    started = time.monotonic()
    answer = raw_exchange(server.base, b"GET /queries HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    assert answer.startswith(b"HTTP/1.1 408 ") and b"took longer than 1 s" in answer
    assert time.monotonic() - started < HEADER_TIMEOUT + 2
    started = time.monotonic()
    assert raw_exchange(server.base, b"") == b""  # a connection that never sends is closed
    assert time.monotonic() - started < HEADER_TIMEOUT + 2
    started = time.monotonic()
    answer = raw_exchange(server.base, b"GET /queries HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200 ")  # then the idle connection is closed
    assert time.monotonic() - started < 5 + 2


def test_workers_read_views_beside_the_store_which_go_with_the_server(tmp_path):
    store = build_store(tmp_path)
    views = store.with_name(f"{store.name}.serve-views")
    with running_server(store) as running:
        assert ask(running, "ASK { ?s ?p ?o }")[0] == 200
        assert [path.name for path in views.iterdir()] == ["view-1"]
        workers = process_tree(running.process.pid)[1:]
        assert len(workers) >= 5  # the fork server and the four query workers
    assert not views.exists()
    deadline = time.monotonic() + 5
    while (
        alive := [p for p in workers if Path(f"/proc/{p}").exists()]
    ) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive, [Path(f"/proc/{pid}/cmdline").read_bytes() for pid in alive]
