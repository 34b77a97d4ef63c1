"""Converting one batch: spool lines or event dicts -> validated events -> N-Quads bytes.

Runs in the loading process or in a worker process; it reads and writes no store, so batches
convert in parallel and the loader commits them in order. A bad line or event never stops the
batch: it is returned as a `BadLine` (where, why, its text), and the caller decides (quarantine,
or fail in strict mode). Lines become event objects by capture's `parse_line`, the same rule the
spool reader uses.

Each converted event is also listed in `ConvertedBatch.ids` (run, event id, a digest of its
content, its line), for the loader's duplicate-id check (`provml.loaders.event_ids`); lines that
check refused are passed back in `refused` and come out as BadLines.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from provml.capture.reader import TEXT_CHARS, TOO_DEEP, BadLine, line_text, parse_line
from provml.loaders.convert import convert, metrics_nquads
from provml.loaders.digests import MetricDigests
from provml.loaders.event_ids import EventId
from provml.loaders.ntriples import to_utf8
from provml.loaders.run_facts import Facts, gather
from provml.loaders.schema import InvalidEvent, metrics_valid, validate


@dataclass
class ConvertedBatch:
    """The N-Quads of a batch's valid events, and what was left out."""

    nquads: bytes = b""
    events: int = 0
    quads: int = 0
    runs: set[str] = field(default_factory=set)
    bad: list[BadLine] = field(default_factory=list)
    #: Each converted event: run, event id, digest of its content, line (or position).
    ids: list[EventId] = field(default_factory=list)
    #: Lowest, highest and final value per run, metric and split of the batch's measures.
    digests: MetricDigests = field(default_factory=MetricDigests)
    #: The statements of the batch the finishing reads (`provml.loaders.run_facts`).
    facts: Facts = field(default_factory=dict)


def convert_lines(
    data: bytes,
    first_line: int,
    source: Path | str = "<lines>",
    refused: Mapping[int, str] | None = None,
) -> ConvertedBatch:
    """Convert complete spool lines (`data` ends with a newline) of `source` (a file, or the
    name of a stream); `first_line` numbers the first. Lines numbered in `refused` are bad
    lines with the reason given there."""
    lines = data.split(b"\n")
    lines.pop()  # after the final newline
    batch = ConvertedBatch()
    quads: list[str] = []
    for number, raw in enumerate(lines, start=first_line):
        if not raw.strip():
            continue
        if refused and number in refused:
            batch.bad.append(BadLine(source, number, refused[number], line_text(raw)))
            continue
        event = parse_line(raw, source, number)
        if isinstance(event, BadLine):
            batch.bad.append(event)
            continue
        reason = _add(event, quads, batch)
        if reason is not None:
            batch.bad.append(BadLine(source, number, reason, line_text(raw)))
        else:
            batch.ids.append((event["run"], event["id"], _digest(raw.strip()), number))
    batch.nquads = to_utf8("".join(quads))
    return batch


def convert_events(
    events: Iterable[Mapping[str, Any]],
    first_index: int,
    source: str = "<events>",
    refused: Mapping[int, str] | None = None,
) -> ConvertedBatch:
    """Convert event dicts from `source` (a name); `first_index` numbers the first (reported as
    its line). Events numbered in `refused` are bad with the reason given there."""
    batch = ConvertedBatch()
    quads: list[str] = []
    for number, event in enumerate(events, start=first_index):
        reason = refused.get(number) if refused else None
        if reason is None:
            reason = _add(event, quads, batch)
        if reason is not None:
            batch.bad.append(BadLine(source, number, reason, _event_text(event)))
        else:
            text = json.dumps(event, sort_keys=True, default=repr)
            batch.ids.append((event["run"], event["id"], _digest(text.encode()), number))
    batch.nquads = to_utf8("".join(quads))
    return batch


def _digest(content: bytes) -> bytes:
    """What tells a replayed event from another event reusing its id."""
    return hashlib.blake2b(content, digest_size=16).digest()


def _add(event: Any, quads: list[str], batch: ConvertedBatch) -> str | None:
    """Validate and convert one event into `quads` (N-Quads texts, counted in `batch.quads`);
    the reason it was refused, or None."""
    if not isinstance(event, dict):
        return f"not a JSON object but {type(event).__name__}"
    kind = event.get("kind")
    converted: list[str] = []
    try:
        if kind == "metrics" and metrics_valid(event):
            text, count = metrics_nquads(event)  # the common case: one text per event
        else:
            validate(event)
            converted = convert(event)
            text, count = "".join(converted), len(converted)
    except InvalidEvent as error:
        return str(error)
    except (ValueError, OverflowError, OSError) as error:
        # e.g. a time no calendar date has; the schema only says "number".
        return f"value out of range: {error}"
    except RecursionError:
        # An event dict (lines are refused by parse_line before this) nested past the stack.
        return TOO_DEEP
    quads.append(text)
    gather(converted, batch.facts)  # measures hold none of the statements gathered
    batch.quads += count
    batch.events += 1
    if kind != "annotation":  # an annotation's `run` names its stream, not a run
        batch.runs.add(event["run"])
    if kind == "metrics":
        run: str = event["run"]
        epoch, step, split = (event.get(key) for key in ("epoch", "step", "split"))
        add = batch.digests.add
        for name, value in event["values"].items():
            add((run, name, split), (epoch, step, float(value)))
    return None


def _event_text(event: object) -> str:
    try:
        return json.dumps(event, default=repr)[:TEXT_CHARS]
    except (TypeError, ValueError):
        return repr(event)[:TEXT_CHARS]
    except RecursionError:  # too deep to write out: name it only
        return object.__repr__(event)
