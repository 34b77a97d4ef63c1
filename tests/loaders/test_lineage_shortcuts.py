"""The lineage shortcuts walked a level at a time (`lineage_shortcuts.py`) are exactly the pairs
`raw_lineage.rq` and `model_lineage.rq` select, on loads made with the real capture -> load path:
a synthetic campaign, a late upstream run, a derivation cycle, and a blank node on the way (where
the walk gives way to the queries)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pyoxigraph
import pytest

from provml import Workflow
from provml.kg import open_store
from provml.kg.store import Store
from provml.kg.terms import named_node
from provml.loaders import iris, summaries
from provml.loaders.lineage_shortcuts import RAW, TRAINED_ON, lineage_shortcuts
from provml.loaders.load import load_spools
from provml.synth import synthesize

ID = "https://w3id.org/provml/id/"


def run_graphs(store: Store) -> list[pyoxigraph.NamedNode]:
    """Every run graph of the store, in IRI order."""
    execution = "<https://w3id.org/provml/ontology#WorkflowExecution>"
    result = store.query(f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?g a {execution} }} }}")
    return sorted((row["g"] for row in result.rows), key=str)


def selected(store: Store, graphs: list[pyoxigraph.NamedNode]) -> set[pyoxigraph.Quad]:
    """The pairs the two lineage queries select for `graphs`."""
    return set(
        itertools.chain(
            summaries.raw_lineage(store, graphs), summaries.model_lineage(store, graphs)
        )
    )


def graph_of(run: str) -> pyoxigraph.NamedNode:
    """A run's graph IRI."""
    return named_node(iris.plain(iris.run(run)), "run graph")


def test_the_walk_gives_the_queries_pairs_on_a_synthetic_campaign(tmp_path: Path) -> None:
    synthesize(tmp_path / "campaign", 3000, nodes=4, gpus=8)
    with open_store(tmp_path / "store") as store:
        load_spools(store, [tmp_path / "campaign" / "spool"], workers=1)
        graphs = run_graphs(store)
        assert len(graphs) > 4
        walked = set(lineage_shortcuts(store, graphs))
        assert walked == selected(store, graphs)
        assert {quad.predicate for quad in walked} == {RAW, TRAINED_ON}
        # Group by group, as the finishing asks.
        for start in range(0, len(graphs), 3):
            group = graphs[start : start + 3]
            assert set(lineage_shortcuts(store, group)) == selected(store, group)


@pytest.fixture
def late_cycle_store(tmp_path: Path) -> Path:
    """A training run loaded before the curation run that made its data; the curation records
    a derivation cycle (a file and its copy, each declared derived from the other)."""
    common = dict(spool_dir=tmp_path / "spool", capture_git=False)
    data = tmp_path / "data"
    data.mkdir()
    with Workflow("cycle", run_id="curate", **common) as wf:
        raw = wf.dataset("block A", data / "a.segy", id="block-a", type="raw_data")
        with wf.task("clean", "curation", operation="cleaning", used=[raw]) as clean:
            cleaned = wf.dataset("block A clean", id="block-a-clean", derived_from=[raw])
            clean.generated(cleaned)
        wf.dataset("mirror one", id="mirror-1", derived_from=["mirror-2"])
        wf.dataset("mirror two", id="mirror-2", derived_from=["mirror-1"])
        with wf.task("copy", "curation", operation="copy", used=[cleaned]) as copy:
            mirror = wf.dataset("mirror one", id="mirror-1", derived_from=[cleaned])
            copy.generated(mirror)
    with Workflow("cycle", run_id="train", **common) as wf:
        cleaned = wf.dataset("block A clean", id="block-a-clean")
        mirror = wf.dataset("mirror one", id="mirror-1")
        with wf.task("fit", "learning", stage="training", used=[cleaned, mirror]) as fit:
            model = wf.model("model", id="model-a")
            fit.generated(model)
    store = tmp_path / "store"
    with open_store(store) as opened:
        load_spools(opened, [tmp_path / "spool" / "train"], workers=1)
        load_spools(opened, [tmp_path / "spool" / "curate"], workers=1)
    return store


def test_the_walk_gives_the_queries_pairs_with_a_late_run_and_a_cycle(
    late_cycle_store: Path,
) -> None:
    with open_store(late_cycle_store) as store:
        graphs = [graph_of("curate"), graph_of("train")]
        walked = set(lineage_shortcuts(store, graphs))
        assert walked == selected(store, graphs)
        for graph in graphs:
            assert set(lineage_shortcuts(store, [graph])) == selected(store, [graph])
        block = pyoxigraph.NamedNode(f"{ID}entity/block-a")
        # The model, loaded before the curation, is credited with the raw block it descends from.
        assert any(quad.predicate == TRAINED_ON and quad.object == block for quad in walked)
        # The cycle: mirror two was declared derived from mirror one only, which derives from
        # mirror two (declared) and from the cleaned block (the copy): so from all three,
        # itself left out.
        second = pyoxigraph.NamedNode(f"{ID}entity/mirror-2")
        assert {quad.object.value for quad in walked if quad.subject == second} == {
            f"{ID}entity/mirror-1",
            f"{ID}entity/block-a-clean",
            f"{ID}entity/block-a",
        }


def test_a_blank_node_on_the_way_gives_the_queries_pairs(late_cycle_store: Path) -> None:
    # A user's own data: the raw block derives from a survey through an unnamed step.
    extra = (
        f"<{ID}entity/block-a> <http://www.w3.org/ns/prov#wasDerivedFrom> _:step .\n"
        f"_:step <http://www.w3.org/ns/prov#wasDerivedFrom> <{ID}entity/survey> .\n"
        f"<{ID}entity/survey> a <https://w3id.org/provml/ontology#RawData> .\n"
    )
    with open_store(late_cycle_store) as store:
        store.load(extra.encode(), "turtle", graph=f"{ID}graph/user-notes")
        graphs = [graph_of("curate"), graph_of("train")]
        walked = set(lineage_shortcuts(store, graphs))
        assert walked == selected(store, graphs)
        survey = pyoxigraph.NamedNode(f"{ID}entity/survey")
        model_sources = {quad.object for quad in walked if quad.predicate == TRAINED_ON}
        assert survey in model_sources
