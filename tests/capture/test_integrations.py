"""Framework hooks on real frameworks (CPU, tiny models): each test trains and reads the spool."""

from __future__ import annotations

import os

import pytest

from provml import Workflow
from tests.helpers.capture import of_kind, read_valid_events

os.environ.setdefault("KERAS_BACKEND", "torch")  # before anything imports keras


def _starts(events):
    return {event["task"]: event for event in of_kind(events, "task_start")}


def test_plain_torch_loop_helper(tmp_path):
    torch = pytest.importorskip("torch")
    from provml.capture.integrations.torch import TorchLoop

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    x, y = torch.randn(64, 4), torch.randn(64, 1)
    with Workflow("torch", spool_dir=tmp_path) as wf:
        data = wf.dataset("toy", id="toy-data", type="training_set")
        with TorchLoop(wf, model, optimizer, used=(data,), log_every=2) as loop:
            for epoch in range(3):
                for batch in range(4):
                    optimizer.zero_grad()
                    loss = torch.nn.functional.mse_loss(model(x[batch::4]), y[batch::4])
                    loss.backward()
                    optimizer.step()
                    loop.step(loss=loss.detach())
                loop.epoch_end(epoch, loss=loss.item(), val_loss=loss.item() * 2)
            checkpoint = loop.checkpoint(tmp_path / "model.pt")
    assert (tmp_path / "model.pt").stat().st_size == checkpoint.size
    events = read_valid_events(tmp_path)
    (task,) = of_kind(events, "task_start")
    assert task["stage"] == "training"
    params = of_kind(events, "params")[0]["values"]
    assert params["optimizer"] == "SGD" and params["lr"] == 0.05 and params["parameters"] == 49
    metrics = of_kind(events, "metrics")
    steps = [m["step"] for m in metrics if m["epoch"] is None]
    assert steps == list(range(2, 13, 2))
    assert [m["split"] for m in metrics if m["epoch"] == 2] == ["training", "validation"]
    generated = [e["entity"] for e in of_kind(events, "generated")]
    assert generated == [checkpoint.id, loop.model_entity.id]
    assert of_kind(events, "used")[0]["entity"] == "toy-data"


def test_sklearn_helper_records_fit_partial_fit_predict_and_score(tmp_path):
    pytest.importorskip("sklearn")
    from sklearn.datasets import make_classification
    from sklearn.linear_model import SGDClassifier

    from provml.capture.integrations.sklearn import track_estimator

    X, y = make_classification(n_samples=120, n_features=5, random_state=0)
    with Workflow("sklearn", spool_dir=tmp_path) as wf:
        clf = track_estimator(wf, SGDClassifier(alpha=0.001, random_state=0), training_data="xy")
        clf.fit(X[:80], y[:80])
        fitted = clf.model
        for _ in range(5):
            clf.partial_fit(X[:80], y[:80], classes=[0, 1])
        predictions = clf.predict(X[80:])
        score = clf.score(X[80:], y[80:])
    assert len(predictions) == 40 and clf.coef_.shape == (1, 5)
    events = read_valid_events(tmp_path)
    starts = list(_starts(events).values())
    assert [(s["name"], s["phase"], s["stage"]) for s in starts] == [
        ("fit SGDClassifier", "learning", "training"),
        ("partial_fit SGDClassifier", "learning", "training"),
        ("predict SGDClassifier", "inference", None),
        ("score SGDClassifier", "learning", "evaluation"),
    ]
    params = of_kind(events, "params")
    assert params[0]["values"]["alpha"] == 0.001 and params[0]["task"] == starts[0]["task"]
    metrics = {
        (m["task"], k): (v, m["split"])
        for m in of_kind(events, "metrics")
        for k, v in m["values"].items()
    }
    assert metrics[(starts[1]["task"], "partial_fit_calls")] == (5, "training")
    assert metrics[(starts[3]["task"], "score")] == (score, "test")
    assert fitted is not None and fitted.id != clf.model.id
    used = {(e["task"], e["entity"]) for e in of_kind(events, "used")}
    assert (starts[2]["task"], clf.model.id) in used and (starts[0]["task"], "xy") in used
    (prediction_entity,) = [e for e in of_kind(events, "entity") if e["type"] == "predictions"]
    assert prediction_entity["attributes"] == {"rows": 40}


