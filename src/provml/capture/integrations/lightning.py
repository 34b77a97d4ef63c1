"""A PyTorch Lightning callback: ``Trainer(callbacks=[ProvmlCallback(wf)])``.

Records fit as a learning/training task (hyperparameters from ``save_hyperparameters`` and the
trainer's settings), per-epoch training and validation metrics (from ``self.log``), checkpoints
written by ``ModelCheckpoint`` as generated checkpoint entities, the trained model, and test and
predict runs as evaluation and inference tasks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from provml.capture.integrations._common import (
    describe,
    framework_version,
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

    def __init__(self, workflow: Workflow, *, used: tuple[Entity | str, ...] = ()) -> None:
        super().__init__()
        self.workflow = workflow
        self.used = used
        self.model: Entity | None = None
        self._fit: Task | None = None
        self._eval: Task | None = None
        self._checkpoints: set[str] = set()

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

    def on_train_epoch_end(self, trainer: Any, pl_module: Any) -> None:
        """Log the epoch's training metrics and record new checkpoint files."""
        self._log_epoch(trainer, "training")
        self._record_checkpoints(trainer, pl_module)

    def on_validation_epoch_end(self, trainer: Any, pl_module: Any) -> None:
        """Log the epoch's validation metrics (not during the sanity check)."""
        if not trainer.sanity_checking and self._fit is not None and self._eval is None:
            self._log_epoch(trainer, "validation")

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
            if task is not None:
                task.end("failed", f"{type(exception).__name__}: {exception}")
        self._fit = self._eval = None

    # -- test and predict --------------------------------------------------------------------
    def on_test_start(self, trainer: Any, pl_module: Any) -> None:
        """Start an evaluation task that uses the model."""
        self._eval = self.workflow.task(
            f"test {type(pl_module).__name__}",
            "learning",
            stage="evaluation",
            used=[self._model_entity(pl_module)],
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
        self._eval = self.workflow.task(
            f"predict {type(pl_module).__name__}",
            "inference",
            used=[self._model_entity(pl_module)],
        ).start()

    def on_predict_end(self, trainer: Any, pl_module: Any) -> None:
        """Record the predictions and end the inference task."""
        if self._eval is not None:
            self._eval.generated(
                self.workflow.predictions(f"{type(pl_module).__name__} output"),
                derived_from=[self._model_entity(pl_module)],
            )
            self._eval.end()
            self._eval = None

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
        if self._fit is None:
            return
        for callback in getattr(trainer, "checkpoint_callbacks", []):
            for path in (getattr(callback, "best_model_path", ""), callback.last_model_path):
                if path and path not in self._checkpoints:
                    self._checkpoints.add(path)
                    checkpoint = self.workflow.checkpoint(
                        f"{type(pl_module).__name__} checkpoint",
                        path=path,
                        framework=framework_version("lightning", "lightning"),
                        attributes={"epoch": trainer.current_epoch, "step": trainer.global_step},
                    )
                    self._fit.generated(checkpoint, derived_from=self.used)

    def _model_entity(self, pl_module: Any) -> Entity:
        if self.model is None:
            self.model = self.workflow.model(
                type(pl_module).__name__,
                architecture=describe(pl_module),
                framework=framework_version("lightning", "lightning"),
            )
        return self.model
