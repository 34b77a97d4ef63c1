"""The converter on its own: literal escaping against pyoxigraph's parser, class choice, domain
attributes, IRIs; and one load into the test Virtuoso."""

from __future__ import annotations

import math

import pyoxigraph
import pytest
from hypothesis import given
from hypothesis import strategies as st

from provml import Workflow
from provml.capture import MemorySink
from provml.kg import named_node, open_store
from provml.loaders import iris
from provml.loaders import ntriples as nt
from provml.loaders.attributes import flatten
from provml.loaders.batch import convert_events
from provml.loaders.convert import task_class
from provml.loaders.load import load_events

HOSTILE = [
    'quote " inside',
    "back\\slash \\n not a newline",
    "new\nline and\r\ncarriage",
    "tab\tnul\x00bell\x07escape\x1b del\x7f",
    "unicode é ü 漢字 😀 \u2028\u2029 \ufeff",
    '"> <http://evil/> "injected" .',
    "\\u0041 \\U0001F600 stays literal",
    "",
]


def _parsed_value(literal: str) -> str:
    text = f"<http://e/s> <http://e/p> {literal} <http://e/g> .\n"
    (quad,) = pyoxigraph.parse(nt.to_utf8(text), format=pyoxigraph.RdfFormat.N_QUADS)
    return quad.object.value


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_strings_survive_n_quads_exactly(text):
    assert _parsed_value(nt.string(text)) == text


@given(st.text())
def test_any_text_survives_n_quads(text):
    # Lone surrogates (possible in JSON, impossible in RDF) become U+FFFD; all else is exact.
    expected = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    assert _parsed_value(nt.string(text)) == expected


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_doubles_keep_their_value(number):
    value = float(_parsed_value(nt.double(number)).replace("INF", "inf"))
    assert (math.isnan(value) and math.isnan(number)) or value == number


def test_hostile_names_and_values_load_and_read_back(tmp_path):
    name = HOSTILE[5] + " / ?#"
    with Workflow(name, sink=MemorySink, attributes={HOSTILE[1]: HOSTILE[2]}) as wf:
        wf.log_params({HOSTILE[0]: HOSTILE[3], "emoji": HOSTILE[4]})
        wf.log_metric(HOSTILE[2], 1.5)
    with open_store(tmp_path / "store") as store:
        report = load_events(store, wf.sink.events)
        assert report.bad == []
        rows = store.query(
            "SELECT ?v WHERE { ?s <http://www.w3.org/ns/prov#value> ?v }",
        )
        values = {row["v"].value for row in rows}
        assert {HOSTILE[2], HOSTILE[3], HOSTILE[4], "1.5"} <= values
        workflow = named_node(f"{iris.BASE}workflow/{iris.segment(name)}")
        labels = store.query(
            "SELECT ?w ?l WHERE { ?w <http://www.w3.org/2000/01/rdf-schema#label> ?l }",
            {"w": workflow},
        )
        assert [row["l"].value for row in labels] == [name]


@pytest.mark.parametrize(
    ("phase", "stage", "operation", "expected"),
    [
        ("acquisition", None, None, "DataAcquisition"),
        ("curation", None, "cleaning", "Cleaning"),
        ("curation", None, "Filtering", "Filtering"),
        ("curation", None, "labeling", "Labelling"),
        ("curation", None, "deduplicate", "DataCuration"),
        ("preparation", None, "normalization", "Normalisation"),
        ("preparation", None, "patch extraction", "PatchExtraction"),
        ("preparation", None, "splitting", "Splitting"),
        ("preparation", None, None, "LearningDataPreparation"),
        ("learning", "training", None, "Training"),
        ("learning", "validation", None, "Validation"),
        ("learning", "evaluation", None, "Evaluation"),
        ("learning", "epoch", None, "Epoch"),
        ("learning", "iteration", None, "Iteration"),
        ("learning", None, None, "LearningStage"),
        ("inference", None, None, "Inference"),
        ("other", None, "cleaning", "TaskExecution"),
    ],
)
def test_task_classes_follow_stage_then_operation_then_phase(phase, stage, operation, expected):
    assert task_class(phase, stage, operation) == f"<https://w3id.org/provml/ontology#{expected}>"


def test_attributes_flatten_to_dotted_names_ranges_and_units():
    attributes = {
        "survey": {"name": "F3", "crs": None},
        "inline": [750, 100],
        "tags": ["a", "b"],
        "dt": {"value": 4, "unit": "ms"},
        "bbox": {"west": 4.6, "east": 4.96, "unit": "deg"},
    }
    assert list(flatten(attributes)) == [
        ("survey.name", "F3", None),
        ("inline.min", 100, None),
        ("inline.max", 750, None),
        ("tags", '["a", "b"]', None),
        ("dt", 4, "ms"),
        ("bbox.west", 4.6, "deg"),
        ("bbox.east", 4.96, "deg"),
    ]
    assert list(flatten({"unit": "m"})) == [("unit", "m", None)]  # alone, it is a value


def test_iris_are_deterministic_and_encode_free_text():
    assert iris.named("workflow", "a b/c") == "<https://w3id.org/provml/id/workflow/a%20b%2Fc>"
    assert iris.task("r1", "abc.3") == "<https://w3id.org/provml/id/run/r1/task/abc.3>"
    assert (
        iris.param(iris.task("r", "t"), "lr")
        == "<https://w3id.org/provml/id/run/r/task/t/param/lr>"
    )
    assert iris.attribute(iris.entity("e"), "bbox.west") == (
        "<https://w3id.org/provml/id/entity/e/attribute/bbox.west>"
    )


def test_the_same_events_convert_to_the_same_quads():
    with Workflow("twice", sink=MemorySink) as wf, wf.task("t", "learning", stage="training"):
        wf.log_metrics({"a": 1, "b": 2.5}, step=1, epoch=0, split="val", model="m1")
    first = convert_events(wf.sink.events, 1)
    assert first.bad == [] and first.nquads == convert_events(wf.sink.events, 1).nquads
    assert b"_:" not in first.nquads  # no blank nodes


def test_events_load_into_a_remote_virtuoso(virtuoso, virtuoso_system_graphs):
    with (
        Workflow("remote run", sink=MemorySink, run_id="remote-1") as wf,
        wf.task("fit", "learning", stage="training") as task,
    ):
        task.log_params({"lr": 0.1})
        wf.log_metric("loss", 0.5, step=1, split="train")
    graph = "https://w3id.org/provml/id/run/remote-1"
    with virtuoso.open() as store:
        try:
            report = load_events(store, wf.sink.events)
            assert report.bad == [] and graph in store.graphs()
            count = store.count(graph)
            load_events(store, wf.sink.events)
            assert store.count(graph) == count
            rows = store.query(
                "SELECT ?v WHERE { GRAPH ?g { ?m <https://w3id.org/provml/ontology#measureName>"
                ' "loss" ; <http://www.w3.org/ns/prov#value> ?v } }'
            )
            assert [float(row["v"].value) for row in rows] == [0.5]
        finally:
            store.update(f"DROP SILENT GRAPH {named_node(graph)}")
            store.update("DROP SILENT GRAPH <https://w3id.org/provml/id/shared>")
