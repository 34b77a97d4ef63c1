"""SPARQL 1.1 Protocol conformance of `provml serve`, with SPARQLWrapper as the client, and a
federated query from another engine (pyoxigraph) to the running endpoint."""

from __future__ import annotations

import csv
import io
import json

import pyoxigraph
import pytest
import rdflib
from SPARQLWrapper import (
    CSV,
    GET,
    JSON,
    JSONLD,
    POST,
    POSTDIRECTLY,
    RDFXML,
    TSV,
    TURTLE,
    XML,
    SPARQLWrapper,
)

from tests.helpers.serve import MODEL, RUN, build_store, running_server

PREFIXES = """PREFIX provml: <https://w3id.org/provml/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
"""
SELECT_MODEL = (
    PREFIXES + "SELECT ?model ?label WHERE { ?model a provml:TrainedModel ; rdfs:label ?label }"
)
CONSTRUCT_MODEL = (
    PREFIXES + "CONSTRUCT { ?m rdfs:label ?l } WHERE { ?m a provml:TrainedModel ; rdfs:label ?l }"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    store = build_store(tmp_path_factory.mktemp("protocol"))
    with running_server(store) as running:
        yield running


def client(server, query, return_format, method=GET):
    wrapper = SPARQLWrapper(server.sparql)
    wrapper.setQuery(query)
    wrapper.setReturnFormat(return_format)
    if method == POSTDIRECTLY:
        wrapper.setMethod(POST)
        wrapper.setRequestMethod(POSTDIRECTLY)
    else:
        wrapper.setMethod(method)
    return wrapper


@pytest.mark.parametrize("method", [GET, POST, POSTDIRECTLY])
def test_select_as_json_by_get_form_post_and_direct_post(server, method):
    result = client(server, SELECT_MODEL, JSON, method).query()
    assert result.response.headers["Content-Type"].startswith("application/sparql-results+json")
    rows = result.convert()["results"]["bindings"]
    assert [(row["model"]["value"], row["label"]["value"]) for row in rows] == [(MODEL, "unet")]
    assert rows[0]["model"]["type"] == "uri"


def test_select_as_xml(server):
    document = client(server, SELECT_MODEL, XML).query().convert()
    uris = [node.firstChild.data for node in document.getElementsByTagName("uri")]
    assert uris == [MODEL]


@pytest.mark.parametrize(
    ("return_format", "delimiter", "media_type"),
    [
        (CSV, ",", "text/csv"),
        (TSV, "\t", "text/tab-separated-values"),
    ],
)
def test_select_as_csv_and_tsv(server, return_format, delimiter, media_type):
    result = client(server, SELECT_MODEL, return_format).query()
    assert result.response.headers["Content-Type"].startswith(media_type)
    text = result.convert().decode("utf-8")
    if return_format == CSV:
        assert list(csv.reader(io.StringIO(text))) == [["model", "label"], [MODEL, "unet"]]
    else:  # TSV keeps the terms' SPARQL syntax
        rows = [line.split(delimiter) for line in text.splitlines()]
        assert rows == [["?model", "?label"], [f"<{MODEL}>", '"unet"']]


@pytest.mark.parametrize("return_format", [JSON, XML])
def test_ask(server, return_format):
    yes = client(server, f"ASK {{ <{RUN}> ?p ?o }}", return_format).query().convert()
    no = client(server, "ASK { <https://e/nothing> ?p ?o }", return_format).query().convert()
    if return_format == JSON:
        assert (yes["boolean"], no["boolean"]) == (True, False)
    else:
        values = [doc.getElementsByTagName("boolean")[0].firstChild.data for doc in (yes, no)]
        assert values == ["true", "false"]


@pytest.mark.parametrize(
    ("return_format", "media_type"),
    [
        (TURTLE, "text/turtle"),
        (JSONLD, "application/ld+json"),
        (RDFXML, "application/rdf+xml"),
    ],
)
@pytest.mark.parametrize("method", [GET, POST])
def test_construct_formats(server, return_format, media_type, method):
    result = client(server, CONSTRUCT_MODEL, return_format, method).query()
    assert result.response.headers["Content-Type"].startswith(media_type)
    # Parsed by pyoxigraph: the JSON-LD conversion of SPARQLWrapper (and rdflib's JSON-LD
    # parser) use a deprecated rdflib class, which pytest turns into an error.
    body = result.response.read()
    parsed = pyoxigraph.parse(body, pyoxigraph.RdfFormat.from_media_type(media_type))
    assert {(t.subject.value, t.predicate.value, t.object.value) for t in parsed} == {
        (MODEL, str(rdflib.RDFS.label), "unet")
    }


def test_construct_as_ntriples_by_accept_header(server):
    status, headers, body = server.request(
        "/sparql", params={"query": CONSTRUCT_MODEL}, headers={"Accept": "application/n-triples"}
    )
    assert status == 200 and headers["content-type"].startswith("application/n-triples")
    assert body.decode() == f'<{MODEL}> <http://www.w3.org/2000/01/rdf-schema#label> "unet" .\n'


def test_describe(server):
    turtle = client(server, f"DESCRIBE <{MODEL}>", TURTLE).query().convert()  # bytes
    graph = rdflib.Graph().parse(data=turtle, format="turtle")
    assert (rdflib.URIRef(MODEL), rdflib.RDFS.label, rdflib.Literal("unet")) in graph
    assert (rdflib.URIRef(MODEL), rdflib.RDF.type, None) in graph


def test_format_parameter_overrides_accept(server):
    status, headers, body = server.request(
        "/sparql",
        params={"query": SELECT_MODEL, "format": "csv"},
        headers={"Accept": "application/sparql-results+xml"},
    )
    assert status == 200 and headers["content-type"].startswith("text/csv")
    assert body.decode().splitlines()[1] == f"{MODEL},unet"


def test_unacceptable_format_is_406(server):
    status, _, body = server.request(
        "/sparql", params={"query": SELECT_MODEL}, headers={"Accept": "image/png"}
    )
    assert status == 406
    assert b"application/sparql-results+json" in body


def test_default_graph_uri_restricts_the_default_graph(server):
    # The run itself is described in its own graph (shared things, like the model, are not).
    query = PREFIXES + "SELECT ?m WHERE { ?m a provml:WorkflowExecution }"
    inside = server.request("/sparql", params={"query": query, "default-graph-uri": RUN})
    outside = server.request(
        "/sparql", params={"query": query, "default-graph-uri": "https://w3id.org/provml/ontology"}
    )
    assert [json.loads(reply[2])["results"]["bindings"] for reply in (inside, outside)] == [
        [{"m": {"type": "uri", "value": RUN}}],
        [],
    ]


def test_federated_query_from_another_engine_reaches_the_endpoint(server):
    """pyoxigraph's own SERVICE client (HTTP) queries the running endpoint from an empty store."""
    local = pyoxigraph.Store()
    local.add(
        pyoxigraph.Quad(
            pyoxigraph.NamedNode(MODEL),
            pyoxigraph.NamedNode("https://e/reviewedBy"),
            pyoxigraph.Literal("ana"),
        )
    )
    query = (
        PREFIXES
        + f"""SELECT ?model ?label ?reviewer WHERE {{
        ?model <https://e/reviewedBy> ?reviewer .
        SERVICE <{server.sparql}> {{ ?model a provml:TrainedModel ; rdfs:label ?label }}
    }}"""
    )
    rows = [
        (row["model"].value, row["label"].value, row["reviewer"].value)
        for row in local.query(query)
    ]
    assert rows == [(MODEL, "unet", "ana")]
