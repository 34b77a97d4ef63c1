"""Event records: ids, vocabularies and argument checks shared by every capture call.

An event id is ``'<process hex>.<seq>'``: the process part is fresh in every process (and in every
forked child), the sequence counts up, so ids are unique across the processes of a run.
"""

from __future__ import annotations

__all__ = ["SCHEMA_FILE", "SCHEMA_VERSION"]

import itertools
import json
import math
import os
import re
import secrets
import time
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from provml.capture.splits import SPLITS, split_name
from provml.errors import CaptureError

SCHEMA_VERSION = 1
# The JSON schema of the events (format version SCHEMA_VERSION), shipped in this package.
SCHEMA_FILE = "event.schema.json"

PHASES = frozenset({"acquisition", "curation", "preparation", "learning", "inference", "other"})
STAGES = frozenset({"training", "validation", "evaluation", "epoch", "iteration"})
# What a hyperparameter shapes: the model's structure, or the learning algorithm that fits it.
HYPERPARAMETER_KINDS = frozenset({"model", "algorithm"})
ENTITY_TYPES = frozenset(
    {
        "raw_data",
        "domain_data",
        "learning_data",
        "training_set",
        "validation_set",
        "test_set",
        "model",
        "checkpoint",
        "predictions",
        "artifact",
    }
)

_TOKEN = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class IdSequence:
    """The process's id prefix and event counter; renewed in forked children."""

    def __init__(self, prefix: str | None = None) -> None:
        self.renew()
        if prefix is not None:
            self.prefix = prefix

    def renew(self) -> None:
        """Start a new prefix and counter (called at import and after fork)."""
        self.prefix = f"{os.getpid():x}{secrets.token_hex(4)}"
        self.counter: Iterator[int] = itertools.count(1)


SEQUENCE = IdSequence()
os.register_at_fork(after_in_child=SEQUENCE.renew)


def next_id() -> str:
    """A new event id, unique across processes."""
    return f"{SEQUENCE.prefix}.{next(SEQUENCE.counter)}"


def base_event(kind: str, run: str) -> dict[str, Any]:
    """The common fields of an event of ``kind`` in ``run``, stamped now."""
    return {"v": SCHEMA_VERSION, "kind": kind, "id": next_id(), "run": run, "t": time.time()}


def metric_event(item: tuple[Any, ...], run: str, event_id: str) -> dict[str, Any]:
    """Build the metrics event of a queued single-metric tuple (see ``METRIC_FIELDS``)."""
    t, value, step, epoch, task, key, split, model = item
    return {
        "v": SCHEMA_VERSION,
        "kind": "metrics",
        "id": event_id,
        "run": run,
        "t": t,
        "task": task,
        "values": {key: value},
        "step": step,
        "epoch": epoch,
        "split": split,
        "model": model,
    }


_quote = json.encoder.encode_basestring_ascii
_encode = json.JSONEncoder(separators=(",", ":")).encode


def encode_event(event: dict[str, Any]) -> str:
    """One event as a compact JSON line (without the newline)."""
    return _encode(event)


def task_start_line(item: tuple[Any, ...], run: str, prefix: str) -> str:
    """The JSON line of a queued task_start tuple."""
    return _encode(task_start_event(item, run, prefix))


def task_end_line(item: tuple[Any, ...], run: str, prefix: str) -> str:
    """The JSON line of a queued task_end tuple."""
    return _encode(task_end_event(item, run, prefix))


# Queued tuples. A single metric (the hot path) is the tuple METRIC_FIELDS names: it starts
# with its time, a float, and gets its id number when it is written (one call less for the
# training thread). Other tuples start with the index of their line builder. Tuples of numbers
# and strings only are untracked by the garbage collector, so a full queue adds no
# full-collection pressure.
METRIC_FIELDS = ("t", "value", "step", "epoch", "task", "key", "split", "model")
TASK_START, TASK_END = 0, 1
LINE_BUILDERS = (task_start_line, task_end_line)


def _json_token(value: str | None) -> str:
    return "null" if value is None else f'"{value}"'


