"""The workflow run: the entry point of capture (``with provml.Workflow("name") as wf:``)."""

from __future__ import annotations

__all__ = ["Workflow", "new_run_id"]

import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from provml.capture import lifecycle
from provml.capture.entities import Entity, entity_ref
from provml.capture.environment import process_rank, run_environment
from provml.capture.events import (
    HYPERPARAMETER_KINDS,
    PHASES,
    base_event,
    check_attributes,
    check_choice,
    check_optional_int,
    check_split,
    check_time,
    check_token,
    metric_value,
    param_value,
)
from provml.capture.sinks import Sink
from provml.capture.splits import SPLIT_NAMES
from provml.capture.spool import (
    DEFAULT_MAX_FILE_BYTES,
    DURABILITIES,
    CaptureHealth,
    SpoolWriter,
)
from provml.capture.task import Task, TaskRun
from provml.errors import CaptureError

SPOOL_ENV = "PROVML_SPOOL"
RUN_ID_ENV = "PROVML_RUN_ID"
DEFAULT_SPOOL_DIR = "provml-spool"
_PLAIN_NUMBERS = (float, int)
_now = time.time  # one global lookup on the hot path instead of two


def new_run_id() -> str:
    """A fresh run id: UTC time plus random hex, sortable and unique."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + uuid.uuid4().hex[:12]


class _TaskStacks(threading.local):
    """Each thread's stack of open tasks and its innermost task's id (``__init__`` runs once
    per thread); ``log_metric`` reads the id alone, which is much cheaper than the stack."""

    def __init__(self) -> None:
        self.stack: list[Task] = []
        self.task_id: str | None = None


class _TaskRun:
    """The part of a workflow its tasks use (`TaskRun`), and nothing else of it."""

    def __init__(self, workflow: Workflow) -> None:
        """The view of `workflow` its tasks get."""
        self._workflow = workflow
        self.log_params = workflow.log_params
        self.log_metric = workflow.log_metric
        self.log_metrics = workflow.log_metrics

    @property
    def run_id(self) -> str:
        """The run's id."""
        return self._workflow.run_id

    @property
    def origin(self) -> tuple[str, int | None]:
        """The host name and the rank read when the run started."""
        return self._workflow._host, self._workflow._rank

    def require_open(self) -> None:
        """CaptureError unless the run is recording."""
        self._workflow._require_open()

    def submit(self, event: tuple[Any, ...] | dict[str, Any]) -> None:
        """Hand the event to the run's writer."""
        self._workflow._submit(event)

    def open_tasks(self) -> list[Task]:
        """The calling thread's open tasks."""
        return self._workflow._local.stack

    def enter_task(self, task: Task) -> None:
        """Make ``task`` the calling thread's innermost open task."""
        local = self._workflow._local
        local.stack.append(task)
        local.task_id = task.id

    def leave_task(self, task: Task) -> None:
        """Take ``task`` off the calling thread's open tasks, if it is there."""
        local = self._workflow._local
        if task in local.stack:
            local.stack.remove(task)
            local.task_id = local.stack[-1].id if local.stack else None


