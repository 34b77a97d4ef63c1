"""MLflow import: real runs written by MLflow, read back with MLflow's client as capture events."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from provml.cli.app import app
from provml.errors import LoadError
from provml.kg import open_store
from provml.loaders.mlflow_import import (
    import_mlflow,
    mlflow_events,
    run_id_for,
    split_of,
    tracking_uri_for,
)
from provml.loaders.readback import store_graph
from provml.ontology.shacl import validate
from tests.helpers.capture import assert_valid
from tests.helpers.mlflow_runs import PARAMS, TRAIN_LOSS, VAL_ACC, tracking, write_runs


@pytest.fixture(scope="module")
def file_runs(tmp_path_factory):
    """Runs in a local `mlruns` directory (MLflow's file store)."""
    root = tmp_path_factory.mktemp("file-store")
    location = root / "mlruns"
    return write_runs(location, location.as_uri(), root / "work")


@pytest.fixture(scope="module")
def sqlite_runs(tmp_path_factory):
    """Runs in an `mlflow.db` file (MLflow 3's default SQLite store)."""
    root = tmp_path_factory.mktemp("sqlite-store")
    location = root / "mlflow.db"
    return write_runs(location, f"sqlite:///{location}", root / "work")


def events_of(events, run_id, kind=None):
    run = run_id_for(run_id)
    return [e for e in events if e["run"] == run and (kind is None or e["kind"] == kind)]


@pytest.mark.parametrize("store", ["file_runs", "sqlite_runs"])
def test_every_run_becomes_schema_valid_events_with_unique_ids(store, request):
    written = request.getfixturevalue(store)
    events = list(mlflow_events(written.location))
    assert_valid(events)
    ids = [event["id"] for event in events]
    assert len(ids) == len(set(ids))
    assert {event["run"] for event in events} == {run_id_for(run) for run in written.runs}


def test_reading_twice_gives_identical_events(file_runs):
    assert list(mlflow_events(file_runs.location)) == list(mlflow_events(file_runs.uri))


def test_finished_run_maps_run_task_params_and_status(file_runs):
    events = events_of(list(mlflow_events(file_runs.location)), file_runs.finished)
    kinds = Counter(event["kind"] for event in events)
    assert kinds["run_start"] == kinds["run_end"] == kinds["task_start"] == kinds["task_end"] == 1
    start = events[0]
    assert start["kind"] == "run_start"
    assert start["name"] == start["experiment"] == "seismic-unet"
    assert start["git"]["commit"] == "a1b2c3d"
    assert start["attributes"]["team"] == "geophysics"
    assert start["attributes"]["mlflow.runName"] == "unet-f3"
    (task,) = (event for event in events if event["kind"] == "task_start")
    assert (task["task"], task["phase"], task["stage"]) == ("training", "learning", "training")
    (params,) = (event for event in events if event["kind"] == "params")
    assert params["task"] == "training"
    assert params["values"] == {key: str(value) for key, value in PARAMS.items()}
    (end,) = (event for event in events if event["kind"] == "run_end")
    assert end["status"] == "completed"
    assert end["t"] >= start["t"]


def test_every_logged_metric_value_is_an_event_with_step_and_split(file_runs):
    metrics = events_of(list(mlflow_events(file_runs.location)), file_runs.finished, "metrics")
    logged = {(e["step"], *next(iter(e["values"].items())), e["split"]) for e in metrics}
    expected = {(step, "train_loss", loss, "training") for step, loss in enumerate(TRAIN_LOSS)}
    expected |= {(step, "val_acc", acc, "validation") for step, acc in enumerate(VAL_ACC)}
    expected |= {(0, "test_f1", 0.81, "test")}
    assert logged == expected
    assert len(metrics) == len(expected)
    assert all(event["task"] == "training" for event in metrics)


def test_artifacts_model_directory_and_logged_model_are_generated_entities(file_runs):
    events = events_of(list(mlflow_events(file_runs.location)), file_runs.finished)
    entities = {e["name"]: e for e in events if e["kind"] == "entity"}
    generated = {e["entity"] for e in events if e["kind"] == "generated"}
    assert entities["config.yaml"]["type"] == "artifact"
    assert entities["config.yaml"]["path"] == f"{file_runs.artifact_uri}/config.yaml"
    assert entities["config.yaml"]["size"] == len("epochs: 5\n")
    assert entities["plots/loss.csv"]["format"] == "text/csv"
    # the directory holding MLmodel is one model; its files are not separate entities
    assert entities["model"]["type"] == "model"
    assert entities["model"]["size"] == len("artifact_path: model\nflavors: {}\n") + 64
    assert "model/model.bin" not in entities
    assert entities["unet"]["type"] == "model"
    assert entities["unet"]["entity"] == f"mlflow-{file_runs.logged_model}"
    outputs = {entities[name]["entity"] for name in ("config.yaml", "plots/loss.csv", "model")}
    assert outputs | {entities["unet"]["entity"]} <= generated


def test_dataset_input_is_a_training_set_used_by_the_training_task(file_runs):
    events = events_of(list(mlflow_events(file_runs.location)), file_runs.finished)
    (dataset,) = (e for e in events if e["kind"] == "entity" and e["name"] == "f3-train")
    assert dataset["type"] == "training_set"
    assert dataset["path"] == "/data/f3/train.npy"
    (used,) = (e for e in events if e["kind"] == "used")
    assert (used["entity"], used["task"]) == (dataset["entity"], "training")
    assert used["role"] == "training"


def test_failed_run_ends_failed(file_runs):
    events = events_of(list(mlflow_events(file_runs.location)), file_runs.failed)
    (end,) = (event for event in events if event["kind"] == "run_end")
    (task_end,) = (event for event in events if event["kind"] == "task_end")
    assert (end["status"], task_end["status"]) == ("failed", "failed")


def test_running_run_has_no_end(tmp_path):
    location = tmp_path / "mlruns"
    with tracking(location.as_uri()):
        import mlflow

        run = mlflow.start_run()
        mlflow.log_metric("loss", 1.0, step=0)
        events = list(mlflow_events(location))
        mlflow.end_run()
    kinds = {event["kind"] for event in events if event["run"] == run_id_for(run.info.run_id)}
    assert "run_start" in kinds and "metrics" in kinds
    assert not kinds & {"run_end", "task_end"}


def test_experiment_and_run_filters(file_runs):
    by_name = {e["run"] for e in mlflow_events(file_runs.location, experiments=["other"])}
    assert by_name == {run_id_for(file_runs.other)}
    (start,) = (
        e
        for e in mlflow_events(file_runs.location, runs=[file_runs.other])
        if e["kind"] == "run_start"
    )
    by_id = {
        e["run"]
        for e in mlflow_events(
            file_runs.location, experiments=[start["attributes"]["mlflow.experiment_id"]]
        )
    }
    assert by_id == by_name
    by_run = {e["run"] for e in mlflow_events(file_runs.location, runs=[file_runs.failed])}
    assert by_run == {run_id_for(file_runs.failed)}
    with pytest.raises(LoadError, match="not in the experiments selected"):
        list(mlflow_events(file_runs.location, experiments=["other"], runs=[file_runs.failed]))


def test_unknown_experiment_or_run_is_named(file_runs):
    with pytest.raises(LoadError, match=r"no MLflow experiment named .*'nope'"):
        list(mlflow_events(file_runs.location, experiments=["nope"]))
    with pytest.raises(LoadError, match="no MLflow run with id 'f00'"):
        list(mlflow_events(file_runs.location, runs=["f00"]))


def test_missing_or_foreign_locations_are_refused_without_creating_anything(tmp_path):
    missing = tmp_path / "nothing"
    with pytest.raises(LoadError, match=f"no MLflow data at {missing}: no such file or directory"):
        list(mlflow_events(missing))
    with pytest.raises(LoadError, match="no such directory"):
        list(mlflow_events(missing.as_uri()))
    assert not missing.exists()
    with pytest.raises(LoadError, match="no experiment"):
        list(mlflow_events(tmp_path))
    assert list(tmp_path.iterdir()) == []
    text = tmp_path / "notes.txt"
    text.write_text("not a database")
    with pytest.raises(LoadError, match="not a SQLite database"):
        list(mlflow_events(text))
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    with pytest.raises(LoadError, match="no MLflow tables"):
        list(mlflow_events(f"sqlite:///{empty}"))


def test_unreachable_tracking_server_is_a_load_error(monkeypatch):
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "5")
    with pytest.raises(
        LoadError, match=r"cannot read MLflow tracking data at http://127\.0\.0\.1:9"
    ):
        list(mlflow_events("http://127.0.0.1:9"))