class LineEncoder:
    """Builds the JSON Lines bytes of queued events; the same text ``json`` writes, made cheaply.

    A single-metric event's text is fixed by its run, id prefix, task, metric name, split, model
    and whether step and epoch are given; that text is built once per shape as a ``%`` template,
    so each event formats only its id number, time, value, step and epoch. Non-finite values and
    other events go through ``json``.
    """

    MAX_TEMPLATES = 4096  # shapes kept; a run with more tasks or metric names starts over

    def __init__(self, run: str) -> None:
        self.run = run
        self.prefix = ""
        self.templates: dict[tuple[Any, ...], bytes] = {}

    def encode(self, items: list[Any], sequence: IdSequence) -> bytes:
        """The lines of ``items`` (queued tuples or event dicts), each ending in a newline;
        single metrics are numbered from ``sequence`` in queue order."""
        prefix = sequence.prefix
        if prefix != self.prefix:
            self.templates.clear()
            self.prefix = prefix
        counter = sequence.counter
        templates = self.templates
        out: list[bytes] = []
        append = out.append
        for item in items:
            if item.__class__ is tuple and item[0].__class__ is float:
                t, value, step, epoch, task, key, split, model = item
                # value - value is 0 for finite numbers, NaN (truthy) for NaN and infinities
                if not value - value:
                    shape = (task, key, split, model, step is None, epoch is None)
                    template = templates.get(shape) or self._template(shape)
                    append(template % (next(counter), t, value, step, epoch))
                    continue
            append(self.line(item, sequence))
        return b"".join(out)

    def line(self, item: Any, sequence: IdSequence) -> bytes:
        """One queued tuple or event dict as a JSON line (with its newline), through ``json``."""
        if type(item) is dict:
            text = encode_event(item)
        elif item[0].__class__ is float:
            event_id = f"{sequence.prefix}.{next(sequence.counter)}"
            text = encode_event(metric_event(item, self.run, event_id))
        else:
            text = LINE_BUILDERS[item[0]](item, self.run, sequence.prefix)
        return text.encode() + b"\n"

    def _template(self, shape: tuple[Any, ...]) -> bytes:
        task, key, split, model, no_step, no_epoch = shape
        if len(self.templates) >= self.MAX_TEMPLATES:
            self.templates.clear()
        # "%.0a" consumes a None and writes nothing, so every event formats the same five fields
        text = (
            f'{{"v":1,"kind":"metrics","id":"{_escape(self.prefix)}.%d","run":"{_escape(self.run)}",'
            f'"t":%a,"task":{_escape(_json_token(task))},"values":{{{_escape(_quote(key))}:%a}},'
            f'"step":{"null%.0a" if no_step else "%d"},"epoch":{"null%.0a" if no_epoch else "%d"},'
            f'"split":{_escape(_json_token(split))},"model":{_escape(_json_token(model))}}}\n'
        )
        template = self.templates[shape] = text.encode()
        return template


def _escape(text: str) -> str:
    return text.replace("%", "%%")


def task_start_event(item: tuple[Any, ...], run: str, prefix: str) -> dict[str, Any]:
    """Build a task_start event from the tuple ``Task.start`` queued."""
    _, task, t, name, phase, stage, operation, parent, host, pid, thread, rank, attributes = item
    return {
        "v": SCHEMA_VERSION,
        "kind": "task_start",
        "id": task,
        "run": run,
        "t": t,
        "task": task,
        "name": name,
        "phase": phase,
        "stage": stage,
        "operation": operation,
        "parent": parent,
        "host": host,
        "pid": pid,
        "thread": thread,
        "rank": rank,
        "attributes": attributes,
    }


def task_end_event(item: tuple[Any, ...], run: str, prefix: str) -> dict[str, Any]:
    """Build a task_end event from the tuple ``Task.end`` queued."""
    _, seq, t, task, status, error = item
    return {
        "v": SCHEMA_VERSION,
        "kind": "task_end",
        "id": f"{prefix}.{seq}",
        "run": run,
        "t": t,
        "task": task,
        "status": status,
        "error": error,
    }


def check_token(value: object, what: str) -> str:
    """Return ``value`` if it is a valid id token, else raise CaptureError naming ``what``."""
    if not isinstance(value, str) or not _TOKEN.match(value):
        raise CaptureError(
            f"{what} must be 1-128 characters of letters, digits, '.', '_' or '-'; got {value!r}"
        )
    return value


def slug(text: str, limit: int = 48) -> str:
    """``text`` reduced to id-safe characters (never empty)."""
    return _UNSAFE.sub("-", text).strip("-.")[:limit] or "x"


def check_choice(value: object, allowed: frozenset[str], what: str) -> str:
    """Return ``value`` if it is one of ``allowed``, else raise CaptureError listing them."""
    if value not in allowed:
        raise CaptureError(f"unknown {what} {value!r}; expected one of {sorted(allowed)}")
    return value


