"""Learning: a small hyperparameter search over scikit-learn MLP classifiers, one run per trial,
trained epoch by epoch with partial_fit, with per-epoch training and validation loss and accuracy,
checkpoints, the trial's best checkpoint kept as its model, and an evaluation on the test set."""

from __future__ import annotations

import pickle
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
from sklearn.metrics import accuracy_score, log_loss
from sklearn.neural_network import MLPClassifier

from provml import Entity, Workflow
from provml.demo.seismic import FACIES

EPOCHS = 30
BATCH_SIZE = 128
CHECKPOINT_EVERY = 5
# The search: hidden layers, initial learning rate, L2 penalty.
TRIALS = (
    {"hidden_layers": "32", "learning_rate_init": 0.001, "alpha": 0.0001},
    {"hidden_layers": "64", "learning_rate_init": 0.003, "alpha": 0.0001},
    {"hidden_layers": "64-32", "learning_rate_init": 0.001, "alpha": 0.001},
)


@dataclass(frozen=True)
class Trial:
    """One finished trial: its run, model entity and file, and its best validation accuracy."""

    run: str
    model: Entity
    model_file: Path
    best_accuracy: float
    params: dict[str, Any]


def features(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """A split's patch features (without the centre coordinates) and labels."""
    data = np.load(path)
    return data["patches"][:, 3:], data["labels"]


def _measure(model: MLPClassifier, x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """Cross-entropy loss and accuracy of `model` on (x, y)."""
    proba = model.predict_proba(x)
    return {
        "loss": float(log_loss(y, proba, labels=model.classes_)),
        "accuracy": float(accuracy_score(y, model.classes_[proba.argmax(axis=1)])),
    }


def train_trial(
    wf: Workflow,
    params: dict[str, Any],
    train: Entity,
    val: Entity,
    test: Entity,
    files: dict[str, Path],
    out: Path,
    seed: int,
) -> Trial:
    """Train one configuration for EPOCHS epochs; the best checkpoint becomes the model."""
    out.mkdir(parents=True, exist_ok=True)
    x_train, y_train = features(files["training"])
    x_val, y_val = features(files["validation"])
    hidden = tuple(int(size) for size in params["hidden_layers"].split("-"))
    model = MLPClassifier(
        hidden_layer_sizes=hidden,
        learning_rate_init=params["learning_rate_init"],
        alpha=params["alpha"],
        batch_size=BATCH_SIZE,
        random_state=seed,
    )
    classes = np.arange(len(FACIES))
    best: tuple[float, Entity | None, Path | None] = (-1.0, None, None)
    best_accuracy = 0.0
    with wf.task("train mlp", "learning", stage="training", used=[train, val]) as training:
        training.log_params({**params, "epochs": EPOCHS, "batch_size": BATCH_SIZE, "seed": seed})
        for epoch in range(EPOCHS):
            with wf.task(f"epoch {epoch}", "learning", stage="epoch") as section:
                # One pass over the shuffled training set in minibatches of BATCH_SIZE.
                model.partial_fit(x_train, y_train, classes=classes)
                for split, x, y in (("training", x_train, y_train), ("validation", x_val, y_val)):
                    measured = _measure(model, x, y)
                    wf.log_metrics(measured, step=epoch, epoch=epoch, split=split)
                best_accuracy = max(best_accuracy, measured["accuracy"])
                if (epoch + 1) % CHECKPOINT_EVERY == 0:
                    path = out / f"checkpoint_epoch{epoch:02d}.pkl"
                    path.write_bytes(pickle.dumps(model))
                    # Learned from the training set (the validation set only scores it).
                    checkpoint = wf.checkpoint(
                        f"checkpoint epoch {epoch}",
                        path,
                        attributes={"epoch": epoch},
                        derived_from=[train],
                    )
                    # Weights fitted on the training set only (a recorded derivation).
                    section.generated(checkpoint, derived_from=[train])
                    if measured["accuracy"] > best[0]:
                        best = (measured["accuracy"], checkpoint, path)
        _, best_checkpoint, checkpoint_file = best
        assert best_checkpoint is not None and checkpoint_file is not None
        model_file = out / "model.pkl"
        shutil.copyfile(checkpoint_file, model_file)
        trained = wf.model(
            f"facies mlp {params['hidden_layers']}",
            model_file,
            architecture=f"MLPClassifier(hidden_layer_sizes={hidden})",
            framework=f"scikit-learn {sklearn.__version__}",
            # The best checkpoint, chosen by its accuracy on the validation set.
            derived_from=[best_checkpoint, val],
        )
        training.generated(trained, role="trained model")
    with wf.task("evaluate on test set", "learning", stage="evaluation", used=[trained, test]):
        x_test, y_test = features(files["test"])
        chosen = pickle.loads(model_file.read_bytes())
        wf.log_metrics(_measure(chosen, x_test, y_test), split="test", model=trained)
    return Trial(wf.run_id, trained, model_file, best_accuracy, params)
