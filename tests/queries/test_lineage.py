"""The lineage walk (`provml.queries.lineage.walk`), `provml lineage` and `provml sparql
--param`: on the golden lifecycle (real capture -> load) and on the prov package's example
documents imported with `import_prov`; the walk and the canned lineage queries agree."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import pytest
from prov.model import ProvActivity, ProvDerivation
from prov.tests import examples
from typer.testing import CliRunner

from provml.cli.app import app
from provml.errors import UnsafeParameter
from provml.kg import open_store
from provml.loaders.load import load_spools
from provml.loaders.prov_import import import_prov
from provml.queries import run_query
from provml.queries.lineage import Edge, walk
from tests.helpers import query_data as data

ID = "https://w3id.org/provml/id/"
PROVML = "https://w3id.org/provml/ontology#"


@pytest.fixture(scope="module")
def lifecycle(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The golden lifecycle's three runs, loaded into an on-disk store; (store path, events)."""
    root = tmp_path_factory.mktemp("lineage")
    spools = data.write_lifecycle(root)
    with open_store(root / "store") as store:
        load_spools(store, spools, workers=1)
    return root / "store", data.spool_events(spools)


def keyed(edges: list[Edge]) -> set[tuple[str, str, str, str | None]]:
    """Edges as (child, how, node, run)."""
    return {(e.child, e.how, e.node, e.run) for e in edges}


def canned(store: Any, name: str, start: str) -> set[tuple[str, str, str, str | None]]:
    """A canned lineage query's edges as (child, how, node, run)."""
    rows = run_query(store, name, start=start)
    return {(row["child"], row["how"], row["node"], row["run"]) for row in rows}


def task_iri(events: list[dict[str, Any]], run: str, name: str) -> str:
    """The IRI of the task of that name the capture minted in a run."""
    task = next(
        e["task"]
        for e in events
        if e["run"] == run and e["kind"] == "task_start" and e["name"] == name
    )
    return f"{ID}run/{run}/task/{task}"


def test_downstream_walk_gives_depths_and_the_canned_query_edges(lifecycle):
    path, events = lifecycle
    start = ID + "entity/f3-north"
    with open_store(path) as store:
        edges = walk(store, start, down=True)
        assert keyed(edges) == canned(store, "lineage_downstream", start)
    depth = {(e.child, e.node): e.depth for e in edges}
    # Entity-level derivations: north -> north clean -> filtered -> train a; north -> full clean.
    assert depth[(start, ID + "entity/f3-north-clean")] == 1
    assert depth[(ID + "entity/f3-north-filtered", ID + "entity/train-a")] == 3
    assert depth[(ID + "entity/f3-full-clean", ID + "entity/train-b")] == 2
    # The hashed raw block's content version (one edge), then what the runs derived from it.
    versions = [e for e in edges if e.child == start and e.how == "version"]
    assert [e.depth for e in versions] == [1] and versions[0].node.startswith(start + "/version/")
    # The activities that used the block's version, each a leaf with its run's readable name.
    cleaning = task_iri(events, "seis-a", "clean seismic")
    used = [e for e in edges if e.node == cleaning]
    assert [(e.how, e.depth, e.run, e.run_label) for e in used] == [
        ("used", 2, ID + "run/seis-a", data.WORKFLOW)
    ]
    assert used[0].node_class == PROVML + "Cleaning"
    # The model (inferred from its training's inputs) and the predictions derived from it.
    hows = {(e.how, e.node_label) for e in edges}
    assert ("inferred", "unet-a") in hows and ("recorded", "faults a") in hows


def test_upstream_walk_from_an_activity_starts_from_its_inputs(lifecycle):
    path, events = lifecycle
    split = task_iri(events, "seis-a", "split patches")
    with open_store(path) as store:
        edges = walk(store, split)
        assert keyed(edges) == canned(store, "lineage_upstream", split)
    # The split used the filtered block's version that run generated; back to the raw content.
    (input_edge,) = [e for e in edges if e.child == split]
    assert input_edge.how == "used" and input_edge.node_label == "F3 north filtered"
    assert input_edge.node.startswith(ID + "entity/f3-north-filtered/version/")
    chain = [(e.node_label, e.depth) for e in edges if e.how == "recorded"]
    assert chain == [("F3 north clean", 2), ("F3 north", 3)]


