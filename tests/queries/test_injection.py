"""Injection attempts on canned-query parameters and ad-hoc queries, through the Python helpers
and the CLI, on a real Oxigraph store (and once on Virtuoso): quotes, `CLEAR ALL`, `\\u0022`
escapes, `>` and newlines in IRIs, SERVICE to a real local listener, updates. Each must leave
the results and the store unchanged and fail with a clear error where it is refused."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from typer.testing import CliRunner

from provml import QueryError, UnsafeParameter, Workflow
from provml.cli.app import app
from provml.kg import open_store
from provml.loaders.load import load_spools
from provml.queries import run_query, run_sparql
from tests.helpers.loaders import write_seismic_workflow

QUERIES = Path(__file__).parents[1] / "data" / "queries"
RUN = "https://w3id.org/provml/id/run/f3-001"
# A dataset really named like an injection: binding must match it as plain text.
HOSTILE_LABEL = 'F3 "clean" } CLEAR ALL { #'
HOSTILE_TEXTS = [
    '"} CLEAR ALL {',
    'unet" } ; CLEAR ALL ; SELECT * { "',
    "unet' } DROP ALL { '",
    'unet\\u0022 ) } CLEAR ALL { ("',
    "unet\\u0022",
    "unet\nCLEAR ALL",
    '"""} INSERT DATA { <http://e/a> <http://e/b> "c" } #',
]
HOSTILE_IRIS = [
    f"{RUN}> }} CLEAR ALL {{ <{RUN}",
    f"{RUN}>",
    f"{RUN}\nCLEAR ALL",
    f"{RUN}\\u003E }} CLEAR ALL {{ <x",
    f'{RUN}" . ?s ?p ?o',
    "f3-001",
]


@dataclass
class Listener:
    """A real HTTP server on a loopback port that records every request it gets."""

    port: int
    requests: list[tuple[str, str]] = field(default_factory=list)

    @property
    def url(self) -> str:
        """Its root URL."""
        return f"http://127.0.0.1:{self.port}/"


