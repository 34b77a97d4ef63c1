"""Importing W3C PROV documents into a real Oxigraph store: graphs, idempotence, bad input."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import prov
import pytest

from provml.errors import LoadError
from provml.kg import open_store
from provml.loaders.iris import bundle_graph
from provml.loaders.prov_import import import_graph, import_prov

PROV_TESTS = Path(prov.__file__).parent / "tests"
BUNDLES = PROV_TESTS / "json" / "bundle2.json"  # two bundles, qualified relations (blank nodes)
PROV_N = PROV_TESTS / "provn" / "provtoolbox" / "bundles1.provn"


@pytest.fixture
def store(tmp_path):
    with open_store(tmp_path / "store") as opened:
        yield opened


def test_a_document_goes_into_the_graph_named_by_its_hash(store):
    report = import_prov(store, BUNDLES)
    digest = hashlib.sha256(BUNDLES.read_bytes()).hexdigest()[:16]
    assert (
        report.graph
        == f"https://w3id.org/provml/id/import/prov/{digest}"
        == import_graph(BUNDLES.read_bytes())
    )
    assert report.format == "prov-json"
    assert report.bundles == sorted(
        bundle_graph(report.graph, iri)
        for iri in ("http://example.org/bundle1", "http://example.org/bundle2")
    )
    assert store.graphs() == sorted([report.graph, *report.bundles])
    assert report.triples == sum(store.count(graph) for graph in store.graphs()) > 0


def test_importing_the_same_file_twice_adds_nothing(store, tmp_path):
    first = import_prov(store, BUNDLES)
    count = store.count()
    # Same bytes under another name: the same graph and skolem IRIs.
    copy = tmp_path / "copy.json"
    shutil.copy(BUNDLES, copy)
    again = import_prov(store, copy)
    assert store.count() == count
    assert again.graph == first.graph
    # Blank nodes became IRIs, so nothing is duplicated.
    assert not store.query("ASK { GRAPH ?g { ?s ?p ?o } FILTER(isBlank(?s) || isBlank(?o)) }")


def test_a_named_graph_collects_several_documents(store):
    graph = "https://example.org/my-import"
    import_prov(store, BUNDLES, graph=graph)
    import_prov(store, PROV_TESTS / "json" / "activity1.json", graph=graph)
    assert graph in store.graphs()
    assert store.query(
        "ASK { GRAPH <https://example.org/my-import> "
        "{ <http://example.org/a1> a <http://www.w3.org/ns/prov#Activity> } }"
    )


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (PROV_N, "prov-n"),
        (PROV_TESTS / "xml" / "example_01.xml", "prov-xml"),
        (PROV_TESTS / "rdf" / "bundle1.trig", "trig"),
        (PROV_TESTS / "rdf" / "activity1.ttl", "turtle"),
        (PROV_TESTS / "jsonld" / "submission-example-3.jsonld", "prov-jsonld"),
    ],
)
def test_the_format_comes_from_the_extension(store, path, expected):
    report = import_prov(store, path)
    assert report.format == expected
    assert store.count(report.graph) > 0


def test_prov_o_named_graphs_become_bundle_graphs(store):
    report = import_prov(store, PROV_TESTS / "rdf" / "bundle1.trig")
    assert report.bundles
    assert all(bundle.startswith(report.graph + "/bundle/") for bundle in report.bundles)


def test_an_explicit_format_overrides_the_extension(store, tmp_path):
    renamed = tmp_path / "activity.data"
    shutil.copy(PROV_TESTS / "rdf" / "activity1.ttl", renamed)
    with pytest.raises(LoadError, match=r"activity\.data.*--format"):
        import_prov(store, renamed)
    assert import_prov(store, renamed, format="turtle").triples > 0


@pytest.mark.parametrize(
    ("name", "content", "where"),
    [
        ("broken.json", b'{"entity": {"ex:e1": {}\n  "ex:e2": {}}}', r"broken\.json:2"),
        (
            "broken.xml",
            b'<prov:document xmlns:prov="http://www.w3.org/ns/prov#">\n<prov:entity>\n'
            b"</prov:document>",
            r"broken\.xml:3",
        ),
        ("broken.ttl", b"@prefix ex: <http://e/> .\nex:a ex:b ex:c .\nex:d ex:e", r"broken\.ttl"),
        ("broken.provn", b"document\n  entity(ex:a)\nendDocument", r"broken\.provn:2"),
        ("list.json", b"[1, 2]", r"list\.json: not a valid prov-json"),
    ],
)
def test_malformed_input_names_file_and_line_and_changes_nothing(
    store, tmp_path, name, content, where
):
    import_prov(store, BUNDLES)
    before = (store.graphs(), store.count())
    bad = tmp_path / name
    bad.write_bytes(content)
    with pytest.raises(LoadError, match=where):
        import_prov(store, bad)
    assert (store.graphs(), store.count()) == before


def test_turtle_errors_name_the_line(store, tmp_path):
    bad = tmp_path / "bad.ttl"
    bad.write_bytes(b"@prefix ex: <http://e/> .\nex:a ex:b ex:c .\nex:d ex:e .\n")
    with pytest.raises(LoadError, match=r"bad\.ttl.*line 3"):
        import_prov(store, bad)
    assert store.count() == 0


def test_a_missing_file_is_a_load_error(store, tmp_path):
    with pytest.raises(LoadError, match=r"missing\.json: cannot read"):
        import_prov(store, tmp_path / "missing.json")


def test_an_unknown_format_name_is_refused(store):
    with pytest.raises(LoadError, match="unknown format 'prov-yaml'"):
        import_prov(store, BUNDLES, format="prov-yaml")
