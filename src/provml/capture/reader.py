"""Reading spool files back: every complete event, and a report of each bad line.

A process killed mid-write leaves at most one torn final line per file; it is reported (file and
line number), never fatal, and every complete event before it is kept. Standard library only.

`BadLine` is the one shape of a line (or event) that was not taken, and `parse_line` the one way
a line becomes an event object: the spool reader, the loader's batches and the server's ingest
all use them.
"""

from __future__ import annotations

__all__ = ["BadLine", "SpoolContents", "iter_spool_file", "read_spool", "spool_files"]

import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from provml.errors import SpoolError

_FILE_ORDER = re.compile(r"^(?P<host>.*)-(?P<pid>\d+)-(?P<n>\d+)\.jsonl$")
#: How much of a bad line is kept (enough to repair it; a line may be megabytes of garbage).
TEXT_CHARS = 10_000
#: The reason given for a torn line.
TORN = "torn final line (no newline)"
#: The deepest nesting of objects and arrays a line may have. Python's JSON reader, the schema
#: validator and the conversion all recurse once per level, so a deeper line would raise
#: RecursionError in whichever runs out of stack first; it is refused as one bad line instead.
MAX_DEPTH = 200
#: The reason given for a line nested deeper than MAX_DEPTH.
TOO_DEEP = f"nested too deeply (more than {MAX_DEPTH} levels of objects and arrays)"


@dataclass(frozen=True)
class BadLine:
    """A line or event that was not taken: where it is, why, and (the start of) its text.

    `path` is the file, or the name of the stream for lines or events not read from a file
    (``"POST /ingest"``); `line` counts from 1 (for event objects, their position). `torn` marks
    an unterminated final line, the trace of a process killed mid-write (or one still writing),
    and `size` the bytes it holds so far (0 for any other bad line).
    """

    path: Path | str
    line: int
    reason: str
    text: str
    torn: bool = False
    size: int = 0

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reason}"


def parse_line(raw: bytes, path: Path | str, number: int) -> dict[str, Any] | BadLine:
    """One complete line (its newline removed or not) as an event object, or why it is not one.

    The object is not validated against the event schema (the loaders do that). A line nested
    deeper than MAX_DEPTH is refused (TOO_DEEP), whatever the stack depth of the caller.
    """
    try:
        event = json.loads(raw.decode("utf-8"))  # str: json skips guessing the encoding
    except ValueError as error:
        return BadLine(path, number, f"invalid JSON: {error}", line_text(raw))
    except RecursionError:
        return BadLine(path, number, TOO_DEEP, line_text(raw))
    # Counting brackets is cheap and bounds the depth, so only a line that might be too deep
    # is walked.
    if raw.count(b"{") + raw.count(b"[") > MAX_DEPTH and nesting_depth(event) > MAX_DEPTH:
        return BadLine(path, number, TOO_DEEP, line_text(raw))
    if not isinstance(event, dict):
        reason = f"not a JSON object but {type(event).__name__}"
        return BadLine(path, number, reason, line_text(raw))
    return event


def nesting_depth(value: object) -> int:
    """How many objects and arrays deep `value` is (a scalar: 0), found without recursion."""
    deepest = 0
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Iterable[object] = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth + 1)
        stack.extend((child, depth + 1) for child in children)
    return deepest


def torn_line(raw: bytes, path: Path | str, number: int) -> BadLine:
    """The BadLine of an unterminated final line."""
    return BadLine(path, number, TORN, line_text(raw), torn=True, size=len(raw))


def line_text(raw: bytes) -> str:
    """The kept text of a bad line: decoded, without its newline, at most TEXT_CHARS."""
    return raw[: 4 * TEXT_CHARS].decode("utf-8", errors="replace").rstrip("\r\n")[:TEXT_CHARS]


@dataclass
class SpoolContents:
    """The events read from spool files, in file order, and the lines that were skipped."""

    events: list[dict[str, Any]] = field(default_factory=list)
    bad_lines: list[BadLine] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)


def spool_files(path: str | os.PathLike[str]) -> list[Path]:
    """The spool files at ``path`` (a file, a run directory or a spool root), in write order."""
    root = Path(path)
    if root.is_file():
        return [root]
    if not root.is_dir():
        raise SpoolError(f"no spool file or directory at {root}", path=root)
    files = [item for item in root.rglob("*.jsonl") if item.is_file()]

    def order(item: Path) -> tuple[str, str, int, int]:
        match = _FILE_ORDER.match(item.name)
        if match is None:
            return (str(item.parent), item.name, 0, 0)
        return (str(item.parent), match["host"], int(match["pid"]), int(match["n"]))

    return sorted(files, key=order)


def iter_spool_file(path: Path) -> Iterator[dict[str, Any] | BadLine]:
    """Yield each event of one spool file, or a BadLine where a line is not a complete event."""
    try:
        with open(path, "rb") as handle:
            for number, raw in enumerate(handle, start=1):
                if not raw.endswith(b"\n"):
                    yield torn_line(raw, path, number)
                elif raw.strip():
                    yield parse_line(raw, path, number)
    except OSError as error:
        raise SpoolError(f"cannot read spool file {path}: {error}", path=path) from error


def read_spool(path: str | os.PathLike[str]) -> SpoolContents:
    """Read every complete event under ``path``; torn or invalid lines go to ``bad_lines``.

    Raises SpoolError if ``path`` does not exist or a file cannot be read.
    """
    contents = SpoolContents(files=spool_files(path))
    for spool_file in contents.files:
        for item in iter_spool_file(spool_file):
            if isinstance(item, BadLine):
                contents.bad_lines.append(item)
            else:
                contents.events.append(item)
    return contents
