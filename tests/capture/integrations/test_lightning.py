"""The Lightning callback on real Lightning (CPU, a tiny module): fit settings, checkpoints that
ModelCheckpoint deletes (invalidated), predict inputs and failed fits, through capture -> spool ->
an on-disk Oxigraph store -> queries."""

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
    version_iri,
    workflow_iri,
)
from tests.helpers.capture import of_kind, read_valid_events

torch = pytest.importorskip("torch")
lightning = pytest.importorskip("lightning")

from lightning.pytorch.callbacks import Callback, ModelCheckpoint  # noqa: E402

from provml.capture.integrations.lightning import ProvmlCallback  # noqa: E402

pytestmark = [
    pytest.mark.filterwarnings("ignore:.*does not have many workers:UserWarning"),
    pytest.mark.filterwarnings("ignore:.*(GPU|TPU|HPU) available:UserWarning"),
    # Lightning 2.6 on torch 2.13 uses a pytree API torch deprecated.
    pytest.mark.filterwarnings(
        "ignore:`isinstance\\(treespec, LeafSpec\\)` is deprecated:FutureWarning"
    ),
]


class Regressor(lightning.LightningModule):
    """A tiny regressor whose validation loss falls every epoch (a new best each time)."""

    def __init__(self, lr: float = 0.05):
        super().__init__()
        self.save_hyperparameters()
        self.net = torch.nn.Linear(4, 1)

    def _loss(self, batch):
        x, y = batch
        return torch.nn.functional.mse_loss(self.net(x), y)

    def training_step(self, batch, _):
        loss = self._loss(batch)
        self.log("train_loss", loss, on_epoch=True, on_step=False)
        return loss

    def validation_step(self, batch, _):
        self.log("val_loss", self._loss(batch))

    def predict_step(self, batch, _):
        return self.net(batch[0])

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=self.hparams.lr)


class Boom(Callback):
    """A user callback that raises at the end of the second training epoch."""

    def on_train_epoch_end(self, trainer, pl_module):
        if trainer.current_epoch == 1:
            raise RuntimeError("boom at epoch 1")


def _trainer(root, callbacks, epochs=3):
    return lightning.Trainer(
        default_root_dir=root,
        max_epochs=epochs,
        accelerator="cpu",
        logger=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        callbacks=callbacks,
    )


def _data(rows_count, seed):
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(rows_count, 4, generator=generator)
    return torch.utils.data.TensorDataset(x, x.sum(dim=1, keepdim=True))


def test_settings_superseded_checkpoints_invalidated_and_predict_inputs(tmp_path):
    torch.manual_seed(0)
    train = torch.utils.data.DataLoader(_data(24, 0), batch_size=6)
    val = torch.utils.data.DataLoader(_data(8, 1), batch_size=4)
    best_only = ModelCheckpoint(dirpath=tmp_path / "ckpt", monitor="val_loss", save_top_k=1)
    with Workflow("lightning hooks", spool_dir=tmp_path / "spool") as wf:
        callback = ProvmlCallback(wf)
        module = Regressor()
        trainer = _trainer(tmp_path, [callback, best_only])
        trainer.fit(module, train, val)
        saved = callback.save(trainer, tmp_path / "final.ckpt")
        predict_data = _data(5, 2)
        _trainer(tmp_path, [callback]).predict(module, torch.utils.data.DataLoader(predict_data))
    run = wf.run_id
    events = read_valid_events(tmp_path / "spool")
    fit = next(e for e in of_kind(events, "task_start") if e["stage"] == "training")
    generated = {e["entity"]: e for e in of_kind(events, "generated") if e["type"] == "checkpoint"}
    invalidated = of_kind(events, "invalidated")
    # save_top_k=1 keeps one file: every earlier best was deleted, and is invalidated.
    assert len(generated) >= 2 and len(invalidated) == len(generated) - 1
    (kept,) = [c for c in callback.checkpoints.values()]
    assert kept.path == best_only.best_model_path
    (array,) = [e for e in of_kind(events, "entity") if e["type"] == "learning_data"]
    assert array["attributes"]["rows"] == 5

    with loaded(tmp_path / "spool", tmp_path) as store:
        settings = {
            row["parameter"]: row["value"]
            for row in rows(store, "run_hyperparameters", workflow=workflow_iri("lightning hooks"))
            if row["task"] == task_iri(run, fit["task"])
        }
        gone = rows(store, "invalidated_entities", run=run_iri(run))
        predicted = rows(store, "model_predictions", model=entity_iri(callback.model.id))
        models = {str(row["model"]) for row in rows(store, "models")}
    assert entity_iri(saved.id) in models and entity_iri(kept.id) in models
    assert saved.size == (tmp_path / "final.ckpt").stat().st_size
    assert (settings["batch_size"], settings["training_rows"], settings["validation_rows"]) == (
        "6",
        "24",
        "8",
    )
    assert float(settings["validation_split"]) == pytest.approx(8 / 32)
    assert float(settings["lr"]) == 0.05
    assert sorted(str(row["version"]) for row in gone) == sorted(
        version_iri(e["entity"], e["version"]) for e in invalidated
    )
    assert all(row["generator"] == row["invalidator"] == task_iri(run, fit["task"]) for row in gone)
    assert kept.path not in {row["path"] for row in gone}
    assert all(not os.path.exists(row["path"]) for row in gone)
    (row,) = predicted
    assert row["input"] == entity_iri(array["entity"]) and row["status"] == "completed"


def test_a_fit_whose_callback_raised_ends_failed(tmp_path):
    loader = torch.utils.data.DataLoader(_data(8, 0), batch_size=4)
    with (
        Workflow("lightning failed fit", spool_dir=tmp_path / "spool") as wf,
        pytest.raises(RuntimeError, match="boom"),
    ):
        _trainer(tmp_path, [ProvmlCallback(wf), Boom()]).fit(Regressor(), loader, loader)
    run = wf.run_id
    with loaded(tmp_path / "spool", tmp_path) as store:
        failed = rows(store, "failed_tasks", workflow=workflow_iri("lightning failed fit"))
    assert [(row["run"], row["task"], row["error"]) for row in failed] == [
        (run_iri(run), "fit Regressor", "RuntimeError: boom at epoch 1")
    ]
