"""Golden tests of the canned queries: a lifecycle written with the real capture API, loaded
with the real loader into an Oxigraph store on disk, and the exact rows each query must return."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from pyoxigraph import Literal, NamedNode

from provml import Workflow
from provml.kg import open_store
from provml.kg.sparql_text import query_form
from provml.loaders.load import load_spools
from provml.queries import PLAIN_QUERIES, get_query, run_query
from tests import query_data as data

ID = "https://w3id.org/provml/id/"
XSD = "http://www.w3.org/2001/XMLSchema#"
WORKFLOW = f"{ID}workflow/fault%20segmentation"
QUERY_FILES = sorted(
    (path for path in resources.files("provml.queries").iterdir() if path.name.endswith(".rq")),
    key=lambda path: path.name,
)


def iri(path: str) -> NamedNode:
    """An IRI under the provml id base."""
    return NamedNode(ID + path)


def integer(value: int) -> Literal:
    """An xsd:integer term."""
    return Literal(str(value), datatype=NamedNode(XSD + "integer"))


def double(value: float) -> Literal:
    """An xsd:double term."""
    return Literal(repr(value), datatype=NamedNode(XSD + "double"))


def boolean(value: bool) -> Literal:
    """An xsd:boolean term."""
    return Literal("true" if value else "false", datatype=NamedNode(XSD + "boolean"))


def plain(term: Any) -> Any:
    """A result term as a plain Python value: IRIs without the id base, typed literals."""
    if term is None:
        return None
    if isinstance(term, NamedNode):
        return term.value.removeprefix(ID)
    datatype = term.datatype.value.removeprefix(XSD)
    if datatype in ("integer", "long", "int"):
        return int(term.value)
    if datatype in ("double", "decimal", "float"):
        return float(term.value)
    if datatype == "dateTime":
        return datetime.fromisoformat(term.value)
    if datatype == "boolean":
        return term.value in ("true", "1")
    return term.value


def query_text(name: str) -> str:
    """The text of a canned query, read from the installed package data."""
    return resources.files("provml.queries").joinpath(f"{name}.rq").read_text()


def ask(store: Any, name: str, **params: Any) -> list[tuple[Any, ...]]:
    """Run a canned query with engine-bound parameters; rows as tuples of plain values."""
    result = store.query(query_text(name), params)
    return [tuple(plain(row[variable]) for variable in result.variables) for row in result]


@pytest.fixture(scope="module")
def lifecycle(tmp_path_factory: pytest.TempPathFactory):
    """The three runs, loaded once into an on-disk Oxigraph store; (store, root, events)."""
    root = tmp_path_factory.mktemp("lifecycle")
    spools = data.write_lifecycle(root)
    store = open_store(root / "store")
    report = load_spools(store, spools, workers=1)
    assert report.bad == [] and report.runs == {"seis-a", "seis-b", "seis-c"}
    yield store, root, data.spool_events(spools)
    store.close()


def test_raw_files_behind_a_prediction(lifecycle):
    store, root, _ = lifecycle
    north = (root / "data" / "F3_north.segy").read_bytes()

    digest = hashlib.sha256(north).hexdigest()
    path = str(root / "data" / "F3_north.segy")
    common = ("entity/faults-a", "entity/unet-a", "entity/f3-north", "F3 north", path, digest)
    west, south, east, north = data.NORTH_BBOX
    assert ask(store, "raw_inputs_of_prediction", prediction=iri("entity/faults-a")) == [
        (*common, "bbox.east", str(east)),
        (*common, "bbox.north", str(north)),
        (*common, "bbox.south", str(south)),
        (*common, "bbox.west", str(west)),
        (*common, "crossline.max", str(data.CROSSLINE[1])),
        (*common, "crossline.min", str(data.CROSSLINE[0])),
        (*common, "inline.max", str(data.NORTH_INLINE[1])),
        (*common, "inline.min", str(data.NORTH_INLINE[0])),
        (*common, "survey.name", "F3 Netherlands"),
    ]
    # A model is no prediction: nothing comes back.
    assert ask(store, "raw_inputs_of_prediction", prediction=iri("entity/unet-a")) == []


def test_models_and_predictions_from_a_domain_file(lifecycle):
    store, _, _ = lifecycle
    assert ask(store, "models_from_domain_file", file=iri("entity/f3-north")) == [
        ("entity/f3-north", "entity/unet-a", "unet-a", "run/seis-a", "entity/faults-a"),
        ("entity/f3-north", "entity/unet-b", "unet-b", "run/seis-b", None),
    ]
    assert ask(store, "models_from_domain_file", file=iri("entity/f3-south")) == [
        ("entity/f3-south", "entity/unet-b", "unet-b", "run/seis-b", None),
    ]
    # An intermediate curated file of run seis-a reaches only that run's model.
    assert ask(store, "models_from_domain_file", file=iri("entity/f3-north-clean")) == [
        ("entity/f3-north-clean", "entity/unet-a", "unet-a", "run/seis-a", "entity/faults-a"),
    ]


def test_a_late_upstream_run_extends_the_lineage_shortcuts(tmp_path):
    # The training run is loaded before the curation run that generated its data: after the
    # second load the shortcut-reading queries answer as the plain PROV-O path does.
    curation, training = "curate-late", "train-early"
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    common = dict(spool_dir=tmp_path / "spool", capture_git=False)
    with Workflow("late lineage", run_id=curation, **common) as wf:
        raw = wf.dataset(
            "block L",
            data_dir / "block_l.segy",
            id="block-l",
            type="raw_data",
            attributes={"inline": [10, 20]},
        )
        with wf.task("clean", "curation", operation="cleaning", used=[raw]) as clean:
            cleaned = wf.dataset("block L clean", id="block-l-clean", derived_from=[raw])
            clean.generated(cleaned)
    with Workflow("late lineage", run_id=training, **common) as wf:
        cleaned = wf.dataset("block L clean", id="block-l-clean")
        with wf.task("train", "learning", stage="training", used=[cleaned]) as train:
            with wf.task("epoch 0", "learning", stage="epoch"):
                wf.log_metric("iou", 0.6, epoch=0, split="validation")
            model = wf.model("late model", id="late-model")
            train.generated(model)
    with open_store(tmp_path / "store") as store:
        load_spools(store, [tmp_path / "spool" / training], workers=1)
        # Before the curation run is loaded, the model's data descends from nothing raw.
        assert ask(store, "models_from_domain_file", file=iri("entity/block-l")) == []
        load_spools(store, [tmp_path / "spool" / curation], workers=1)
        plain_text = (PLAIN_QUERIES / "models_from_domain_file.rq").read_text()
        for file in ("entity/block-l", "entity/block-l-clean"):
            rows = ask(store, "models_from_domain_file", file=iri(file))
            assert rows == [(file, "entity/late-model", "late model", f"run/{training}", None)]
            plain_result = store.query(plain_text, {"file": iri(file)})
            plain_rows = [
                tuple(plain(row[v]) for v in plain_result.variables) for row in plain_result
            ]
            assert plain_rows == rows
        covering = ask(
            store,
            "models_covering_inline_range",
            inline_min=integer(15),
            inline_max=integer(30),
            metric=Literal("iou"),
            min_value=double(0.5),
        )
        assert [row[4] for row in covering] == ["entity/late-model"]


def best_iou(run: str) -> float:
    """The best validation iou over a run's epochs, from the data written."""
    return max(iou for _, _, iou in data.RUN_EPOCHS[run])