def test_tracking_uri_for_paths_and_uris(file_runs, sqlite_runs):
    assert tracking_uri_for(file_runs.location) == file_runs.location.as_uri()
    assert tracking_uri_for(sqlite_runs.location) == sqlite_runs.uri
    assert tracking_uri_for("http://tracking.example:5000") == "http://tracking.example:5000"


@pytest.mark.parametrize(
    ("key", "split"),
    [
        ("train_loss", "training"),
        ("training-accuracy", "training"),
        ("train/loss", "training"),
        ("val_loss", "validation"),
        ("loss_val", "validation"),
        ("valid.acc", "validation"),
        ("validation_f1", "validation"),
        ("test_acc", "test"),
        ("mae_test", "test"),
        ("loss", None),
        ("value_loss", None),
        ("eval_loss", "validation"),
    ],
)
def test_split_is_inferred_from_the_first_or_last_word(key, split):
    assert split_of(key) == split


def test_long_or_odd_metric_keys_still_give_valid_ids(tmp_path):
    location = tmp_path / "mlruns"
    key = "encoder/" + "layer" * 40 + " grad norm: max"
    with tracking(location.as_uri()):
        import mlflow

        with mlflow.start_run():
            mlflow.log_metric(key, 1.5, step=2**40)
            mlflow.log_param("p" * 200, "x")
    events = list(mlflow_events(location))
    assert_valid(events)
    (metric,) = (event for event in events if event["kind"] == "metrics")
    assert metric["values"] == {key: 1.5} and metric["step"] == 2**40


