"""Limits on what one request may send or receive: the answer-size cap and request bodies.

A query's answer is written into a `CappedOutput`, which refuses to grow past `max_bytes`: a
query whose answer is computed while it is serialized stops at the write that passes the limit
(answer 422). Time and memory limits are the query workers' (`provml.serve.workers`).
"""

from __future__ import annotations

import io

from starlette.exceptions import HTTPException
from starlette.requests import Request

from provml.errors import AnswerTooLarge


class CappedOutput(io.RawIOBase):
    """A byte buffer that refuses to grow past `limit` bytes."""

    def __init__(self, limit: int) -> None:
        """An empty buffer holding at most `limit` bytes."""
        super().__init__()
        self.limit = limit
        self._chunks: list[bytes] = []
        self._size = 0

    def writable(self) -> bool:
        """Always: this is an output."""
        return True

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        """Keep `data`; AnswerTooLarge past the limit."""
        self._size += len(data)
        if self._size > self.limit:
            raise AnswerTooLarge(
                f"the answer is larger than this server's limit of {self.limit:,} bytes "
                "(provml serve --max-bytes); narrow the query or add a LIMIT"
            )
        self._chunks.append(bytes(data))
        return len(data)

    def getvalue(self) -> bytes:
        """Everything written so far."""
        return b"".join(self._chunks)


async def read_body(request: Request, limit: int, what: str) -> bytes:
    """The request body, refused with 413 as soon as it passes `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, _too_large(what, limit))
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPException(413, _too_large(what, limit))
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(what: str, limit: int) -> str:
    """The message for a request body over its limit."""
    return f"the {what} is larger than this server's limit of {limit:,} bytes"
