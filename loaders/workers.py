"""Conversion worker processes for `load_spools`: `python -m provml.loaders.workers`.

Each worker is a fresh interpreter started on this module (not multiprocessing): it never imports
the caller's main module, so `load_spools` works from a script without an
`if __name__ == "__main__":` guard and from a notebook, and it needs no resource tracker or
forkserver that could outlive the load. A worker reads batches from a pipe and writes converted
batches to another, one frame each (an 8-byte length, then a pickle), in order. It dies with the
loading process: on Linux the kernel kills it when its parent dies (`PR_SET_PDEATHSIG`), and
everywhere it exits when the parent's end of its pipe closes.
"""

from __future__ import annotations

import collections
import contextlib
import ctypes
import os
import pickle
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import IO, Any

import provml
from provml.errors import LoadError
from provml.loaders.batch import ConvertedBatch, convert_lines

_LENGTH = 8
_PR_SET_PDEATHSIG = 1


class ConversionPool:
    """`workers` worker processes converting spool chunks, each in submission order.

    `submit` returns a Future that a reader thread per worker completes; a worker that dies
    fails its pending futures with LoadError. Use it as a context manager: leaving normally lets
    the workers finish and exit, leaving on an exception kills them.
    """

    def __init__(self, workers: int) -> None:
        """Start the worker processes. Raises LoadError if one cannot be started."""
        self._workers: list[_Worker] = []
        self._turn = 0
        try:
            for _ in range(workers):
                self._workers.append(_Worker())
        except BaseException:
            self.kill()
            raise

    def submit(self, data: bytes, first_line: int, source: Path | str) -> Future[ConvertedBatch]:
        """Convert complete spool lines (as `convert_lines` does) in the next worker."""
        worker = self._workers[self._turn]
        self._turn = (self._turn + 1) % len(self._workers)
        return worker.submit(data, first_line, source)

    def close(self) -> None:
        """Close the workers' input, wait for them to convert what they hold and exit."""
        for worker in self._workers:
            worker.close()
        for worker in self._workers:
            worker.join()

    def kill(self) -> None:
        """Kill the workers now, failing what they hold."""
        for worker in self._workers:
            worker.kill()
        for worker in self._workers:
            worker.join()

    def __enter__(self) -> ConversionPool:
        """The pool, for a `with` block."""
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        """Close the pool, or kill its workers if the block raised."""
        if kind is None:
            self.close()
        else:
            self.kill()