# --- into a real Oxigraph store -------------------------------------------------------------

PREFIXES = """
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX provml: <https://w3id.org/provml/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
"""
ID = "https://w3id.org/provml/id/"


def select(store, query):
    return [
        {name: (term.value if term is not None else None) for name, term in row.items()}
        for row in store.query(PREFIXES + query)
    ]


@pytest.fixture(scope="module")
def imported(file_runs, tmp_path_factory):
    """The file-store runs imported once into an on-disk Oxigraph store (kept open)."""
    with open_store(tmp_path_factory.mktemp("kg") / "store") as store:
        report = import_mlflow(store, file_runs.location)
        yield store, report


def test_import_reports_every_run_and_no_bad_event(file_runs, imported):
    store, report = imported
    assert report.bad == []
    assert report.runs == {run_id_for(run) for run in file_runs.runs}
    assert report.events == len(list(mlflow_events(file_runs.location)))
    assert {f"{ID}run/{run_id_for(run)}" for run in file_runs.runs} <= set(store.graphs())


def test_run_is_a_workflow_execution_with_a_training_task_and_status(file_runs, imported):
    store, _ = imported
    rows = select(
        store,
        """SELECT ?run ?status ?task ?experiment WHERE {
             ?run a provml:WorkflowExecution ; provml:status ?status ;
                  prov:wasInfluencedBy ?exp .
             ?exp a provml:LearningExperiment ; rdfs:label ?experiment .
             ?task a provml:Training ; provml:partOfExecution ?run ; provml:status ?ts .
           }""",
    )
    by_run = {row["run"]: row for row in rows}
    finished = by_run[f"{ID}run/{run_id_for(file_runs.finished)}"]
    assert finished["status"] == "completed"
    assert finished["experiment"] == "seismic-unet"
    assert finished["task"] == f"{ID}run/{run_id_for(file_runs.finished)}/task/training"
    assert by_run[f"{ID}run/{run_id_for(file_runs.failed)}"]["status"] == "failed"
    assert by_run[f"{ID}run/{run_id_for(file_runs.other)}"]["experiment"] == "other"


def test_params_are_hyperparameter_settings_of_the_training_task(file_runs, imported):
    store, _ = imported
    task = f"{ID}run/{run_id_for(file_runs.finished)}/task/training"
    rows = select(
        store,
        f"""SELECT ?name ?value WHERE {{
              <{task}> prov:used ?setting .
              ?setting a provml:HyperparameterSetting ; provml:parameterName ?name ;
                       prov:value ?value ; provml:specifiesHyperparameter ?h .
              ?h a provml:Hyperparameter .
            }}""",
    )
    assert {row["name"]: row["value"] for row in rows} == {k: str(v) for k, v in PARAMS.items()}