def test_models_covering_an_inline_range(lifecycle):
    store, _, _ = lifecycle
    north, south = data.NORTH_INLINE, data.SOUTH_INLINE

    def covering(low: int, high: int, threshold: float) -> list[tuple[Any, ...]]:
        return ask(
            store,
            "models_covering_inline_range",
            inline_min=integer(low),
            inline_max=integer(high),
            metric=Literal("iou"),
            min_value=double(threshold),
        )

    head = (350, 450, "iou", 0.5)
    assert covering(350, 450, 0.5) == [
        (*head, "entity/unet-a", "run/seis-a", "entity/f3-north", *north, best_iou("seis-a")),
        (*head, "entity/unet-b", "run/seis-b", "entity/f3-north", *north, best_iou("seis-b")),
        (*head, "entity/unet-b", "run/seis-b", "entity/f3-south", *south, best_iou("seis-b")),
    ]
    # Threshold between the two models' best iou: only unet-a is good enough.
    assert covering(350, 450, 0.6) == [
        (350, 450, "iou", 0.6, "entity/unet-a", "run/seis-a", "entity/f3-north", *north, 0.71)
    ]
    # Only the south block overlaps inlines 500-600, and only unet-b used it.
    assert covering(500, 600, 0.0) == [
        (500, 600, "iou", 0.0, "entity/unet-b", "run/seis-b", "entity/f3-south", *south, 0.58)
    ]
    assert covering(800, 900, 0.0) == []


def test_models_covering_a_geographic_box(lifecycle):
    store, _, _ = lifecycle
    north, south = data.NORTH_BBOX, data.SOUTH_BBOX

    def covering(box: tuple[float, ...], threshold: float) -> list[tuple[Any, ...]]:
        west, south_edge, east, north_edge = box
        return ask(
            store,
            "models_covering_geographic_box",
            west=double(west),
            south=double(south_edge),
            east=double(east),
            north=double(north_edge),
            metric=Literal("iou"),
            min_value=double(threshold),
        )

    # A box over the latitude gap between the blocks reaches into both.
    both = (4.5, 54.8, 5.0, 54.9)
    head = (*both, "iou", 0.5)
    assert covering(both, 0.5) == [
        (*head, "entity/unet-a", "run/seis-a", "entity/f3-north", *north, best_iou("seis-a")),
        (*head, "entity/unet-b", "run/seis-b", "entity/f3-north", *north, best_iou("seis-b")),
        (*head, "entity/unet-b", "run/seis-b", "entity/f3-south", *south, best_iou("seis-b")),
    ]
    # Threshold between the two models' best iou: only unet-a is good enough.
    assert covering(both, 0.6) == [
        (*both, "iou", 0.6, "entity/unet-a", "run/seis-a", "entity/f3-north", *north, 0.71)
    ]
    # Inside the south block only: only unet-b used it.
    inner = (4.7, 54.76, 4.8, 54.8)
    assert covering(inner, 0.0) == [
        (*inner, "iou", 0.0, "entity/unet-b", "run/seis-b", "entity/f3-south", *south, 0.58)
    ]
    # Edges count: a box that touches the north block's northern edge from above.
    edge = (4.0, north[3], 5.0, 56.0)
    assert [row[6:9] for row in covering(edge, 0.0)] == [
        ("entity/unet-a", "run/seis-a", "entity/f3-north"),
        ("entity/unet-b", "run/seis-b", "entity/f3-north"),
    ]
    # Beside the blocks (east of them, then north of them): nothing.
    assert covering((5.0, 54.0, 6.0, 56.0), 0.0) == []
    assert covering((4.0, 55.0, 5.0, 56.0), 0.0) == []
    # West > east crosses the antimeridian: from 4.9 east to 180, then -180 to -170.
    assert len(covering((4.9, 54.0, -170.0, 56.0), 0.0)) == 3
    assert covering((170.0, 54.0, -170.0, 56.0), 0.0) == []


