"""One suite for every store backend: embedded Oxigraph on disk and a real Virtuoso.

Each test runs on both and asserts the same results, so the loaders and queries can rely on the
Store contract whichever backend a user picks.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from provml import LoadError, QueryError, StoreError, UnsafeParameter
from provml.kg import FORMATS, GraphResult, SelectResult, Store, named_node, open_store
from provml.kg.results import answer_of, is_graph_answer

DATA = Path(__file__).parents[1] / "data" / "kg"
RUN_GRAPH = "https://w3id.org/provml/id/run/r1/graph"
OTHER_GRAPH = "https://w3id.org/provml/id/run/r2/graph"
RDFS_LABEL = pyoxigraph.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
MODEL = pyoxigraph.NamedNode("https://w3id.org/provml/id/entity/model")
RUN = "https://w3id.org/provml/id/run/r1"
RUN_TRIPLES = 13

HOSTILE_LABELS = [
    '"} ; CLEAR ALL ; #',
    "first line\nsecond line",
    'a "quoted" \\ backslash',
    "> } UNION { ?s ?p ?o",
    "ünïcödé ✓",
]


@dataclass
class Backend:
    """A store under test and what it held before the test (a server's own graphs)."""

    store: Store
    system_graphs: frozenset[str]
    baseline: int

    def graphs(self) -> list[str]:
        """The graphs this test wrote."""
        return [g for g in self.store.graphs() if g not in self.system_graphs]

    def added(self) -> int:
        """Quads this test added to the whole store."""
        return self.store.count() - self.baseline


def _drop_test_graphs(store: Store, system_graphs: frozenset[str]) -> None:
    for graph in store.graphs():
        if graph not in system_graphs:
            store.update(f"DROP SILENT GRAPH {named_node(graph)}")


@pytest.fixture(params=["oxigraph", "virtuoso"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "oxigraph":
        with open_store(tmp_path / "store") as store:
            yield Backend(store, frozenset(), 0)
        return
    server = request.getfixturevalue("virtuoso")
    system_graphs = request.getfixturevalue("virtuoso_system_graphs")
    with server.open() as store:
        _drop_test_graphs(store, system_graphs)
        yield Backend(store, system_graphs, store.count())
        _drop_test_graphs(store, system_graphs)


XSD = "http://www.w3.org/2001/XMLSchema#"
INTEGER_TYPES = {
    XSD + name
    for name in [
        "long",
        "int",
        "short",
        "byte",
        "nonNegativeInteger",
        "positiveInteger",
        "unsignedLong",
    ]
}


def _portable(term: object) -> str:
    """A term as N-Triples, with integer subtypes as xsd:integer: Oxigraph 0.5 stores them so."""
    if isinstance(term, pyoxigraph.Literal) and term.datatype.value in INTEGER_TYPES:
        term = pyoxigraph.Literal(term.value, datatype=pyoxigraph.NamedNode(XSD + "integer"))
    return str(term)


def _triples(store: Store, graph: str) -> set[tuple[str, ...]]:
    answer = store.query(
        "SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }", {"g": named_node(graph)}
    )
    assert isinstance(answer, SelectResult)
    return {tuple(_portable(row[name]) for name in "spo") for row in answer}


def _label_quads(graph: str) -> list[pyoxigraph.Quad]:
    return [
        pyoxigraph.Quad(
            pyoxigraph.NamedNode(f"https://w3id.org/provml/id/entity/e{i}"),
            RDFS_LABEL,
            pyoxigraph.Literal(label),
            pyoxigraph.NamedNode(graph),
        )
        for i, label in enumerate(HOSTILE_LABELS)
    ]


def test_load_turtle_into_a_named_graph(backend):
    backend.store.load(DATA / "run.ttl", "turtle", RUN_GRAPH)
    assert backend.graphs() == [RUN_GRAPH]
    assert backend.store.count(RUN_GRAPH) == RUN_TRIPLES
    assert backend.added() == RUN_TRIPLES


def test_flush_keeps_everything_written(backend):
    backend.store.load(DATA / "run.ttl", "turtle", RUN_GRAPH)
    backend.store.flush()
    assert backend.store.count(RUN_GRAPH) == RUN_TRIPLES


def test_load_accepts_bytes_text_and_binary_streams(backend):
    text = (DATA / "run.ttl").read_text()
    backend.store.load(text, "turtle", RUN_GRAPH)
    backend.store.load(text.encode(), "turtle", OTHER_GRAPH)
    backend.store.load(io.BytesIO(text.encode()), "turtle", OTHER_GRAPH)
    assert backend.store.count(RUN_GRAPH) == backend.store.count(OTHER_GRAPH) == RUN_TRIPLES


def test_add_quads_writes_each_quad_into_its_graph(backend):
    quads = _label_quads(RUN_GRAPH) + _label_quads(OTHER_GRAPH)[:2]
    backend.store.add_quads(quads)
    assert backend.graphs() == [RUN_GRAPH, OTHER_GRAPH]
    assert backend.store.count(RUN_GRAPH) == len(HOSTILE_LABELS)
    assert backend.store.count(OTHER_GRAPH) == 2
    assert backend.added() == len(HOSTILE_LABELS) + 2


def test_add_quads_writes_nothing_when_the_batch_fails_midway(backend):
    def batch():
        yield from _label_quads(RUN_GRAPH)
        raise RuntimeError("the producer failed")

    backend.store.add_quads(_label_quads(OTHER_GRAPH))
    with pytest.raises(RuntimeError, match="producer failed"):
        backend.store.add_quads(batch())
    assert backend.graphs() == [OTHER_GRAPH]
    assert backend.added() == len(HOSTILE_LABELS)


def test_count_of_an_absent_graph_is_zero(backend):
    assert backend.store.count("https://w3id.org/provml/id/run/none/graph") == 0


@pytest.mark.parametrize("label", HOSTILE_LABELS)
def test_select_binds_hostile_literals_as_values_not_text(backend, label):
    backend.store.add_quads(_label_quads(RUN_GRAPH))
    answer = backend.store.query(
        "SELECT ?s ?label WHERE { GRAPH ?g { ?s ?p ?label } }",
        {"label": pyoxigraph.Literal(label)},
    )
    assert isinstance(answer, SelectResult)
    assert answer.variables == ["s", "label"]
    index = HOSTILE_LABELS.index(label)
    assert [row["s"] for row in answer] == [
        pyoxigraph.NamedNode(f"https://w3id.org/provml/id/entity/e{index}")
    ]
    assert [row["label"] for row in answer] == [pyoxigraph.Literal(label)]
    assert backend.store.count(RUN_GRAPH) == len(HOSTILE_LABELS)


def test_select_binds_an_iri_and_reports_unbound_variables_as_none(backend):
    backend.store.load(DATA / "run.ttl", "turtle", RUN_GRAPH)
    answer = backend.store.query(
        "SELECT ?model ?label ?missing WHERE { GRAPH ?g { ?model ?p ?label } "
        "FILTER(?p = <http://www.w3.org/2000/01/rdf-schema#label>) }",
        {"model": MODEL},
    )
    assert isinstance(answer, SelectResult)
    assert answer.rows == [
        {
            "model": MODEL,
            "label": pyoxigraph.Literal('model with a "quote" and a\nnewline'),
            "missing": None,
        }
    ]


@pytest.mark.parametrize(
    "bindings",
    [
        {"s": "https://w3id.org/provml/id/entity/e0"},
        {"s": 42},
        {"s } ; CLEAR ALL ; #": pyoxigraph.Literal("x")},
        {"": pyoxigraph.Literal("x")},
    ],
    ids=["plain-string", "number", "injected-name", "empty-name"],
)
def test_bindings_that_are_not_validated_terms_are_refused(backend, bindings):
    backend.store.add_quads(_label_quads(RUN_GRAPH))
    with pytest.raises(UnsafeParameter):
        backend.store.query("SELECT ?s WHERE { GRAPH ?g { ?s ?p ?o } }", bindings)
    assert backend.store.count(RUN_GRAPH) == len(HOSTILE_LABELS)


@pytest.mark.parametrize(
    "iri", ["http://e/a> . <http://e/b", "http://e/a b", 'http://e/"x"', "http://e/a\n"]
)
def test_iris_that_could_escape_their_brackets_are_refused(backend, iri):
    with pytest.raises(UnsafeParameter, match="not a valid IRI"):
        named_node(iri)
    with pytest.raises(UnsafeParameter, match="not a valid IRI"):
        backend.store.count(iri)
    with pytest.raises(UnsafeParameter, match="not a valid IRI"):
        backend.store.load(DATA / "run.ttl", "turtle", iri)
    assert backend.graphs() == []


def test_a_binding_for_a_variable_the_select_does_not_project_is_a_query_error(backend):
    backend.store.load(DATA / "run.ttl", "turtle", RUN_GRAPH)
    with pytest.raises(QueryError):
        backend.store.query(
            "SELECT ?s WHERE { GRAPH ?g { ?s ?p ?o } }", {"g": named_node(RUN_GRAPH)}
        )


def test_a_query_outside_graph_patterns_reads_every_named_graph(backend):
    query = "SELECT ?s WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label } ORDER BY ?s"
    before = backend.store.query(query)  # a server's own graphs answer too (Virtuoso's OWL)
    backend.store.load(DATA / "run.ttl", "turtle", RUN_GRAPH)
    backend.store.add_quads(_label_quads(OTHER_GRAPH))
    answer = backend.store.query(query)
    assert isinstance(answer, SelectResult) and isinstance(before, SelectResult)
    assert len(answer) == len(before) + 2 + len(HOSTILE_LABELS)


def test_ask_answers_true_and_false(backend):
    backend.store.load(DATA / "run.ttl", "turtle", RUN_GRAPH)
    query = "ASK { GRAPH ?g { ?s ?p ?label } }"
    assert backend.store.query(query, {"s": MODEL}) is True
    assert backend.store.query(query, {"s": named_node("https://w3id.org/x")}) is False


LABELS_AS_NAMED = (
    "CONSTRUCT { ?s <http://example.org/named> ?o } "
    "WHERE { GRAPH ?g { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?o } }"
)


def _pairs(triples: Iterable[Any]) -> set[tuple[Any, Any]]:
    """The (subject, object) pairs of a CONSTRUCT's triples or quads."""
    return {(t.subject, t.object) for t in triples}


def test_construct_returns_quads_in_the_default_graph(backend):
    before = backend.store.query(LABELS_AS_NAMED)  # a server's own graphs answer too
    backend.store.load(DATA / "run.ttl", "turtle", RUN_GRAPH)
    answer = backend.store.query(LABELS_AS_NAMED)
    assert isinstance(answer, GraphResult)
    assert _pairs(before) <= _pairs(answer)
    assert _pairs(answer) - _pairs(before) == {
        (
            named_node("https://w3id.org/provml/id/run/r1"),
            pyoxigraph.Literal("run r1", language="en"),
        ),
        (MODEL, pyoxigraph.Literal('model with a "quote" and a\nnewline')),
    }
    assert all(isinstance(q.graph_name, pyoxigraph.DefaultGraph) for q in answer)


def test_construct_binds_variables_of_its_pattern(backend):
    backend.store.load(DATA / "run.ttl", "turtle", RUN_GRAPH)
    answer = backend.store.query(
        "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }", {"s": MODEL}
    )
    assert isinstance(answer, GraphResult)
    assert len(answer) == 3
    assert {q.subject for q in answer} == {MODEL}


def _written(answer: object, answer_format: object) -> bytes:
    output = io.BytesIO()
    answer.serialize(output, answer_format)  # type: ignore[attr-defined]
    return output.getvalue()


def test_evaluate_gives_answers_for_pyoxigraph_writers(backend):
    before = _pairs(backend.store.query(LABELS_AS_NAMED))  # a server's own graphs answer too
    backend.store.load(DATA / "run.ttl", "turtle", RUN_GRAPH)
    select = backend.store.evaluate(
        "SELECT ?s ?label WHERE { GRAPH ?g { ?s <http://www.w3.org/2000/01/rdf-schema#label> "
        "?label } }",
        {"s": MODEL},
    )
    assert not is_graph_answer(select)
    rows = pyoxigraph.parse_query_results(
        _written(select, pyoxigraph.QueryResultsFormat.JSON), pyoxigraph.QueryResultsFormat.JSON
    )
    assert [row["label"] for row in rows] == [
        pyoxigraph.Literal('model with a "quote" and a\nnewline')
    ]
    ask = backend.store.evaluate("ASK { GRAPH ?g { ?s ?p ?o } }", {"s": MODEL})
    assert b"true" in _written(ask, pyoxigraph.QueryResultsFormat.JSON)
    construct = backend.store.evaluate(LABELS_AS_NAMED)
    assert is_graph_answer(construct)
    triples = pyoxigraph.parse(
        _written(construct, pyoxigraph.RdfFormat.N_TRIPLES), pyoxigraph.RdfFormat.N_TRIPLES
    )
    got = _pairs(triples)
    assert before <= got
    assert got - before == {
        (named_node(RUN), pyoxigraph.Literal("run r1", language="en")),
        (MODEL, pyoxigraph.Literal('model with a "quote" and a\nnewline')),
    }


def test_answer_of_a_result_read_in_full_keeps_every_term():
    triple = pyoxigraph.Triple(MODEL, RDFS_LABEL, pyoxigraph.Literal("x"))
    result = SelectResult(
        ["a", "b"],
        [
            {"a": MODEL, "b": pyoxigraph.Literal("été", language="fr")},
            {"a": pyoxigraph.BlankNode("b0"), "b": None},
            {"a": pyoxigraph.Literal("1", datatype=named_node(XSD + "integer")), "b": triple},
        ],
    )
    rows = answer_of(result)
    assert [[row[name] for name in ("a", "b")] for row in rows] == [
        [row[name] for name in ("a", "b")] for row in result
    ]
    assert bool(answer_of(False)) is False
    assert answer_of(GraphResult([])) == GraphResult([])


def test_update_inserts_and_deletes(backend):
    backend.store.load(DATA / "run.ttl", "turtle", RUN_GRAPH)
    backend.store.update(
        f"INSERT DATA {{ GRAPH <{OTHER_GRAPH}> {{ <http://e/a> <http://e/p> 1, 2 }} }}"
    )
    assert backend.store.count(OTHER_GRAPH) == 2
    backend.store.update(f"DELETE WHERE {{ GRAPH <{RUN_GRAPH}> {{ ?s <{RDFS_LABEL.value}> ?o }} }}")
    assert backend.store.count(RUN_GRAPH) == RUN_TRIPLES - 2
    assert backend.graphs() == [RUN_GRAPH, OTHER_GRAPH]


def test_a_query_the_engine_cannot_parse_is_a_query_error(backend):
    with pytest.raises(QueryError):
        backend.store.query("SELECT ?s WHERE { ?s ?p ")
    with pytest.raises(QueryError):
        backend.store.update("INSERT DATA { GRAPH <http://e/g> { <http://e/a> ")


@pytest.mark.parametrize("format", sorted(FORMATS))
def test_dump_and_load_round_trip_one_graph(backend, format, tmp_path):
    backend.store.load(DATA / "run.ttl", "turtle", RUN_GRAPH)
    target = tmp_path / f"run.{format}"
    backend.store.dump(target, format, RUN_GRAPH)
    backend.store.load(target, format, OTHER_GRAPH)
    assert _triples(backend.store, OTHER_GRAPH) == _triples(backend.store, RUN_GRAPH)
    assert backend.store.count(OTHER_GRAPH) == RUN_TRIPLES


@pytest.mark.parametrize("format", ["nquads", "trig", "jsonld"])
def test_dump_of_the_whole_store_keeps_every_graph(backend, format, tmp_path):
    backend.store.load(DATA / "run.ttl", "turtle", RUN_GRAPH)
    backend.store.add_quads(_label_quads(OTHER_GRAPH))
    output = io.BytesIO()
    backend.store.dump(output, format)
    with open_store(tmp_path / "copy") as copy:
        copy.load(output.getvalue(), format)
        assert copy.count(RUN_GRAPH) == RUN_TRIPLES
        assert copy.count(OTHER_GRAPH) == len(HOSTILE_LABELS)
        assert _triples(copy, RUN_GRAPH) == _triples(backend.store, RUN_GRAPH)


def test_dumping_many_graphs_in_a_single_graph_format_is_refused(backend, tmp_path):
    with pytest.raises(StoreError, match="single graph"):
        backend.store.dump(tmp_path / "all.ttl", "turtle")
    assert not (tmp_path / "all.ttl").exists()


def test_a_load_with_a_syntax_error_midway_changes_nothing(backend):
    backend.store.load(DATA / "run.ttl", "turtle", RUN_GRAPH)
    with pytest.raises(LoadError) as raised:
        backend.store.load(DATA / "broken.ttl", "turtle", OTHER_GRAPH)
    assert "broken.ttl" in str(raised.value)
    assert "line 6" in str(raised.value)
    assert backend.graphs() == [RUN_GRAPH]
    assert backend.added() == RUN_TRIPLES


def test_an_unknown_format_is_a_load_error_naming_the_input(backend):
    with pytest.raises(LoadError, match=r"run\.ttl.*unknown RDF format 'n3'"):
        backend.store.load(DATA / "run.ttl", "n3", RUN_GRAPH)


def test_a_missing_input_file_is_a_load_error(backend, tmp_path):
    with pytest.raises(LoadError, match=r"absent\.ttl"):
        backend.store.load(tmp_path / "absent.ttl", "turtle", RUN_GRAPH)
    with pytest.raises(LoadError, match=str(tmp_path)):
        backend.store.load(tmp_path, "turtle", RUN_GRAPH)


def test_backends_agree_on_every_value(tmp_path, virtuoso, virtuoso_system_graphs):
    query = "SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?s ?p ?o"
    with open_store(tmp_path / "store") as embedded, virtuoso.open() as remote:
        _drop_test_graphs(remote, virtuoso_system_graphs)
        for store in (embedded, remote):
            store.load(DATA / "run.ttl", "turtle", RUN_GRAPH)
            store.add_quads(_label_quads(RUN_GRAPH))
        bindings = {"g": named_node(RUN_GRAPH)}
        embedded_rows, remote_rows = embedded.query(query, bindings), remote.query(query, bindings)
        _drop_test_graphs(remote, virtuoso_system_graphs)
    assert isinstance(embedded_rows, SelectResult) and isinstance(remote_rows, SelectResult)
    as_set = lambda rows: {tuple(map(_portable, row.values())) for row in rows}  # noqa: E731
    assert as_set(remote_rows) == as_set(embedded_rows)
    assert len(embedded_rows) == RUN_TRIPLES + len(HOSTILE_LABELS)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    label=st.text(
        alphabet=st.one_of(
            st.characters(blacklist_categories=("Cs", "Cc")),
            st.sampled_from("\"\\\n\r\t{}#;<>?$'`"),
        ),
        max_size=40,
    )
)
def test_any_text_round_trips_through_load_and_a_bound_query(backend, label):
    subject = pyoxigraph.NamedNode(
        f"https://w3id.org/provml/id/entity/{hashlib.sha256(label.encode()).hexdigest()}"
    )
    quad = pyoxigraph.Quad(subject, RDFS_LABEL, pyoxigraph.Literal(label), named_node(RUN_GRAPH))
    backend.store.add_quads([quad])
    answer = backend.store.query(
        "SELECT ?g ?s ?label WHERE { GRAPH ?g { ?s ?p ?label } }",
        {"g": named_node(RUN_GRAPH), "label": pyoxigraph.Literal(label)},
    )
    assert isinstance(answer, SelectResult)
    assert [(row["s"], row["label"]) for row in answer] == [(subject, pyoxigraph.Literal(label))]