def test_depth_class_and_limit(lifecycle):
    path, _ = lifecycle
    start = ID + "entity/f3-north"
    with open_store(path) as store:
        everything = walk(store, start, down=True)
        one = walk(store, start, down=True, depth=1)
        assert one == [e for e in everything if e.depth == 1] and one
        assert walk(store, start, down=True, depth=0) == []
        sets = walk(store, start, down=True, node_class=PROVML + "TrainingSet")
        assert {e.node_label for e in sets} == {f"train {run}" for run in "abc"}
        assert {e.node for e in sets} >= {ID + f"entity/train-{run}" for run in "abc"}
        first = walk(store, start, down=True, limit=3)
        assert len(first) >= 3 and first == everything[: len(first)]
        with pytest.raises(UnsafeParameter):
            walk(store, "https://x/a> } CLEAR ALL {")


def prov_example(name: str) -> Any:
    """One of the prov package's example documents, built."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return dict(examples.tests)[name]()


@pytest.mark.parametrize("name", ["Primer", "W3C Publication 1", "W3C Publication 2"])
def test_lineage_answers_on_an_imported_prov_document(name, tmp_path):
    document = prov_example(name)
    source = tmp_path / "document.json"
    source.write_text(document.serialize(format="json"))
    derivations = {
        (str(r.formal_attributes[0][1].uri), str(r.formal_attributes[1][1].uri))
        for r in document.get_records(ProvDerivation)
    }
    assert derivations
    with open_store(tmp_path / "store") as store:
        import_prov(store, source)
        for derived, used in derivations:
            up = walk(store, derived)
            assert (derived, "recorded", used, None) in keyed(up)
            assert keyed(up) == canned(store, "lineage_upstream", derived)
            down = walk(store, used, down=True)
            assert (used, "recorded", derived, None) in keyed(down)
            assert keyed(down) == canned(store, "lineage_downstream", used)


def test_cli_lineage_and_sparql_with_parameters(lifecycle, tmp_path):
    path, _ = lifecycle
    runner = CliRunner()
    start = ID + "entity/f3-north-filtered"
    result = runner.invoke(
        app, ["lineage", start, "--down", "--depth", "1", "--store", str(path), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert {(row["how"], row["node_label"]) for row in rows} == {
        ("recorded", "train a"),
        ("recorded", "val a"),
        ("version", "F3 north filtered"),
    }
    assert {row["depth"] for row in rows} == {1}
    query = tmp_path / "labelled.rq"
    query.write_text(
        "#+ summary: An entity's label.\n#+ params: entity: iri\n"
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
        "SELECT ?entity ?label WHERE { ?entity rdfs:label ?label }\n"
    )
    arguments = ["sparql", str(query), "--store", str(path), "--format", "json"]
    result = runner.invoke(app, [*arguments, "--param", f"entity={start}"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == [{"entity": start, "label": "F3 north filtered"}]
    for hostile in ("entity=https://x/a> } CLEAR ALL {", "entity=not an iri", "other=1"):
        result = runner.invoke(app, [*arguments, "--param", hostile])
        assert result.exit_code != 0
        assert "entity" in result.output or "other" in result.output
    result = runner.invoke(app, ["lineage", "https://x/a> }", "--store", str(path)])
    assert result.exit_code != 0 and "may not contain" in result.output
    assert Path(path).is_dir()


def test_discovery_queries_answer_on_an_imported_prov_document(tmp_path):
    document = prov_example("Primer")
    source = tmp_path / "document.json"
    source.write_text(document.serialize(format="json"))
    activities = {str(record.identifier.uri) for record in document.get_records(ProvActivity)}
    with open_store(tmp_path / "store") as store:
        import_prov(store, source)
        runs = run_query(store, "runs")
        assert {row["run"] for row in runs} == activities
        assert {row["status"] for row in runs} <= {"running", "ended"}
