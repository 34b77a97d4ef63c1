"""The spool writer: one JSON Lines file per process under ``<spool dir>/<run>/``.

Files are named ``<host>-<pid>-<n>.jsonl``; ``n`` grows when a file reaches ``max_file_bytes`` or
after a write error, so a torn line can only be the last line of a file.

Durability (what a ``kill -9`` of the process leaves on disk):

- ``buffered``: calls append to an in-memory backlog of at most ``max_backlog`` events. A
  background thread writes the backlog to the file (one ``write`` per batch) every half
  ``flush_interval``; a call that finds the backlog full writes it itself before it returns, so
  at high call rates the training thread pays for its own events (the writer thread cannot keep
  up while that thread holds the GIL) and memory stays bounded. After ``kill -9`` every event
  acknowledged more than ``flush_interval`` before the kill is in the file; the last interval's
  events may be lost and the final line may be torn. Written batches are in the OS page cache,
  so they survive the process but not a power loss or kernel crash. Also written at exit, on
  SIGTERM/SIGINT and on ``flush()``.
- ``sync``: the call serialises its event, writes it, and ``fsync``\\s the file before it returns.
  Every event whose call returned is on disk and survives ``kill -9`` and a power loss (on file
  systems that honour ``fsync``). An event whose call was interrupted may be a torn final line.

I/O failures (unwritable directory, full disk) never raise into the caller: they are logged once
on the ``provml.capture`` logger (with path and errno), the events are counted as dropped, and
``health`` says so. Later batches are retried in a new file.
"""

from __future__ import annotations

__all__ = ["CaptureHealth", "SpoolWriter"]

import contextlib
import errno
import itertools
import logging
import os
import socket
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from provml.capture.events import SEQUENCE, LineEncoder, slug

LOG = logging.getLogger("provml.capture")
DURABILITIES = ("buffered", "sync")
DEFAULT_FLUSH_INTERVAL = 0.2
DEFAULT_MAX_FILE_BYTES = 64 * 1024 * 1024
# Events queued before the calling thread writes them itself: about 1 MB of queued metric
# tuples, a few ms of writing; measured by bench/capture.py and bench/capture_kill.py.
DEFAULT_MAX_BACKLOG = 4096

_file_numbers: dict[Path, itertools.count[int]] = {}
_file_numbers_lock = threading.Lock()


@dataclass(frozen=True)
class CaptureHealth:
    """How capture is doing: events written and dropped, and the last error if any."""

    written: int
    dropped: int
    last_error: str | None
    path: str | None

    @property
    def ok(self) -> bool:
        """True while no event has been dropped."""
        return self.dropped == 0


def spool_file_name(host: str, pid: int, number: int) -> str:
    """The name of a spool file: ``<host>-<pid>-<n>.jsonl`` (host reduced to safe characters)."""
    return f"{slug(host, 64)}-{pid}-{number}.jsonl"


