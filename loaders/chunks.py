"""Cutting spool files into batches of complete lines, from a resume position onwards.

Reading stops at the last newline: a final line without one (a writer killed mid-line, or one
still writing) is not part of any batch, so the checkpoint stays before it and a later load reads
it once it is complete.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from provml.capture.reader import BadLine, torn_line
from provml.errors import LoadError
from provml.loaders.checkpoint import HEAD_BYTES, FilePosition, head_digest


@dataclass(frozen=True)
class Chunk:
    """Complete lines of one spool file, and the position just after them."""

    path: Path
    data: bytes
    first_line: int
    end: FilePosition


def read_chunks(path: Path, start: FilePosition, batch_bytes: int) -> Iterator[Chunk | BadLine]:
    """Yield batches of about `batch_bytes` of complete lines of `path` from `start`, then the
    torn final line if there is one (a BadLine, `torn`, left for a later load). Raises LoadError
    naming the file if it cannot be read."""
    try:
        with open(path, "rb") as handle:
            handle.seek(start.offset)
            offset, line, carry = start.offset, start.line, b""
            head = (start.head_bytes, start.head_sha256)
            while True:
                block = handle.read(batch_bytes)
                if not block:
                    break
                buffer = carry + block if carry else block
                cut = buffer.rfind(b"\n") + 1
                if cut == 0:
                    carry = buffer  # one line longer than a batch: keep reading
                    continue
                data, carry = buffer[:cut], buffer[cut:]
                first = line
                offset += cut
                line += data.count(b"\n")
                if head[0] < min(HEAD_BYTES, offset):
                    length = min(HEAD_BYTES, offset)
                    head = (length, head_digest(path, length))
                yield Chunk(path, data, first, FilePosition(offset, line, *head))
            if carry:
                yield torn_line(carry, path, line)
    except OSError as error:
        raise LoadError(f"cannot read the spool file {path}: {error}") from None
