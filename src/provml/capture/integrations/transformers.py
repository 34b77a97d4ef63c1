"""A Hugging Face Trainer callback: ``Trainer(..., callbacks=[ProvmlTrainerCallback(wf)])``.

Records ``train`` as a learning/training task: the training arguments that shape the fit (learning
rate, batch size, epochs, schedule, seed...), the model's configuration, the training and
evaluation (validation) rows and the validation share as hyperparameters; every logged metric
under the split its name implies (``eval_loss`` is validation) with its step and epoch; each
checkpoint directory the Trainer saves (a generated checkpoint; one it later deletes,
``save_total_limit``, is invalidated by the training task, ``prov:wasInvalidatedBy``); and the
trained model. ``predict`` is recorded as an inference task that uses the model and the input
data and generates the predictions (its metrics stay in the Trainer's output). A
``train`` that raises (in the model or any callback) ends its task as failed with the error.

The Trainer is found from the frame that calls the callback (a callback is not given it); where it
is not found, failures surface only when the run ends (``Workflow.end`` fails open tasks).
"""

from __future__ import annotations

import functools
import math
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from provml.capture.integrations._common import (
    describe,
    end_failed,
    framework_version,
    input_entity,
    numeric_metrics,
    split_of,
)

try:  # the Trainer calls hooks on its own TrainerCallback base class
    from transformers import Trainer, TrainerCallback
except ImportError as error:  # pragma: no cover - depends on the optional extra
    raise ImportError(
        "provml.capture.integrations.transformers needs transformers: "
        "pip install 'provml[transformers]'"
    ) from error

if TYPE_CHECKING:
    from provml.capture.entities import Entity
    from provml.capture.task import Task
    from provml.capture.workflow import Workflow

#: TrainingArguments recorded as hyperparameters (those that change what training computes).
TRAINING_ARGUMENTS = (
    "learning_rate",
    "per_device_train_batch_size",
    "per_device_eval_batch_size",
    "gradient_accumulation_steps",
    "num_train_epochs",
    "max_steps",
    "weight_decay",
    "adam_beta1",
    "adam_beta2",
    "adam_epsilon",
    "max_grad_norm",
    "lr_scheduler_type",
    "warmup_steps",
    "optim",
    "seed",
    "label_smoothing_factor",
    "eval_strategy",
    "save_strategy",
    "save_total_limit",
)


