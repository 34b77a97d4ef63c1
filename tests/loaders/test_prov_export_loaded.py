"""Every run `provml load` accepts exports to PROV-JSON, PROV-N and PROV-XML, and awkward IRIs
(percent-escapes, a trailing '.', '#', '/') come back as they were."""

from __future__ import annotations

import io
import subprocess
import sys
import warnings

import pytest
from prov.model import ProvDocument
from typer.testing import CliRunner

from provml.cli.app import app
from provml.errors import ExportError
from provml.kg import open_store
from provml.loaders import iris
from provml.loaders.prov_export import export, namespace_of
from provml.loaders.prov_import import import_prov

PROV_FORMATS = {"prov-json": "json", "prov-n": "provn", "prov-xml": "xml"}
PROVML = "https://w3id.org/provml/ontology#"


def _parsed(data: bytes, prov_format: str) -> ProvDocument:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ProvDocument.deserialize(source=io.BytesIO(data), format=prov_format)


def _identifiers(document: ProvDocument) -> set[str]:
    return {r.identifier.uri for r in document.get_records() if r.identifier is not None}


def _records(document: ProvDocument) -> set[tuple[object, ...]]:
    """Each record's type, identifier and attribute names."""
    return {
        (r.get_type(), r.identifier, frozenset(name for name, _ in r.attributes))
        for r in document.get_records()
    }


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """A small `provml synth` campaign (plans naming a data store, failed tasks, predictions),
    loaded with `provml load`: the store directory."""
    root = tmp_path_factory.mktemp("campaign")
    synth = subprocess.run(
        [sys.executable, "-m", "provml", "synth", str(root / "out"), "--events", "3000"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert synth.returncode == 0, synth.stderr
    store = root / "store"
    result = CliRunner().invoke(
        app, ["load", str(root / "out" / "spool"), "--store", str(store), "--workers", "1"]
    )
    assert result.exit_code == 0, result.output
    return store


def test_every_loaded_run_exports_to_every_prov_format(loaded, tmp_path):
    with open_store(loaded) as store:
        shapes = {
            name: store.query(f"ASK {{ GRAPH ?g {{ ?s ?p <{PROVML}{name}> }} }}")
            for name in ("DataStore", "Predictions")
        }
        assert shapes == {"DataStore": True, "Predictions": True}
        assert store.query(f'ASK {{ GRAPH ?g {{ ?s <{PROVML}status> "failed" }} }}')
        runs = [graph for graph in store.graphs() if iris.is_run_graph(graph)]
        assert len(runs) >= 5
        exported = {}
        for run in runs:
            for name, prov_format in PROV_FORMATS.items():
                output = io.BytesIO()
                export(store, output, name, graph=run)
                document = _parsed(output.getvalue(), prov_format)
                assert document.get_records(), (run, name)
                exported[run, name] = document
            # The three serializations hold the same document (prov reads a PROV-XML
            # dateTime that is no formal attribute back as text, so XML is compared by records).
            assert exported[run, "prov-json"] == exported[run, "prov-n"], run
            assert _records(exported[run, "prov-json"]) == _records(exported[run, "prov-xml"])
    # A plan's data store, a percent-encoded path, is named as stored (an attribute value).
    stores = {
        value.uri
        for document in exported.values()
        for record in document.get_records()
        for _, value in record.attributes
        if getattr(value, "uri", "").startswith(f"{iris.BASE}store/")
    }
    assert any("%2F" in uri for uri in stores), stores
    # Each generated version is exported as a specialization of its entity (provml:versionOf).
    from prov.constants import PROV_SPECIALIZATION

    assert any(
        record.get_type() == PROV_SPECIALIZATION
        for document in exported.values()
        for record in document.get_records()
    )
    # Each PROV-JSON export imports again.
    with open_store(tmp_path / "again") as again:
        for run in runs:
            path = tmp_path / f"{iris.segment(run)}.json"
            path.write_bytes(exported[run, "prov-json"].serialize(format="json").encode())
            report = import_prov(again, path)
            assert report.triples > 0


AWKWARD = [
    "http://example.org/x/ends-in-a-dot.",
    "http://example.org/x/two-dots..",
    "http://example.org/x/%2Flustre%2Fscratch",
    "http://example.org/x/a%20b",
    "http://example.org/x/%41",
    "http://example.org/x/page#section",
    "http://example.org/x/page#",
    "http://example.org/x/folder/",
    "http://example.org/x/",
    "http://example.org/x/-leading",
    "http://example.org/x/a(b)",
    "http://example.org/x/caf\u00e9",
    "urn:uuid:7f3c9a2e-0000-4000-8000-000000000001",
    f"{iris.BASE}store/%2Flustre%2Fscratch",
]
TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
PROV = "http://www.w3.org/ns/prov#"


@pytest.mark.parametrize("iri", AWKWARD)
def test_awkward_iris_round_trip_through_every_prov_format(tmp_path, iri):
    activity = "http://example.org/run/1"
    triples = (
        f"<{iri}> {TYPE} <{PROV}Entity> .\n"
        f"<{activity}> {TYPE} <{PROV}Activity> .\n"
        f"<{iri}> <{PROV}wasGeneratedBy> <{activity}> .\n"
        # The IRI as a predicate (a PROV-XML element name) and as a value.
        f"<{activity}> <{iri}> <{iri}> .\n"
    )
    with open_store(tmp_path / "store") as store:
        store.load(triples.encode(), "ntriples", "http://example.org/graph")
        for name, prov_format in PROV_FORMATS.items():
            output = io.BytesIO()
            if name == "prov-xml" and not iri.isascii():  # as an element name: refused
                with pytest.raises(ExportError, match=r"not well-formed.*outside ASCII"):
                    export(store, output, name, graph="http://example.org/graph")
                continue
            export(store, output, name, graph="http://example.org/graph")
            document = _parsed(output.getvalue(), prov_format)
            assert iri in _identifiers(document), (name, output.getvalue().decode())
            (run,) = document.get_record(activity)
            assert {(key.uri, getattr(value, "uri", value)) for key, value in run.attributes} >= {
                (iri, iri)
            }, name


def test_namespaces_are_cut_after_a_separator_and_never_name_a_node():
    assert namespace_of("https://w3id.org/provml/id/store/%2Flustre") == (
        "https://w3id.org/provml/id/store/"
    )
    assert namespace_of("http://e/x/a.") == "http://e/x/"
    assert namespace_of("http://e/x/") == "http://e/"
    assert namespace_of("http://e/x#") == "http://e/"
    assert namespace_of("urn:uuid:1") == "urn:uuid:"
    # http://e/x/ is itself a node: naming http://e/x/a in it would name that node ns:(empty).
    assert namespace_of("http://e/x/a", {"http://e/x/", "http://e/x/a"}) == "http://e/"


def test_a_run_with_control_characters_exports_to_every_prov_format(tmp_path):
    """Capture accepts any text, so a value with a control character loads; PROV-XML, which
    cannot hold one, gets it replaced (with a note), the other formats keep it."""
    from xml.etree import ElementTree

    from provml import Workflow
    from provml.loaders.load import load_spools

    spool = tmp_path / "spool"
    workflow = Workflow("bells", spool_dir=spool, run_id="bell-1", capture_git=False)
    with workflow as wf, wf.task("ring\x07", "curation") as task:
        task.generated(wf.dataset("chime", id="chime", attributes={"note": "ding\x01dong"}))
    with open_store(tmp_path / "store") as store:
        report = load_spools(store, [spool], workers=1)
        assert report.events > 0 and not report.bad
        run = iris.run_graph("bell-1")
        outputs = {}
        for name, prov_format in PROV_FORMATS.items():
            output = io.BytesIO()
            exported = export(store, output, name, graph=run)
            outputs[name] = output.getvalue()
            replaced = [note for note in exported.notes if "replaced by U+FFFD" in note]
            assert len(replaced) == (name == "prov-xml"), exported.notes
            _parsed(outputs[name], prov_format)
    texts = {element.text for element in ElementTree.fromstring(outputs["prov-xml"]).iter()}
    assert {"ding\ufffddong", "ring\ufffd"} <= texts, texts
    assert b"\\u0007" in outputs["prov-json"] and b"\\u0001" in outputs["prov-json"]