def test_hyperparameters_of_every_run_of_a_workflow(lifecycle):
    store, _, _ = lifecycle
    expected = []
    curation = {"seis-a": ["clean seismic", "filter noise"], "seis-b": ["clean seismic"]}
    for run, status in (("seis-a", "completed"), ("seis-b", "completed"), ("seis-c", None)):
        for task in curation.get(run, []):
            params = data.CLEAN_PARAMS if task == "clean seismic" else data.FILTER_PARAMS
            for name in sorted(params):
                value = params[name]
                text = str(value).lower() if isinstance(value, bool) else str(value)
                expected.append((f"run/{run}", status, task, name, text))
        for name in sorted(data.RUN_PARAMS[run]):
            expected.append(
                (f"run/{run}", status, "train unet", name, str(data.RUN_PARAMS[run][name]))
            )
    rows = ask(store, "run_hyperparameters", workflow=NamedNode(WORKFLOW))
    # Task IRIs come from the capture; each row names a task of its own run.
    assert [(row[:3] + row[4:]) for row in rows] == [
        ("workflow/fault%20segmentation", *row) for row in expected
    ]
    for _, run, _, task, *_ in rows:
        assert task.startswith(f"{run}/task/"), (run, task)
    trainings = {(run, task) for _, run, _, task, label, *_ in rows if label == "train unet"}
    assert len(trainings) == 3


def test_top_runs_by_metric(lifecycle):
    store, _, _ = lifecycle

    def summary(run: str, column: int, best: Any) -> tuple[Any, ...]:
        values = [epoch[column] for epoch in data.RUN_EPOCHS[run]]
        return (f"run/{run}", best(values), values[-1], len(values) - 1)

    head = ("workflow/fault%20segmentation", "iou", "validation", True, 2)
    rows = ask(
        store,
        "top_runs_by_metric",
        workflow=NamedNode(WORKFLOW),
        metric=Literal("iou"),
        split=Literal("validation"),
        higher_is_better=boolean(True),
        k=integer(2),
    )
    assert rows == [(*head, *summary(run, 2, max)) for run in ("seis-a", "seis-b", "seis-c")]
    head = ("workflow/fault%20segmentation", "loss", "training", False, 1)
    rows = ask(
        store,
        "top_runs_by_metric",
        workflow=NamedNode(WORKFLOW),
        metric=Literal("loss"),
        split=Literal("training"),
        higher_is_better=boolean(False),
        k=integer(1),
    )
    assert rows == [(*head, *summary(run, 0, min)) for run in ("seis-a", "seis-b", "seis-c")]


def test_run_query_keeps_the_top_k_rows_the_header_limit_names(lifecycle):
    store, _, _ = lifecycle
    rows = run_query(store, "top_runs_by_metric", workflow=WORKFLOW, metric="iou", k=2)
    assert [row["run"] for row in rows] == [f"{ID}run/seis-a", f"{ID}run/seis-b"]
    assert len(run_query(store, "top_runs_by_metric", workflow=WORKFLOW, metric="iou", k=0)) == 0


def test_metric_trajectory_of_a_run(lifecycle):
    store, _, _ = lifecycle
    epochs = data.RUN_EPOCHS["seis-b"]
    expected = [("training", n, n, train) for n, (train, _, _) in enumerate(epochs)]
    expected += [("validation", n, n, val) for n, (_, val, _) in enumerate(epochs)]
    rows = ask(store, "metric_trajectory", run=iri("run/seis-b"), metric=Literal("loss"))
    assert rows == [("run/seis-b", "loss", *row) for row in expected]


def test_two_runs_side_by_side(lifecycle):
    store, _, _ = lifecycle
    a, c = data.RUN_EPOCHS["seis-a"], data.RUN_EPOCHS["seis-c"]
    rows = ask(
        store,
        "compare_metric_trajectories",
        run=iri("run/seis-a"),
        other=iri("run/seis-c"),
        metric=Literal("iou"),
        split=Literal("validation"),
    )
    assert rows == [
        (
            "run/seis-a",
            "run/seis-c",
            "iou",
            "validation",
            n,
            a[n][2],
            c[n][2] if n < len(c) else None,
        )
        for n in range(len(a))
    ]


def stamp(seconds: float) -> datetime:
    """An event time as the loader writes it (UTC, microseconds), for comparing with results."""
    return datetime.fromtimestamp(seconds, UTC)


def tasks_of(events: list[dict[str, Any]], run: str) -> dict[str, dict[str, Any]]:
    """A run's tasks by name: start and end event times, status, error."""
    by_id: dict[str, dict[str, Any]] = {}
    for event in events:
        if event["run"] == run and event["kind"] == "task_start":
            by_id[event["task"]] = {
                "name": event["name"],
                "start": event["t"],
                "end": None,
                "status": None,
                "error": None,
            }
    for event in events:
        if event["run"] == run and event["kind"] == "task_end":
            by_id[event["task"]].update(
                end=event["t"], status=event["status"], error=event["error"]
            )
    return {task["name"]: task for task in by_id.values()}


def run_start(events: list[dict[str, Any]], run: str) -> dict[str, Any]:
    """The run_start event of a run."""
    return next(e for e in events if e["run"] == run and e["kind"] == "run_start")


def person(events: list[dict[str, Any]], run: str) -> str:
    """The IRI path of the user who started a run."""
    return "person/" + quote(run_start(events, run)["user"], safe="")