@pytest.mark.filterwarnings("ignore:.*does not have many workers:UserWarning")
@pytest.mark.filterwarnings("ignore:.*(GPU|TPU|HPU) available:UserWarning")
# Lightning 2.6 on torch 2.13 uses a pytree API torch deprecated.
@pytest.mark.filterwarnings(
    "ignore:`isinstance\\(treespec, LeafSpec\\)` is deprecated:FutureWarning"
)
def test_lightning_callback(tmp_path):
    torch = pytest.importorskip("torch")
    lightning = pytest.importorskip("lightning")
    from lightning.pytorch.callbacks import ModelCheckpoint

    from provml.capture.integrations.lightning import ProvmlCallback

    class Regressor(lightning.LightningModule):
        def __init__(self, lr: float = 0.05, hidden: int = 8):
            super().__init__()
            self.save_hyperparameters()
            self.net = torch.nn.Sequential(torch.nn.Linear(4, hidden), torch.nn.Linear(hidden, 1))

        def _loss(self, batch):
            x, y = batch
            return torch.nn.functional.mse_loss(self.net(x), y)

        def training_step(self, batch, _):
            loss = self._loss(batch)
            self.log("train_loss", loss, on_epoch=True, on_step=False)
            return loss

        def validation_step(self, batch, _):
            self.log("val_loss", self._loss(batch))

        def test_step(self, batch, _):
            self.log("test_loss", self._loss(batch))

        def predict_step(self, batch, _):
            return self.net(batch[0])

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=self.hparams.lr)

    torch.manual_seed(0)
    data = torch.utils.data.TensorDataset(torch.randn(32, 4), torch.randn(32, 1))
    loader = torch.utils.data.DataLoader(data, batch_size=8)
    with Workflow("lightning", spool_dir=tmp_path / "spool") as wf:
        callback = ProvmlCallback(wf)
        trainer = lightning.Trainer(
            max_epochs=3,
            accelerator="cpu",
            logger=False,
            enable_progress_bar=False,
            enable_model_summary=False,
            callbacks=[callback, ModelCheckpoint(dirpath=tmp_path / "ckpt", save_last=True)],
        )
        module = Regressor()
        trainer.fit(module, loader, loader)
        trainer.test(module, loader, verbose=False)
        trainer.predict(module, loader)
    events = read_valid_events(tmp_path / "spool")
    starts = list(_starts(events).values())
    assert [(s["phase"], s["stage"]) for s in starts] == [
        ("learning", "training"),
        ("learning", "evaluation"),
        ("inference", None),
    ]
    params = of_kind(events, "params")[0]["values"]
    assert params["lr"] == 0.05 and params["hidden"] == 8 and params["max_epochs"] == 3
    metrics = of_kind(events, "metrics")
    per_epoch = [
        (m["epoch"], m["split"], sorted(m["values"])) for m in metrics if m["epoch"] is not None
    ]
    assert per_epoch == [
        (epoch, split, [key])
        for epoch in range(3)
        for split, key in (("validation", "val_loss"), ("training", "train_loss"))
    ]
    # Test and predict use the model and the data they read (32 rows each time).
    data = {e["entity"]: e for e in of_kind(events, "entity") if e["type"] == "learning_data"}
    for start in starts[1:]:
        used = [e["entity"] for e in of_kind(events, "used") if e["task"] == start["task"]]
        assert used[0] == callback.model.id and data[used[1]]["attributes"]["rows"] == 32
    (test_metrics,) = [m for m in metrics if m["split"] == "test"]
    assert test_metrics["model"] == callback.model.id and "test_loss" in test_metrics["values"]
    checkpoints = [e for e in of_kind(events, "entity") if e["type"] == "checkpoint"]
    # Each was recorded while its file existed (ModelCheckpoint later deletes superseded ones).
    assert checkpoints and all(e["size"] for e in checkpoints)
    assert {e["path"] for e in checkpoints} >= {str(tmp_path / "ckpt" / "last.ckpt")}
    generated = [e["entity"] for e in of_kind(events, "generated")]
    assert callback.model.id in generated
    assert any(e["type"] == "predictions" for e in of_kind(events, "entity"))


def test_keras_callback_with_the_torch_backend(tmp_path):
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "torch":
        pytest.skip(f"keras was imported with the {keras.backend.backend()} backend, not torch")
    numpy = pytest.importorskip("numpy")
    from provml.capture.integrations.keras import ProvmlKerasCallback

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05), loss="mse", metrics=["mae"])
    x, y = numpy.random.rand(32, 4), numpy.random.rand(32, 1)
    with Workflow("keras", spool_dir=tmp_path) as wf:
        callback = ProvmlKerasCallback(wf)
        model.fit(
            x, y, epochs=3, batch_size=8, validation_split=0.25, verbose=0, callbacks=[callback]
        )
    events = read_valid_events(tmp_path)
    (start,) = of_kind(events, "task_start")
    assert start["stage"] == "training"
    params = of_kind(events, "params")[0]["values"]
    assert params["epochs"] == 3 and params["optimizer"] == "SGD"
    assert params["optimizer.learning_rate"] == pytest.approx(0.05)
    metrics = of_kind(events, "metrics")
    assert [(m["epoch"], m["split"], sorted(m["values"])) for m in metrics] == [
        (epoch, split, keys)
        for epoch in range(3)
        for split, keys in (("training", ["loss", "mae"]), ("validation", ["val_loss", "val_mae"]))
    ]
    (model_entity,) = [e for e in of_kind(events, "entity") if e["type"] == "model"]
    assert model_entity["framework"].endswith("(torch)") and "Dense" in model_entity["architecture"]
    assert of_kind(events, "generated")[0]["entity"] == callback.trained_model.id
