"""Tasks: one execution of a planned step (curation, training, an epoch, inference...).

A task is a context manager and a decorator. Tasks nest: a task started while another is open in
the same thread records it as its parent. Each thread has its own stack; a task in a new thread
or process can name its parent with ``parent=``. A forked child process keeps the forking
thread's open tasks as parents and writes its own spool file.
"""

from __future__ import annotations

__all__ = ["Task"]

import functools
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol, TypeVar

from provml.capture.entities import Entity, entity_ref
from provml.capture.events import (
    PHASES,
    SEQUENCE,
    STAGES,
    TASK_END,
    TASK_START,
    base_event,
    check_attributes,
    check_choice,
)
from provml.errors import CaptureError

F = TypeVar("F", bound=Callable[..., Any])


class TaskRun(Protocol):
    """What a task needs of the workflow run it belongs to; ``Workflow.task`` gives each task
    one, so a task sees only this of its workflow."""

    @property
    def run_id(self) -> str:
        """The run's id."""

    @property
    def origin(self) -> tuple[str, int | None]:
        """The host name and the process's rank in its job (None outside one)."""

    def require_open(self) -> None:
        """Raise CaptureError unless the run is recording."""

    def submit(self, event: tuple[Any, ...] | dict[str, Any]) -> None:
        """Record one event of the run (the run is open)."""

    def open_tasks(self) -> list[Task]:
        """The calling thread's open tasks of the run, innermost last (the task edits it)."""

    def log_params(self, values: Mapping[str, Any], task: Task | None = None) -> None:
        """Record hyperparameters (see ``Workflow.log_params``)."""

    def log_metric(
        self,
        key: str,
        value: float,
        step: int | None = None,
        epoch: int | None = None,
        split: str | None = None,
        model: Entity | str | None = None,
        task: Task | None = None,
    ) -> None:
        """Record one measured value (see ``Workflow.log_metric``)."""

    def log_metrics(
        self,
        values: Mapping[str, float],
        step: int | None = None,
        epoch: int | None = None,
        split: str | None = None,
        model: Entity | str | None = None,
        task: Task | None = None,
    ) -> None:
        """Record several measured values (see ``Workflow.log_metrics``)."""


class Task:
    """One task execution; ``with wf.task(...) as t:`` or ``@wf.task(...)`` on a function."""

    def __init__(
        self,
        run: TaskRun,
        name: str | None,
        phase: str = "other",
        *,
        stage: str | None = None,
        operation: str | None = None,
        used: Iterable[Entity | str] = (),
        parent: Task | str | None = None,
        attributes: dict[str, Any] | None = None,
    ) -> None:
        if name is not None and (not isinstance(name, str) or not name):
            raise CaptureError(f"task name must be a non-empty string; got {name!r}")
        self._run = run
        self.name = name
        self.phase = check_choice(phase, PHASES, "task phase")
        self.stage = None if stage is None else check_choice(stage, STAGES, "learning stage")
        if operation is not None and not isinstance(operation, str):
            raise CaptureError(f"task operation must be a string; got {operation!r}")
        self.operation = operation
        self._used = [entity_ref(item, "used") for item in used]
        if parent is not None and not isinstance(parent, (Task, str)):
            raise CaptureError(f"task parent must be a Task or a task id; got {parent!r}")
        self._parent = parent
        self.attributes = check_attributes(attributes, f"task {name!r}")
        self.id: str | None = None
        self.status: str | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> Task:
        """Record the task's start (and its declared inputs); returns the task."""
        if self.id is not None:
            raise CaptureError(f"task {self.name!r} was already started; create a new one")
        run = self._run
        run.require_open()
        stack = run.open_tasks()
        parent = self._parent
        parent_id = parent.id if isinstance(parent, Task) else parent
        if parent is None and stack:
            parent_id = stack[-1].id
        seq = next(SEQUENCE.counter)
        self.id = f"{SEQUENCE.prefix}.{seq}"
        run.require_open()
        host, rank = run.origin
        run.submit(
            (
                TASK_START,
                self.id,
                time.time(),
                self.name or self.phase,
                self.phase,
                self.stage,
                self.operation,
                parent_id,
                host,
                os.getpid(),
                threading.current_thread().name,
                rank,
                self.attributes,
            )
        )
        stack.append(self)
        for entity in self._used:
            self._usage("used", entity, None)
        return self

    def end(self, status: str = "completed", error: str | None = None) -> None:
        """Record the task's end; status is 'completed' or 'failed'."""
        if self.id is None:
            raise CaptureError(f"task {self.name!r} was never started")
        if self.status is not None:
            return
        self.status = check_choice(status, frozenset({"completed", "failed"}), "task status")
        self._run.require_open()
        seq = next(SEQUENCE.counter)
        self._run.submit((TASK_END, seq, time.time(), self.id, status, error))
        stack = self._run.open_tasks()
        if self in stack:
            stack.remove(self)

    def __enter__(self) -> Task:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, _: Any
    ) -> None:
        if error is None:
            self.end("completed")
        else:
            self.end("failed", f"{type(error).__name__}: {error}")

    def __call__(self, function: F) -> F:
        """Decorator form: every call of ``function`` runs in a new task with this spec."""
        if self.id is not None:
            raise CaptureError("a started task cannot decorate a function")
        name = self.name or function.__name__

        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            task = Task(
                self._run,
                name,
                self.phase,
                stage=self.stage,
                operation=self.operation,
                used=self._used,
                parent=self._parent,
                attributes=self.attributes,
            )
            with task:
                return function(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    # -- provenance --------------------------------------------------------------------------
    def used(self, *entities: Entity | str, role: str | None = None) -> None:
        """Record that this task used the given entities (or entity ids)."""
        for entity in entities:
            self._usage("used", entity_ref(entity, "used"), role)

    def generated(self, *entities: Entity | str, role: str | None = None) -> None:
        """Record that this task generated the given entities (or entity ids)."""
        for entity in entities:
            self._usage("generated", entity_ref(entity, "generated"), role)

    def _usage(self, kind: str, entity: str, role: str | None) -> None:
        if self.id is None:
            raise CaptureError(f"task {self.name!r} must be started before recording {kind}")
        if role is not None and not isinstance(role, str):
            raise CaptureError(f"role must be a string; got {role!r}")
        event = base_event(kind, self._run.run_id)
        event.update(task=self.id, entity=entity, role=role)
        self._run.require_open()
        self._run.submit(event)

    def log_param(self, key: str, value: Any) -> None:
        """Record one hyperparameter of this task."""
        self._run.log_params({key: value}, task=self)

    def log_params(self, values: dict[str, Any]) -> None:
        """Record hyperparameters of this task."""
        self._run.log_params(values, task=self)

    def log_metric(
        self,
        key: str,
        value: float,
        step: int | None = None,
        epoch: int | None = None,
        split: str | None = None,
        model: Entity | str | None = None,
    ) -> None:
        """Record one measured value in this task (see ``Workflow.log_metric``)."""
        self._run.log_metric(key, value, step, epoch, split, model, task=self)

    def log_metrics(
        self,
        values: dict[str, float],
        step: int | None = None,
        epoch: int | None = None,
        split: str | None = None,
        model: Entity | str | None = None,
    ) -> None:
        """Record several measured values in this task, in one event."""
        self._run.log_metrics(values, step, epoch, split, model, task=self)

    def __repr__(self) -> str:
        return f"Task(id={self.id!r}, name={self.name!r}, phase={self.phase!r})"