def test_every_metric_step_is_an_evaluation_measure(file_runs, imported):
    store, _ = imported
    task = f"{ID}run/{run_id_for(file_runs.finished)}/task/training"
    rows = select(
        store,
        f"""SELECT ?name ?step ?value ?split WHERE {{
              ?m a provml:EvaluationMeasure ; prov:wasGeneratedBy <{task}> ;
                 provml:measureName ?name ; provml:step ?step ; prov:value ?value .
              OPTIONAL {{ ?m provml:split ?split }}
            }}""",
    )
    measured = {(row["name"], int(row["step"]), float(row["value"]), row["split"]) for row in rows}
    expected = {("train_loss", s, v, "training") for s, v in enumerate(TRAIN_LOSS)}
    expected |= {("val_acc", s, v, "validation") for s, v in enumerate(VAL_ACC)}
    expected |= {("test_f1", 0, 0.81, "test")}
    assert measured == expected
    assert len(rows) == len(expected)


def test_artifacts_are_entities_generated_by_the_training(file_runs, imported):
    store, _ = imported
    task = f"{ID}run/{run_id_for(file_runs.finished)}/task/training"
    rows = select(
        store,
        f"""SELECT ?label ?type ?path ?size WHERE {{
              ?version prov:wasGeneratedBy <{task}> ; provml:versionOf ?e .
              ?e a ?type ; rdfs:label ?label ; provml:filePath ?path .
              OPTIONAL {{ ?e provml:sizeBytes ?size }}
            }}""",
    )
    types = {(row["label"], row["type"].rsplit("#", 1)[-1]) for row in rows}
    assert types == {
        ("config.yaml", "Artifact"),
        ("plots/loss.csv", "Artifact"),
        ("model", "TrainedModel"),
        ("unet", "TrainedModel"),
    }
    paths = {row["label"]: row["path"] for row in rows}
    assert paths["config.yaml"] == f"{file_runs.artifact_uri}/config.yaml"
    sizes = {row["label"]: row["size"] for row in rows}
    assert sizes["config.yaml"] == str(len("epochs: 5\n"))


def test_dataset_is_a_training_set_the_training_used(file_runs, imported):
    store, _ = imported
    task = f"{ID}run/{run_id_for(file_runs.finished)}/task/training"
    rows = select(
        store,
        f"""SELECT ?label ?path WHERE {{
              <{task}> prov:used ?d . ?d a provml:TrainingSet ; rdfs:label ?label ;
                 provml:filePath ?path .
            }}""",
    )
    assert rows == [{"label": "f3-train", "path": "/data/f3/train.npy"}]


def test_a_run_using_another_runs_logged_model_is_informed_by_it(file_runs, imported):
    store, _ = imported
    producer = f"{ID}run/{run_id_for(file_runs.finished)}/task/training"
    consumer = f"{ID}run/{run_id_for(file_runs.other)}/task/training"
    model = f"{ID}entity/mlflow-{file_runs.logged_model}"
    assert store.query(f"ASK {{ <{consumer}> <http://www.w3.org/ns/prov#used> <{model}> }}")
    informed = f"ASK {{ <{consumer}> <http://www.w3.org/ns/prov#wasInformedBy> <{producer}> }}"
    assert store.query(informed)


def test_reimport_adds_nothing(file_runs, tmp_path):
    with open_store(tmp_path / "store") as store:
        import_mlflow(store, file_runs.location)
        count = store.count()
        assert count > 0
        again = import_mlflow(store, file_runs.uri)
        assert again.events > 0
        assert store.count() == count


def test_sqlite_store_imports_the_same_shape(sqlite_runs, tmp_path):
    with open_store(tmp_path / "store") as store:
        report = import_mlflow(store, sqlite_runs.location)
        assert report.bad == [] and len(report.runs) == 3
        rows = select(
            store,
            "SELECT ?m WHERE { ?m a provml:EvaluationMeasure ; provml:measureName 'val_acc' }",
        )
        assert len(rows) == len(VAL_ACC)


