"""Annotations after the fact: a person states a key and a value about an entity or activity.

An annotation is an event of its own (kind ``annotation``), written to the spool stream
``<spool dir>/annotations/`` and loaded like any spool, so it is validated, crash-proof (written
and fsynced before `annotate` returns; a torn line is never loaded) and refused if its id was
taken. It records no run: nothing of what capture recorded changes. A later annotation of the
same target and key supersedes an earlier one; the loader links them (``provml:supersedes``)
and keeps both. Standard library only.
"""

from __future__ import annotations

__all__ = ["annotate", "annotation_event"]

import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from provml.capture.entities import Entity
from provml.capture.environment import user_name
from provml.capture.events import base_event, check_optional_text, check_time, check_token
from provml.capture.spool import SpoolWriter
from provml.capture.task import Task
from provml.capture.workflow import DEFAULT_SPOOL_DIR, SPOOL_ENV, Workflow
from provml.errors import CaptureError, SpoolError

#: The stream annotations are written to (their events' ``run``, and the spool subdirectory):
#: a name for the stream, not a workflow run; the loader makes no run of it.
ANNOTATION_STREAM = "annotations"
#: An absolute IRI that N-Triples can hold: a scheme, then no space, control or <>"{}|^`\.
IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\x00-\x20<>\"{}|^`\\]*$")

#: What an annotation can be about: an Entity, a Workflow (its run), a Task, or one of the
#: dicts `target_of` returns.
Target = Entity | Workflow | Task | dict[str, str]


def target_of(target: object) -> dict[str, str]:
    """The event's ``target`` for an Entity, Workflow, Task, or a dict with ``entity``, ``run``
    (and ``task``, a task id) or ``iri``; raises CaptureError for anything else."""
    if isinstance(target, Entity):
        return {"entity": target.id}
    if isinstance(target, Workflow):
        return {"run": target.run_id}
    if isinstance(target, Task):
        if target.id is None:
            raise CaptureError(f"task {target.name!r} was never started: nothing to annotate")
        return {"run": target.run_id, "task": target.id}
    if isinstance(target, dict):
        keys = frozenset(target)
        if keys == {"entity"}:
            return {"entity": check_token(target["entity"], "annotated entity id")}
        if keys in ({"run"}, {"run", "task"}):
            return {key: check_token(value, f"annotated {key} id") for key, value in target.items()}
        if keys == {"iri"}:
            iri = target["iri"]
            if not isinstance(iri, str) or not IRI.match(iri):
                raise CaptureError(f"annotated IRI must be an absolute IRI; got {iri!r}")
            return {"iri": iri}
    raise CaptureError(
        "an annotation's target is an Entity, a Workflow, a Task, or a dict with 'entity', "
        f"'run' (and 'task') or 'iri'; got {target!r}"
    )


def annotation_event(
    target: Target,
    key: str,
    value: str | int | float | bool,
    *,
    by: str | None = None,
    at: datetime | None = None,
    unit: str | None = None,
    comment: str | None = None,
) -> dict[str, Any]:
    """The annotation event (not yet written): who (``by``, default the login name), when
    (``at``, timezone-aware, default now), the key, the value, and an optional unit and
    comment. Raises CaptureError for a bad target, key, value, agent or time."""
    if not isinstance(key, str) or not key:
        raise CaptureError(f"annotation key must be a non-empty string; got {key!r}")
    if value is None or not isinstance(value, (str, int, float, bool)):
        raise CaptureError(f"annotation {key!r}: value must be a string, number or boolean")
    if isinstance(value, float) and value != value:  # NaN: no literal to compare with
        raise CaptureError(f"annotation {key!r}: value must not be NaN")
    author = user_name() if by is None else check_optional_text(by, "by")
    event = base_event("annotation", ANNOTATION_STREAM)
    when = check_time(at if at is not None else datetime.now(UTC), "at")
    event.update(
        target=target_of(target),
        key=key,
        value=value,
        by=author,
        at=when,
        unit=check_optional_text(unit, "unit"),
        comment=check_optional_text(comment, "comment"),
    )
    return event


def annotate(
    target: Target,
    key: str,
    value: str | int | float | bool,
    *,
    by: str | None = None,
    at: datetime | None = None,
    unit: str | None = None,
    comment: str | None = None,
    spool_dir: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """Record an annotation after the fact in ``spool_dir`` (default ``$PROVML_SPOOL`` or
    ``./provml-spool``), under ``annotations/``; returns the event written.

    Durable: written and fsynced before it returns (a `kill -9` after the return loses
    nothing). Load it with the spool (`provml load DIR`). Raises CaptureError for bad
    arguments and SpoolError (naming the file) when the spool cannot be written.
    """
    event = annotation_event(target, key, value, by=by, at=at, unit=unit, comment=comment)
    root = Path(spool_dir or os.environ.get(SPOOL_ENV) or DEFAULT_SPOOL_DIR).resolve()
    directory = root / ANNOTATION_STREAM
    writer = SpoolWriter(directory, ANNOTATION_STREAM, durability="sync")
    try:
        writer.submit(event)
    finally:
        writer.close()
    health = writer.health
    if health.dropped:
        raise SpoolError(
            f"cannot write the annotation to {health.path or directory}: {health.last_error}",
            path=Path(health.path) if health.path else directory,
        )
    return event
