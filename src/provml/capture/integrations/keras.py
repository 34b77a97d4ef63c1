"""A Keras 3 callback: ``model.fit(..., callbacks=[ProvmlKerasCallback(wf)])``.

Records fit as a learning/training task: the fit settings (batch size, epochs, validation split,
training and validation rows), the compiled loss and metrics, and the optimizer's configuration
as hyperparameters; every epoch's metrics (each under the split its name implies: ``val_`` ones
under validation); each file a ``ModelCheckpoint`` of the same fit wrote (a generated checkpoint,
with its path, size and epoch); and the trained model. A fit that raises (in the model, or in any
callback) ends its task as failed with the error. Passed to ``model.predict(...,
callbacks=[...])`` it records an inference task that uses the model and the input data; ``save``
writes the model file and records it. Works with any Keras 3 backend (the tests use
``KERAS_BACKEND=torch``).

The fit's arguments are read from the ``fit`` frame that calls the callback (Keras gives a
callback no other way to see them); where a backend's ``fit`` is not found they are left out.
"""

from __future__ import annotations

import functools
import os
import sys
import time
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from provml.capture.integrations._common import (
    end_failed,
    framework_version,
    input_entity,
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
    """Records a Keras ``fit`` (and ``predict``) in ``workflow``."""

    def __init__(
        self,
        workflow: Workflow,
        *,
        used: tuple[Entity | str, ...] = (),
        data: Entity | str | None = None,
    ) -> None:
        super().__init__()
        self.workflow = workflow
        self.used = used
        self.data = data
        self.trained_model: Entity | None = None
        self.checkpoints: list[Entity] = []
        self._task: Task | None = None
        self._predict: Task | None = None
        self._predicted_rows = 0
        self._watched: list[Any] = []
        self._seen_files: dict[str, tuple[int, int]] = {}
        self._restore: list[Callable[[], None]] = []
        self._inputs: list[Entity | str] = []
        self._fit_started_ns = 0

    # -- fit -----------------------------------------------------------------------------------
    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        """Start the training task; record the fit settings, loss, metrics and optimizer."""
        if self._task is not None:  # the previous fit raised past every hook
            self._fail("a later fit started before this one ended")
        self._task = self.workflow.task(
            f"fit {self._name()}", "learning", stage="training", used=self.used
        ).start()
        self._fit_started_ns = time.time_ns()
        params: dict[str, Any] = {
            key: value
            for key, value in (self.params or {}).items()
            if isinstance(value, (str, int, float, bool))
        }
        frame = _caller_locals("fit", self.model)
        if frame is not None:
            params.update(_fit_settings(frame))
            self._watch(frame.get("callbacks"))
        params.update(_compile_settings(self.model))
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
        self._record_checkpoints(None)
        self._unwrap()
        self.trained_model = self.workflow.model(
            self._name(), architecture=self._architecture(), framework=self._framework()
        )
        # The model derives from the data the fit was given (a recorded derivation).
        self._task.generated(self.trained_model, derived_from=self.used)
        self._task.end()
        self._task = None

    # -- predict -------------------------------------------------------------------------------
    def on_predict_begin(self, logs: dict[str, Any] | None = None) -> None:
        """Start an inference task that uses the trained model and the input data."""
        frame = _caller_locals("predict", self.model)
        inputs: list[Entity | str] = [] if self.trained_model is None else [self.trained_model]
        if frame is not None or self.data is not None:
            x = None if frame is None else frame.get("x")
            inputs.append(input_entity(self.workflow, x, f"{self._name()} input", self.data))
        self._predict = self.workflow.task(
            f"predict {self._name()}", "inference", used=inputs
        ).start()
        self._predicted_rows = 0
        self._inputs = inputs

    def on_predict_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Count the rows predicted."""
        outputs = (logs or {}).get("outputs")
        shape = getattr(outputs, "shape", None)
        if shape:
            self._predicted_rows += int(shape[0])

    def on_predict_end(self, logs: dict[str, Any] | None = None) -> None:
        """Record the predictions and end the inference task."""
        if self._predict is None:
            return
        task, self._predict = self._predict, None
        task.generated(
            self.workflow.predictions(
                f"{self._name()} predictions", attributes={"rows": self._predicted_rows}
            ),
            derived_from=self._inputs,
        )
        task.end()

    # -- saved files ---------------------------------------------------------------------------
    def save(self, path: str | os.PathLike[str], **kwargs: Any) -> Entity:
        """``model.save(path)`` and record the file as the trained model's saved form, generated
        by a task that used the trained model."""
        self.model.save(path, **kwargs)
        used = [] if self.trained_model is None else [self.trained_model]
        with self.workflow.task(f"save {self._name()}", "learning", used=used) as task:
            saved = self.workflow.model(
                self._name(),
                path=path,
                architecture=self._architecture(),
                framework=self._framework(),
                hash=True,
            )
            task.generated(saved, derived_from=used)
        return saved

    # -- helpers -------------------------------------------------------------------------------
    def _name(self) -> str:
        return str(self.model.name) if self.model is not None else "model"

    def _framework(self) -> str:
        return f"{framework_version('keras', 'keras')} ({keras.backend.backend()})"

    def _architecture(self) -> str | None:
        if self.model is None:
            return None
        lines: list[str] = []
        self.model.summary(print_fn=lambda line, *_, **__: lines.append(line))
        return "\n".join(lines)[:4000]

    def _fail(self, error: BaseException | str) -> None:
        """End the open training task as failed (an exception went through the fit)."""
        self._unwrap()
        task, self._task = self._task, None
        end_failed(task, error)

    def _watch(self, callbacks: Any) -> None:
        """Wrap the fit's callback list and train step, so an exception in either ends the task
        as failed, and note the ModelCheckpoint callbacks whose files to record."""
        members = getattr(callbacks, "callbacks", None)
        if members is None:
            return
        self._watched = [
            member for member in members if isinstance(member, keras.callbacks.ModelCheckpoint)
        ]
        for name in dir(type(callbacks)):
            if name.startswith("on_"):
                self._wrap(callbacks, name, after_epoch=name == "on_epoch_end")
        if getattr(self.model, "train_function", None) is not None:
            self._wrap(self.model, "train_function")

    def _wrap(self, owner: Any, name: str, *, after_epoch: bool = False) -> None:
        original = getattr(owner, name)
        callback = self

        @functools.wraps(original)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            try:
                result = original(*args, **kwargs)
            except BaseException as error:
                callback._fail(error)
                raise
            if after_epoch and args:
                callback._record_checkpoints(args[0])
            return result

        had_own = name in vars(owner)
        setattr(owner, name, guarded)

        def restore() -> None:
            if had_own:
                setattr(owner, name, original)
            else:
                delattr(owner, name)

        self._restore.append(restore)

    def _unwrap(self) -> None:
        while self._restore:
            self._restore.pop()()

    def _record_checkpoints(self, epoch: int | None) -> None:
        """Record each file the fit's ModelCheckpoint callbacks wrote or rewrote since last seen."""
        if self._task is None:
            return
        for checkpoint in self._watched:
            directory = os.path.dirname(os.path.abspath(checkpoint.filepath))
            for entry in _files_in(directory):
                stat = os.stat(entry)
                state = (stat.st_mtime_ns, stat.st_size)
                if stat.st_mtime_ns < self._fit_started_ns or self._seen_files.get(entry) == state:
                    continue
                self._seen_files[entry] = state
                entity = self.workflow.checkpoint(
                    f"{self._name()} checkpoint",
                    path=entry,
                    framework=self._framework(),
                    attributes={} if epoch is None else {"epoch": epoch},
                    hash=True,
                )
                self.checkpoints.append(entity)
                self._task.generated(entity, derived_from=self.used)


def _files_in(directory: str) -> list[str]:
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        return []
    paths = [os.path.join(directory, name) for name in names]
    return [path for path in paths if path.endswith((".keras", ".h5")) and os.path.isfile(path)]


def _caller_locals(function: str, model: Any) -> dict[str, Any] | None:
    """The local variables of the model's ``function`` (fit, predict) that is calling us."""
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == function and frame.f_locals.get("self") is model:
            return dict(frame.f_locals)
        frame = frame.f_back  # type: ignore[assignment]
    return None


def _fit_settings(frame: dict[str, Any]) -> dict[str, Any]:
    """Batch size, validation split and the rows each part got, from ``fit``'s locals."""
    settings: dict[str, Any] = {}
    batch_size = frame.get("batch_size")
    if batch_size is None:
        iterator = frame.get("epoch_iterator")
        batch_size = getattr(getattr(iterator, "data_adapter", None), "batch_size", None)
    if batch_size is not None:
        settings["batch_size"] = int(batch_size)
    split = frame.get("validation_split")
    if split:
        settings["validation_split"] = float(split)
    for key, name in (("x", "training_rows"), ("val_x", "validation_rows")):
        rows = _rows(frame.get(key))
        if rows is not None:
            settings[name] = rows
    if frame.get("shuffle") is not None:
        settings["shuffle"] = bool(frame["shuffle"])
    return settings


def _rows(data: Any) -> int | None:
    shape = getattr(data, "shape", None)
    if shape:
        return int(shape[0])
    return None


def _compile_settings(model: Any) -> dict[str, Any]:
    """The compiled loss, metrics and optimizer configuration, as hyperparameters."""
    params: dict[str, Any] = {}
    loss = getattr(model, "loss", None)
    if loss is not None:
        params["loss"] = _name_of(loss)
    config: dict[str, Any] = {}
    with warnings.catch_warnings():
        # Keras variables' __array__ predates numpy 2's copy keyword (Keras' own warning).
        warnings.simplefilter("ignore", DeprecationWarning)
        if getattr(model, "compiled", False):
            config = model.get_compile_config() or {}
        optimizer = getattr(model, "optimizer", None)
        optimizer_config = optimizer.get_config() if optimizer is not None else {}
    metrics = config.get("metrics")
    if metrics:
        listed = metrics if isinstance(metrics, (list, tuple)) else [metrics]
        params["metrics"] = ",".join(_name_of(metric) for metric in listed)
    if optimizer is not None:
        params["optimizer"] = type(optimizer).__name__
        for key, value in optimizer_config.items():
            if isinstance(value, (str, int, float, bool)):
                params[f"optimizer.{key}"] = value
    return params


def _name_of(item: Any) -> str:
    """A loss or metric as named in ``compile``: its string, else its config name or class."""
    if isinstance(item, str):
        return item
    if isinstance(item, dict):
        config = item.get("config")
        name = config.get("name") if isinstance(config, dict) else None
        return str(name or item.get("class_name") or item)
    return str(
        getattr(item, "name", None) or getattr(item, "__name__", None) or type(item).__name__
    )
