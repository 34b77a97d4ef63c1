"""Exporting provml data (the Oil & Gas example, real provml instance data) to every format."""

from __future__ import annotations

import io
import warnings

import pyoxigraph
import pytest
import rdflib
from prov.model import ProvDocument

from provml.errors import ExportError
from provml.kg import open_store
from provml.loaders.iris import run_graph
from provml.loaders.prov_export import EXPORT_FORMATS, export
from provml.ontology.paths import OILGAS_EXAMPLE

RUN = "f3-001"
ID = "https://w3id.org/provml/id/"
PROV = "http://www.w3.org/ns/prov#"
PROVML = "https://w3id.org/provml/ontology#"

# Key relations of the example, as (subject, PROV-O property, object).
RELATIONS = [
    (f"{ID}run/{RUN}/task/training", "used", f"{ID}entity/f3-train"),
    (f"{ID}entity/f3-clean", "wasGeneratedBy", f"{ID}run/{RUN}/task/cleaning"),
    (f"{ID}entity/f3-clean", "wasDerivedFrom", f"{ID}entity/f3-segy"),
]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    with open_store(tmp_path_factory.mktemp("export") / "store") as opened:
        opened.load(OILGAS_EXAMPLE, "turtle", run_graph(RUN))
        opened.load(b"<http://e/a> <http://e/p> <http://e/b> .", "ntriples", "http://e/other")
        yield opened


RUN_GRAPH = run_graph(RUN)
DATASET_READERS = {
    "nquads": pyoxigraph.RdfFormat.N_QUADS,
    "trig": pyoxigraph.RdfFormat.TRIG,
    "jsonld": pyoxigraph.RdfFormat.JSON_LD,
}


def _exported(store, name, graph=RUN_GRAPH):
    output = io.BytesIO()
    report = export(store, output, name, graph=graph)
    return output.getvalue(), report


def _prov(data, prov_format):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ProvDocument.deserialize(source=io.BytesIO(data), format=prov_format)


def _relations(document):
    """(type, first formal attribute, second formal attribute) of every record, as IRIs."""
    found = set()
    for record in document.get_records():
        values = [value for _, value in record.formal_attributes if value is not None]
        found.add((record.get_type().localpart, *(getattr(v, "uri", v) for v in values[:2])))
    return found


def test_the_example_has_the_relations_we_check(store):
    assert store.count(run_graph(RUN)) > 300
    for subject, relation, obj in RELATIONS:
        assert store.query(
            f"ASK {{ GRAPH <{run_graph(RUN)}> {{ <{subject}> <{PROV}{relation}> <{obj}> }} }}"
        )


@pytest.mark.parametrize("name", ["turtle", "ntriples", "nquads", "trig", "jsonld", "rdfxml"])
def test_rdf_exports_hold_every_triple(store, name):
    data, report = _exported(store, name)
    assert report.notes == []
    if name in DATASET_READERS:  # rdflib's dataset parsers warn of their own deprecations
        rdf_format = DATASET_READERS[name]
        triples = {
            (q.subject.value, q.predicate.value, q.object.value)
            for q in pyoxigraph.parse(data, format=rdf_format)
        }
    else:
        graph = rdflib.Graph()
        graph.parse(
            data=data,
            format={"ntriples": "nt", "rdfxml": "xml"}.get(name, name),
        )
        triples = {(str(s), str(p), str(o)) for s, p, o in graph}
    assert len(triples) == store.count(run_graph(RUN))
    for subject, relation, obj in RELATIONS:
        assert (subject, PROV + relation, obj) in triples
    training = f"{ID}run/{RUN}/task/training"
    assert any(s == training and p == PROV + "startedAtTime" for s, p, _ in triples)