@pytest.fixture
def listener() -> Iterator[Listener]:
    """A listener answering any request with an empty SPARQL result, for SERVICE to reach."""
    record: list[tuple[str, str]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def _answer(self):
            record.append((self.command, self.path))
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = json.dumps({"head": {"vars": []}, "results": {"bindings": []}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/sparql-results+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Listener(server.server_address[1], record)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _write_hostile_run(spool: Path) -> None:
    """A second run whose dataset's name looks like an injection."""
    with Workflow("hostile names", spool_dir=spool, run_id="hostile-001", capture_git=False) as wf:
        wf.dataset(HOSTILE_LABEL, id="hostile", type="raw_data")


def _spool(root: Path) -> Path:
    spool = root / "spool"
    write_seismic_workflow(spool)
    _write_hostile_run(spool)
    return spool


@pytest.fixture(scope="module")
def store_directory(tmp_path_factory):
    root = tmp_path_factory.mktemp("injection")
    with open_store(root / "store") as store:
        report = load_spools(store, [_spool(root)])
    assert report.events > 0 and not report.bad
    return root / "store"


def snapshot(directory: Path) -> tuple[int, dict[str, int]]:
    """The store's quad count and each named graph's triple count."""
    with open_store(directory) as store:
        return store.count(), {graph: store.count(graph) for graph in store.graphs()}


@pytest.fixture
def unchanged(store_directory):
    """Asserts after the test that the store holds exactly what it held before."""
    before = snapshot(store_directory)
    assert before[0] > 0 and f"{RUN}" in before[1]
    yield store_directory
    assert snapshot(store_directory) == before


def cli(*args: str, input: str | None = None):
    return CliRunner().invoke(app, list(args), input=input)


# -- canned-query parameters: helpers ----------------------------------------------------------


def test_a_label_that_looks_like_an_injection_is_matched_as_text(unchanged):
    with open_store(unchanged) as store:
        rows = run_query(store, "labelled", directories=[QUERIES], label=HOSTILE_LABEL)
        control = run_query(store, "labelled", directories=[QUERIES], label="unet")
    assert [row["thing"] for row in rows] == ["https://w3id.org/provml/id/entity/hostile"]
    assert rows.tuples()[0][0] == HOSTILE_LABEL
    assert len(control) == 1


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_hostile_string_values_match_nothing_and_change_nothing(unchanged, text):
    with open_store(unchanged) as store:
        rows = run_query(store, "labelled", directories=[QUERIES], label=text)
    assert len(rows) == 0
    assert rows.columns == ["label", "thing", "class"]


@pytest.mark.parametrize("iri", HOSTILE_IRIS)
def test_hostile_iris_are_refused_naming_the_parameter(unchanged, iri):
    with open_store(unchanged) as store, pytest.raises(UnsafeParameter) as raised:
        run_query(store, "run_tasks", directories=[QUERIES], run=iri)
    assert str(raised.value).startswith("run_tasks: parameter run (iri)")


@pytest.mark.parametrize(
    "value", ["0.5) } CLEAR ALL { (", '0.5"', "0.5\n} CLEAR ALL {", "\\u0030.5", "1e999"]
)
def test_hostile_numbers_are_refused_naming_the_parameter(unchanged, value):
    with open_store(unchanged) as store, pytest.raises(UnsafeParameter) as raised:
        run_query(store, "measures_above", directories=[QUERIES], threshold=value)
    assert str(raised.value).startswith("measures_above: parameter threshold (float)")


def test_an_injected_parameter_name_is_refused(unchanged):
    with open_store(unchanged) as store, pytest.raises(QueryError, match="unknown parameter"):
        run_query(store, "labelled", directories=[QUERIES], **{"label": "x", "} CLEAR ALL {": 1})


# -- canned-query parameters: CLI --------------------------------------------------------------


def test_the_cli_matches_a_hostile_label_as_text(unchanged):
    result = cli(
        "query", "labelled", "--queries-dir", str(QUERIES), "--store", str(unchanged),
        "--param", f"label={HOSTILE_LABEL}", "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert [row["label"] for row in json.loads(result.stdout)] == [HOSTILE_LABEL]


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_the_cli_binds_hostile_strings_as_text(unchanged, text):
    result = cli(
        "query", "labelled", "--queries-dir", str(QUERIES), "--store", str(unchanged),
        "--param", f"label={text}", "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == []


@pytest.mark.parametrize("iri", HOSTILE_IRIS)
def test_the_cli_refuses_hostile_iris(unchanged, iri):
    result = cli(
        "query", "run_tasks", "--queries-dir", str(QUERIES), "--store", str(unchanged),
        "--param", f"run={iri}",
    )  # fmt: skip
    assert result.exit_code == 1
    assert result.stderr.startswith("error: run_tasks: parameter run (iri)")
    assert result.stdout == ""


def test_the_cli_refuses_a_hostile_number(unchanged):
    result = cli(
        "query", "measures_above", "--queries-dir", str(QUERIES), "--store", str(unchanged),
        "--param", "threshold=0.5) } CLEAR ALL { (",
    )  # fmt: skip
    assert result.exit_code == 1
    assert result.stderr.startswith("error: measures_above: parameter threshold (float)")


def test_the_cli_refuses_an_unknown_parameter(unchanged):
    result = cli(
        "query", "labelled", "--queries-dir", str(QUERIES), "--store", str(unchanged),
        "--param", "label=x", "--param", "} CLEAR ALL {=1",
    )  # fmt: skip
    assert result.exit_code == 1
    assert "error: labelled: unknown parameter '} CLEAR ALL {'" in result.stderr


# -- ad-hoc queries: SERVICE and updates -------------------------------------------------------

SERVICE_QUERIES = [
    "SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
    "select * where {{ service silent <{url}> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ ?s ?p ?o OPTIONAL {{ SERVICE <{url}> {{ ?s ?q ?v }} }} }} LIMIT 1",
    "SELECT * WHERE {{ {{ SELECT ?s WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }} }}",
    # SPARQL decodes \\u escapes before parsing: this spells SERVICE.
    "SELECT * WHERE {{ SERV\\u0049CE <{url}> {{ ?s ?p ?o }} }}",
    "PREFIX x: <{url}>\nSELECT * WHERE {{ SERVICE x: {{ ?s ?p ?o }} }}",
]
UPDATES = [
    "CLEAR ALL",
    "DROP ALL",
    "LOAD <{url}>",
    "LOAD SILENT <{url}> INTO GRAPH <https://w3id.org/provml/id/run/f3-001>",
    "INSERT DATA {{ GRAPH <http://e/g> {{ <http://e/a> <http://e/b> 1 }} }}",
    "DELETE WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
    "WITH <https://w3id.org/provml/id/run/f3-001> DELETE {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o }}",
    "CL\\u0045AR ALL",
]


@pytest.mark.parametrize("template", SERVICE_QUERIES)
def test_service_is_refused_and_never_reached(unchanged, listener, template):
    text = template.format(url=listener.url)
    with open_store(unchanged) as store, pytest.raises(UnsafeParameter, match="SERVICE is refused"):
        run_sparql(store, text, source="mine.rq")
    assert listener.requests == []


@pytest.mark.parametrize("template", SERVICE_QUERIES)
def test_the_cli_refuses_service_from_a_file_and_stdin(unchanged, listener, tmp_path, template):
    query = tmp_path / "mine.rq"
    query.write_text(template.format(url=listener.url))
    from_file = cli("sparql", str(query), "--store", str(unchanged))
    from_stdin = cli("sparql", "-", "--store", str(unchanged), input=query.read_text())
    assert from_file.exit_code == 1 and from_stdin.exit_code == 1
    assert from_file.stderr.startswith(f"error: {query}: SERVICE is refused")
    assert from_stdin.stderr.startswith("error: <stdin>: SERVICE is refused")
    assert listener.requests == []


def test_allow_service_reaches_the_listener(unchanged, listener):
    # The control: the listener does receive what the refusals keep from it.
    text = SERVICE_QUERIES[0].format(url=listener.url)
    result = cli("sparql", "-", "--allow-service", "--store", str(unchanged), input=text)
    assert result.exit_code == 0, result.output
    assert len(listener.requests) == 1


@pytest.mark.parametrize("template", UPDATES)
def test_updates_are_refused(unchanged, listener, template):
    text = template.format(url=listener.url)
    with open_store(unchanged) as store, pytest.raises(UnsafeParameter, match="read-only"):
        run_sparql(store, text, source="mine.rq")
    result = cli("sparql", "-", "--store", str(unchanged), "--allow-service", input=text)
    assert result.exit_code == 1
    assert "updates are refused" in result.stderr and "read-only" in result.stderr
    assert listener.requests == []


def test_a_query_with_an_update_appended_is_not_run(unchanged):
    text = "SELECT * WHERE { ?s ?p ?o } ; CLEAR ALL"
    with open_store(unchanged) as store, pytest.raises(QueryError, match="not a SPARQL query"):
        run_sparql(store, text, source="mine.rq")
    result = cli("sparql", "-", "--store", str(unchanged), input=text)
    assert result.exit_code == 1 and "error: <stdin>: not a SPARQL query" in result.stderr


def test_a_read_only_ad_hoc_query_runs(unchanged):
    text = 'SELECT ?thing WHERE { ?thing <http://www.w3.org/2000/01/rdf-schema#label> "unet" }'
    result = cli("sparql", "-", "--store", str(unchanged), "--format", "csv", input=text)
    assert result.exit_code == 0, result.output
    assert result.stdout == "thing\nhttps://w3id.org/provml/id/entity/unet-faults\n"


# -- the remote backend ------------------------------------------------------------------------


def test_injection_attempts_on_virtuoso_change_nothing(virtuoso, virtuoso_system_graphs, tmp_path):
    with virtuoso.open() as remote:
        try:
            load_spools(remote, [_spool(tmp_path)])
            before = remote.count(), remote.graphs()
            matched = run_query(remote, "labelled", directories=[QUERIES], label=HOSTILE_LABEL)
            hostile = run_query(remote, "labelled", directories=[QUERIES], label='"} CLEAR ALL {')
            with pytest.raises(UnsafeParameter, match=r"\\u escape"):
                run_query(
                    remote, "labelled", directories=[QUERIES], label="unet\\u0022 } CLEAR ALL {"
                )
            with pytest.raises(UnsafeParameter, match="run_tasks: parameter run"):
                run_query(remote, "run_tasks", directories=[QUERIES], run=f"{RUN}> }} CLEAR ALL {{")
            through_cli = cli(
                "query", "labelled", "--queries-dir", str(QUERIES), "--store", virtuoso.query_url,
                "--param", 'label="} CLEAR ALL {', "--format", "json",
            )  # fmt: skip
            after = remote.count(), remote.graphs()
        finally:
            for graph in remote.graphs():
                if graph not in virtuoso_system_graphs:
                    remote.update(f"DROP SILENT GRAPH <{graph}>")
    assert [row["label"] for row in matched] == [HOSTILE_LABEL]
    assert len(hostile) == 0
    assert through_cli.exit_code == 0, through_cli.output
    assert json.loads(through_cli.stdout) == []
    assert after == before