def software_of(events: list[dict[str, Any]], run: str) -> list[tuple[str, str]]:
    """(name, version) of the software a run recorded, sorted by name as SPARQL sorts it."""
    start = run_start(events, run)
    found = set(start["software"].items()) | {("python", start["python"])}
    platform_name, _, platform_version = start["platform"].partition("-")
    found.add((platform_name, platform_version))
    return sorted(found)


OPS = "https://w3id.org/provml/ontology#"


def test_curation_steps_of_a_dataset(lifecycle):
    store, _, events = lifecycle
    tasks = tasks_of(events, "seis-a")
    agent = person(events, "seis-a")
    expected = []
    steps = [
        ("clean seismic", "Cleaning", data.CLEAN_PARAMS),
        ("filter noise", "Filtering", data.FILTER_PARAMS),
        ("split patches", "Splitting", {}),
    ]
    for name, kind, params in steps:
        task = tasks[name]
        start, end = stamp(task["start"]), stamp(task["end"])
        head = ("entity/train-a", name, OPS + kind, start, end)
        settings = sorted(params.items()) or [(None, None)]
        for key, value in settings:
            text = (
                None
                if value is None
                else str(value).lower()
                if isinstance(value, bool)
                else str(value)
            )
            expected.append((*head, agent, key, text))
    rows = ask(store, "curation_steps", dataset=iri("entity/train-a"))
    assert [row[:5] + row[6:] for row in rows] == expected
    for row in rows:
        assert row[5] == (row[4] - row[3]).total_seconds()
    # Raw data has no step behind it.
    assert ask(store, "curation_steps", dataset=iri("entity/f3-north")) == []


def test_task_times_slowest_first_with_the_failed_task(lifecycle):
    store, _, events = lifecycle
    host = run_start(events, "seis-b")["host"]
    classes = {
        "clean seismic": "Cleaning",
        "split patches": "Splitting",
        "train unet": "Training",
        "evaluate": "Evaluation",
    }
    tasks = tasks_of(events, "seis-b")
    expected = []
    for name, task in tasks.items():
        kind = classes.get(name, "Epoch")
        expected.append(
            (
                "run/seis-b",
                name,
                OPS + kind,
                task["status"],
                stamp(task["start"]),
                stamp(task["end"]),
                host,
                None,
                task["error"],
            )
        )
    rows = ask(store, "task_times", run=iri("run/seis-b"))
    assert sorted(row[:6] + row[7:] for row in rows) == sorted(expected)
    durations = [row[6] for row in rows]
    assert durations == sorted(durations, reverse=True)
    for row in rows:
        assert row[6] == (row[5] - row[4]).total_seconds()
    failed = [row for row in rows if row[3] == "failed"]
    assert [(row[1], row[9]) for row in failed] == [("evaluate", "RuntimeError: GPU out of memory")]
    # The running run's training has no end: no status, no duration, last.
    running = ask(store, "task_times", run=iri("run/seis-c"))
    assert running[-1][1:4] == ("train unet", OPS + "Training", None)
    assert running[-1][5:7] == (None, None)


PHASES = {
    "clean seismic": ("curation", "DataCuration"),
    "filter noise": ("curation", "DataCuration"),
    "split patches": ("preparation", "LearningDataPreparation"),
    "train unet": ("learning", "LearningStage"),
    "evaluate": ("learning", "LearningStage"),
    "predict faults": ("inference", "Inference"),
}


def expected_phase_times(events: list[dict[str, Any]], run: str) -> list[tuple[Any, ...]]:
    """phase_times' rows for a run, from the events: its ended top-level tasks by phase."""
    host = run_start(events, run)["host"]
    top = {e["task"] for e in events if e["run"] == run and e["kind"] == "task_start"}
    top -= {e["task"] for e in events if e["run"] == run and e.get("parent") is not None}
    ends = [e for e in events if e["run"] == run and e["kind"] == "run_end"]
    run_seconds = (
        (stamp(ends[0]["t"]) - stamp(run_start(events, run)["t"])).total_seconds() if ends else None
    )
    groups: dict[str, list[float]] = {}
    starts = {e["task"]: e for e in events if e["run"] == run and e["kind"] == "task_start"}
    for event in events:
        if event["run"] == run and event["kind"] == "task_end" and event["task"] in top:
            start = starts[event["task"]]
            seconds = (stamp(event["t"]) - stamp(start["t"])).total_seconds()
            groups.setdefault(start["name"], []).append(seconds)
    by_phase: dict[str, list[float]] = {}
    for name, durations in groups.items():
        by_phase.setdefault(PHASES[name][0], []).extend(durations)
    classes = dict(PHASES.values())
    rows = []
    for phase, durations in by_phase.items():
        seconds = round(sum(durations) * 1_000_000) / 1_000_000
        share = None if run_seconds is None else round(seconds / run_seconds, 6)
        row = (f"run/{run}", phase, OPS + classes[phase], host, len(durations), seconds, share)
        rows.append((*row, run_seconds))
    return sorted(rows, key=lambda row: (-row[5], row[1]))


def test_time_per_phase_and_node_of_a_run(lifecycle):
    store, _, events = lifecycle
    for run in ("seis-a", "seis-b"):
        rows = ask(store, "phase_times", run=iri(f"run/{run}"))
        assert rows == expected_phase_times(events, run)
    rows = ask(store, "phase_times", run=iri("run/seis-a"))
    # Top-level tasks only: the three epochs inside the training are not counted again.
    assert [row[1:5] for row in rows if row[1] == "learning"] == [
        ("learning", OPS + "LearningStage", run_start(events, "seis-a")["host"], 1)
    ]
    assert {row[1] for row in rows} == {"curation", "preparation", "learning", "inference"}
    assert 0 < sum(row[6] for row in rows) < 1
    # The run still going: its training has no end yet (left out), the run no duration.
    assert ask(store, "phase_times", run=iri("run/seis-c")) == expected_phase_times(
        events, "seis-c"
    )
    assert [row[1] for row in ask(store, "phase_times", run=iri("run/seis-c"))] == ["preparation"]


