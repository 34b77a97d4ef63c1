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
import shlex
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol, TypeVar

from provml.capture.entities import HASH_VERSION_PREFIX, Entity, entity_ref, version_ref
from provml.capture.events import (
    PHASES,
    SEQUENCE,
    TASK_END,
    TASK_START,
    base_event,
    check_attributes,
    check_choice,
    check_optional_text,
    check_stage,
    check_step_number,
    check_time,
    task_end_event,
    task_start_event,
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
        """The calling thread's open tasks of the run, innermost last (read only)."""

    def enter_task(self, task: Task) -> None:
        """Make ``task`` the calling thread's innermost open task."""

    def leave_task(self, task: Task) -> None:
        """Take ``task`` off the calling thread's open tasks, if it is there."""

    def log_params(
        self, values: Mapping[str, Any], task: Task | None = None, kind: str | None = None
    ) -> None:
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
        step: int | None = None,
        command: str | Sequence[str] | None = None,
        tool: str | None = None,
        tool_version: str | None = None,
        started_at: datetime | None = None,
        ended_at: datetime | None = None,
    ) -> None:
        if name is not None and (not isinstance(name, str) or not name):
            raise CaptureError(f"task name must be a non-empty string; got {name!r}")
        self._run = run
        self.name = name
        self.phase = check_choice(phase, PHASES, "task phase")
        self.stage = check_stage(stage)
        if operation is not None and not isinstance(operation, str):
            raise CaptureError(f"task operation must be a string; got {operation!r}")
        self.operation = operation
        self._used = list(used)
        for item in self._used:
            entity_ref(item, "used")
        if parent is not None and not isinstance(parent, (Task, str)):
            raise CaptureError(f"task parent must be a Task or a task id; got {parent!r}")
        self._parent = parent
        self.attributes = check_attributes(attributes, f"task {name!r}")
        self.step = check_step_number(step)
        self.command = _command_text(command)
        self.tool = check_optional_text(tool, "tool")
        self.tool_version = check_optional_text(tool_version, "tool_version")
        if self.tool_version is not None and self.tool is None:
            raise CaptureError(f"task {name!r}: tool_version={tool_version!r} needs tool=")
        self._started_at = started_at
        self._ended_at = ended_at
        self._start_seconds = check_time(started_at, "started_at")
        end_seconds = check_time(ended_at, "ended_at")
        start = self._start_seconds
        if end_seconds is not None and end_seconds < (time.time() if start is None else start):
            # Checked now, not at the end: __exit__ must always be able to end the task.
            raise CaptureError(
                f"task {name!r}: ended_at {ended_at} is before started_at "
                f"{'(now: give started_at too)' if start is None else started_at}"
            )
        self.id: str | None = None
        self.status: str | None = None

    @property
    def run_id(self) -> str:
        """The id of the run this task belongs to."""
        return self._run.run_id

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
        now = time.time()
        if self._start_seconds is None:
            self._start_seconds = now
        item = (
            TASK_START,
            self.id,
            now,
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
        extra = self._start_extra()
        if extra:
            # Rare fields go in a dict event; the common start stays a small tuple.
            event = task_start_event(item, run.run_id, SEQUENCE.prefix)
            event.update(extra)
            run.submit(event)
        else:
            run.submit(item)
        run.enter_task(self)
        for entity in self._used:
            self._usage("used", entity, None)
        return self

    def _start_extra(self) -> dict[str, Any]:
        """The task_start fields beyond the common ones, those that were given."""
        extra: dict[str, Any] = {}
        if self._started_at is not None:
            extra["started_at"] = self._start_seconds
        for key in ("step", "command", "tool", "tool_version"):
            value = getattr(self, key)
            if value is not None:
                extra[key] = value
        return extra

    def end(
        self,
        status: str = "completed",
        error: str | None = None,
        *,
        ended_at: datetime | None = None,
    ) -> None:
        """Record the task's end; status is 'completed' or 'failed'.

        ``ended_at`` (timezone-aware; else the one given to the task, else now) is the task's
        end time; raises CaptureError if it is before the task's start.
        """
        if self.id is None:
            raise CaptureError(f"task {self.name!r} was never started")
        if self.status is not None:
            return
        check_choice(status, frozenset({"completed", "failed"}), "task status")
        end_seconds = check_time(ended_at if ended_at is not None else self._ended_at, "ended_at")
        start = self._start_seconds
        if end_seconds is not None and start is not None and end_seconds < start:
            given = ended_at if ended_at is not None else self._ended_at
            raise CaptureError(f"task {self.name!r}: ended_at {given} is before its start")
        self.status = status
        self._run.require_open()
        seq = next(SEQUENCE.counter)
        item = (TASK_END, seq, time.time(), self.id, status, error)
        if end_seconds is None:
            self._run.submit(item)
        else:
            event = task_end_event(item, self._run.run_id, SEQUENCE.prefix)
            event["ended_at"] = end_seconds
            self._run.submit(event)
        self._run.leave_task(self)

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
                step=self.step,
                command=self.command,
                tool=self.tool,
                tool_version=self.tool_version,
                started_at=self._started_at,
                ended_at=self._ended_at,
            )
            with task:
                return function(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    # -- provenance --------------------------------------------------------------------------
    def used(self, *entities: Entity | str, role: str | None = None) -> None:
        """Record that this task used the given entities (or entity ids).

        An Entity whose version this process knows (it generated it, or hashed it) is used at
        that version; an id string names the stable entity.
        """
        for entity in entities:
            entity_ref(entity, "used")
            self._usage("used", entity, role)

    def generated(
        self,
        *entities: Entity | str,
        role: str | None = None,
        derived_from: Iterable[Entity | str] | None = None,
    ) -> None:
        """Record that this task generated the given entities (or entity ids): each a new
        version of its entity.

        ``derived_from`` names the inputs the outputs derive from (recorded derivations; an
        Entity at the version this process knows, an id string the stable entity); by default
        an Entity's own ``derived_from``. Raises CaptureError for a bad entity or id.
        """
        sources = None if derived_from is None else list(derived_from)
        refs = None if sources is None else [version_ref(item) for item in sources]
        for entity in entities:
            entity_ref(entity, "generated")
            self._usage("generated", entity, role, refs)

    def invalidated(self, *entities: Entity | str) -> None:
        """Record that this task ended the given entities' existence (a deleted file, a
        superseded checkpoint): ``prov:wasInvalidatedBy`` once loaded.

        An Entity whose version this process knows is invalidated at that version; an id string
        names the stable entity. Durable like every event; raises CaptureError for a bad entity
        or id, or a task not started.
        """
        for entity in entities:
            entity_ref(entity, "invalidated")
            self._usage("invalidated", entity, None)

    def _usage(
        self,
        kind: str,
        entity: Entity | str,
        role: str | None,
        derived_from: list[dict[str, Any]] | None = None,
    ) -> None:
        if self.id is None:
            raise CaptureError(f"task {self.name!r} must be started before recording {kind}")
        if role is not None and not isinstance(role, str):
            raise CaptureError(f"role must be a string; got {role!r}")
        event = base_event(kind, self._run.run_id)
        event.update(task=self.id, entity=entity_ref(entity, kind), role=role)
        if isinstance(entity, Entity):
            if kind == "generated":
                event["type"] = entity.type
                if derived_from is None:
                    derived_from = entity.derived_sources
                _put_content(event, entity)
                entity.version = event["id"]
            elif entity.version is not None:
                event["version"] = entity.version
                if entity.version.startswith(HASH_VERSION_PREFIX):
                    event["type"] = entity.type
                    _put_content(event, entity)
        if kind == "generated" and derived_from:
            event["derived_from"] = derived_from
        self._run.require_open()
        self._run.submit(event)

    def log_param(self, key: str, value: Any, kind: str | None = None) -> None:
        """Record one hyperparameter of this task (``kind``: "model" or "algorithm")."""
        self._run.log_params({key: value}, task=self, kind=kind)

    def log_params(self, values: dict[str, Any], kind: str | None = None) -> None:
        """Record hyperparameters of this task (``kind``: "model" or "algorithm")."""
        self._run.log_params(values, task=self, kind=kind)

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


def _put_content(event: dict[str, Any], entity: Entity) -> None:
    """The content hash and size of the version an event names, where the Entity knows them."""
    if entity.sha256 is not None:
        event["sha256"] = entity.sha256
    if entity.size is not None:
        event["size"] = entity.size


def _command_text(command: object) -> str | None:
    """A task's command line as one string: a list of arguments is joined as a shell would
    read it back (``shlex.join``), so arguments with spaces stay apart."""
    if command is None:
        return None
    if isinstance(command, str):
        if not command:
            raise CaptureError("command must be a non-empty string or list of strings")
        return command
    if isinstance(command, Sequence) and command and all(isinstance(a, str) for a in command):
        return shlex.join(command)
    raise CaptureError(f"command must be a string or a list of strings; got {command!r}")
