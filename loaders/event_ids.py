"""Event ids are taken once per run: an event reusing one is refused, not merged.

Ids become IRIs (a measure is `run/{run}/metric/{event id}/{key}`), so two different events with
one id would become one node with the values of both. Loads are replays by design (a crash replays
a batch, a replaced checkpoint reloads a file), so an id met again with the same content (the
same line, byte for byte apart from surrounding whitespace) is a replay and passes; with other
content it is a duplicate: a bad line whose reason names where the id was first used.

The ids seen are kept in a SQLite file (run, id, digest of the content, file, line): beside the
checkpoint, so a later load with that checkpoint knows what earlier loads took, or in a temporary
file for a load without one. An index only grows; it is written after each batch's commit, so a
crash between the two leaves ids out, which the replay of that batch adds. (`load_spools` checks
the next group while a group is written: that write's commit of the index also keeps the ids of
the group checked meanwhile, whose replay after a crash, the same lines, passes.)
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from provml.errors import LoadError

#: One converted event: its run, its event id, a digest of its content, its line (or position).
EventId = tuple[str, str, bytes, int]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sources (n INTEGER PRIMARY KEY, path TEXT UNIQUE NOT NULL);
CREATE TABLE IF NOT EXISTS ids (
    run TEXT NOT NULL, id TEXT NOT NULL, digest BLOB NOT NULL, source INTEGER NOT NULL,
    line INTEGER NOT NULL, PRIMARY KEY (run, id)
) WITHOUT ROWID;
CREATE TEMP TABLE IF NOT EXISTS probe (run TEXT, id TEXT, PRIMARY KEY (run, id)) WITHOUT ROWID;
"""


def index_path(checkpoint: Path) -> Path:
    """The id index kept beside a checkpoint file (`ck.json` -> `ck.ids.sqlite`)."""
    return checkpoint.with_suffix(".ids.sqlite")


class EventIds:
    """The event ids loads have taken, per run, with where each was first used."""

    def __init__(self, path: Path | None) -> None:
        """Open (or create) the index at `path`; None keeps a temporary one for this load.

        Raises LoadError naming the file if it cannot be opened or is not an id index.
        """
        self.path = path
        self._name = "the event id index" if path is None else f"the event id index {path}"
        self._sources: dict[str, int] = {}
        # Whether the last `refuse` opened a savepoint for `forget` to take back.
        self._staged = False
        try:
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
            # "" is SQLite's private temporary file, removed on close.
            # Callers take turns (a load, or the server's writer lock), but the server's turns
            # run in different threads: the connection may move between them.
            self._db = sqlite3.connect(
                "" if path is None else os.fspath(path), check_same_thread=False
            )
            if path is not None:
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as error:
            raise self._error("read", error) from None

    def refuse(self, ids: Sequence[EventId], source: Path | str) -> dict[int, str]:
        """The lines of `ids` (the events of one batch of `source`, in order) that reuse an id
        with other content, each with its reason; the other ids are staged for `record`.

        Raises LoadError naming the index if it cannot be read.
        """
        self._staged = False
        if not ids:
            return {}
        place = str(source)
        try:
            number = self._source(place)
            # Each batch's ids in a savepoint (released by `record`): batches gathered into one
            # commit stage theirs in one transaction, and the last one's can be taken back alone.
            self._db.execute("SAVEPOINT batch")
            self._staged = True
            first: dict[tuple[str, str], tuple[bytes, str, int]] = {}
            refused = _refuse(ids, place, first)
            before = self._db.total_changes
            self._stage(ids, number, refused)
            if self._db.total_changes - before == len(first):
                return refused  # no id taken before this batch: the common case, one statement
            # Some ids were taken by earlier batches or loads: look them up, with their content.
            self._db.execute("ROLLBACK TO batch")
            self._db.execute("DELETE FROM temp.probe")
            self._db.executemany(
                "INSERT OR IGNORE INTO temp.probe VALUES (?, ?)", ((r, i) for r, i, _, _ in ids)
            )
            taken = self._db.execute(
                "SELECT p.run, p.id, i.digest, s.path, i.line FROM temp.probe p "
                "JOIN ids i ON i.run = p.run AND i.id = p.id JOIN sources s ON s.n = i.source"
            )
            first = {(run, eid): (digest, path, line) for run, eid, digest, path, line in taken}
            refused = _refuse(ids, place, first)
            self._stage(ids, number, refused)
        except sqlite3.Error as error:
            raise self._error("read", error) from None
        return refused

    def record(self) -> None:
        """Keep the ids `refuse` staged, once their batch is committed (ids already taken keep
        their first place).

        Raises LoadError naming the index if it cannot be written.
        """
        self._staged = False
        try:
            self._db.commit()
        except sqlite3.Error as error:
            raise self._error("write", error) from None

    def forget(self) -> None:
        """Take back the ids the last `refuse` staged (its batch will not be committed)."""
        if not self._staged:  # a batch without a valid event staged nothing
            return
        self._staged = False
        try:
            self._db.execute("ROLLBACK TO batch")
            self._db.execute("RELEASE batch")
        except sqlite3.Error as error:
            raise self._error("write", error) from None

    def _stage(self, ids: Sequence[EventId], number: int, refused: dict[int, str]) -> None:
        """Insert the ids of the events not refused, in the open transaction."""
        self._db.executemany(
            "INSERT OR IGNORE INTO ids VALUES (?, ?, ?, ?, ?)",
            (
                (run, event_id, digest, number, line)
                for run, event_id, digest, line in ids
                if line not in refused
            ),
        )

    def close(self) -> None:
        """Close the index (a temporary one is removed)."""
        self._db.close()

    def __enter__(self) -> EventIds:
        """The index itself; closed on exit."""
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        """Close the index."""
        self.close()

    def _source(self, path: str) -> int:
        """The number standing for the file (or stream name) `path` in the index."""
        number = self._sources.get(path)
        if number is None:
            if not self._db.in_transaction:
                self._db.execute("BEGIN")
            # In the open transaction, outside any batch's savepoint: kept by `record`.
            self._db.execute("INSERT OR IGNORE INTO sources (path) VALUES (?)", (path,))
            row = self._db.execute("SELECT n FROM sources WHERE path = ?", (path,)).fetchone()
            number = self._sources[path] = int(row[0])
        return number

    def _error(self, doing: str, error: Exception) -> LoadError:
        """A LoadError naming the index and how to start it over."""
        advice = "" if self.path is None else " Deleting it forgets only which ids loads took."
        return LoadError(f"cannot {doing} {self._name}: {error}.{advice}")


def _refuse(
    ids: Sequence[EventId], source: str, first: dict[tuple[str, str], tuple[bytes, str, int]]
) -> dict[int, str]:
    """The lines reusing an id of `first` (earlier places, filled in with this batch's) with other
    content, each with its reason."""
    refused: dict[int, str] = {}
    for run, event_id, digest, line in ids:
        earlier = first.setdefault((run, event_id), (digest, source, line))
        if earlier[0] != digest:
            refused[line] = (
                f"duplicate event id {event_id!r} in run {run!r}: first used at "
                f"{earlier[1]}:{earlier[2]} by an event with other content"
            )
    return refused