def test_phase_times_knows_the_phase_of_every_task_class():
    """The query's class -> phase table covers every class the loader gives a task, and agrees
    with the loader's phases and the ontology's class tree."""
    from rdflib import Graph, URIRef
    from rdflib.namespace import RDFS

    from provml.loaders.convert import _OPERATIONS, _PHASES, _STAGES
    from provml.ontology.paths import ONTOLOGY_FILE

    text = query_text("phase_times")
    table = re.findall(r"\(provml:(\w+) \"(\w+)\" provml:(\w+)\)", text)
    mapping = {cls: (phase, phase_class) for cls, phase, phase_class in table}
    assert len(mapping) == len(table)
    loader: dict[str, str] = {}
    for phase, cls in _PHASES.items():
        loader[cls] = phase
    for phase, operations in _OPERATIONS.items():
        for cls in operations.values():
            loader[cls] = phase
    for cls in _STAGES.values():
        loader[cls] = "learning"
    assert {f"<{OPS}{cls}>": phase for cls, (phase, _) in mapping.items()} == loader
    ontology = Graph().parse(ONTOLOGY_FILE)
    # The phases the ontology declares disjoint; learning stages and their sections share one.
    roots = {phase: URIRef(cls[1:-1]) for phase, cls in _PHASES.items()}
    roots["learning"] = URIRef(OPS + "BaseLearningStage")
    for cls, (phase, phase_class) in mapping.items():
        assert f"<{OPS}{phase_class}>" == _PHASES[phase]
        ancestors = set(ontology.transitive_objects(URIRef(OPS + cls), RDFS.subClassOf))
        assert roots[phase] in ancestors, (cls, phase)


def test_failed_tasks_of_a_workflow(lifecycle):
    store, _, events = lifecycle
    evaluate = tasks_of(events, "seis-b")["evaluate"]
    assert ask(store, "failed_tasks", workflow=NamedNode(WORKFLOW)) == [
        (
            "workflow/fault%20segmentation",
            "run/seis-b",
            "evaluate",
            OPS + "Evaluation",
            stamp(evaluate["end"]),
            "RuntimeError: GPU out of memory",
        ),
    ]


def test_who_produced_a_model(lifecycle):
    store, _, events = lifecycle
    user = run_start(events, "seis-a")["user"]
    head = ("entity/unet-a", "run/seis-a", person(events, "seis-a"), user, "person/Geo%20Lab")
    assert ask(store, "model_responsibility", model=iri("entity/unet-a")) == [
        (*head, name, version) for name, version in software_of(events, "seis-a")
    ]
    # Run seis-b acted on nobody's behalf.
    rows = ask(store, "model_responsibility", model=iri("entity/unet-b"))
    assert {row[:5] for row in rows} == {
        ("entity/unet-b", "run/seis-b", person(events, "seis-b"), user, None)
    }


def test_everything_to_reproduce_a_run(lifecycle):
    store, root, events = lifecycle
    start = run_start(events, "seis-b")
    process = f"run/seis-b/process/{quote(start['host'], safe='')}/{start['pid']}"
    files = {name: root / "data" / f"F3_{name}.segy" for name in ("north", "south")}
    expected = [
        ("command", ID + process, " ".join(start["argv"]), None),
        ("working_directory", ID + process, start["cwd"], None),
        ("node", "host", start["host"], None),
    ]
    for name, path in files.items():
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        expected.append(("input", f"{ID}entity/f3-{name}", str(path), digest))
    for key, value in data.CLEAN_PARAMS.items():
        text = str(value).lower() if isinstance(value, bool) else str(value)
        expected.append(("parameter", f"clean seismic/{key}", text, None))
    for key, value in data.RUN_PARAMS["seis-b"].items():
        expected.append(("parameter", f"train unet/{key}", str(value), None))
    for name, version in software_of(events, "seis-b"):
        expected.append(("software", name, version, None))
    rows = ask(store, "reproduce_run", run=iri("run/seis-b"))
    assert rows == [("run/seis-b", *row) for row in sorted(expected, key=lambda r: r[:3])]


def test_what_differs_between_two_runs(lifecycle):
    store, root, _ = lifecycle
    south = hashlib.sha256((root / "data" / "F3_south.segy").read_bytes()).hexdigest()
    a, b = data.RUN_PARAMS["seis-a"], data.RUN_PARAMS["seis-b"]
    head = ("run/seis-a", "run/seis-b")
    assert ask(store, "diff_runs", run=iri("run/seis-a"), other=iri("run/seis-b")) == [
        (*head, "input", ID + "entity/f3-south", None, south),
        (*head, "parameter", "filter noise/band_hz", data.FILTER_PARAMS["band_hz"], None),
        (*head, "parameter", "filter noise/order", str(data.FILTER_PARAMS["order"]), None),
        (*head, "parameter", "train unet/batch_size", str(a["batch_size"]), str(b["batch_size"])),
        (
            *head,
            "parameter",
            "train unet/learning_rate",
            str(a["learning_rate"]),
            str(b["learning_rate"]),
        ),
    ]
    assert ask(store, "diff_runs", run=iri("run/seis-a"), other=iri("run/seis-a")) == []