class Workflow:
    """One run of a workflow; records tasks, entities, parameters and metrics to the spool.

    The run id is ``run_id``, else ``$PROVML_RUN_ID`` (so the ranks of one job share it), else
    new. Events go to ``<spool_dir>/<run id>/<host>-<pid>-<n>.jsonl`` with ``spool_dir`` =
    ``$PROVML_SPOOL`` or ``./provml-spool``. Starting a run exports ``PROVML_RUN_ID`` and
    ``PROVML_SPOOL`` so child processes join it. ``durability`` is ``"buffered"`` (default) or
    ``"sync"``; see :mod:`provml.capture.spool` for what each keeps after ``kill -9``.
    ``sink=`` replaces the spool writer, e.g. ``sink=MemorySink`` (a class taking the run id, or
    an instance) to capture into memory. ``started_at``/``ended_at`` (timezone-aware datetimes)
    record a run that happened earlier (an import of historical runs): they become the run's
    start and end times, while each event keeps the time it was captured.
    Misuse raises :class:`~provml.CaptureError` at once; I/O failures never raise (see
    ``capture_health``).
    """

    def __init__(
        self,
        name: str,
        *,
        run_id: str | None = None,
        spool_dir: str | os.PathLike[str] | None = None,
        durability: str = "buffered",
        flush_interval_ms: float = 200,
        max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
        study: str | None = None,
        experiment: str | None = None,
        on_behalf_of: str | None = None,
        attributes: Mapping[str, Any] | None = None,
        capture_git: bool = True,
        sink: Sink | Callable[[str], Sink] | None = None,
        started_at: datetime | None = None,
        ended_at: datetime | None = None,
    ) -> None:
        if not isinstance(name, str) or not name:
            raise CaptureError(f"workflow name must be a non-empty string; got {name!r}")
        if durability not in DURABILITIES:
            raise CaptureError(f"unknown durability {durability!r}; expected one of {DURABILITIES}")
        if not isinstance(flush_interval_ms, (int, float)) or flush_interval_ms <= 0:
            raise CaptureError(f"flush_interval_ms must be > 0; got {flush_interval_ms!r}")
        if not isinstance(max_file_bytes, int) or max_file_bytes <= 0:
            raise CaptureError(f"max_file_bytes must be a positive integer; got {max_file_bytes!r}")
        for label, value in (("study", study), ("experiment", experiment)):
            if value is not None and not isinstance(value, str):
                raise CaptureError(f"{label} must be a string; got {value!r}")
        if sink is not None and not (callable(sink) or hasattr(sink, "submit")):
            raise CaptureError(f"sink must be a Sink or a factory taking the run id; got {sink!r}")
        self._started_at = check_time(started_at, "started_at")
        self._ended_at = check_time(ended_at, "ended_at")
        start, end = self._started_at, self._ended_at
        if end is not None and end < (time.time() if start is None else start):
            # Checked now, not at the end: __exit__ must always be able to close the run.
            raise CaptureError(
                f"workflow {name!r}: ended_at {ended_at} is before started_at "
                f"{'(now: give started_at too)' if start is None else started_at}"
            )
        self.name = name
        chosen = run_id or os.environ.get(RUN_ID_ENV) or new_run_id()
        self.run_id = check_token(chosen, "run id")
        self.spool_dir = Path(spool_dir or os.environ.get(SPOOL_ENV) or DEFAULT_SPOOL_DIR).resolve()
        self.durability = durability
        self.study = study
        self.experiment = experiment
        self.on_behalf_of = on_behalf_of
        self.attributes = check_attributes(attributes, f"workflow {name!r}")
        self._flush_interval = flush_interval_ms / 1000.0
        self._max_file_bytes = max_file_bytes
        self._capture_git = capture_git
        self._host = socket.gethostname()
        self._rank: int | None = None
        self._local = _TaskStacks()
        self._sink_factory = sink
        self._writer: Sink | None = None
        # The buffered spool writer's backlog, which log_metric appends to without a call.
        self._backlog: list[Any] | None = None
        self._max_backlog = 0
        self._open = False
        self._ended = False
        self._saved_env: dict[str, str | None] = {}
        self._task_run: TaskRun = _TaskRun(self)

    # -- run lifecycle -----------------------------------------------------------------------
    @property
    def run_dir(self) -> Path:
        """The directory holding this run's spool files."""
        return self.spool_dir / self.run_id

    def start(self) -> Workflow:
        """Open the spool writer and record the run's start; returns the workflow."""
        if self._open or self._ended:
            raise CaptureError(f"workflow {self.name!r} (run {self.run_id}) was already started")
        writer: Sink
        if self._sink_factory is None:
            writer = SpoolWriter(
                self.run_dir,
                self.run_id,
                self.durability,
                self._flush_interval,
                self._max_file_bytes,
            )
        elif isinstance(self._sink_factory, type) or not hasattr(self._sink_factory, "submit"):
            writer = self._sink_factory(self.run_id)
        else:
            # hasattr cannot narrow to a Protocol that is not runtime-checkable
            writer = self._sink_factory  # type: ignore[assignment]
        self._writer = writer
        self._submit = writer.submit
        if isinstance(writer, SpoolWriter) and not writer.sync:
            self._backlog, self._max_backlog = writer.queue, writer.max_backlog
        self._rank = process_rank()  # read once: tasks record it on every start
        self._open = True
        lifecycle.register(writer, self)
        # Children started while the run is open join it; the previous values come back at end.
        self._saved_env = {key: os.environ.get(key) for key in (RUN_ID_ENV, SPOOL_ENV)}
        os.environ[RUN_ID_ENV] = self.run_id
        os.environ[SPOOL_ENV] = str(self.spool_dir)
        event = base_event("run_start", self.run_id)
        event.update(
            name=self.name,
            study=self.study,
            experiment=self.experiment,
            on_behalf_of=self.on_behalf_of,
            **run_environment(self._capture_git),
            attributes=self.attributes,
        )
        if self._started_at is None:
            self._started_at = event["t"]
        else:
            event["started_at"] = self._started_at
        self._emit(event)
        # Create the file and write run_start now, outside the training loop that follows.
        writer.flush()
        return self

    def end(
        self,
        status: str = "completed",
        error: str | None = None,
        *,
        ended_at: datetime | None = None,
    ) -> None:
        """Record the run's end ('completed', 'failed' or 'killed'), flush and close the spool.

        ``ended_at`` (timezone-aware; else the one given to the workflow, else now) is the run's
        end time; raises CaptureError if it is before the run's start. After it returns every
        event of the run is written to the spool file (and fsynced in ``sync`` mode). A run ending
        'failed' or 'killed' first ends the calling thread's open tasks as failed, with its error.
        Calling it again does nothing.
        """
        if not self._open:
            return
        check_choice(status, frozenset({"completed", "failed", "killed"}), "run status")
        end_seconds = self._ended_at if ended_at is None else check_time(ended_at, "ended_at")
        start = self._started_at
        if end_seconds is not None and start is not None and end_seconds < start:
            raise CaptureError(
                f"workflow {self.name!r}: ended_at {ended_at or end_seconds} is before its start"
            )
        if status != "completed":
            # Tasks a failure left open (a hook whose framework raised past it) fail with the
            # run, so `failed_tasks` lists them; innermost first.
            for task in reversed(list(self._local.stack)):
                task.end("failed", error or f"the run ended {status} while the task was open")
        event = base_event("run_end", self.run_id)
        event.update(status=status, error=error)
        if end_seconds is not None:
            event["ended_at"] = end_seconds
        self._emit(event)
        self._open = False
        self._ended = True
        assert self._writer is not None
        self._writer.close()
        lifecycle.unregister(self._writer, self)
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

    def __enter__(self) -> Workflow:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, _: Any
    ) -> None:
        if error is None:
            self.end("completed")
        elif isinstance(error, KeyboardInterrupt):
            self.end("killed", "KeyboardInterrupt")
        else:
            self.end("failed", f"{type(error).__name__}: {error}")

    def flush(self) -> None:
        """Write every queued event to the spool file now (buffered mode); never raises on I/O."""
        if self._writer is not None:
            self._writer.flush()

    @property
    def capture_health(self) -> CaptureHealth:
        """Events written and dropped so far in this process, and the last I/O error."""
        if self._writer is None:
            return CaptureHealth(0, 0, None, None)
        return self._writer.health

    @property
    def sink(self) -> Sink | None:
        """Where this run's events go (the spool writer unless ``sink=`` was given)."""
        return self._writer

    @property
    def spool_file(self) -> Path | None:
        """The spool file this process is writing now (None before the first write)."""
        return None if self._writer is None else self._writer.path

    def _require_open(self) -> None:
        if not self._open:
            raise CaptureError(
                f"workflow {self.name!r} is not running: use `with Workflow(...) as wf:` or "
                "call wf.start() first"
            )

    def _emit(self, event: dict[str, Any]) -> None:
        self._require_open()
        self._submit(event)

    @property
    def current_task(self) -> Task | None:
        """The innermost open task of the calling thread, or None."""
        stack = self._local.stack
        return stack[-1] if stack else None

    # -- tasks -------------------------------------------------------------------------------
    def task(
        self,
        name: str | None = None,
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
    ) -> Task:
        """A task to run as ``with wf.task(...) as t:`` or to decorate a function with.

        ``stage`` is a learning stage (training, validation, evaluation, epoch, iteration);
        ``step`` the task's position in any workflow (1, 2, 3...). ``command`` (a string or a
        list of arguments), ``tool`` and ``tool_version`` name the program the task ran.
        ``started_at``/``ended_at`` (timezone-aware datetimes) replace the wall-clock times.
        Raises CaptureError for misuse (a naive datetime, an end before the start...).
        """
        return Task(
            self._task_run,
            name,
            phase,
            stage=stage,
            operation=operation,
            used=used,
            parent=parent,
            attributes=attributes,
            step=step,
            command=command,
            tool=tool,
            tool_version=tool_version,
            started_at=started_at,
            ended_at=ended_at,
        )

    def plan(
        self,
        name: str,
        phase: str,
        inputs: Iterable[str | Mapping[str, Any]] = (),
        outputs: Iterable[str | Mapping[str, Any]] = (),
        store: str | None = None,
    ) -> None:
        """Declare a planned step (prospective provenance) with its input and output attributes."""
        if not isinstance(name, str) or not name:
            raise CaptureError(f"plan name must be a non-empty string; got {name!r}")
        check_choice(phase, PHASES, "plan phase")
        event = base_event("plan", self.run_id)
        event.update(
            name=name,
            phase=phase,
            inputs=[_declared(item, name) for item in inputs],
            outputs=[_declared(item, name) for item in outputs],
            store=None if store is None else str(store),
        )
        self._emit(event)

    # -- entities ----------------------------------------------------------------------------
    def entity(self, name: str, **fields: Any) -> Entity:
        """Record an entity of any type (``type=`` one of the schema's entity types).

        Durable like every event (see the class docstring); raises CaptureError for an unknown
        type, a bad id or attributes, and for ``hash=True`` on an unreadable or missing file.
        """
        self._require_open()
        return Entity(self._emit, self.run_id, name, **fields)

    def dataset(self, name: str, path: Any = None, type: str = "raw_data", **fields: Any) -> Entity:
        """Record a data set (raw, curated, or a training/validation/test split)."""
        return self.entity(name, path=path, type=type, **fields)

    def model(self, name: str, path: Any = None, type: str = "model", **fields: Any) -> Entity:
        """Record a model (``architecture=``, ``framework=``, ``path=`` of the artifact)."""
        return self.entity(name, path=path, type=type, **fields)

    def checkpoint(self, name: str, path: Any = None, **fields: Any) -> Entity:
        """Record a model checkpoint."""
        return self.entity(name, path=path, type="checkpoint", **fields)

    def predictions(self, name: str, path: Any = None, **fields: Any) -> Entity:
        """Record the output of an inference task."""
        return self.entity(name, path=path, type="predictions", **fields)

    # -- hyperparameters and metrics ---------------------------------------------------------
    def log_param(
        self, key: str, value: Any, task: Task | None = None, kind: str | None = None
    ) -> None:
        """Record one hyperparameter (of ``task``, else of the current task, else of the run)."""
        self.log_params({key: value}, task=task, kind=kind)

    def log_params(
        self, values: Mapping[str, Any], task: Task | None = None, kind: str | None = None
    ) -> None:
        """Record hyperparameters in one event; lists/dicts are kept as JSON text.

        ``kind`` says what they shape: ``"model"`` (the model's structure: layers, depth) or
        ``"algorithm"`` (the learning algorithm: learning rate, batch size); None leaves it
        unsaid. Raises CaptureError for a non-dict, a non-string name or an unknown kind.
        """
        if not isinstance(values, Mapping):
            raise CaptureError(f"log_params expects a dict; got {type(values).__name__}")
        if kind is not None:
            check_choice(kind, HYPERPARAMETER_KINDS, "hyperparameter kind")
        checked = {key: param_value(key, value) for key, value in values.items()}
        event = base_event("params", self.run_id)
        event.update(task=self._task_id(task), values=checked)
        if kind is not None:
            event["hyperparameter_kind"] = kind
        self._emit(event)

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
        """Record one measured value (split: 'training'/'train', 'validation'/'val', 'test'...).

        Buffered mode: appends a small tuple to the writer's backlog (serialised by the writer
        thread); a call that finds the backlog full (4096 events) writes it before returning, so
        after ``kill -9`` nothing acknowledged more than ``flush_interval_ms`` earlier is lost,
        at any call rate. Sync mode: returns after the event is written and fsynced.
        """
        # The hot path of capture: every check is a class test, and a plain call does no more.
        if key.__class__ is not str or not key or value.__class__ not in _PLAIN_NUMBERS:
            value = metric_value(key, value)
        if step is not None and step.__class__ is not int:
            step = check_optional_int(step, "step")
        if epoch is not None and epoch.__class__ is not int:
            epoch = check_optional_int(epoch, "epoch")
        if split is not None:
            split = SPLIT_NAMES.get(split) or check_split(split)
        if model is not None:
            model = entity_ref(model, "model")
        task_id = self._local.task_id if task is None else self._task_id(task)
        if not self._open:
            self._require_open()
        item = (_now(), value, step, epoch, task_id, key, split, model)  # METRIC_FIELDS
        backlog = self._backlog
        if backlog is None:
            self._submit(item)
        else:  # SpoolWriter.submit's buffered branch, inlined: a call costs ~0.4 µs cold here
            backlog.append(item)
            if len(backlog) >= self._max_backlog:
                self._submit_backlog()

    def log_metrics(
        self,
        values: Mapping[str, float],
        step: int | None = None,
        epoch: int | None = None,
        split: str | None = None,
        model: Entity | str | None = None,
        task: Task | None = None,
    ) -> None:
        """Record several measured values of one step/epoch/split in one event."""
        if not isinstance(values, Mapping) or not values:
            raise CaptureError(f"log_metrics expects a non-empty dict; got {values!r}")
        checked = {key: metric_value(key, value) for key, value in values.items()}
        step = check_optional_int(step, "step")
        epoch = check_optional_int(epoch, "epoch")
        split = check_split(split)
        model_id = None if model is None else entity_ref(model, "model")
        self._require_open()
        event = base_event("metrics", self.run_id)
        event.update(
            task=self._task_id(task),
            values=checked,
            step=step,
            epoch=epoch,
            split=split,
            model=model_id,
        )
        self._submit(event)

    def _submit_backlog(self) -> None:
        """Write the full backlog now, in the calling thread (the bound on capture's memory)."""
        assert self._writer is not None
        self._writer.flush()

    def _task_id(self, task: Task | None) -> str | None:
        if task is not None:
            if not isinstance(task, Task):
                raise CaptureError(f"task must be a Task; got {task!r}")
            return task.id
        return self._local.task_id

    def __repr__(self) -> str:
        return f"Workflow(name={self.name!r}, run_id={self.run_id!r})"


def _declared(item: str | Mapping[str, Any], plan: str) -> dict[str, Any]:
    if isinstance(item, str):
        return {"name": item}
    if isinstance(item, Mapping) and isinstance(item.get("name"), str):
        unknown = set(item) - {"name", "type", "schema"}
        if unknown:
            raise CaptureError(f"plan {plan!r}: unknown attribute fields {sorted(unknown)}")
        return {key: item[key] for key in ("name", "type", "schema") if key in item}
    raise CaptureError(
        f"plan {plan!r}: inputs/outputs are names or dicts with 'name'; got {item!r}"
    )