def check_split(split: object) -> str | None:
    """Normalise a metric split by the split rule ('train' -> 'training'...); None stays None."""
    if split is None:
        return None
    named = split_name(split) if isinstance(split, str) else None
    return check_choice(split if named is None else named, SPLITS, "metric split")


def check_stage(stage: object) -> str | None:
    """A learning stage (None allowed); a number or unknown word points to ``step=``."""
    if stage is None or (isinstance(stage, str) and stage in STAGES):
        return stage
    hint = " (for the position of a step in any workflow, use step=" + repr(stage) + ")"
    raise CaptureError(f"unknown learning stage {stage!r}; expected one of {sorted(STAGES)}" + hint)


def check_step_number(value: object) -> int | None:
    """A task's step number in its workflow: a non-negative integer, or None."""
    number = check_optional_int(value, "step")
    if number is not None and number < 0:
        raise CaptureError(f"step must be a non-negative integer; got {value!r}")
    return number


def check_time(value: object, what: str) -> float | None:
    """A timezone-aware datetime as seconds since the Unix epoch (None stays None).

    Naive datetimes are refused: their instant depends on the machine's time zone.
    """
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise CaptureError(f"{what} must be a timezone-aware datetime; got {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise CaptureError(
            f"{what} must be a timezone-aware datetime (e.g. datetime(2019, 3, 1, 9, 30, "
            f"tzinfo=timezone.utc)); got the naive {value!r}"
        )
    return value.timestamp()


def check_optional_text(value: object, what: str) -> str | None:
    """A non-empty string, or None."""
    if value is None or (isinstance(value, str) and value):
        return value
    raise CaptureError(f"{what} must be a non-empty string or None; got {value!r}")


def check_optional_int(value: object, what: str) -> int | None:
    """Return ``value`` as an int (None allowed), or raise CaptureError."""
    if value is None or (type(value) is int):
        return value
    if isinstance(value, bool) or not hasattr(value, "__index__"):
        raise CaptureError(f"{what} must be an integer or None; got {value!r}")
    return int(value.__index__())


def metric_value(key: object, value: object) -> float | int:
    """Check one metric: a string key and a real number (numpy/torch scalars are converted)."""
    if not isinstance(key, str) or not key:
        raise CaptureError(f"metric name must be a non-empty string; got {key!r}")
    if isinstance(value, (bool, str, bytes)):
        raise CaptureError(f"metric {key!r} must be a number; got {value!r}")
    if value.__class__ is int or value.__class__ is float:
        return value
    if isinstance(value, int):  # IntEnum and other int subclasses: written as plain numbers
        return int(value)
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as error:
        raise CaptureError(f"metric {key!r} must be a number; got {value!r}") from error


def param_value(key: object, value: object) -> str | int | float | bool | None:
    """Check one hyperparameter: scalars are kept; lists/dicts become JSON text, others str()."""
    if not isinstance(key, str) or not key:
        raise CaptureError(f"parameter name must be a non-empty string; got {key!r}")
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if hasattr(value, "item") and not isinstance(value, (list, tuple, dict)):
        try:  # numpy / torch scalars
            return param_value(key, value.item())
        except (TypeError, ValueError):
            pass
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value, default=str, sort_keys=True)
    return str(value)


def check_attributes(attributes: object, what: str) -> dict[str, Any]:
    """Check domain attributes: a dict of scalars, lists of scalars or nested dicts."""
    if attributes is None:
        return {}
    if not isinstance(attributes, Mapping):
        raise CaptureError(f"{what} attributes must be a dict; got {type(attributes).__name__}")
    out: dict[str, Any] = {}
    for key, value in attributes.items():
        if not isinstance(key, str):
            raise CaptureError(f"{what} attribute names must be strings; got {key!r}")
        if isinstance(value, Mapping):
            out[key] = check_attributes(value, f"{what}.{key}")
        elif isinstance(value, (list, tuple)):
            out[key] = [_attribute_scalar(item, f"{what}.{key}") for item in value]
        else:
            out[key] = _attribute_scalar(value, f"{what}.{key}")
    return out


def _attribute_scalar(value: object, what: str) -> str | int | float | bool | None:
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if hasattr(value, "item"):
        return _attribute_scalar(value.item(), what)
    raise CaptureError(f"attribute {what} must be a scalar, list or dict; got {value!r}")