def test_declared_vs_actual_inputs_and_outputs(lifecycle):
    store, _, _ = lifecycle

    def training(run: str, letter: str) -> list[tuple[Any, ...]]:
        head = (f"run/{run}", "train unet")
        return [
            (*head, "input", "patches", None, f"entity/train-{letter}", f"train {letter}"),
            (*head, "input", "patches", None, f"entity/val-{letter}", f"val {letter}"),
        ]

    head = ("run/seis-a", "clean seismic")
    assert ask(store, "declared_vs_actual", run=iri("run/seis-a")) == [
        (*head, "input", "seismic_volume", "SEG-Y", "entity/f3-north", "F3 north"),
        (*head, "output", "clean_volume", None, "entity/f3-north-clean", "F3 north clean"),
        *training("seis-a", "a"),
        ("run/seis-a", "train unet", "output", "fault_model", None, "entity/unet-a", "unet-a"),
    ]
    # The plan belongs to the workflow's steps, so a later run is checked against it too.
    head = ("run/seis-b", "clean seismic")
    assert ask(store, "declared_vs_actual", run=iri("run/seis-b")) == [
        (*head, "input", "seismic_volume", "SEG-Y", "entity/f3-north", "F3 north"),
        (*head, "input", "seismic_volume", "SEG-Y", "entity/f3-south", "F3 south"),
        (*head, "output", "clean_volume", None, "entity/f3-full-clean", "F3 full clean"),
        *training("seis-b", "b"),
        ("run/seis-b", "train unet", "output", "fault_model", None, "entity/unet-b", "unet-b"),
    ]
    # The running training has generated no model yet: the declared output has no actual.
    assert ask(store, "declared_vs_actual", run=iri("run/seis-c")) == [
        *training("seis-c", "c"),
        ("run/seis-c", "train unet", "output", "fault_model", None, None, None),
    ]


def test_workflow_plan(lifecycle):
    store, _, _ = lifecycle
    head = ("workflow/fault%20segmentation",)
    assert ask(store, "workflow_plan", workflow=NamedNode(WORKFLOW)) == [
        (*head, "clean seismic", "input", "seismic_volume", "SEG-Y", "segy-rev1", None),
        (*head, "clean seismic", "output", "clean_volume", None, None, "/lustre/scratch"),
        (*head, "train unet", "input", "patches", None, None, None),
        (*head, "train unet", "output", "fault_model", None, None, None),
    ]


def test_predictions_of_a_model(lifecycle):
    store, _, events = lifecycle
    predict = tasks_of(events, "seis-a")["predict faults"]
    assert ask(store, "model_predictions", model=iri("entity/unet-a")) == [
        (
            "entity/unet-a",
            "run/seis-a",
            "predict faults",
            stamp(predict["start"]),
            "completed",
            "entity/f3-north-filtered",
            "entity/faults-a",
        )
    ]
    assert ask(store, "model_predictions", model=iri("entity/unet-b")) == []


def test_runs_still_going(lifecycle):
    store, _, events = lifecycle
    started = stamp(run_start(events, "seis-c")["t"])
    last = len(data.RUN_EPOCHS["seis-c"]) - 1
    train_loss, val_loss, val_iou = data.RUN_EPOCHS["seis-c"][last]
    head = ("workflow/fault%20segmentation", "run/seis-c", started, last)
    rows = ask(store, "running_runs", workflow=NamedNode(WORKFLOW))
    assert [row[:-1] for row in rows] == [
        (*head, "iou", "validation", val_iou),
        (*head, "loss", "training", train_loss),
        (*head, "loss", "validation", val_loss),
    ]
    for row in rows:
        assert 0 < row[-1] <= (datetime.now(UTC) - started).total_seconds()


# -- every query file ------------------------------------------------------------------------
HEADER_KEYS = ("summary", "taxonomy", "params", "returns")
TAXONOMY = {
    "data": {"domain", "ml", "execution"},
    "execution": {"online", "offline"},
    "training": {"intra", "inter", "none"},
    "phase": {"curation", "preparation", "learning", "inference", "across"},
    "provenance": {"prospective", "retrospective", "both"},
}
TYPES = {"iri", "string", "integer", "float", "datetime", "boolean"}


def parse_header(text: str) -> dict[str, str]:
    """The `#+ key: value` lines of a query (with `#+   ` continuation lines) as a dict."""
    header: dict[str, str] = {}
    key = None
    for line in text.splitlines():
        if not line.startswith("#+ "):
            if line.startswith("#"):
                continue
            break
        if line.startswith("#+   ") and key is not None:
            header[key] += " " + line[5:].strip()
            continue
        match = re.fullmatch(r"#\+ ([a-z_]+): (.+)", line)
        assert match, f"not a header line: {line!r}"
        key = match.group(1)
        assert key not in header, f"key {key} twice"
        header[key] = match.group(2).strip()
    return header


def projected(text: str) -> set[str]:
    """The variables the top-level SELECT projects (plain and `AS ?name`)."""
    body = text[text.index("SELECT") : text.index("WHERE")]
    names = set(re.findall(r"AS \?(\w+)\)", body))
    plain_part = body
    while re.search(r"\([^()]*\)", plain_part):  # innermost parentheses first, any depth
        plain_part = re.sub(r"\([^()]*\)", " ", plain_part)
    return names | set(re.findall(r"\?(\w+)", plain_part))


