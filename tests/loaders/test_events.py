"""`load_events`: event dicts from the real capture API into a real Oxigraph store."""

from __future__ import annotations

import pytest

from provml import MalformedEvent, Workflow
from provml.capture import MemorySink
from provml.kg import open_store
from provml.loaders.load import load_events

PROVML = "https://w3id.org/provml/ontology#"


def _captured_events() -> tuple[str, list[dict]]:
    with (
        Workflow("small run", sink=MemorySink) as wf,
        wf.task("fit", "learning", stage="training") as task,
    ):
        task.log_params({"lr": 0.01})
        wf.log_metric("loss", 0.25, step=3, split="train")
    return wf.run_id, wf.sink.events


def test_events_load_into_the_run_graph_and_a_replay_adds_nothing(tmp_path):
    run, events = _captured_events()
    with open_store(tmp_path / "store") as store:
        report = load_events(store, events)
        assert report.events == len(events) and report.bad == []
        assert report.runs == {run}
        graph = f"https://w3id.org/provml/id/run/{run}"
        shared = "https://w3id.org/provml/id/shared"
        assert sorted(store.graphs()) == sorted([graph, shared])
        # The run's own record is in its graph; what runs share (the workflow) is stored once.
        in_run = store.query(
            f"ASK {{ GRAPH <{graph}> {{ <{graph}> a <{PROVML}WorkflowExecution> }} }}"
        )
        workflow = store.query(f"SELECT ?g WHERE {{ GRAPH ?g {{ ?w a <{PROVML}Workflow> }} }}")
        assert in_run and [row["g"].value for row in workflow] == [shared]
        count = store.count()
        assert load_events(store, events).events == len(events)
        assert store.count() == count
        rows = store.query(
            f"SELECT ?v WHERE {{ ?m a <{PROVML}EvaluationMeasure> ; "
            f"<http://www.w3.org/ns/prov#value> ?v }}"
        )
        assert [row["v"].value for row in rows] == ["0.25"]


def test_a_bad_event_is_reported_and_the_rest_loaded(tmp_path):
    _, events = _captured_events()
    bad = {**events[-1], "colour": "red"}
    with open_store(tmp_path / "store") as store:
        report = load_events(store, [*events, bad], source="mine")
        assert report.events == len(events)
        assert [(bad.path, bad.line, bad.reason) for bad in report.bad] == [
            ("mine", len(events) + 1, "event must not contain {'colour'} properties")
        ]


def test_strict_mode_raises_naming_the_position_and_writes_nothing_of_the_batch(tmp_path):
    _, events = _captured_events()
    wrong = {**events[0], "pid": "not a number"}
    with open_store(tmp_path / "store") as store:
        with pytest.raises(MalformedEvent, match=r"mine:2: event.pid must be integer") as raised:
            load_events(store, [events[1], wrong], source="mine", strict=True)
        assert (raised.value.path, raised.value.line) == ("mine", 2)
        assert raised.value.reason.startswith("event.pid must be integer")
        assert store.count() == 0


def test_each_epoch_is_informed_by_the_one_before_it_in_its_own_stage(tmp_path):
    with Workflow("sections", sink=MemorySink) as wf:
        for stage, epochs in (("training", 4), ("validation", 3)):
            with wf.task(stage, "learning", stage=stage):
                for index in range(epochs):
                    with wf.task(f"{stage} epoch {index}", "learning", stage="epoch"):
                        pass
    with open_store(tmp_path / "store") as store:
        load_events(store, wf.sink.events)
        query = (
            f"SELECT ?next ?previous WHERE {{ ?next <http://www.w3.org/ns/prov#wasInformedBy>"
            f" ?previous . ?next a <{PROVML}Epoch> }}"
        )
        label = "<http://www.w3.org/2000/01/rdf-schema#label>"
        names = {
            row["e"]: row["n"].value
            for row in store.query(f"SELECT ?e ?n WHERE {{ ?e {label} ?n }}")
        }
        links = sorted((names[row["next"]], names[row["previous"]]) for row in store.query(query))
        assert links == sorted(
            [(f"training epoch {i}", f"training epoch {i - 1}") for i in range(1, 4)]
            + [(f"validation epoch {i}", f"validation epoch {i - 1}") for i in range(1, 3)]
        )
        count = store.count()
        load_events(store, wf.sink.events)
        assert store.count() == count
