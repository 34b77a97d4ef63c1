"""The remote SPARQL backend's own behaviour, on a real Virtuoso started by the tests."""

from __future__ import annotations

import gc
import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph
import pytest
from typer.testing import CliRunner

from provml import QueryError, StoreError, UnsafeParameter
from provml.cli.app import app
from provml.errors import AnswerTooLarge
from provml.kg import SelectResult, backend_for, named_node, open_store
from provml.kg.registry import store_class
from provml.kg.remote import SparqlStore
from tests.helpers.silent_cap import serve_with_silent_cap

DATA = Path(__file__).parents[1] / "data" / "kg"
GRAPH = "https://w3id.org/provml/id/run/remote/graph"


@pytest.fixture
def remote(virtuoso, virtuoso_system_graphs):
    with virtuoso.open() as store:
        yield store
        for graph in store.graphs():
            if graph not in virtuoso_system_graphs:
                store.update(f"DROP SILENT GRAPH {named_node(graph)}")


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_http_and_https_urls_choose_the_sparql_backend():
    assert backend_for("http://127.0.0.1:8890/sparql") == "sparql"
    assert backend_for("HTTPS://example.org/sparql") == "sparql"
    assert backend_for("relative/dir") == "oxigraph"
    assert isinstance(open_store("http://127.0.0.1:1/sparql"), SparqlStore)


def test_an_option_the_backend_does_not_take_is_a_store_error(tmp_path):
    with pytest.raises(StoreError, match=r"oxigraph backend .* cannot take"):
        open_store(tmp_path / "store", user="dba")
    assert not (tmp_path / "store").exists()


def test_an_unknown_backend_name_is_a_store_error(tmp_path):
    with pytest.raises(StoreError, match="no store backend named 'fuseki'"):
        open_store(tmp_path, backend="fuseki")


def test_insert_data_chunks_write_the_same_triples_as_the_graph_store_protocol(virtuoso, remote):
    with virtuoso.open(graph_store=False) as plain:
        plain._chunk_bytes = 200  # several INSERT DATA requests for 13 triples
        plain.load(DATA / "run.ttl", "turtle", GRAPH)
        assert plain.count(GRAPH) == 13
    remote.load(DATA / "run.ttl", "turtle", GRAPH + "2")
    query = "SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }"
    first = remote.query(query, {"g": named_node(GRAPH)})
    second = remote.query(query, {"g": named_node(GRAPH + "2")})
    assert isinstance(first, SelectResult) and isinstance(second, SelectResult)
    # Virtuoso's INSERT DATA stores xsd:long as xsd:integer, its Turtle loader keeps xsd:long.
    values = lambda rows: {(r["s"], r["p"], getattr(r["o"], "value", r["o"])) for r in rows}  # noqa: E731
    assert values(first) == values(second)


def test_dump_without_the_graph_store_protocol_uses_construct(virtuoso, remote, tmp_path):
    remote.load(DATA / "run.ttl", "turtle", GRAPH)
    with virtuoso.open(graph_store=False) as plain:
        plain.dump(tmp_path / "run.nt", "ntriples", GRAPH)
    assert len((tmp_path / "run.nt").read_text().splitlines()) == 13


def test_a_blank_node_binding_is_refused_remotely(remote):
    with pytest.raises(UnsafeParameter, match="blank node"):
        remote.query("SELECT ?s WHERE { ?s ?p ?o }", {"s": pyoxigraph.BlankNode("b")})


def test_a_literal_holding_a_codepoint_escape_is_refused_as_query_text(remote):
    sneaky = pyoxigraph.Literal("\\u0022 } ; CLEAR ALL ; #")
    with pytest.raises(UnsafeParameter, match="escape"):
        remote.query("SELECT ?o WHERE { ?s ?p ?o }", {"o": sneaky})


def test_the_same_literal_still_loads_through_the_graph_store_protocol(remote):
    sneaky = pyoxigraph.Literal("\\u0022 } ; CLEAR ALL ; #")
    node = named_node("http://e/a")
    remote.add_quads([pyoxigraph.Quad(node, node, sneaky, named_node(GRAPH))])
    answer = remote.query("SELECT ?g ?o WHERE { GRAPH ?g { ?s ?p ?o } }", {"g": named_node(GRAPH)})
    assert isinstance(answer, SelectResult)
    assert [row["o"] for row in answer] == [sneaky]


def test_ask_with_a_trailing_modifier_cannot_be_bound_and_says_why(remote):
    with pytest.raises(QueryError, match="closing brace"):
        remote.query("ASK { ?s ?p ?o } # done", {"s": named_node("http://e/a")})


def test_query_and_update_refuse_each_others_work(remote):
    with pytest.raises(QueryError, match="update"):
        remote.query(f"INSERT DATA {{ GRAPH <{GRAPH}> {{ <http://e/a> <http://e/p> 1 }} }}")
    with pytest.raises(QueryError, match="not an update"):
        remote.update("SELECT * WHERE { ?s ?p ?o }")
    assert remote.count(GRAPH) == 0


# urllib's digest handler retries a refused password and leaves each 401 response's socket to
# the garbage collector (CPython 3.11); collect them here, where that warning is expected.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_wrong_password_is_a_store_error_naming_the_url(virtuoso):
    store = open_store(
        virtuoso.query_url,
        update_url=f"{virtuoso.base}/sparql-auth",
        user="dba",
        password="wrong",
        auth="digest",
    )
    with pytest.raises(StoreError) as raised:
        store.update(f"INSERT DATA {{ GRAPH <{GRAPH}> {{ <http://e/a> <http://e/p> 1 }} }}")
    assert f"{virtuoso.base}/sparql-auth" in str(raised.value)
    assert "credentials" in str(raised.value)
    del raised
    gc.collect()


