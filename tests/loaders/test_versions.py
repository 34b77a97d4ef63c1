"""Entity versions and precise derivations, through the real capture -> load -> query path on an
Oxigraph store on disk: every expected answer is what the test itself recorded (the ids of the
events its spools hold, the entities it declared)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from provml import Workflow, read_spool
from provml.kg import open_store
from provml.loaders import iris
from provml.loaders.load import load_spools
from provml.loaders.prov_import import import_prov
from provml.queries import run_query

ID = "https://w3id.org/provml/id/"
INFERRED = iris.INFERRED_GRAPH
PROVML = "https://w3id.org/provml/ontology#"
XSD = "http://www.w3.org/2001/XMLSchema#"
PREFIXES = """
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX provml: <https://w3id.org/provml/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
"""


def _rows(store: Any, query: str) -> set[tuple[str, ...]]:
    """An ad-hoc SELECT's rows as sets of plain values."""
    result = store.query(PREFIXES + query)
    return {tuple(row[v].value for v in result.variables) for row in result}


def _events(spool: Path, run: str) -> list[dict[str, Any]]:
    """The events a run's spool holds."""
    return list(read_spool(spool / run).events)


def _generations(events: list[dict[str, Any]], entity: str) -> list[str]:
    """The version IRIs of `entity` the events generated, in order."""
    return [
        iris.plain(iris.entity_version(e["entity"], e["id"]))
        for e in events
        if e["kind"] == "generated" and e["entity"] == entity
    ]


def _pipeline(root: Path, run: str, final: list[str]) -> None:
    """A script run as users run it: it reads a raw file, prepares it and writes its outputs to
    the same paths every run; the final steps differ between runs."""
    data = root / "data"
    data.mkdir(exist_ok=True)
    (data / "raw.segy").write_bytes(b"raw" * 10)
    with Workflow("conversion", run_id=run, spool_dir=root / "spool", capture_git=False) as wf:
        raw = wf.dataset("raw", data / "raw.segy", id="raw", type="raw_data")
        with wf.task("prepare", "curation", used=[raw]) as task:
            prepared = wf.dataset("prepared", data / "prepared.npy", id="prepared")
            task.generated(prepared)
        current = prepared
        for index, name in enumerate(final):
            with wf.task(name, "preparation", used=[current]) as task:
                last = index == len(final) - 1
                output = wf.dataset(
                    name, data / ("final.npy" if last else f"{name}.npy"), id=f"out-{name}"
                )
                if last:
                    output = wf.dataset("final", data / "final.npy", id="final")
                task.generated(output)
            current = output


def test_two_runs_writing_the_same_paths_stay_apart(tmp_path):
    _pipeline(tmp_path, "conv-1", ["convert"])
    _pipeline(tmp_path, "conv-2", ["reproject", "compress"])
    spool = tmp_path / "spool"
    with open_store(tmp_path / "store") as store:
        report = load_spools(store, [spool / "conv-1", spool / "conv-2"], workers=1)
        # One stable entity per path, one version per generation.
        first = _generations(_events(spool, "conv-1"), "final")
        second = _generations(_events(spool, "conv-2"), "final")
        assert len(first) == len(second) == 1
        assert _rows(store, f"SELECT ?v WHERE {{ ?v provml:versionOf <{ID}entity/final> }}") == {
            (first[0],),
            (second[0],),
        }
        # The lineage of run 1's output: only run 1's tasks.
        tasks = _rows(
            store,
            f"SELECT DISTINCT ?label ?run WHERE {{ <{first[0]}> prov:wasDerivedFrom* ?e ."
            " ?e prov:wasGeneratedBy ?task . ?task rdfs:label ?label ;"
            " provml:partOfExecution ?run }",
        )
        assert tasks == {("convert", f"{ID}run/conv-1"), ("prepare", f"{ID}run/conv-1")}
        tasks = _rows(
            store,
            f"SELECT DISTINCT ?label WHERE {{ <{second[0]}> prov:wasDerivedFrom* ?e ."
            " ?e prov:wasGeneratedBy/rdfs:label ?label }",
        )
        assert tasks == {("compress",), ("reproject",), ("prepare",)}
        # Generated twice without a hash: named in the load report.
        assert report.regenerated == {f"{ID}entity/final": 2, f"{ID}entity/prepared": 2}
        # diff_runs shows the replaced final step.
        steps = {
            (row["name"], row["value"], row["other_value"])
            for row in run_query(store, "diff_runs", run=f"{ID}run/conv-1", other=f"{ID}run/conv-2")
            if row["kind"] == "step"
        }
        assert steps == {("convert", "1", None), ("reproject", None, "1"), ("compress", None, "1")}


