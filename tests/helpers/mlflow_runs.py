"""Shared by the MLflow import tests: real MLflow runs written with MLflow's own API."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import mlflow
from mlflow.entities import (
    Dataset,
    DatasetInput,
    InputTag,
    LoggedModelInput,
    LoggedModelOutput,
)

TRAIN_LOSS = [1.0, 0.5, 0.25, 0.125, 0.0625]
VAL_ACC = [0.5, 0.6, 0.7, 0.8, 0.9]
PARAMS = {"learning_rate": 0.001, "batch_size": 16, "optimizer": "adam"}


@dataclass
class WrittenRuns:
    """What the writer logged, for the tests to compare against."""

    location: Path
    uri: str
    finished: str = ""
    failed: str = ""
    other: str = ""
    logged_model: str = ""
    artifact_uri: str = ""
    runs: list[str] = field(default_factory=list)


@contextlib.contextmanager
def tracking(uri: str) -> Iterator[mlflow.MlflowClient]:
    """Point MLflow's fluent API at ``uri`` (file stores allowed) and restore it afterwards."""
    before_env = os.environ.get("MLFLOW_ALLOW_FILE_STORE")
    before_uri = mlflow.get_tracking_uri() if mlflow.is_tracking_uri_set() else None
    os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"
    mlflow.set_tracking_uri(uri)
    try:
        yield mlflow.MlflowClient(uri)
    finally:
        while mlflow.active_run():
            mlflow.end_run()
        mlflow.set_tracking_uri(before_uri or "")
        if before_env is None:
            os.environ.pop("MLFLOW_ALLOW_FILE_STORE", None)
        else:
            os.environ["MLFLOW_ALLOW_FILE_STORE"] = before_env


def write_runs(location: Path, uri: str, workspace: Path) -> WrittenRuns:
    """Log a finished training run, a failed run and a run in a second experiment."""
    written = WrittenRuns(location=location, uri=uri)
    model_dir = workspace / "model"
    model_dir.mkdir(parents=True)
    (model_dir / "MLmodel").write_text("artifact_path: model\nflavors: {}\n")
    (model_dir / "model.bin").write_bytes(b"\x00" * 64)
    config = workspace / "config.yaml"
    config.write_text("epochs: 5\n")
    plot = workspace / "loss.csv"
    plot.write_text("step,loss\n0,1.0\n")
    artifacts = (location.parent / "artifacts").absolute().as_uri()
    with tracking(uri) as client:
        seismic = client.create_experiment("seismic-unet", artifact_location=f"{artifacts}/1")
        with mlflow.start_run(experiment_id=seismic, run_name="unet-f3") as run:
            mlflow.log_params(PARAMS)
            for step, (loss, acc) in enumerate(zip(TRAIN_LOSS, VAL_ACC, strict=True)):
                mlflow.log_metric("train_loss", loss, step=step)
                mlflow.log_metric("val_acc", acc, step=step)
            mlflow.log_metric("test_f1", 0.81)
            mlflow.log_artifact(str(config))
            mlflow.log_artifact(str(plot), artifact_path="plots")
            mlflow.log_artifacts(str(model_dir), artifact_path="model")
            mlflow.set_tags({"team": "geophysics", "mlflow.source.git.commit": "a1b2c3d"})
            dataset = Dataset(
                name="f3-train",
                digest="d41d8cd9",
                source_type="local",
                source='{"uri": "/data/f3/train.npy"}',
            )
            context = InputTag(key="mlflow.data.context", value="training")
            client.log_inputs(run.info.run_id, datasets=[DatasetInput(dataset, [context])])
            model = client.create_logged_model(
                experiment_id=seismic, name="unet", source_run_id=run.info.run_id
            )
            client.log_model_artifacts(model.model_id, str(model_dir))
            client.finalize_logged_model(model.model_id, "READY")
            client.log_outputs(run.info.run_id, [LoggedModelOutput(model.model_id, step=4)])
        written.finished = run.info.run_id
        written.artifact_uri = run.info.artifact_uri
        written.logged_model = model.model_id
        with mlflow.start_run(experiment_id=seismic, run_name="diverged") as run:
            mlflow.log_param("learning_rate", 10.0)
            mlflow.log_metric("train_loss", float("inf"), step=0)
            mlflow.end_run(status="FAILED")
        written.failed = run.info.run_id
        other = client.create_experiment("other", artifact_location=f"{artifacts}/2")
        with mlflow.start_run(experiment_id=other, run_name="baseline") as run:
            mlflow.log_metric("loss", 0.3, step=1)
            # fine-tunes the model the first run produced
            client.log_inputs(run.info.run_id, models=[LoggedModelInput(model.model_id)])
        written.other = run.info.run_id
    written.runs = [written.finished, written.failed, written.other]
    return written
