"""A plain PyTorch loop helper: one object records the training task, steps, epochs and
checkpoints of a hand-written loop.

    loop = TorchLoop(wf, model, optimizer)
    with loop:                                   # a learning/training task
        for epoch in range(epochs):
            for x, y in batches:
                ...; loop.step(loss=loss)         # one metrics event per ``log_every`` steps
            loop.epoch_end(epoch, val_loss=v)     # split taken from the name ('val_' prefix)
        loop.checkpoint("model.pt")              # torch.save + a generated checkpoint entity
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from provml.capture.integrations._common import describe, framework_version, split_of
from provml.errors import CaptureError

if TYPE_CHECKING:
    from provml.capture.entities import Entity
    from provml.capture.task import Task
    from provml.capture.workflow import Workflow


def optimizer_params(optimizer: Any) -> dict[str, Any]:
    """The hyperparameters of a torch optimizer's first parameter group, plus its class name."""
    params: dict[str, Any] = {"optimizer": type(optimizer).__name__}
    groups = getattr(optimizer, "param_groups", None) or [{}]
    for key, value in groups[0].items():
        if key != "params":
            params[key] = value
    return params


class TorchLoop:
    """Records a hand-written PyTorch training loop as a task of ``wf``; use it as ``with``."""

    def __init__(
        self,
        workflow: Workflow,
        model: Any,
        optimizer: Any = None,
        *,
        name: str = "training",
        used: tuple[Entity | str, ...] = (),
        params: dict[str, Any] | None = None,
        log_every: int = 1,
    ) -> None:
        if not isinstance(log_every, int) or log_every < 1:
            raise CaptureError(f"log_every must be a positive integer; got {log_every!r}")
        self.workflow = workflow
        self.model = model
        self.optimizer = optimizer
        self.name = name
        self.used = used
        self.params = dict(params or {})
        self.log_every = log_every
        self.global_step = 0
        self.task: Task | None = None
        self.model_entity: Entity | None = None

    def __enter__(self) -> TorchLoop:
        self.task = self.workflow.task(self.name, "learning", stage="training", used=self.used)
        self.task.start()
        params = dict(self.params)
        if self.optimizer is not None:
            params.update(optimizer_params(self.optimizer))
        params["parameters"] = sum(p.numel() for p in self.model.parameters())
        self.task.log_params(params)
        return self

    def __exit__(self, kind: Any, error: BaseException | None, _: Any) -> None:
        assert self.task is not None
        if error is None:
            # The model derives from the data the loop was given (a recorded derivation).
            self.task.generated(self._model_entity(), derived_from=self.used)
        self.task.__exit__(kind, error, _)

    def step(self, **metrics: Any) -> None:
        """Count one optimisation step; log ``metrics`` (tensors allowed) every ``log_every``."""
        self.global_step += 1
        if metrics and self.global_step % self.log_every == 0:
            self._require_task().log_metrics(metrics, step=self.global_step, split="training")

    def epoch_end(self, epoch: int, **metrics: Any) -> None:
        """Log epoch-level metrics, each under the split its name implies ('val_loss'...)."""
        task = self._require_task()
        by_split: dict[str, dict[str, Any]] = {}
        for key, value in metrics.items():
            by_split.setdefault(split_of(key), {})[key] = value
        for split, values in by_split.items():
            task.log_metrics(values, step=self.global_step, epoch=epoch, split=split)

    def checkpoint(self, path: str | os.PathLike[str], **attributes: Any) -> Entity:
        """Save the model's state_dict to ``path`` and record it as a generated checkpoint."""
        import torch

        task = self._require_task()
        torch.save(self.model.state_dict(), path)
        entity = self.workflow.checkpoint(
            f"{self.name} checkpoint step {self.global_step}",
            path=path,
            architecture=describe(self.model),
            framework=framework_version("torch", "torch"),
            attributes={"step": self.global_step, **attributes},
            derived_from=[self._model_entity()],
        )
        task.generated(entity, derived_from=self.used)
        return entity

    def _model_entity(self) -> Entity:
        if self.model_entity is None:
            self.model_entity = self.workflow.model(
                type(self.model).__name__,
                architecture=describe(self.model),
                framework=framework_version("torch", "torch"),
            )
        return self.model_entity

    def _require_task(self) -> Task:
        if self.task is None:
            raise CaptureError("TorchLoop must be entered (`with loop:`) before logging")
        return self.task
