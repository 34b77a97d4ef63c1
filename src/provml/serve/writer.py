"""One writer at a time: updates, ingests and the spool follower take turns on the store.

Oxigraph runs each write as one transaction and lets queries read beside it; the lock keeps
provml's multi-step writes (a load's batches, then its finishing updates) from interleaving.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class Writer:
    """The server's writer lock, for request handlers (`run`) and background threads (`lock`);
    `written` runs after each write of `run` (the server makes a new view for its queries)."""

    def __init__(self, written: Callable[[], object] | None = None) -> None:
        """An unlocked writer."""
        self.lock = threading.Lock()
        self.written = written

    async def run(self, write: Callable[[], T]) -> T:
        """Run `write` in a thread while holding the lock; its result (writes have no time limit:
        an abandoned write would still commit); queries see it once it returns."""

        def locked() -> T:
            with self.lock:
                try:
                    return write()
                finally:  # a refused write may have committed part of a load
                    if self.written is not None:
                        self.written()

        return await asyncio.to_thread(locked)