@pytest.mark.parametrize("path", QUERY_FILES, ids=lambda path: path.name)
def test_every_header_follows_the_contract(path):
    text = path.read_text()
    assert re.fullmatch(r"[a-z][a-z0-9_]*\.rq", path.name)
    header = parse_header(text)
    assert set(HEADER_KEYS) <= set(header) <= {*HEADER_KEYS, "description", "limit"}
    cells = dict(part.strip().split("=", 1) for part in header["taxonomy"].split(";"))
    assert set(cells) == set(TAXONOMY)
    for axis, values in cells.items():
        chosen = {value.strip() for value in values.split(",")}
        assert chosen <= TAXONOMY[axis], (axis, chosen)
        if axis in ("training", "phase", "provenance"):
            assert len(chosen) == 1
    columns = projected(text)
    for param in header["params"].split(";"):
        match = re.fullmatch(r"\s*(\w+): (\w+)(?: = (.+))?\s*", param)
        assert match, param
        assert match.group(2) in TYPES
        assert match.group(1) in columns, f"param {match.group(1)} not projected"
    returned = re.findall(r"(\w+) \((\w+)\)", header["returns"])
    assert {name for name, _ in returned} == columns
    assert {kind for _, kind in returned} <= TYPES
    for prefix in ("prov", "provml", "rdfs", "xsd"):
        assert f"PREFIX {prefix}: <" in text


def test_every_query_file_has_a_golden_test():
    tested = set(re.findall(r'"(\w+)",?\s*(?:\w+=|\n)', Path(__file__).read_text()))
    missing = {path.name.removesuffix(".rq") for path in QUERY_FILES} - tested
    assert not missing


# -- the same answers on a remote endpoint ---------------------------------------------------
CASES = {
    "raw_inputs_of_prediction": {"prediction": iri("entity/faults-a")},
    "models_from_domain_file": {"file": iri("entity/f3-north")},
    "models_covering_inline_range": {
        "inline_min": integer(350),
        "inline_max": integer(450),
        "metric": Literal("iou"),
        "min_value": double(0.5),
    },
    "models_covering_geographic_box": {
        "west": double(4.5),
        "south": double(54.8),
        "east": double(5.0),
        "north": double(54.9),
        "metric": Literal("iou"),
        "min_value": double(0.5),
    },
    "run_hyperparameters": {"workflow": NamedNode(WORKFLOW)},
    "top_runs_by_metric": {
        "workflow": NamedNode(WORKFLOW),
        "metric": Literal("loss"),
        "split": Literal("validation"),
        "higher_is_better": boolean(False),
        "k": integer(2),
    },
    "metric_trajectory": {"run": iri("run/seis-b"), "metric": Literal("loss")},
    "compare_metric_trajectories": {
        "run": iri("run/seis-a"),
        "other": iri("run/seis-c"),
        "metric": Literal("iou"),
        "split": Literal("validation"),
    },
    "curation_steps": {"dataset": iri("entity/train-a")},
    "task_times": {"run": iri("run/seis-b")},
    "phase_times": {"run": iri("run/seis-a")},
    "failed_tasks": {"workflow": NamedNode(WORKFLOW)},
    "model_responsibility": {"model": iri("entity/unet-a")},
    "reproduce_run": {"run": iri("run/seis-b")},
    "diff_runs": {"run": iri("run/seis-a"), "other": iri("run/seis-b")},
    "declared_vs_actual": {"run": iri("run/seis-c")},
    "workflow_plan": {"workflow": NamedNode(WORKFLOW)},
    "model_predictions": {"model": iri("entity/unet-a")},
    "running_runs": {"workflow": NamedNode(WORKFLOW)},
}
# Columns that depend on the moment the query runs.
VOLATILE = {"running_runs": {"elapsed"}}


def test_every_query_has_a_remote_case():
    assert set(CASES) == {path.name.removesuffix(".rq") for path in QUERY_FILES}


def comparable(store: Any, name: str) -> list[tuple[Any, ...]]:
    """A query's rows without the volatile columns, in a canonical order."""
    result = store.query(query_text(name), CASES[name])
    keep = [v for v in result.variables if v not in VOLATILE.get(name, set())]
    rows = [tuple(plain(row[v]) for v in keep) for row in result]
    return sorted(rows, key=lambda row: [(value is None, str(value)) for value in row])


@pytest.fixture(scope="module")
def remote_store(lifecycle, virtuoso):
    """The same spools loaded into the session's Virtuoso; the runs' and shared graphs dropped
    after."""
    _, root, _ = lifecycle
    with virtuoso.open() as store:
        try:
            report = load_spools(store, data.spool_dirs(root), workers=1)
            assert report.bad == [] and report.runs == {"seis-a", "seis-b", "seis-c"}
            yield store
        finally:
            for run in ("seis-a", "seis-b", "seis-c"):
                store.update(f"DROP SILENT GRAPH <{ID}run/{run}>")
            store.update(f"DROP SILENT GRAPH <{ID}shared>")


@pytest.mark.parametrize("name", sorted(CASES))
def test_oxigraph_and_virtuoso_agree(name, lifecycle, remote_store):
    store, _, _ = lifecycle
    local_rows = comparable(store, name)
    assert local_rows, f"{name} returns no rows: the comparison would prove nothing"
    assert comparable(remote_store, name) == local_rows


# -- the plain PROV-O path gives the same answers -------------------------------------------
PLAIN_FILES = sorted(
    (
        path
        for path in resources.files("provml.queries").joinpath("plain").iterdir()
        if path.name.endswith(".rq")
    ),
    key=lambda path: path.name,
)
# More parameters for the plain comparison than the remote case: a run still going.
PLAIN_CASES = {
    "models_from_domain_file": [
        {"file": iri("entity/f3-south")},
        {"file": iri("entity/f3-north-clean")},
        {"file": iri("entity/train-a")},
    ],
    "phase_times": [{"run": iri("run/seis-b")}, {"run": iri("run/seis-c")}],
    "task_times": [{"run": iri("run/seis-c")}],
    "models_covering_geographic_box": [
        {
            "west": double(4.9),
            "south": double(54.0),
            "east": double(-170.0),
            "north": double(56.0),
            "metric": Literal("iou"),
            "min_value": double(0.0),
        }
    ],
}


