"""The Keras 3 callback on real Keras (torch backend, CPU, a tiny model): fit settings, metrics,
checkpoint and saved files, predict inputs, and failed fits, through capture -> spool -> an
on-disk Oxigraph store -> queries."""

from __future__ import annotations

import os

import pytest

from provml import Workflow
from tests.capture.integrations.loaded import (
    entity_iri,
    loaded,
    rows,
    run_iri,
    task_iri,
    workflow_iri,
)
from tests.helpers.capture import of_kind, read_valid_events

os.environ.setdefault("KERAS_BACKEND", "torch")  # before anything imports keras
keras = pytest.importorskip("keras")
numpy = pytest.importorskip("numpy")
if keras.backend.backend() != "torch":  # pragma: no cover - depends on import order
    pytest.skip("keras was imported with another backend", allow_module_level=True)

from provml.capture.integrations.keras import ProvmlKerasCallback  # noqa: E402

# Keras' own saving passes copy= to its variables' __array__, which predates numpy 2's keyword.
pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"
)


def _model():
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(4), keras.layers.Dense(1)], name="tiny"
    )
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05), loss="mse", metrics=["mae"])
    return model


class Boom(keras.callbacks.Callback):
    """A user callback that raises at the end of the second epoch."""

    def on_epoch_end(self, epoch, logs=None):
        if epoch == 1:
            raise RuntimeError("boom at epoch 1")


def test_fit_settings_metrics_checkpoints_saved_file_and_predict_inputs(tmp_path):
    x, y = numpy.random.default_rng(0).random((32, 4)), numpy.random.default_rng(1).random((32, 1))
    model = _model()
    with Workflow("keras hooks", spool_dir=tmp_path / "spool") as wf:
        callback = ProvmlKerasCallback(wf)
        history = model.fit(
            x,
            y,
            epochs=2,
            batch_size=8,
            validation_split=0.25,
            verbose=0,
            callbacks=[
                callback,
                keras.callbacks.ModelCheckpoint(str(tmp_path / "ckpt" / "tiny-{epoch}.keras")),
            ],
        )
        predictions = model.predict(x[:5], verbose=0, callbacks=[callback])
        saved = callback.save(tmp_path / "tiny.keras")
    run = wf.run_id
    events = read_valid_events(tmp_path / "spool")
    fit = next(e for e in of_kind(events, "task_start") if e["name"] == "fit tiny")
    (array,) = [e for e in of_kind(events, "entity") if e["type"] == "learning_data"]
    assert array["attributes"]["rows"] == 5 and array["attributes"]["shape"] == "5x4"
    assert predictions.shape == (5, 1)

    with loaded(tmp_path / "spool", tmp_path) as store:
        settings = {
            row["parameter"]: row["value"]
            for row in rows(store, "run_hyperparameters", workflow=workflow_iri("keras hooks"))
            if row["task"] == task_iri(run, fit["task"])
        }
        losses = rows(store, "metric_trajectory", run=run_iri(run), metric="loss")
        val_losses = rows(store, "metric_trajectory", run=run_iri(run), metric="val_loss")
        models = rows(store, "models")
        predicted = rows(store, "model_predictions", model=entity_iri(callback.trained_model.id))
    assert {key: settings[key] for key in ("batch_size", "loss", "metrics")} == {
        "batch_size": "8",
        "loss": "mse",
        "metrics": "mae",
    }
    assert float(settings["validation_split"]) == 0.25
    assert (settings["training_rows"], settings["validation_rows"]) == ("24", "8")
    assert [row["value"] for row in losses] == pytest.approx(history.history["loss"])
    assert [row["split"] for row in val_losses] == ["validation", "validation"]
    assert [row["value"] for row in val_losses] == pytest.approx(history.history["val_loss"])
    files = {
        str(row["model"]): row["task"]
        for row in models
        if str(row["model_class"]).endswith("#Checkpoint")
    }
    assert files == {
        entity_iri(checkpoint.id): task_iri(run, fit["task"]) for checkpoint in callback.checkpoints
    }
    assert sorted(os.path.basename(c.path) for c in callback.checkpoints) == [
        "tiny-1.keras",
        "tiny-2.keras",
    ]
    assert entity_iri(saved.id) in {str(row["model"]) for row in models}
    assert saved.sha256 and saved.size == (tmp_path / "tiny.keras").stat().st_size
    (row,) = predicted
    assert row["input"] == entity_iri(array["entity"]) and row["status"] == "completed"


def test_a_fit_whose_callback_raised_ends_failed_and_the_run_goes_on(tmp_path):
    x, y = numpy.zeros((16, 4)), numpy.zeros((16, 1))
    model = _model()
    with Workflow("keras failed fit", spool_dir=tmp_path / "spool") as wf:
        callback = ProvmlKerasCallback(wf)
        with pytest.raises(RuntimeError, match="boom"):
            model.fit(x, y, epochs=3, verbose=0, callbacks=[callback, Boom()])
        # The next fit works and is recorded on its own.
        model.fit(x, y, epochs=1, verbose=0, callbacks=[callback])
    run = wf.run_id
    with loaded(tmp_path / "spool", tmp_path) as store:
        failed = rows(store, "failed_tasks", workflow=workflow_iri("keras failed fit"))
        runs = rows(store, "runs")
    assert [(row["run"], row["task"], row["error"]) for row in failed] == [
        (run_iri(run), "fit tiny", "RuntimeError: boom at epoch 1")
    ]
    assert [row.get("status") for row in runs if row["run"] == run_iri(run)] == ["completed"]


def test_a_fit_that_raised_out_of_the_run_fails_with_it(tmp_path):
    x, y = numpy.zeros((16, 4)), numpy.zeros((16, 1))
    model = _model()
    with (
        pytest.raises(RuntimeError, match="boom"),
        Workflow("keras failed run", spool_dir=tmp_path / "spool") as wf,
    ):
        model.fit(x, y, epochs=3, verbose=0, callbacks=[ProvmlKerasCallback(wf), Boom()])
    with loaded(tmp_path / "spool", tmp_path) as store:
        failed = rows(store, "failed_tasks", workflow=workflow_iri("keras failed run"))
    assert [(row["task"], row["error"]) for row in failed] == [
        ("fit tiny", "RuntimeError: boom at epoch 1")
    ]
