"""Reading spool files back: every complete event, and a report of each bad line.

A process killed mid-write leaves at most one torn final line per file; it is reported (file and
line number), never fatal, and every complete event before it is kept. Standard library only.
"""

from __future__ import annotations

__all__ = ["BadLine", "SpoolContents", "iter_spool_file", "read_spool", "spool_files"]

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from provml.errors import SpoolError

_FILE_ORDER = re.compile(r"^(?P<host>.*)-(?P<pid>\d+)-(?P<n>\d+)\.jsonl$")


@dataclass(frozen=True)
class BadLine:
    """A line that is not a complete event: torn (no final newline) or not a JSON object."""

    path: Path
    line: int
    reason: str
    text: str

    @property
    def torn(self) -> bool:
        """True for an unterminated final line, the trace of a process killed mid-write."""
        return self.reason.startswith("torn")

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reason}"


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
                    yield BadLine(path, number, "torn final line (no newline)", _text(raw))
                    continue
                if not raw.strip():
                    continue
                try:
                    event = json.loads(raw)
                except ValueError as error:
                    yield BadLine(path, number, f"invalid JSON: {error}", _text(raw))
                    continue
                if not isinstance(event, dict):
                    yield BadLine(path, number, "not a JSON object", _text(raw))
                    continue
                yield event
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


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace").rstrip("\n")[:200]