def numeric(value: Any) -> Any:
    """A float for any non-integer number (durations come back as decimal or double)."""
    return float(value) if isinstance(value, float) else value


def same_rows(plain_rows: list[tuple[Any, ...]], rows: list[tuple[Any, ...]]) -> bool:
    """Whether two row lists agree value by value, floats within 1e-6."""
    if len(plain_rows) != len(rows):
        return False
    for plain_row, row in zip(plain_rows, rows, strict=True):
        if len(plain_row) != len(row):
            return False
        for a, b in zip(plain_row, row, strict=True):
            if isinstance(a, float) and isinstance(b, float):
                if abs(a - b) > 1e-6:
                    return False
            elif a != b:
                return False
    return True


def rows_of(store: Any, text: str, params: dict[str, Any], name: str) -> list[tuple[Any, ...]]:
    """A query's typed rows without volatile columns, in a canonical order (floats rounded for
    sorting only)."""
    result = store.query(text, params)
    keep = [v for v in result.variables if v not in VOLATILE.get(name, set())]
    rows = [tuple(numeric(plain(row[v])) for v in keep) for row in result]

    def key(row: tuple[Any, ...]) -> list[tuple[bool, str]]:
        return [
            (value is None, f"{value:.6f}" if isinstance(value, float) else str(value))
            for value in row
        ]

    return sorted(rows, key=key)


def test_every_plain_query_has_an_accelerated_twin_with_the_same_header():
    assert PLAIN_FILES, "no plain queries found"
    names = {path.name for path in QUERY_FILES}
    for path in PLAIN_FILES:
        assert path.name in names, f"plain/{path.name} answers no canned query"
        plain_header = parse_header(path.read_text())
        header = parse_header(query_text(path.name.removesuffix(".rq")))
        for key in ("summary", "taxonomy", "params", "returns", "limit"):
            assert plain_header.get(key) == header.get(key), (path.name, key)


@pytest.mark.parametrize("path", PLAIN_FILES, ids=lambda path: path.name)
def test_the_plain_path_gives_the_same_rows(path, lifecycle):
    store, _, _ = lifecycle
    name = path.name.removesuffix(".rq")
    for params in [CASES[name], *PLAIN_CASES.get(name, [])]:
        rows = rows_of(store, query_text(name), params, name)
        assert rows, f"{name} returns no rows for {params}: the comparison would prove nothing"
        plain_rows = rows_of(store, path.read_text(), params, name)
        assert same_rows(plain_rows, rows), (params, plain_rows, rows)


@pytest.mark.parametrize("path", PLAIN_FILES, ids=lambda path: path.name)
def test_the_plain_path_gives_the_same_rows_on_virtuoso(path, lifecycle, remote_store):
    store, _, _ = lifecycle
    name = path.name.removesuffix(".rq")
    for params in [CASES[name], *PLAIN_CASES.get(name, [])]:
        rows = rows_of(store, path.read_text(), params, name)
        assert same_rows(rows_of(remote_store, path.read_text(), params, name), rows), params


def test_run_query_runs_a_plain_version_from_its_directory(lifecycle):
    store, _, _ = lifecycle
    directory = Path(str(resources.files("provml.queries").joinpath("plain")))
    run = f"{ID}run/seis-b"
    assert get_query("phase_times", [directory]).source != get_query("phase_times").source
    plain_rows = run_query(store, "phase_times", directories=[directory], run=run)
    assert plain_rows.rows == run_query(store, "phase_times", run=run).rows
    assert {row["phase"] for row in plain_rows} == {"curation", "preparation", "learning"}


def test_remote_query_form_is_read_past_header_comments():
    header = "#+ summary: Time per task\n#+ description: each task\n#+   and its loaded data\n"
    assert query_form(header + "SELECT ?x WHERE { ?x ?p ?o }") == "SELECT"
    assert query_form("PREFIX ex: <http://example.org/ask#>\nSELECT * WHERE {}") == "SELECT"
    assert query_form("# a select\nASK { ?s ?p ?o }") == "ASK"
    assert query_form(header + "INSERT DATA { <a:b> <a:c> <a:d> }") == "INSERT"


def test_docs_list_every_query():
    docs = (Path(__file__).parent.parent / "docs" / "queries.md").read_text()
    for path in QUERY_FILES:
        assert f"| `{path.name.removesuffix('.rq')}` |" in docs, path.name


def test_the_cli_runs_the_plain_version_with_plain(lifecycle, tmp_path):
    """`provml query NAME --plain` reads queries/plain/NAME.rq and answers the same rows."""
    import json

    from typer.testing import CliRunner

    from provml.cli.app import app

    _, root, _ = lifecycle
    with open_store(tmp_path / "store") as store:  # the module's store stays open
        load_spools(store, data.spool_dirs(root), workers=1)
    run = f"{ID}run/seis-a"
    answers = []
    for extra in ([], ["--plain"]):
        arguments = ["query", "task_times", "--store", str(tmp_path / "store")]
        arguments += ["--param", f"run={run}", "--format", "json", *extra]
        result = CliRunner().invoke(app, arguments)
        assert result.exit_code == 0, result.output
        answers.append(json.loads(result.output))
    canned, plain = answers
    assert canned and len(canned) == len(plain)
    key = lambda row: (row["task"], row["started"])  # noqa: E731
    for mine, theirs in zip(sorted(canned, key=key), sorted(plain, key=key), strict=True):
        assert mine.keys() == theirs.keys() and mine["task"] == theirs["task"]
        if mine["duration"] is not None:
            assert float(mine["duration"]) == pytest.approx(float(theirs["duration"]), abs=1e-6)