def test_an_endpoint_that_does_not_answer_is_a_store_error_naming_the_url():
    url = f"http://127.0.0.1:{_closed_port()}/sparql"
    with open_store(url, timeout=5) as store, pytest.raises(StoreError) as raised:
        store.count()
    assert url in str(raised.value)


def test_a_url_that_is_not_http_is_refused():
    with pytest.raises(StoreError, match="not an http"):
        SparqlStore("http://127.0.0.1:1/sparql", update_url="ftp://example.org/update")


def test_a_closed_remote_store_refuses_calls(virtuoso):
    store = virtuoso.open()
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.count()


def test_quads_outside_a_named_graph_are_refused_before_sending(remote):
    node = named_node("http://e/a")
    inside = pyoxigraph.Quad(node, node, node, named_node(GRAPH))
    with pytest.raises(StoreError, match="not in a named graph"):
        remote.add_quads([inside, pyoxigraph.Quad(node, node, node)])
    with pytest.raises(StoreError, match=r"run\.ttl.*pass graph=IRI"):
        remote.load(DATA / "run.ttl", "turtle")
    assert remote.count(GRAPH) == 0


def test_an_endpoint_error_page_is_reported_as_text(virtuoso):
    store = open_store(f"{virtuoso.base}/no-such-endpoint")
    with pytest.raises(StoreError) as raised:
        store.count()
    assert "no-such-endpoint" in str(raised.value)
    assert "<html" not in str(raised.value).lower()


@pytest.mark.parametrize("graph_store", [False, True], ids=["construct", "graph-store"])
def test_a_dump_the_server_truncates_is_refused_not_written_short(
    virtuoso_with_small_results, graph_store, tmp_path
):
    with virtuoso_with_small_results.open(graph_store=graph_store) as store:
        store.load(DATA / "run.ttl", "turtle", GRAPH)
        try:
            with pytest.raises(StoreError, match=r"returned [0-9]+ of the 13 triples.*Result"):
                store.dump(tmp_path / "run.nt", "ntriples", GRAPH)
        finally:
            store.update(f"DROP SILENT GRAPH {named_node(GRAPH)}")
    assert not (tmp_path / "run.nt").exists()


def test_the_remote_backend_declares_credentials_and_no_local_directory():
    location = "http://127.0.0.1:1/sparql"
    assert store_class(location) is SparqlStore
    assert SparqlStore.takes_credentials
    assert SparqlStore.local_directory(location) is None


def test_evaluate_on_a_remote_store_refuses_a_dataset_before_any_request():
    store = SparqlStore("http://127.0.0.1:1/sparql")
    with pytest.raises(QueryError, match="default-graph-uri"):
        store.evaluate("ASK { ?s ?p ?o }", default_graphs=["https://e/g"])


SILENT_CAP = 5
ITEMS = 12
LABEL = pyoxigraph.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")


@pytest.fixture
def silently_capped() -> Iterator[str]:
    """The query URL of a server holding ITEMS labels that cuts answers at SILENT_CAP rows."""
    data = pyoxigraph.Store()
    graph = pyoxigraph.NamedNode(GRAPH)
    for index in range(ITEMS):
        item = pyoxigraph.NamedNode(f"https://w3id.org/provml/id/item/{index}")
        data.add(pyoxigraph.Quad(item, LABEL, pyoxigraph.Literal(f"item {index}"), graph))
    yield from serve_with_silent_cap(data, SILENT_CAP)


def test_a_server_that_cuts_silently_is_paged_to_completion_given_its_cap(silently_capped):
    query = f"SELECT ?item ?label WHERE {{ ?item {LABEL} ?label }}"
    with open_store(silently_capped) as unaware:
        assert len(unaware.query(query)) == SILENT_CAP  # what max_rows is for
    with open_store(silently_capped, max_rows=SILENT_CAP) as store:
        answer = store.query(query)
        assert sorted(row["label"].value for row in answer) == sorted(
            f"item {index}" for index in range(ITEMS)
        )
        ordered = store.query(f"{query} ORDER BY DESC(?label)")
        assert [row["label"].value for row in ordered] == sorted(
            (f"item {index}" for index in range(ITEMS)), reverse=True
        )
        exactly = store.query(f"{query} LIMIT {SILENT_CAP}")
        assert len(exactly) == SILENT_CAP


def test_a_construct_a_server_cuts_silently_is_refused_given_its_cap(silently_capped):
    with (
        open_store(silently_capped, max_rows=SILENT_CAP) as store,
        pytest.raises(AnswerTooLarge, match=rf"limit of {SILENT_CAP} rows \(max_rows\)"),
    ):
        store.query(f"CONSTRUCT {{ ?s {LABEL} ?o }} WHERE {{ ?s {LABEL} ?o }}")


def test_max_rows_comes_from_the_cli_option_or_its_variable(silently_capped, tmp_path):
    query = tmp_path / "labels.rq"
    query.write_text(f"SELECT ?label WHERE {{ ?item {LABEL} ?label }}")
    command = ["sparql", str(query), "--store", silently_capped, "--format", "json"]
    for extra, env in (([f"--max-rows={SILENT_CAP}"], {}), ([], {"PROVML_STORE_MAX_ROWS": "5"})):
        result = CliRunner().invoke(app, command + extra, env=env)
        assert result.exit_code == 0, result.output
        assert len(json.loads(result.output)) == ITEMS


def test_max_rows_below_one_is_refused():
    with pytest.raises(StoreError, match="max_rows=0"):
        SparqlStore("http://127.0.0.1:1/sparql", max_rows=0)