class SpoolWriter:
    """Appends events of one run to this process's spool file, buffered or synchronously."""

    def __init__(
        self,
        run_dir: Path,
        run: str,
        durability: str = "buffered",
        flush_interval: float = DEFAULT_FLUSH_INTERVAL,
        max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
        max_backlog: int = DEFAULT_MAX_BACKLOG,
    ) -> None:
        self.run_dir = run_dir
        self.run = run
        self.sync = durability == "sync"
        self.flush_interval = flush_interval
        self.max_file_bytes = max_file_bytes
        self.max_backlog = max_backlog
        self.queue: list[Any] = []
        self._encoder = LineEncoder(run)
        self._host = socket.gethostname()
        self._written = 0
        self._dropped = 0
        self._last_error: str | None = None
        self._warned = False
        self._closed = False
        self._start_process_state()

    def _start_process_state(self) -> None:
        self._lock = threading.RLock()
        self._wake = threading.Event()
        self._fd: int | None = None
        self._path: Path | None = None
        self._bytes = 0
        self._pid = os.getpid()
        self._thread: threading.Thread | None = None
        if not self.sync:
            self._thread = threading.Thread(
                target=self._run, name="provml-spool-writer", daemon=True
            )
            self._thread.start()

    def after_fork_in_child(self) -> None:
        """Forget the parent's file, queue and thread; the child writes its own file."""
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
        self.queue.clear()
        self._written = self._dropped = 0
        if not self._closed:
            self._start_process_state()

    @property
    def path(self) -> Path | None:
        """The file being written, None before the first write."""
        return self._path

    @property
    def health(self) -> CaptureHealth:
        """Counts of written and dropped events, and the last error."""
        return CaptureHealth(
            self._written, self._dropped, self._last_error, str(self._path) if self._path else None
        )

    def submit(self, event: Any) -> None:
        """Queue an event (buffered) or write and fsync it now (sync); never raises on I/O.

        Buffered: a call that finds ``max_backlog`` events queued writes them before returning
        (waiting for a write in progress first), so the backlog and its memory stay bounded.
        """
        if self.sync:
            self._write([event])
            return
        queue = self.queue  # Workflow.log_metric appends single metrics the same way, inlined
        queue.append(event)
        if len(queue) >= self.max_backlog:
            self._write(())

    def flush(self) -> None:
        """Write everything queued so far (a no-op in sync mode). Never raises on I/O."""
        if self.queue:
            self._write(())

    def close(self) -> None:
        """Flush, stop the background thread and close the file."""
        self._closed = True
        self._wake.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        self.flush()
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

    def _run(self) -> None:
        # Every half interval: an event waits at most that long plus one batch's write.
        while not self._closed:
            self._wake.wait(self.flush_interval / 2)
            try:
                if self.queue:
                    self._write(())
            except Exception as error:  # a writer crash must not lose the process silently
                self._report(error, "spool writer failed")

    def _write(self, extra: Any) -> None:
        with self._lock:
            queue = self.queue
            count = len(queue)
            items = queue[:count]
            del queue[:count]  # one C call each: appends from other threads land after them
            items.extend(extra)
            if not items:
                return
            try:
                data = self._encoder.encode(items, SEQUENCE)
                lines = len(items)
            except Exception:  # one bad record must not take the batch down
                data, lines = self._encode_each(items)
            if not lines:
                return
            try:
                fd = self._open()
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                if self.sync:
                    os.fsync(fd)
            except OSError as error:
                self._dropped += lines
                self._report(error, f"cannot write {self._path or self.run_dir}")
                self._abandon_file()
                return
            self._written += lines
            self._bytes += len(data)
            if self._bytes >= self.max_file_bytes:
                self._abandon_file()

    def _encode_each(self, items: list[Any]) -> tuple[bytes, int]:
        lines = []
        for item in items:
            try:
                lines.append(self._encoder.line(item, SEQUENCE))
            except Exception as error:
                self._dropped += 1
                self._report(error, "cannot serialise an event")
        return b"".join(lines), len(lines)

    def _open(self) -> int:
        if self._fd is not None:
            return self._fd
        self.run_dir.mkdir(parents=True, exist_ok=True)
        with _file_numbers_lock:
            numbers = _file_numbers.setdefault(self.run_dir, itertools.count())
            number = next(numbers)
        self._path = self.run_dir / spool_file_name(self._host, self._pid, number)
        self._fd = os.open(self._path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self._bytes = 0
        if self.sync:  # make the new directory entry durable too
            directory = os.open(self.run_dir, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)
        return self._fd

    def _abandon_file(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None

    def _report(self, error: BaseException, what: str) -> None:
        code = getattr(error, "errno", None)
        name = errno.errorcode.get(code, str(code)) if code is not None else type(error).__name__
        self._last_error = f"{what}: [{name}] {error}"
        if not self._warned:
            self._warned = True
            LOG.warning(
                "provml capture is degraded, events are being dropped (training continues): %s",
                self._last_error,
            )
