"""Following spool files as they grow: `load_spools` again whenever a file changed.

For online analyses: a run's newest events reach the store about one `interval` after capture
writes them. Each round is an ordinary `load_spools` with the same checkpoint, which resumes
every file where the last round stopped, leaves a torn final line for the next round and starts
a replaced file over. Rounds in which no spool file changed size or time are skipped, so an idle
follower does not re-run the loader's store-wide finishing updates every second. Paths that do
not exist yet (a spool root before the first run starts) are waited for.
"""

from __future__ import annotations

__all__ = ["follow_spools"]

import contextlib
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from provml.capture.reader import spool_files
from provml.errors import SpoolError

if TYPE_CHECKING:
    from provml.kg.store import Store
    from provml.loaders.load import LoadReport

#: Seconds between looks at the spool files (`provml load --follow`, `provml serve --follow`).
DEFAULT_INTERVAL = 1.0

#: A spool file's identity for "did it change": (path, size, modification time in ns).
Snapshot = frozenset[tuple[str, int, int]]


def snapshot(paths: Sequence[str | os.PathLike[str]]) -> Snapshot:
    """The size and modification time of every spool file under `paths` that exists now."""
    seen: set[tuple[str, int, int]] = set()
    for path in paths:
        try:
            for spool_file in spool_files(path):
                status = spool_file.stat()
                seen.add((str(spool_file), status.st_size, status.st_mtime_ns))
        except (SpoolError, OSError):
            continue  # not there yet, or removed meanwhile: the next round looks again
    return frozenset(seen)


def follow_spools(
    store: Store,
    paths: Sequence[str | os.PathLike[str]],
    *,
    stop: threading.Event,
    checkpoint: Path | None = None,
    quarantine: Path | None = None,
    interval: float = DEFAULT_INTERVAL,
    lock: contextlib.AbstractContextManager[object] | None = None,
    on_round: Callable[[LoadReport], None] | None = None,
) -> None:
    """Load the spools under `paths` every `interval` seconds while they change, until `stop`.

    Each round that finds a change runs `load_spools` (under `lock`, if given, so other writers
    take turns with it) and passes its report to `on_round`. Raises what `load_spools` raises
    (LoadError, StoreError); committed rounds stay.
    """
    # Imported here, not above: the command line reads DEFAULT_INTERVAL as it starts, and the
    # loader's RDF libraries would slow every command down.
    from provml.loaders.load import load_spools

    last: Snapshot | None = None
    while not stop.is_set():
        current = snapshot(paths)
        if current and current != last:
            existing = sorted({name for name, _, _ in current})
            with lock if lock is not None else contextlib.nullcontext():
                report = load_spools(
                    store, existing, checkpoint=checkpoint, quarantine=quarantine, workers=1
                )
            last = current
            if on_round is not None:
                on_round(report)
        stop.wait(interval)
