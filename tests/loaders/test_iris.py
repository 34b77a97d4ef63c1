"""The IRI scheme: every instance IRI comes from `provml.loaders.iris`, text encoded one way."""

from __future__ import annotations

import pyoxigraph
import pytest

from provml.loaders import iris
from provml.loaders.skolem import deskolemized

ID = "https://w3id.org/provml/id/"


@pytest.mark.parametrize("run_id", ["f3-001", "mlflow-0a1b", "r.1_x"])
def test_schema_ids_stay_as_they_are(run_id):
    assert iris.run(run_id) == f"<{ID}run/{run_id}>"
    assert iris.run_graph(run_id) == iris.plain(iris.run(run_id)) == f"{ID}run/{run_id}"
    assert iris.is_run_graph(iris.run_graph(run_id))


def test_free_text_is_one_percent_encoded_segment_everywhere():
    assert iris.run_graph("a b/c") == f"{ID}run/a%20b%2Fc"
    assert iris.run("a b/c") == f"<{ID}run/a%20b%2Fc>"
    assert iris.task("a b", "t") == f"<{ID}run/a%20b/task/t>"
    assert iris.measure("r", "e.1", "val loss") == f"<{ID}run/r/metric/e.1/val%20loss>"
    assert iris.bundle_graph("http://g", "http://e/b#1") == "http://g/bundle/http%3A%2F%2Fe%2Fb%231"


def test_bundle_of_reads_a_bundle_graph_back():
    graph = iris.prov_import_graph("ab" * 32)
    assert graph == f"{ID}import/prov/{'ab' * 8}"
    bundle = "http://e/bundle 1"
    assert iris.bundle_of(graph, iris.bundle_graph(graph, bundle)) == bundle
    assert iris.bundle_of(graph, iris.run_graph("r")) is None


def test_metric_summaries_name_metric_and_split():
    graph = iris.run_graph("r")
    assert iris.metric_summary(graph, "val/loss", "validation") == (
        f"{graph}/summary/val%2Floss/validation"
    )
    assert iris.metric_summary(graph, "loss", None) == f"{graph}/summary/loss/-"


def test_skolem_iris_turn_back_into_blank_nodes():
    node = pyoxigraph.NamedNode(iris.skolem_base("0123456789abcdef" * 4) + "c14n0")
    assert deskolemized(node) == pyoxigraph.BlankNode("g0123456789abcdefc14n0")
    other = pyoxigraph.NamedNode(iris.run_graph("r"))
    assert deskolemized(other) == other