def test_declared_derivations_are_recorded_and_the_rest_inferred(tmp_path):
    spool = tmp_path / "spool"
    with Workflow("many", run_id="many-1", spool_dir=spool, capture_git=False) as wf:
        inputs = {name: wf.dataset(name, id=f"in-{name}") for name in "abcd"}
        with wf.task("split", "preparation", used=list(inputs.values())) as task:
            task.log_params({"ratio": 0.5})
            left = wf.dataset("left", id="left")
            right = wf.dataset("right", id="right", derived_from=[inputs["c"]])
            other = wf.dataset("other", id="other")
            task.generated(left, derived_from=[inputs["a"], "in-b"])
            task.generated(right)  # the entity's own derived_from
            task.generated(other)  # none declared: inferred from every input
    events = _events(spool, "many-1")
    with open_store(tmp_path / "store") as store:
        load_spools(store, [spool / "many-1"], workers=1)
        edges = _rows(
            store,
            "SELECT ?output ?input ?g WHERE { GRAPH ?g { ?output prov:wasDerivedFrom ?input }"
            " ?output provml:versionOf ?stable }",
        )
    (left_v,), (right_v,), (other_v,) = (
        _generations(events, name) for name in ("left", "right", "other")
    )
    run_graph = f"{ID}run/many-1"
    assert edges == {
        (left_v, f"{ID}entity/in-a", run_graph),
        (left_v, f"{ID}entity/in-b", run_graph),
        (right_v, f"{ID}entity/in-c", run_graph),
        *((other_v, f"{ID}entity/in-{name}", INFERRED) for name in "abcd"),
    }


def test_a_use_of_a_blank_node_is_inferred_as_the_others(tmp_path):
    # A user's own statement in the run graph: the task also used an unnamed entity, which a
    # query cannot name, so the finishing reads the uses and versions in one query.
    spool = tmp_path / "spool"
    with Workflow("blank", run_id="blank-1", spool_dir=spool, capture_git=False) as wf:
        source = wf.dataset("source", id="source")
        with wf.task("copy", "preparation", used=[source]) as task:
            task.generated(wf.dataset("copy", id="copy"))
    events = _events(spool, "blank-1")
    (copy_v,) = _generations(events, "copy")
    task_iri = next(
        iris.plain(iris.task("blank-1", e["task"]))
        for e in events
        if e["kind"] == "generated" and e["entity"] == "copy"
    )
    with open_store(tmp_path / "store") as store:
        load_spools(store, [spool / "blank-1"], workers=1)
        # ... of which an old version is known: the derivation goes to that version.
        store.load(
            (
                f"<{task_iri}> <http://www.w3.org/ns/prov#used> _:unnamed .\n"
                f"<{ID}entity/old-table> <{PROVML}versionOf> _:unnamed ;\n"
                f'  <http://www.w3.org/ns/prov#generatedAtTime> "2000-01-01T00:00:00Z"'
                f"^^<{XSD}dateTime> ."
            ).encode(),
            "turtle",
            graph=f"{ID}run/blank-1",
        )
        load_spools(store, [spool / "blank-1"], workers=1)  # finishes the run again
        inferred = f"GRAPH <{INFERRED}> {{ ?o prov:wasDerivedFrom ?i }}"
        edges = _rows(store, f"SELECT ?o ?i WHERE {{ {inferred} FILTER(isIRI(?i)) }}")
        blanks = _rows(store, f"SELECT ?o WHERE {{ {inferred} FILTER(isBlank(?i)) }}")
    assert edges == {(copy_v, f"{ID}entity/source"), (copy_v, f"{ID}entity/old-table")}
    assert blanks == set()


def _moment() -> datetime:
    """Now, after the clock moved on: ordering by time needs distinct instants."""
    time.sleep(0.01)
    return datetime.now(UTC)


def _write_table(spool: Path, run: str) -> None:
    """A run whose one task writes the table."""
    with (
        Workflow("writer", run_id=run, spool_dir=spool, capture_git=False) as wf,
        wf.task("write", "curation") as task,
    ):
        task.generated(wf.dataset("table", id="table"))