def test_imported_graph_conforms_to_the_shapes(imported):
    store, _ = imported
    graph = store_graph(store)
    assert len(graph) > 100
    report = validate(graph)
    assert report.conforms, report.text


# --- the command line -----------------------------------------------------------------------


def test_cli_imports_and_a_second_import_adds_nothing(file_runs, tmp_path):
    store = tmp_path / "store"
    args = ["import-mlflow", str(file_runs.location), "--store", str(store)]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "3 MLflow runs" in first.output
    stats = CliRunner().invoke(app, ["stats", "--store", str(store), "--format", "json"])
    triples = json.loads(stats.output)["triples"]
    second = CliRunner().invoke(app, args)
    assert second.exit_code == 0, second.output
    stats = CliRunner().invoke(app, ["stats", "--store", str(store), "--format", "json"])
    assert json.loads(stats.output)["triples"] == triples
    assert json.loads(stats.output)["runs"] == 3


def test_cli_filters_by_experiment_and_run(file_runs, tmp_path):
    store = tmp_path / "store"
    by_experiment = CliRunner().invoke(
        app,
        ["import-mlflow", file_runs.uri, "--experiment", "other", "--store", str(store)],
    )
    assert by_experiment.exit_code == 0, by_experiment.output
    assert "1 MLflow runs" in by_experiment.output
    by_run = CliRunner().invoke(
        app,
        ["import-mlflow", file_runs.uri, "--run", file_runs.failed, "--store", str(store)],
    )
    assert by_run.exit_code == 0, by_run.output
    with open_store(store) as opened:
        runs = {g.rsplit("/", 1)[-1] for g in opened.graphs() if g.startswith(f"{ID}run/")}
    assert runs == {run_id_for(file_runs.other), run_id_for(file_runs.failed)}


def test_cli_missing_directory_is_an_error_and_creates_no_store(tmp_path):
    store = tmp_path / "store"
    missing = tmp_path / "mlruns"
    result = CliRunner().invoke(app, ["import-mlflow", str(missing), "--store", str(store)])
    assert result.exit_code == 1
    assert f"error: no MLflow data at {missing}: no such file or directory" in result.output
    assert not store.exists() and not missing.exists()


def test_cli_without_mlflow_names_the_extra(tmp_path):
    # A real interpreter in which `import mlflow` fails, as in an install without the extra.
    code = (
        "import sys; sys.modules['mlflow'] = None; from provml.cli.app import app; "
        f"app(['import-mlflow', {str(tmp_path)!r}, '--store', {str(tmp_path / 's')!r}])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 1
    assert "pip install 'provml[mlflow]'" in result.stderr


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("name: [unclosed\n  : : {{\n", ":2: not valid YAML: while parsing a flow sequence"),
        ("just some text\n", ": not an MLflow meta.yaml (a YAML mapping, not a str)"),
        ("- a\n- b\n", ": not an MLflow meta.yaml (a YAML mapping, not a list)"),
        ("name: x\n", ": not an MLflow experiment's meta.yaml (no experiment_id)"),
        ("", ": empty, not an MLflow meta.yaml"),
    ],
)
def test_cli_broken_meta_yaml_is_an_error_naming_the_file(tmp_path, content, message):
    # MLflow's own reader raised a bare YAML or Python error, printed as a traceback.
    meta = tmp_path / "mlruns" / "0" / "meta.yaml"
    meta.parent.mkdir(parents=True)
    meta.write_text(content)
    store = tmp_path / "store"
    result = CliRunner().invoke(
        app, ["import-mlflow", str(meta.parent.parent), "--store", str(store)]
    )
    assert result.exit_code == 1, result.output
    assert f"error: {meta}{message}" in result.output
    assert "Traceback" not in result.output
    with pytest.raises(LoadError, match=re.escape(f"{meta}{message}")):
        list(mlflow_events(meta.parent.parent))


def test_broken_run_meta_yaml_is_named_too(file_runs, tmp_path):
    copy = tmp_path / "mlruns"
    shutil.copytree(Path(file_runs.location), copy)
    (run_meta,) = list(copy.glob("*/*/meta.yaml"))[:1]
    run_meta.write_text("run_id: [\n")
    with pytest.raises(LoadError, match=re.escape(f"{run_meta}:2: not valid YAML")):
        list(mlflow_events(copy))
