"""A PyTorch Lightning callback: ``Trainer(callbacks=[ProvmlCallback(wf)])``.

Records fit as a learning/training task (hyperparameters from ``save_hyperparameters``, the
trainer's settings, the batch size and the training and validation rows with the validation
share), per-epoch training and validation metrics (from ``self.log``), checkpoints written by
``ModelCheckpoint`` as generated checkpoint entities (with their content hash; a file it later
deletes or overwrites is invalidated by the fit, ``prov:wasInvalidatedBy``), the trained model,
and test and predict runs as evaluation and inference tasks (each uses the model and the data it
read). A fit, test or predict that raises ends its task as failed with the error. ``save(trainer,
path)`` writes a checkpoint file and records it as the model's saved form.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from provml.capture.integrations._common import (
    describe,
    end_failed,
    framework_version,
    input_entity,
    numeric_metrics,
    split_of,
)

try:  # the base class must be Lightning's own for the Trainer to accept the callback
    from lightning.pytorch.callbacks import Callback
except ImportError as error:  # pragma: no cover - depends on the optional extra
    raise ImportError(
        "provml.capture.integrations.lightning needs Lightning: pip install 'provml[lightning]'"
    ) from error

if TYPE_CHECKING:
    from provml.capture.entities import Entity
    from provml.capture.task import Task
    from provml.capture.workflow import Workflow


class ProvmlCallback(Callback):
    """Records a Lightning fit/test/predict in ``workflow``; needs no change to the module."""

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
        self._inputs: list[Entity | str] = []
        self.model: Entity | None = None
        self._fit: Task | None = None
        self._eval: Task | None = None
        self.checkpoints: dict[str, Entity] = {}
        self._checkpoint_states: dict[str, tuple[int, int]] = {}
        self._settings_logged = False

    # -- fit ---------------------------------------------------------------------------------
    def on_fit_start(self, trainer: Any, pl_module: Any) -> None:
        """Start the training task and record hyperparameters."""
        self._fit = self.workflow.task(
            f"fit {type(pl_module).__name__}", "learning", stage="training", used=self.used
        ).start()
        params: dict[str, Any] = dict(getattr(pl_module, "hparams", {}) or {})
        params.update(
            max_epochs=trainer.max_epochs,
            accumulate_grad_batches=trainer.accumulate_grad_batches,
            precision=str(trainer.precision),
        )
        self._fit.log_params(params)
        self._settings_logged = False

    def on_train_start(self, trainer: Any, pl_module: Any) -> None:
        """Record the batch size and the rows of training and validation (loaded by now)."""
        if self._fit is None or self._settings_logged:
            return
        self._settings_logged = True
        settings: dict[str, Any] = {}
        train = _first_loader(trainer.train_dataloader)
        batch_size = getattr(train, "batch_size", None)
        if batch_size is not None:
            settings["batch_size"] = batch_size
        rows = {
            name: _dataset_rows(loader)
            for name, loader in (
                ("training_rows", train),
                ("validation_rows", _first_loader(trainer.val_dataloaders)),
            )
        }
        settings.update({name: count for name, count in rows.items() if count is not None})
        if rows["training_rows"] and rows["validation_rows"]:
            total = rows["training_rows"] + rows["validation_rows"]
            settings["validation_split"] = rows["validation_rows"] / total
        if settings:
            self._fit.log_params(settings)

    def on_train_epoch_end(self, trainer: Any, pl_module: Any) -> None:
        """Log the epoch's training metrics and record new checkpoint files."""
        self._log_epoch(trainer, "training")
        self._record_checkpoints(trainer, pl_module)

    def on_validation_epoch_end(self, trainer: Any, pl_module: Any) -> None:
        """Log the epoch's validation metrics (not during the sanity check)."""
        if not trainer.sanity_checking and self._fit is not None and self._eval is None:
            self._log_epoch(trainer, "validation")
            self._record_checkpoints(trainer, pl_module)

    def on_fit_end(self, trainer: Any, pl_module: Any) -> None:
        """Record checkpoints and the trained model, and end the training task."""
        if self._fit is None:
            return
        self._record_checkpoints(trainer, pl_module)
        # The model derives from the data the fit was given (a recorded derivation).
        self._fit.generated(self._model_entity(pl_module), derived_from=self.used)
        self._fit.end()
        self._fit = None

    def on_exception(self, trainer: Any, pl_module: Any, exception: BaseException) -> None:
        """End open tasks as failed."""
        for task in (self._eval, self._fit):
            end_failed(task, exception)
        self._fit = self._eval = None

    # -- test and predict --------------------------------------------------------------------
    def on_test_start(self, trainer: Any, pl_module: Any) -> None:
        """Start an evaluation task that uses the model and the test data."""
        self._eval = self.workflow.task(
            f"test {type(pl_module).__name__}",
            "learning",
            stage="evaluation",
            used=self._inputs_of(pl_module, trainer.test_dataloaders, "test data"),
        ).start()

    def on_test_epoch_end(self, trainer: Any, pl_module: Any) -> None:
        """Log the test metrics about the model."""
        if self._eval is not None:
            values = {
                key: value
                for key, value in numeric_metrics(trainer.callback_metrics).items()
                if split_of(key) == "test"
            }
            if values:
                self._eval.log_metrics(values, split="test", model=self.model)

    def on_test_end(self, trainer: Any, pl_module: Any) -> None:
        """End the evaluation task."""
        if self._eval is not None:
            self._eval.end()
            self._eval = None

    def on_predict_start(self, trainer: Any, pl_module: Any) -> None:
        """Start an inference task that uses the model."""
        inputs = self._inputs_of(pl_module, trainer.predict_dataloaders, "input")
        self._eval = self.workflow.task(
            f"predict {type(pl_module).__name__}", "inference", used=inputs
        ).start()
        self._inputs = inputs

    def on_predict_end(self, trainer: Any, pl_module: Any) -> None:
        """Record the predictions and end the inference task."""
        if self._eval is not None:
            self._eval.generated(
                self.workflow.predictions(f"{type(pl_module).__name__} output"),
                derived_from=self._inputs,
            )
            self._eval.end()
            self._eval = None

    # -- saved files ---------------------------------------------------------------------------
    def save(self, trainer: Any, path: str | os.PathLike[str]) -> Entity:
        """``trainer.save_checkpoint(path)`` and record the file (hashed) as the trained model's
        saved form, generated by a task that used the trained model."""
        trainer.save_checkpoint(path)
        module = trainer.lightning_module
        used = [self._model_entity(module)]
        with self.workflow.task(f"save {type(module).__name__}", "learning", used=used) as task:
            saved = self.workflow.model(
                type(module).__name__,
                path=path,
                architecture=describe(module),
                framework=framework_version("lightning", "lightning"),
                hash=True,
            )
            task.generated(saved, derived_from=used)
        return saved

    # -- helpers -----------------------------------------------------------------------------
    def _log_epoch(self, trainer: Any, split: str) -> None:
        if self._fit is None:
            return
        values = {
            key: value
            for key, value in numeric_metrics(trainer.callback_metrics).items()
            if split_of(key) == split
        }
        if values:
            self._fit.log_metrics(
                values, step=trainer.global_step, epoch=trainer.current_epoch, split=split
            )

    def _record_checkpoints(self, trainer: Any, pl_module: Any) -> None:
        """Record checkpoint files new or rewritten since last seen; invalidate the versions
        whose file is gone or was overwritten."""
        if self._fit is None:
            return
        paths: list[str] = []
        for callback in getattr(trainer, "checkpoint_callbacks", []):
            named = [getattr(callback, "best_model_path", ""), callback.last_model_path]
            named.extend(getattr(callback, "best_k_models", {}) or {})
            paths.extend(path for path in named if path and path not in paths)
        for path in sorted(self.checkpoints):
            if path not in paths:
                paths.append(path)
        for path in paths:
            try:
                stat = os.stat(path)
            except OSError:
                state = None
            else:
                state = (stat.st_mtime_ns, stat.st_size)
            if state == self._checkpoint_states.get(path):
                continue
            previous = self.checkpoints.pop(path, None)
            self._checkpoint_states.pop(path, None)
            if previous is not None:
                self._fit.invalidated(previous)
            if state is None:
                continue
            self._checkpoint_states[path] = state
            checkpoint = self.workflow.checkpoint(
                f"{type(pl_module).__name__} checkpoint",
                path=path,
                framework=framework_version("lightning", "lightning"),
                attributes={"epoch": trainer.current_epoch, "step": trainer.global_step},
                hash=True,
            )
            self.checkpoints[path] = checkpoint
            self._fit.generated(checkpoint, derived_from=self.used)

    def _inputs_of(self, pl_module: Any, loaders: Any, what: str) -> list[Entity | str]:
        """The model and the data of each dataloader (``data=`` if given), as a task's inputs."""
        inputs: list[Entity | str] = [self._model_entity(pl_module)]
        for loader in _loaders(loaders):
            dataset = getattr(loader, "dataset", loader)
            name = f"{type(pl_module).__name__} {what}"
            inputs.append(input_entity(self.workflow, dataset, name, self.data))
        return inputs

    def _model_entity(self, pl_module: Any) -> Entity:
        if self.model is None:
            self.model = self.workflow.model(
                type(pl_module).__name__,
                architecture=describe(pl_module),
                framework=framework_version("lightning", "lightning"),
            )
        return self.model


def _loaders(loaders: Any) -> list[Any]:
    """The dataloaders Lightning holds for a stage: one, a list, a dict, or none."""
    if loaders is None:
        return []
    if isinstance(loaders, dict):
        return list(loaders.values())
    if isinstance(loaders, (list, tuple)):
        return list(loaders)
    return [loaders]


def _first_loader(loaders: Any) -> Any:
    found = _loaders(loaders)
    return found[0] if found else None


def _dataset_rows(loader: Any) -> int | None:
    try:
        return len(loader.dataset)
    except (AttributeError, TypeError):
        return None