def test_a_stable_input_is_the_latest_version_generated_before_the_use(tmp_path):
    spool = tmp_path / "spool"
    common = dict(spool_dir=spool, capture_git=False)
    _write_table(spool, "write-1")
    between = _moment()
    _write_table(spool, "write-2")
    after = _moment()
    with Workflow("reader", run_id="read", **common) as wf:
        # Read by id (no version known in this process): the store picks it by time.
        with wf.task("early", "preparation", used=["table"], started_at=between) as task:
            task.generated(wf.dataset("early out", id="early-out"))
        with wf.task("late", "preparation", used=["table"], started_at=after) as task:
            task.generated(wf.dataset("late out", id="late-out"))
    (v1,), (v2,) = (_generations(_events(spool, run), "table") for run in ("write-1", "write-2"))
    read = _events(spool, "read")
    (early,), (late,) = _generations(read, "early-out"), _generations(read, "late-out")
    query = f"SELECT ?o ?i WHERE {{ GRAPH <{INFERRED}> {{ ?o prov:wasDerivedFrom ?i }} }}"
    with open_store(tmp_path / "store") as store:
        # The reader loaded first: no version yet, so the stable entity; loading the writers
        # and finishing the reader again replaces the edges.
        load_spools(store, [spool / "read"], workers=1)
        assert _rows(store, query) == {(early, f"{ID}entity/table"), (late, f"{ID}entity/table")}
        load_spools(store, [spool / "write-1", spool / "write-2"], workers=1)
        load_spools(store, [spool / "read"], workers=1)
        assert _rows(store, query) == {(early, v1), (late, v2)}
        # Finishing again changes nothing.
        count = store.count(INFERRED)
        load_spools(store, [spool / "read"], workers=1)
        assert _rows(store, query) == {(early, v1), (late, v2)} and store.count(INFERRED) == count


def test_a_hashed_input_is_one_version_across_runs(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "labels.csv").write_text("a,b\n")
    spool = tmp_path / "spool"
    for run in ("hash-1", "hash-2"):
        with Workflow("hashing", run_id=run, spool_dir=spool, capture_git=False) as wf:
            labels = wf.dataset("labels", data / "labels.csv", id="labels", hash=True)
            with wf.task("read", "curation", used=[labels]):
                pass
    digest = labels.sha256
    assert digest is not None
    version = iris.plain(iris.entity_version("labels", f"sha256-{digest[:32]}"))
    with open_store(tmp_path / "store") as store:
        load_spools(store, [spool / "hash-1", spool / "hash-2"], workers=1)
        used = _rows(
            store, "SELECT ?g ?v WHERE { GRAPH ?g { ?t prov:used ?v } ?v provml:versionOf ?s }"
        )
        described = _rows(
            store, f"SELECT ?s ?h WHERE {{ <{version}> provml:versionOf ?s ; provml:sha256 ?h }}"
        )
    assert used == {(f"{ID}run/hash-1", version), (f"{ID}run/hash-2", version)}
    assert described == {(f"{ID}entity/labels", digest)}


def test_imported_prov_gets_the_same_inference(tmp_path):
    # A foreign document: one activity used two entities and generated two, one of which names
    # its source; the other derives, by inference, from both inputs.
    document = tmp_path / "foreign.ttl"
    document.write_text(
        """@prefix prov: <http://www.w3.org/ns/prov#> .
        @prefix ex: <http://example.org/> .
        ex:a a prov:Entity . ex:b a prov:Entity .
        ex:run a prov:Activity ; prov:used ex:a, ex:b .
        ex:named a prov:Entity ; prov:wasGeneratedBy ex:run ; prov:wasDerivedFrom ex:a .
        ex:other a prov:Entity ; prov:wasGeneratedBy ex:run .
        """
    )
    with open_store(tmp_path / "store") as store:
        report = import_prov(store, document)
        edges = _rows(store, "SELECT ?o ?i ?g WHERE { GRAPH ?g { ?o prov:wasDerivedFrom ?i } }")
        # Importing again leaves the same edges.
        import_prov(store, document)
        again = _rows(store, "SELECT ?o ?i ?g WHERE { GRAPH ?g { ?o prov:wasDerivedFrom ?i } }")
    ex = "http://example.org/"
    assert (
        edges
        == again
        == {
            (f"{ex}named", f"{ex}a", report.graph),
            (f"{ex}other", f"{ex}a", INFERRED),
            (f"{ex}other", f"{ex}b", INFERRED),
        }
    )
