"""Capture's after-the-fact facts through the real capture -> load path, into Oxigraph on disk:
annotations (a correction supersedes, both kept, the store still conforms to the shapes),
explicit times in task times and durations, command lines, tools and step numbers, planned
learning stages and hyperparameter kinds. Every expected value is what the test recorded."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import provml
from provml import Workflow
from provml.kg import open_store
from provml.loaders.load import load_spools
from provml.loaders.readback import store_graph
from provml.ontology.shacl import validate
from tests.queries.test_golden import ask, iri

ID = "https://w3id.org/provml/id/"
OPS = "https://w3id.org/provml/ontology#"
T0 = datetime(2019, 3, 1, 9, 0, tzinfo=UTC)
PREFIXES = """
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX provml: <https://w3id.org/provml/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
"""


def values(store, query: str) -> list[tuple[str, ...]]:
    """A SELECT's rows as sorted tuples of lexical values ("" for unbound)."""
    result = store.query(PREFIXES + query)
    return sorted(
        tuple("" if row[v] is None else row[v].value for v in result.variables) for row in result
    )


def historical_run(spool) -> dict[str, Any]:
    """A run of 2019 imported now: explicit times, command lines, tools and steps; what it
    recorded."""
    recorded: dict[str, Any] = {}
    with Workflow(
        "survey import",
        run_id="hist",
        spool_dir=spool,
        capture_git=False,
        started_at=T0,
        ended_at=T0 + timedelta(hours=3),
    ) as wf:
        raw = wf.dataset("F3 block", id="f3-block", type="raw_data")
        with wf.task(
            "convert",
            used=[raw],
            step=1,
            command=["segy-convert", "F3 block.segy"],
            tool="segyio",
            tool_version="1.9.12",
            started_at=T0 + timedelta(minutes=5),
            ended_at=T0 + timedelta(minutes=50),
        ) as convert:
            recorded["convert"] = convert.id
        with wf.task(
            "train",
            "learning",
            stage="training",
            step=2,
            tool="train.py",
            started_at=T0 + timedelta(hours=1),
            ended_at=T0 + timedelta(hours=2, seconds=30.5),
        ) as train:
            train.log_params({"depth": 4}, kind="model")
            train.log_params({"learning_rate": 0.01}, kind="algorithm")
            recorded["train"] = train.id
    recorded["raw"] = raw
    return recorded


def test_explicit_times_command_tool_and_step_reach_the_store(tmp_path):
    historical_run(tmp_path / "spool")
    with open_store(tmp_path / "store") as store:
        report = load_spools(store, [tmp_path / "spool"], workers=1)
        assert report.bad == [] and report.runs == {"hist"}
        rows = ask(store, "task_times", run=iri("run/hist"))
        by_task = {row[2]: row for row in rows}
        expected = {
            "convert": (T0 + timedelta(minutes=5), T0 + timedelta(minutes=50), 45 * 60.0),
            "train": (T0 + timedelta(hours=1), T0 + timedelta(hours=2, seconds=30.5), 3630.5),
        }
        assert {name: row[5:8] for name, row in by_task.items()} == expected
        # The run's own times and the duration the loader wrote are the explicit ones.
        assert values(
            store,
            "SELECT ?s ?e ?d WHERE { <https://w3id.org/provml/id/run/hist> prov:startedAtTime ?s ;"
            " prov:endedAtTime ?e ; provml:durationSeconds ?d }",
        ) == [("2019-03-01T09:00:00Z", "2019-03-01T12:00:00Z", "10800")]
        tasks = values(
            store,
            "SELECT ?label ?step ?command ?name ?version WHERE { ?task provml:stepNumber ?step ;"
            " rdfs:label ?label ; prov:wasAssociatedWith ?tool . ?tool a provml:Software ;"
            " provml:softwareName ?name . OPTIONAL { ?task provml:commandLine ?command }"
            " OPTIONAL { ?tool provml:softwareVersion ?version } }",
        )
        assert tasks == [
            ("convert", "1", "segy-convert 'F3 block.segy'", "segyio", "1.9.12"),
            ("train", "2", "", "train.py", ""),
        ]
        # The training executes a planned learning stage; the hyperparameters have their kind.
        assert values(
            store,
            "SELECT ?plan WHERE { ?task a provml:Training ; provml:executesPlan ?plan ."
            " ?plan a provml:PlannedLearningStage }",
        ) == [(f"{ID}transformation/train",)]
        assert values(
            store,
            "SELECT ?name ?kind WHERE { ?h a provml:Hyperparameter , ?kind ;"
            " provml:parameterName ?name . FILTER(?kind != provml:Hyperparameter) }",
        ) == [
            ("depth", OPS + "ModelHyperparameter"),
            ("learning_rate", OPS + "AlgorithmHyperparameter"),
        ]
        report = validate(store_graph(store))
        assert report.conforms, report.text


