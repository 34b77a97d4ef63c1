"""Running queries in worker threads under a time limit and an answer-size limit.

Oxigraph cannot cancel a query, and a query cannot move to another process (the store belongs
to this one), so each runs in a daemon thread while the request waits at most `timeout` seconds
and then answers 503. Most answers are computed while they are serialized, and the output the
serializer writes to refuses further bytes once the request has given up or the answer passes
`max_bytes`: such a query stops at its next write. A query that computes everything before its
first row (ORDER BY, aggregates) runs on to its end in the background; a semaphore released
only when its thread ends bounds how many run at once, so runaway queries make later ones wait
(and time out) rather than pile up. Daemon threads do not hold up the server's exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import threading
from collections.abc import Callable
from typing import TypeVar

from starlette.exceptions import HTTPException
from starlette.requests import Request

from provml.errors import AnswerTooLarge, QueryTimeout

T = TypeVar("T")


class CappedOutput(io.RawIOBase):
    """A byte buffer that refuses to grow past `limit` bytes, or at all once cancelled."""

    def __init__(self, limit: int) -> None:
        """An empty buffer holding at most `limit` bytes."""
        super().__init__()
        self.limit = limit
        self._chunks: list[bytes] = []
        self._size = 0
        self._cancelled = threading.Event()

    def writable(self) -> bool:
        """Always: this is an output."""
        return True

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        """Keep `data`; AnswerTooLarge past the limit, QueryTimeout once cancelled."""
        if self._cancelled.is_set():
            raise QueryTimeout("the request gave up waiting for this query")
        self._size += len(data)
        if self._size > self.limit:
            raise AnswerTooLarge(
                f"the answer is larger than this server's limit of {self.limit:,} bytes "
                "(provml serve --max-bytes); narrow the query or add a LIMIT"
            )
        self._chunks.append(bytes(data))
        return len(data)

    def cancel(self) -> None:
        """Make the next write raise, so a query still serializing stops there."""
        self._cancelled.set()

    def getvalue(self) -> bytes:
        """Everything written so far."""
        return b"".join(self._chunks)


class QueryRunner:
    """Runs query work in daemon threads, at most `workers` at once, each within `timeout` s."""

    def __init__(self, workers: int, timeout: float, max_bytes: int) -> None:
        """A runner; the semaphore is made in the event loop on first use."""
        self.workers = workers
        self.timeout = timeout
        self.max_bytes = max_bytes
        self._slots: asyncio.Semaphore | None = None

    async def run(self, work: Callable[[CappedOutput], T], what: str) -> T:
        """`work(output)` in a worker thread; its result, or QueryTimeout naming `what`."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.workers)
        slots = self._slots
        output = CappedOutput(self.max_bytes)
        loop = asyncio.get_running_loop()
        done: asyncio.Future[T] = loop.create_future()
        try:
            async with asyncio.timeout(self.timeout):
                await slots.acquire()
                _start(work, output, loop, done, slots)
                return await asyncio.shield(done)
        except TimeoutError:
            output.cancel()
            raise QueryTimeout(
                f"{what} took longer than this server's limit of {self.timeout:g} s "
                "(provml serve --timeout); it was abandoned"
            ) from None


def _start(
    work: Callable[[CappedOutput], T],
    output: CappedOutput,
    loop: asyncio.AbstractEventLoop,
    done: asyncio.Future[T],
    slots: asyncio.Semaphore,
) -> None:
    """Run `work` in a daemon thread; its outcome goes to `done`, and its slot back at the end."""

    def settle(result: T | None, error: BaseException | None) -> None:
        slots.release()
        if done.done():
            return
        if error is not None:
            done.set_exception(error)
        else:
            done.set_result(result)  # type: ignore[arg-type]

    def target() -> None:
        result: T | None = None
        error: BaseException | None = None
        try:
            result = work(output)
        except BaseException as failure:
            error = failure
        # RuntimeError: the loop has closed, the server is stopping and nobody waits.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=target, name="provml-query", daemon=True).start()


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
