"""A Keras 3 callback: ``model.fit(..., callbacks=[ProvmlKerasCallback(wf)])``.

Records fit as a learning/training task (the fit settings and the optimizer's configuration as
hyperparameters), every epoch's metrics (each under the split its name implies: ``val_`` ones
under validation), and the trained model. Works with any Keras 3 backend (the tests use
``KERAS_BACKEND=torch``).
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

from provml.capture.integrations._common import (
    framework_version,
    numeric_metrics,
    split_of,
)

try:  # Keras calls hooks on its own Callback base class
    import keras
except ImportError as error:  # pragma: no cover - depends on the optional extra
    raise ImportError(
        "provml.capture.integrations.keras needs Keras 3: pip install 'provml[keras]'"
    ) from error

if TYPE_CHECKING:
    from provml.capture.entities import Entity
    from provml.capture.task import Task
    from provml.capture.workflow import Workflow


class ProvmlKerasCallback(keras.callbacks.Callback):  # type: ignore[misc]  # keras: untyped
    """Records a Keras ``fit`` in ``workflow``."""

    def __init__(self, workflow: Workflow, *, used: tuple[Entity | str, ...] = ()) -> None:
        super().__init__()
        self.workflow = workflow
        self.used = used
        self.trained_model: Entity | None = None
        self._task: Task | None = None

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        """Start the training task and record the fit settings and optimizer configuration."""
        name = self.model.name if self.model is not None else "model"
        self._task = self.workflow.task(
            f"fit {name}", "learning", stage="training", used=self.used
        ).start()
        params: dict[str, Any] = {
            key: value for key, value in (self.params or {}).items() if value is not None
        }
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None:
            params["optimizer"] = type(optimizer).__name__
            with warnings.catch_warnings():
                # Keras variables' __array__ predates numpy 2's copy keyword (Keras' own warning).
                warnings.simplefilter("ignore", DeprecationWarning)
                config = optimizer.get_config()
            for key, value in config.items():
                if isinstance(value, (str, int, float, bool)):
                    params[f"optimizer.{key}"] = value
        self._task.log_params(params)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Log the epoch's training and validation metrics."""
        if self._task is None or not logs:
            return
        values = numeric_metrics(logs)
        by_split: dict[str, dict[str, float]] = {}
        for key, value in values.items():
            by_split.setdefault(split_of(key), {})[key] = value
        for split in ("training", "validation", "test"):
            if split in by_split:
                self._task.log_metrics(by_split[split], epoch=epoch, split=split)

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        """Record the trained model and end the training task."""
        if self._task is None:
            return
        architecture = None
        if self.model is not None:
            lines: list[str] = []
            self.model.summary(print_fn=lambda line, *_, **__: lines.append(line))
            architecture = "\n".join(lines)[:4000]
        self.trained_model = self.workflow.model(
            self.model.name if self.model is not None else "model",
            architecture=architecture,
            framework=f"{framework_version('keras', 'keras')} ({keras.backend.backend()})",
        )
        # The model derives from the data the fit was given (a recorded derivation).
        self._task.generated(self.trained_model, derived_from=self.used)
        self._task.end()
        self._task = None
