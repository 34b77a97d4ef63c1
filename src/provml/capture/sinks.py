"""Where events go: the ``Sink`` protocol a workflow writes to, and an in-memory sink.

A workflow writes to a :class:`~provml.capture.spool.SpoolWriter` unless given ``sink=``; the
in-memory sink lets tests and notebooks capture without files. It keeps the exact records the
spool would hold (built by the same code), and nothing survives the process.
"""

from __future__ import annotations

__all__ = ["MemorySink", "Sink"]

import json
import threading
from pathlib import Path
from typing import Any, Protocol

from provml.capture.events import SEQUENCE, LineEncoder
from provml.capture.spool import CaptureHealth


class Sink(Protocol):
    """What a workflow needs from the place its events go."""

    @property
    def health(self) -> CaptureHealth:
        """Counts of written and dropped events, and the last error."""
        ...

    @property
    def path(self) -> Path | None:
        """The file being written, if any."""
        ...

    def submit(self, event: Any) -> None:
        """Accept one event (a dict or a queued tuple); never raises on I/O."""
        ...

    def flush(self) -> None:
        """Make every accepted event durable as far as the sink can."""
        ...

    def close(self) -> None:
        """Flush and release resources."""
        ...

    def after_fork_in_child(self) -> None:
        """Reset per-process state in a forked child."""
        ...


class MemorySink:
    """Keeps a run's events as dicts in ``events``, in the order they were recorded."""

    def __init__(self, run: str) -> None:
        self.run = run
        self.events: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._encoder = LineEncoder(run)

    @property
    def health(self) -> CaptureHealth:
        """Always healthy: memory writes do not fail."""
        return CaptureHealth(len(self.events), 0, None, None)

    @property
    def path(self) -> Path | None:
        """None: nothing is written to disk."""
        return None

    def submit(self, event: Any) -> None:
        """Build the event's record exactly as the spool writer would, and keep it."""
        with self._lock:
            record = json.loads(self._encoder.encode([event], SEQUENCE))
            self.events.append(record)

    def flush(self) -> None:
        """Nothing to do: events are kept as they arrive."""

    def close(self) -> None:
        """Nothing to release."""

    def after_fork_in_child(self) -> None:
        """A forked child starts with no events of its own."""
        self.events = []
        self._lock = threading.Lock()