@pytest.mark.parametrize(
    ("name", "prov_format"), [("prov-json", "json"), ("prov-n", "provn"), ("prov-xml", "xml")]
)
def test_prov_exports_keep_the_key_relations(store, name, prov_format):
    data, report = _exported(store, name)
    document = _prov(data, prov_format)
    relations = _relations(document)
    assert ("Usage", f"{ID}run/{RUN}/task/training", f"{ID}entity/f3-train") in relations
    assert ("Generation", f"{ID}entity/f3-clean", f"{ID}run/{RUN}/task/cleaning") in relations
    assert ("Derivation", f"{ID}entity/f3-clean", f"{ID}entity/f3-segy") in relations
    assert any(kind == "Association" for kind, *_ in relations)
    training = document.get_record(f"{ID}run/{RUN}/task/training")[0]
    assert training.get_startTime() is not None
    # provml's own terms survive: classes as prov:type, properties as attributes.
    clean = document.get_record(f"{ID}entity/f3-clean")[0]
    types = {getattr(t, "uri", t) for t in clean.get_asserted_types()}
    assert "https://w3id.org/provml/ontology#CuratedData" in types
    paths = {str(value) for name_, value in clean.attributes if name_.localpart == "filePath"}
    assert paths == {"/lustre/scratch/f3/F3_clean.npy"}
    # Only the ontology header, which is no provenance, is reported as not converted.
    assert len(report.notes) == 1
    assert "examples/oilgas" in report.notes[0]


def test_prov_json_and_prov_n_describe_the_same_document(store):
    from_json = _prov(_exported(store, "prov-json")[0], "json")
    from_provn = _prov(_exported(store, "prov-n")[0], "provn")
    assert from_json == from_provn


def test_the_whole_store_needs_a_dataset_format(store):
    data, _ = _exported(store, "nquads", graph=None)
    graphs = {
        quad.graph_name.value
        for quad in pyoxigraph.parse(data, format=pyoxigraph.RdfFormat.N_QUADS)
    }
    assert graphs == {run_graph(RUN), "http://e/other"}
    with pytest.raises(ExportError, match="turtle holds a single graph"):
        _exported(store, "turtle", graph=None)
    with pytest.raises(ExportError, match="prov-json holds one PROV document"):
        _exported(store, "prov-json", graph=None)


def test_unknown_graph_and_format_are_refused(store):
    with pytest.raises(ExportError, match=r"no graph https://w3id\.org/provml/id/run/nope"):
        _exported(store, "turtle", graph=run_graph("nope"))
    with pytest.raises(ExportError, match="unknown export format 'yaml'"):
        _exported(store, "yaml")
    assert "prov-json" in EXPORT_FORMATS


def test_an_export_to_a_path_is_complete_or_absent(store, tmp_path):
    target = tmp_path / "out" / "run.json"
    export(store, target, "prov-json", graph=run_graph(RUN))
    assert _prov(target.read_bytes(), "json").get_record(f"{ID}entity/f3-clean")
    assert [p.name for p in target.parent.iterdir()] == ["run.json"]


def test_a_loaded_run_exports_with_the_shared_descriptions_it_mentions(tmp_path):
    """The loader keeps entities, workflows and agents in the shared graph; a run's export
    brings along those its own statements mention, and no other run's."""
    from provml import Workflow
    from provml.capture import MemorySink
    from provml.loaders.load import load_events

    runs = []
    for name in ("first", "second"):
        with Workflow(f"{name} run", sink=MemorySink) as wf:
            raw = wf.dataset(f"{name}-segy", path=f"/data/{name}.segy", attributes={"unit": "ms"})
            with wf.task("fit", "learning", stage="training", used=[raw]) as fit:
                fit.generated(wf.model(f"{name}-unet", architecture="UNet(depth=4)"))
        runs.append(wf)
    with open_store(tmp_path / "store") as opened:
        for wf in runs:
            load_events(opened, wf.sink.events)
        data, _ = _exported(opened, "ntriples", graph=run_graph(runs[0].run_id))
        document, _ = _exported(opened, "prov-json", graph=run_graph(runs[0].run_id))
    exported = rdflib.Graph().parse(data=data, format="nt")
    segy = exported.value(predicate=rdflib.RDFS.label, object=rdflib.Literal("first-segy"))
    unet = exported.value(predicate=rdflib.RDFS.label, object=rdflib.Literal("first-unet"))
    assert str(segy).startswith(f"{ID}entity/") and str(unet).startswith(f"{ID}entity/")
    # Two hops: the entity's domain attribute and its value.
    attribute = exported.value(segy, rdflib.URIRef(f"{PROVML}hasDomainAttribute"))
    assert exported.value(attribute, rdflib.URIRef(f"{PROV}value")) == rdflib.Literal("ms")
    assert (unet, rdflib.RDF.type, rdflib.URIRef(f"{PROVML}TrainedModel")) in exported
    assert not any("second" in str(term) for triple in exported for term in triple)
    records = _prov(document, "json").get_records()
    entities = {str(record.identifier.uri) for record in records if record.identifier is not None}
    assert {str(segy), str(unet)} <= entities