class ProvmlTrainerCallback(TrainerCallback):
    """Records a Hugging Face Trainer's ``train`` and ``predict`` in ``workflow``."""

    def __init__(
        self,
        workflow: Workflow,
        *,
        used: tuple[Entity | str, ...] = (),
        data: Entity | str | None = None,
    ) -> None:
        self.workflow = workflow
        self.used = used
        self.data = data
        self.trained_model: Entity | None = None
        self.checkpoints: dict[str, Entity] = {}
        self._task: Task | None = None
        self._name = "model"
        self._restore: list[Callable[[], None]] = []
        self._prediction_started: datetime | None = None

    # -- train ---------------------------------------------------------------------------------
    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        """Start the training task; record the training arguments and model configuration."""
        if self._task is not None:  # the previous train raised past every hook
            self._fail("a later train started before this one ended")
        model = kwargs.get("model")
        self._name = type(model).__name__ if model is not None else "model"
        self._task = self.workflow.task(
            f"train {self._name}", "learning", stage="training", used=self.used
        ).start()
        params: dict[str, Any] = {}
        for key in TRAINING_ARGUMENTS:
            value = getattr(args, key, None)
            value = getattr(value, "value", value)  # enums as their text
            if isinstance(value, (str, int, float, bool)):
                params[key] = value
        trainer = _calling_trainer()
        counts = {
            "training_rows": _length(getattr(trainer, "train_dataset", None))
            or _rows(kwargs.get("train_dataloader")),
            "validation_rows": _length(getattr(trainer, "eval_dataset", None))
            or _rows(kwargs.get("eval_dataloader")),
        }
        params.update({name: count for name, count in counts.items() if count is not None})
        if counts["training_rows"] and counts["validation_rows"]:
            total = counts["training_rows"] + counts["validation_rows"]
            params["validation_split"] = counts["validation_rows"] / total
        self._task.log_params(params)
        config = getattr(model, "config", None)
        if config is not None:
            settings = {
                f"config.{key}": value
                for key, value in config.to_diff_dict().items()
                if isinstance(value, (str, int, float, bool))
            }
            self._task.log_params(settings, kind="model")
        if trainer is not None:
            self._guard(trainer)

    def on_log(
        self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kw: Any
    ) -> None:
        """Log the metrics the Trainer logged, each under its split, at its step and epoch."""
        if self._task is None or not logs:
            return
        values = numeric_metrics({k: v for k, v in logs.items() if k != "epoch"})
        by_split: dict[str, dict[str, float]] = {}
        for key, value in values.items():
            by_split.setdefault(split_of(key), {})[key] = value
        epoch = None if state.epoch is None else max(math.ceil(state.epoch) - 1, 0)
        for split, split_values in by_split.items():
            self._task.log_metrics(split_values, step=state.global_step, epoch=epoch, split=split)

    def on_save(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        """Record the checkpoint directory just saved; invalidate the ones since deleted."""
        if self._task is None:
            return
        path = os.path.join(args.output_dir, f"checkpoint-{state.global_step}")
        if os.path.isdir(path) and path not in self.checkpoints:
            checkpoint = self.workflow.checkpoint(
                f"{self._name} checkpoint",
                path=path,
                framework=_framework(),
                attributes={"step": state.global_step, "files": len(os.listdir(path))},
            )
            self.checkpoints[path] = checkpoint
            self._task.generated(checkpoint, derived_from=self.used)
        self._invalidate_deleted()

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        """Record the trained model and end the training task."""
        if self._task is None:
            return
        self._unguard()
        self._invalidate_deleted()
        model = kwargs.get("model")
        self.trained_model = self.workflow.model(
            self._name,
            architecture=describe(model) if model is not None else None,
            framework=_framework(),
        )
        # The model derives from the data the training was given (a recorded derivation).
        self._task.generated(self.trained_model, derived_from=self.used)
        self._task.end()
        self._task = None

    # -- predict -------------------------------------------------------------------------------
    def on_prediction_step(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        """Note when a prediction loop began (its task is recorded when it ends)."""
        if self._prediction_started is None:
            self._prediction_started = datetime.now(UTC)

    def on_evaluate(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        """An evaluation loop ended (its metrics come through ``on_log``)."""
        self._prediction_started = None

    def on_predict(
        self, args: Any, state: Any, control: Any, metrics: Any = None, **kwargs: Any
    ) -> None:
        """Record the inference: it used the model and the input data, generated predictions."""
        started, self._prediction_started = self._prediction_started, None
        frame = _caller_locals("predict")
        dataset = None if frame is None else frame.get("test_dataset")
        inputs: list[Entity | str] = [] if self.trained_model is None else [self.trained_model]
        if dataset is not None or self.data is not None:
            inputs.append(input_entity(self.workflow, dataset, f"{self._name} input", self.data))
        with self.workflow.task(
            f"predict {self._name}", "inference", used=inputs, started_at=started
        ) as task:
            rows = _length(dataset)
            task.generated(
                self.workflow.predictions(
                    f"{self._name} predictions",
                    attributes={} if rows is None else {"rows": rows},
                ),
                derived_from=inputs,
            )

    # -- saved files ---------------------------------------------------------------------------
    def save(self, trainer: Any, path: str | os.PathLike[str]) -> Entity:
        """``trainer.save_model(path)`` and record the directory as the trained model's saved
        form, generated by a task that used the trained model."""
        trainer.save_model(os.fspath(path))
        used = [] if self.trained_model is None else [self.trained_model]
        with self.workflow.task(f"save {self._name}", "learning", used=used) as task:
            saved = self.workflow.model(
                self._name,
                path=path,
                framework=_framework(),
                attributes={"files": len(os.listdir(path))},
            )
            task.generated(saved, derived_from=used)
        return saved

    # -- helpers -------------------------------------------------------------------------------
    def _invalidate_deleted(self) -> None:
        if self._task is None:
            return
        for path in [path for path in self.checkpoints if not os.path.exists(path)]:
            self._task.invalidated(self.checkpoints.pop(path))

    def _fail(self, error: BaseException | str) -> None:
        """End the open training task as failed (an exception went through ``train``)."""
        self._unguard()
        task, self._task = self._task, None
        end_failed(task, error)

    def _guard(self, trainer: Any) -> None:
        """Wrap the trainer's training step and callback dispatch so an exception in either
        ends the task as failed."""
        for owner, name in ((trainer, "training_step"), (trainer.callback_handler, "call_event")):
            original = getattr(owner, name)
            shadowed = vars(owner).get(name)
            setattr(owner, name, self._guarded(original))
            self._restore.append(functools.partial(_reset, owner, name, shadowed))

    def _guarded(self, original: Callable[..., Any]) -> Callable[..., Any]:
        callback = self

        @functools.wraps(original)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            try:
                return original(*args, **kwargs)
            except BaseException as error:
                callback._fail(error)
                raise

        return guarded

    def _unguard(self) -> None:
        while self._restore:
            self._restore.pop()()


def _reset(owner: Any, name: str, shadowed: Any) -> None:
    """Put back what the instance had under ``name`` (nothing: the class's method again)."""
    if shadowed is None:
        vars(owner).pop(name, None)
    else:
        setattr(owner, name, shadowed)


def _framework() -> str:
    return framework_version("transformers", "transformers")


def _length(data: Any) -> int | None:
    if data is None:
        return None
    try:
        return len(data)
    except TypeError:
        return None


def _rows(loader: Any) -> int | None:
    return None if loader is None else _length(getattr(loader, "dataset", None))


def _calling_trainer() -> Any:
    frame = sys._getframe(1)
    while frame is not None:
        candidate = frame.f_locals.get("self")
        if isinstance(candidate, Trainer):
            return candidate
        frame = frame.f_back  # type: ignore[assignment]
    return None


def _caller_locals(function: str) -> dict[str, Any] | None:
    """The local variables of the Trainer's ``function`` that is calling us."""
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == function and isinstance(frame.f_locals.get("self"), Trainer):
            return dict(frame.f_locals)
        frame = frame.f_back  # type: ignore[assignment]
    return None
