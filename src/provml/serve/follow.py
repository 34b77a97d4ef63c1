"""The server's spool follower: `provml.loaders.follow.follow_spools` in a background thread,
taking turns with request writes through the server's writer lock."""

from __future__ import annotations

import logging
import threading

from provml.errors import ProvmlError
from provml.kg.store import Store
from provml.loaders.follow import follow_spools
from provml.loaders.load import LoadReport
from provml.serve.settings import ServeSettings
from provml.serve.writer import Writer

log = logging.getLogger("provml.serve")


class Follower:
    """A daemon thread following `settings.follow`; `stop()` ends it after its current round."""

    def __init__(self, store: Store, settings: ServeSettings, writer: Writer) -> None:
        """A follower, not started yet; after each round that wrote, `writer.written` runs."""
        self._stop = threading.Event()
        self._written = writer.written
        self.error: ProvmlError | None = None
        self._thread = threading.Thread(
            target=self._run, args=(store, settings, writer), name="provml-follow", daemon=True
        )

    def start(self) -> None:
        """Start following."""
        self._thread.start()

    def _run(self, store: Store, settings: ServeSettings, writer: Writer) -> None:
        """Follow until stopped; a failure is logged and kept in `error` (queries go on)."""
        try:
            follow_spools(
                store,
                settings.follow,
                stop=self._stop,
                checkpoint=settings.checkpoint,
                quarantine=settings.quarantine,
                interval=settings.follow_interval,
                lock=writer.lock,
                on_round=self._round,
            )
        except ProvmlError as error:
            self.error = error
            log.error("following the spools stopped: %s", error)

    def _round(self, report: LoadReport) -> None:
        """Log a round and, if it wrote, let queries see it."""
        _log_round(report)
        if (report.events or report.quads) and self._written is not None:
            self._written()

    def stop(self, wait: float = 30.0) -> None:
        """Ask the thread to stop and wait up to `wait` s for its round to commit."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(wait)


def _log_round(report: LoadReport) -> None:
    """Log what one round loaded."""
    if report.events or report.bad:
        log.info(
            "followed: %d events (%d quads), %d bad lines",
            report.events,
            report.quads,
            len(report.bad),
        )