class _Worker:
    """One worker process, its two pipes and the thread reading its results."""

    def __init__(self) -> None:
        to_worker_read, to_worker = os.pipe()
        from_worker, from_worker_write = os.pipe()
        command = [
            sys.executable,
            "-m",
            "provml.loaders.workers",
            str(to_worker_read),
            str(from_worker_write),
            str(os.getpid()),
        ]
        try:
            self.process = subprocess.Popen(
                command, pass_fds=(to_worker_read, from_worker_write), env=_environment()
            )
        except OSError as error:
            os.close(to_worker)
            os.close(from_worker)
            raise LoadError(f"cannot start a conversion worker process: {error}") from None
        finally:
            os.close(to_worker_read)
            os.close(from_worker_write)
        self._input: IO[bytes] = os.fdopen(to_worker, "wb")
        self._output: IO[bytes] = os.fdopen(from_worker, "rb")
        self._pending: collections.deque[Future[ConvertedBatch]] = collections.deque()
        self._lock = threading.Lock()
        self._ended = False
        self._reader = threading.Thread(target=self._read, name="provml-conversion", daemon=True)
        self._reader.start()
        # Frames go out from a thread of their own: `submit` never waits for a busy worker, so
        # the loader keeps committing while the workers convert.
        self._outbox: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._sender = threading.Thread(target=self._send, name="provml-conversion", daemon=True)
        self._sender.start()

    def submit(self, data: bytes, first_line: int, source: Path | str) -> Future[ConvertedBatch]:
        """Send one chunk; its Future completes when the converted batch comes back."""
        future: Future[ConvertedBatch] = Future()
        with self._lock:
            if self._ended:
                future.set_exception(self._died())
                return future
            self._pending.append(future)
        self._outbox.put(pickle.dumps((data, first_line, source), protocol=5))
        return future

    def close(self) -> None:
        """Close the worker's input once the frames sent are written: it exits once it has
        answered what it holds."""
        self._outbox.put(None)
        self._sender.join()

    def _send(self) -> None:
        """Write the submitted frames to the worker, then close its input."""
        while (frame := self._outbox.get()) is not None:
            # A dead worker's pipe refuses the frame: its reader fails the pending futures.
            with contextlib.suppress(ValueError, OSError):
                _write_frame(self._input, frame)
        with contextlib.suppress(OSError):  # a dead worker: its reader fails its futures
            self._input.close()

    def kill(self) -> None:
        """Kill the worker now."""
        if self.process.poll() is None:
            self.process.kill()
        self.close()

    def join(self) -> None:
        """Wait for the worker and its reader thread to end."""
        self.process.wait()
        self._reader.join()
        self._output.close()

    def _read(self) -> None:
        """Complete the pending futures in order with the worker's answers, then fail the rest."""
        while (frame := _read_frame(self._output)) is not None:
            with self._lock:
                future = self._pending.popleft()
            outcome, value = pickle.loads(frame)
            if outcome == "ok":
                future.set_result(value)
            else:
                future.set_exception(LoadError(f"a conversion worker failed: {value}"))
        self.process.wait()
        with self._lock:
            self._ended = True
            while self._pending:
                self._pending.popleft().set_exception(self._died())

    def _died(self) -> LoadError:
        return LoadError(
            f"a conversion worker process died (exit status {self.process.returncode})"
        )


def _environment() -> dict[str, str]:
    """The caller's environment, with the directory provml was imported from first on the
    import path (a notebook may have put it on `sys.path` by hand)."""
    paths = [str(Path(provml.__file__).parent.parent), os.environ.get("PYTHONPATH", "")]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(path for path in paths if path)}


def _write_frame(stream: IO[bytes], payload: bytes) -> None:
    stream.write(len(payload).to_bytes(_LENGTH, "little"))
    stream.write(payload)
    stream.flush()


def _read_frame(stream: IO[bytes]) -> bytes | None:
    """The next frame, or None at the end of the stream (a frame cut short counts as the end)."""
    header = stream.read(_LENGTH)
    if len(header) < _LENGTH:
        return None
    size = int.from_bytes(header, "little")
    payload = stream.read(size)
    return payload if len(payload) == size else None


def _die_with_parent(parent: int) -> None:
    """Have the kernel kill this process when its parent dies (Linux), and leave now if the
    parent is already gone."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass  # no prctl: the closed pipe still ends the worker
    if os.getppid() != parent:
        os._exit(0)


def _serve(read_fd: int, write_fd: int, convert: Callable[..., Any]) -> None:
    """Answer frames from `read_fd` on `write_fd` until the input ends."""
    with os.fdopen(read_fd, "rb") as requests, os.fdopen(write_fd, "wb") as answers:
        while (frame := _read_frame(requests)) is not None:
            try:
                answer: tuple[str, Any] = ("ok", convert(*pickle.loads(frame)))
            except Exception as error:  # reported to the loader, which raises LoadError
                answer = ("error", f"{type(error).__name__}: {error}")
            try:
                _write_frame(answers, pickle.dumps(answer, protocol=5))
            except (BrokenPipeError, OSError):
                return  # the loader is gone


def main(argv: list[str]) -> None:
    """The worker's entry point: `python -m provml.loaders.workers READ_FD WRITE_FD PARENT_PID`."""
    read_fd, write_fd, parent = (int(argument) for argument in argv)
    _die_with_parent(parent)
    # Ctrl-C reaches the whole process group: the loader handles it and ends its workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _serve(read_fd, write_fd, convert_lines)


if __name__ == "__main__":
    main(sys.argv[1:])