def annotation_rows(store, target: str) -> list[tuple[object, ...]]:
    """The `annotations` canned query's rows for a target (an id path under the base)."""
    return ask(store, "annotations", target=iri(target))


def expected_row(event: dict, state: str, superseded_by: dict | None) -> tuple[object, ...]:
    """The row the annotations query must give for a recorded event."""
    target = event["target"]
    about = f"entity/{target['entity']}" if "entity" in target else f"run/{target['run']}"
    return (
        about,
        event["key"],
        str(event["value"]).lower() if isinstance(event["value"], bool) else str(event["value"]),
        event["unit"],
        event["comment"],
        f"person/{event['by']}",
        event["by"],
        datetime.fromtimestamp(event["at"], UTC),
        state,
        f"annotation/{event['id']}",
        None if superseded_by is None else f"annotation/{superseded_by['id']}",
    )


def test_a_later_annotation_supersedes_an_earlier_one_and_both_stay(tmp_path):
    spool = tmp_path / "spool"
    recorded = historical_run(spool)
    day = datetime(2024, 6, 1, 10, tzinfo=UTC)
    good = provml.annotate(recorded["raw"], "quality", "good", by="alice", at=day, spool_dir=spool)
    fair = provml.annotate(
        recorded["raw"],
        "quality",
        "fair",
        by="bob",
        at=day + timedelta(days=2),
        comment="dead traces",
        spool_dir=spool,
    )
    run_note = provml.annotate({"run": "hist"}, "reviewed", True, by="bob", at=day, spool_dir=spool)
    with open_store(tmp_path / "store") as store:
        report = load_spools(store, [spool], workers=1, checkpoint=tmp_path / "ck.json")
        # No run is made of the annotations: only the workflow run was touched.
        assert report.bad == [] and report.runs == {"hist"}
        assert values(store, "SELECT ?r WHERE { ?r a provml:WorkflowExecution }") == [
            (f"{ID}run/hist",)
        ]
        assert annotation_rows(store, "entity/f3-block") == [
            expected_row(fair, "current", None),
            expected_row(good, "superseded", fair),
        ]
        assert annotation_rows(store, "run/hist") == [expected_row(run_note, "current", None)]
        report = validate(store_graph(store))
        assert report.conforms, report.text

        # A correction dated between the two, loaded later: the chain is rebuilt around it.
        middle = provml.annotate(
            recorded["raw"], "quality", "poor", by="carol", at=day + timedelta(days=1),
            spool_dir=spool,
        )  # fmt: skip
        load_spools(store, [spool], workers=1, checkpoint=tmp_path / "ck.json")
        assert annotation_rows(store, "entity/f3-block") == [
            expected_row(fair, "current", None),
            expected_row(middle, "superseded", fair),
            expected_row(good, "superseded", middle),
        ]
        links = values(store, "SELECT ?a ?b WHERE { ?a provml:supersedes ?b }")
        assert len(links) == 2
        # Loading again adds nothing: the chain is a function of the annotations.
        count = store.count()
        load_spools(store, [spool], workers=1)
        assert store.count() == count
        assert validate(store_graph(store)).conforms


def test_an_annotation_reusing_an_id_with_other_content_is_refused(tmp_path):
    spool = tmp_path / "spool"
    first = provml.annotate({"entity": "e1"}, "quality", "good", by="alice", spool_dir=spool)
    forged = dict(first, value="bad")
    with (spool / "annotations" / "forged-1-0.jsonl").open("w") as handle:
        handle.write(json.dumps(forged) + "\n")
    with open_store(tmp_path / "store") as store:
        report = load_spools(store, [spool], workers=1)
        assert len(report.bad) == 1 and "duplicate event id" in report.bad[0].reason
        assert report.runs == set()
        # One of the two lines is kept (the first read), the other refused; never both merged.
        rows = annotation_rows(store, "entity/e1")
        assert len(rows) == 1 and rows[0][8] == "current"
        refused = json.loads(report.bad[0].text)["value"]
        assert {rows[0][2], refused} == {"good", "bad"}
