"""Loading capture events into a store: `load_events` (event dicts), `load_spools` (files) and
`load_lines` (spool lines held in memory, as the server's ingest receives them).

Both validate every event against capture's schema, convert it to PROV-ML N-Quads
(`provml.loaders.convert`), and commit batch by batch with `Store.load` (one transaction per
batch: a batch is written whole or not at all). After the batches they run the finishing
updates (`provml.loaders.finish`) and flush the store. Memory stays bounded whatever the number
of events: spool files are read in batches of `batch_bytes`, with at most a few batches in flight.

Durability and replays: a committed batch survives `kill -9`; the checkpoint moves after the
commit, so a crash between the two replays that batch on the next load, which writes the same
quads again (deterministic IRIs, no blank nodes): loading twice leaves the same triples. Each
batch also marks the runs it touched as unfinished, in its own transaction, and the finishing
removes a run's mark last: so a load killed at any point is completed by the next load of the
store (even one that finds no new event), to the store one uninterrupted load gives.
"""

from __future__ import annotations

__all__ = ["LoadReport", "load_events", "load_lines", "load_spools"]

import contextlib
import ctypes
import functools
import itertools
import os
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from provml.capture.reader import BadLine, spool_files
from provml.errors import LoadError, MalformedEvent, SpoolError
from provml.kg.store import Store
from provml.loaders import digests, iris
from provml.loaders import quarantine as quarantine_file
from provml.loaders.batch import ConvertedBatch, convert_events, convert_lines
from provml.loaders.checkpoint import Checkpoint
from provml.loaders.chunks import Chunk, read_chunks
from provml.loaders.event_ids import EventIds, index_path
from provml.loaders.finish import finish_runs, regenerated_without_hash, unfinished_marks
from provml.loaders.iris import ONTOLOGY_GRAPH
from provml.loaders.ntriples import to_utf8
from provml.loaders.run_facts import RunFacts

#: Spool bytes per batch (about 8k metric events, 70k quads): big enough that a commit's fixed
#: cost is small, small enough that a few batches in flight stay in tens of megabytes.
DEFAULT_BATCH_BYTES = 2 * 1024 * 1024
#: Batches gathered per commit by `load_spools(bulk=True)`.
BULK_GROUP = 2
#: Event dicts per batch in `load_events`.
EVENTS_PER_BATCH = 10_000


@dataclass
class LoadReport:
    """What a load did: events and quads written, files read, runs touched, lines left out."""

    events: int = 0
    quads: int = 0
    files: int = 0
    #: Lines or events left out (each names its source, line and reason).
    bad: list[BadLine] = field(default_factory=list)
    runs: set[str] = field(default_factory=set)
    #: Final lines without a newline, not loaded yet (`torn` BadLines): a later load takes them.
    torn: list[BadLine] = field(default_factory=list)
    #: Files whose saved position no longer matched (replaced or truncated): loaded from the start.
    restarted: list[str] = field(default_factory=list)
    quarantine: Path | None = None
    batches: int = 0
    #: The checkpoint was of a store since removed or emptied (this one holds nothing loaded):
    #: every file was loaded from the start.
    checkpoint_reset: bool = False
    #: Stable entities (IRIs) the runs generated more than once with no content hash, and how
    #: many versions each has: kept apart by generation (nothing tells if the content changed).
    regenerated: dict[str, int] = field(default_factory=dict)


def load_events(
    store: Store,
    events: Iterable[Mapping[str, Any]],
    *,
    source: str = "<events>",
    strict: bool = False,
    ids: EventIds | None = None,
) -> LoadReport:
    """Validate, convert and commit schema-v1 event dicts, in batches of EVENTS_PER_BATCH.

    The same conversion as spool loading. A bad event (unknown kind or field, wrong type) is left
    out and reported in `bad` (a BadLine: source, position from 1, reason); with `strict` it raises
    MalformedEvent naming the source and position instead, and nothing of its batch is written
    (earlier batches are). `ids` is the event id index to check and record ids in, kept by the
    caller across loads (a server's ingests); None checks this load's events among themselves.
    Raises StoreError if the store cannot be written.
    """
    report = LoadReport()
    iterator = iter(events)
    position = 1
    try:
        with _ids_for_this_load(ids) as taken:
            while batch_events := list(itertools.islice(iterator, EVENTS_PER_BATCH)):
                convert = functools.partial(convert_events, batch_events, position, source)
                _commit_checked(store, convert, taken, source, report, strict)
                position += len(batch_events)
    except MalformedEvent:
        _finish(store, report)
        raise
    _finish(store, report)
    return report


def load_lines(
    store: Store,
    data: bytes,
    *,
    source: str = "<lines>",
    strict: bool = False,
    batch_bytes: int = DEFAULT_BATCH_BYTES,
    ids: EventIds | None = None,
) -> LoadReport:
    """Validate, convert and commit spool lines held in memory (a JSON Lines body), in batches of
    about `batch_bytes`: the path each batch of a spool file takes in `load_spools`.

    `data` is complete, so a final line without a newline is a whole line. A bad line is left out
    and reported in `bad` (a BadLine naming `source` and the line); with `strict` it raises
    MalformedEvent naming them instead, and nothing of its batch is written (earlier batches
    are). `ids` as in `load_events`. Raises StoreError if the store cannot be written.
    """
    if data and not data.endswith(b"\n"):
        data += b"\n"
    report = LoadReport()
    start, line = 0, 1
    try:
        with _ids_for_this_load(ids) as taken:
            while start < len(data):
                cut = data.rfind(b"\n", start, start + batch_bytes) + 1
                if cut <= start:  # one line longer than a batch
                    cut = data.index(b"\n", start) + 1
                piece = data[start:cut]
                convert = functools.partial(convert_lines, piece, line, source)
                _commit_checked(store, convert, taken, source, report, strict)
                line += piece.count(b"\n")
                start = cut
    except MalformedEvent:
        _finish(store, report)
        raise
    _finish(store, report)
    return report


def _ids_for_this_load(ids: EventIds | None) -> contextlib.AbstractContextManager[EventIds]:
    """`ids` as it is (its owner closes it), or a temporary index closed with this load."""
    return contextlib.nullcontext(ids) if ids is not None else EventIds(None)


def _commit_checked(
    store: Store,
    convert: Callable[..., ConvertedBatch],
    ids: EventIds,
    source: str,
    report: LoadReport,
    strict: bool,
) -> None:
    """Convert a batch, again with the duplicate event ids `ids` refuses turned into bad lines,
    commit it and record its ids (after the commit, so a crash between replays the batch)."""
    batch = convert()
    if refused := ids.refuse(batch.ids, source):
        batch = convert(refused)
    _commit(store, [batch], source, report, strict=strict, bulk=False)
    ids.record()


def load_spools(
    store: Store,
    paths: Iterable[str | os.PathLike[str]],
    *,
    checkpoint: Path | None = None,
    quarantine: Path | None = None,
    strict: bool = False,
    workers: int | None = None,
    progress: bool = False,
    bulk: bool = False,
    batch_bytes: int = DEFAULT_BATCH_BYTES,
) -> LoadReport:
    """Load spool files (files, run directories or spool roots) into `store`.

    Every complete line is validated and converted; files are cut into batches converted by
    `workers` processes (default: one per core; 1 converts here) and committed in order, batches
    of small files gathered into about `batch_bytes` of lines per commit, one transaction each
    (with `bulk_load` where the store declares it atomic: this function is the store's only
    writer while it runs), after which the checkpoint (if given) moves past them, written
    atomically. A file loaded before resumes where its checkpoint says. A torn final line is not
    loaded and not quarantined (reported in `torn`); the checkpoint stays before it.
    A bad line is reported in `bad` (a BadLine: file, line, reason) and appended to `quarantine` (if
    given) while every valid event is loaded; with `strict` the load raises MalformedEvent naming
    the file and line instead, nothing of that batch written. `bulk` gathers BULK_GROUP times as
    much per commit and always commits with the store's `bulk_load` (on a store where that is
    not atomic, a crash may leave part of a commit, which the next load, resuming from the
    unchanged checkpoint, completes). `progress` shows a rich progress bar.
    Raises LoadError for an unreadable path, checkpoint or quarantine, StoreError if the store
    cannot be written; what was committed before stays.
    """
    files = _spool_files(paths)
    saved = Checkpoint(checkpoint)
    report = LoadReport(files=len(files), quarantine=quarantine)
    if checkpoint is not None and saved.positions and not _holds_loaded_data(store):
        # The store was removed or emptied since the checkpoint moved: resuming would skip
        # everything it lost. Start over, the id index with it (it only guards replays).
        saved = Checkpoint(checkpoint, start_over=True)
        index_path(checkpoint).unlink(missing_ok=True)
        report.checkpoint_reset = True
    starts = {}
    for path in files:
        starts[path], restarted = saved.resume(path)
        if restarted:
            report.restarted.append(str(path))
    total = sum(max(0, _size(path) - starts[path].offset) for path in files)
    pieces = (piece for path in files for piece in read_chunks(path, starts[path], batch_bytes))
    workers = (os.cpu_count() or 1) if workers is None else max(1, workers)
    parallel = workers > 1 and total > batch_bytes
    with RunFacts() as facts:
        try:
            with (
                _progress_bar(progress, total) as advance,
                _converter(parallel, workers, batch_bytes) as submit,
                EventIds(None if checkpoint is None else index_path(checkpoint)) as ids,
            ):
                in_flight: deque[tuple[Future[ConvertedBatch] | ConvertedBatch, Chunk]] = deque()
                ahead = 0
                # load_spools is the store's only writer: it commits with bulk_load where that is
                # atomic too; --bulk gathers more per commit (fewer, larger files in the store).
                group = _Group(
                    store,
                    report,
                    saved,
                    ids,
                    strict,
                    bulk or store.atomic_bulk_load,
                    batch_bytes * (BULK_GROUP if bulk else 1),
                    facts,
                )
                try:
                    for piece in pieces:
                        if isinstance(piece, BadLine):
                            report.torn.append(piece)
                            advance(piece.size)
                            continue
                        in_flight.append((submit(piece), piece))
                        ahead += len(piece.data)
                        # Bounded: about two batches converted ahead (counted in bytes: a spool of
                        # small files needs many chunks in flight to keep the workers busy).
                        while len(in_flight) > workers and ahead > 2 * batch_bytes:
                            done = in_flight.popleft()
                            ahead -= len(done[1].data)
                            advance(group.add(*done))
                    while in_flight:
                        advance(group.add(*in_flight.popleft()))
                    advance(group.close())
                finally:
                    group.shutdown()
        except MalformedEvent:
            _finish(store, report, bulk=True, facts=facts)
            raise
        _finish(store, report, bulk=True, facts=facts)
    return report


def _finish(
    store: Store, report: LoadReport, *, bulk: bool = False, facts: RunFacts | None = None
) -> None:
    """The updates that span events, then a flush; run after every load (they are idempotent).
    Notes in `report` the entities its runs generated more than once without a content hash.
    `bulk` and `facts` as `finish_runs` takes them."""
    _release_freed_memory()
    finish_runs(store, report.runs, bulk=bulk, facts=facts)
    store.flush()
    report.regenerated = regenerated_without_hash(store, report.runs)


def _release_freed_memory() -> None:
    """Hand the heap the batches freed back to the system (glibc keeps it otherwise, about 70 MB
    of a 200k-event load that the finishing would add to); a no-op elsewhere."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None).malloc_trim(0)


class _Group:
    """Converted chunks gathered until they hold `batch_bytes` of spool lines, then committed in
    one write: a spool of many small files (one per rank and restart) commits as few
    transactions, checkpoint saves and id index writes as one of few large files.

    The write runs in a thread of its own (the store's engine releases the GIL), so the next
    group is received from the workers and checked against the id index while the store writes:
    at most two groups are held, the one being written and the one being gathered. Their ids
    are kept by the index once the write before them is committed, possibly just before their
    own: a crash between leaves ids of lines not loaded yet, which their replay (the same
    content) passes.
    """

    def __init__(
        self,
        store: Store,
        report: LoadReport,
        saved: Checkpoint,
        ids: EventIds,
        strict: bool,
        bulk: bool,
        batch_bytes: int,
        facts: RunFacts,
    ) -> None:
        self.store, self.report, self.saved, self.ids = store, report, saved, ids
        self.strict, self.bulk, self.batch_bytes = strict, bulk, batch_bytes
        self.facts = facts
        self.batches: list[tuple[ConvertedBatch, Chunk]] = []
        self.size = 0
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="provml-writer")
        self._writing: tuple[Future[None], list[tuple[ConvertedBatch, Chunk]], int] | None = None

    def add(self, converted: Future[ConvertedBatch] | ConvertedBatch, chunk: Chunk) -> int:
        """Take one converted chunk (events reusing a taken id refused); start writing the group
        once it is full. The spool bytes committed meanwhile."""
        batch = converted.result() if isinstance(converted, Future) else converted
        if refused := self.ids.refuse(batch.ids, chunk.path):
            batch = convert_lines(chunk.data, chunk.first_line, chunk.path, refused)
        if self.strict and batch.bad:
            self.ids.forget()
            self.close()  # what came before the bad line is written, as batch by batch
            _commit(self.store, [batch], str(chunk.path), self.report, strict=True, bulk=False)
        self.batches.append((batch, chunk))
        self.size += len(chunk.data)
        return self.commit() if self.size >= self.batch_bytes else 0

    def commit(self) -> int:
        """Wait for the write in progress (`wait`), then start writing the gathered chunks in
        one write; the spool bytes committed by the write waited for."""
        done = self.wait()
        if self.batches:
            batches, size = self.batches, self.size
            self.batches, self.size = [], 0
            self._writing = (self._writer.submit(self._write, batches), batches, size)
        return done

    def close(self) -> int:
        """Write what is gathered and wait for it; the spool bytes committed."""
        return self.commit() + self.wait()

    def wait(self) -> int:
        """Wait for the write in progress, then record its ids, quarantine its bad lines and move
        the checkpoint past it; the spool bytes it committed (its error raised as it is)."""
        if self._writing is None:
            return 0
        future, batches, size = self._writing
        self._writing = None
        future.result()
        self.ids.record()
        if self.report.quarantine is not None:
            quarantine_file.append(
                self.report.quarantine, [bad for batch, _ in batches for bad in batch.bad]
            )
        for _, chunk in batches:
            self.saved.advance(chunk.path, chunk.end)
        self.saved.save()
        return size

    def shutdown(self) -> None:
        """Let a write in progress end (leaving on an error: it is not recorded), stop the
        thread."""
        self._writer.shutdown(wait=True)

    def _write(self, batches: list[tuple[ConvertedBatch, Chunk]]) -> None:
        """Commit the chunks in one write (in the writer thread)."""
        _commit(
            self.store,
            [batch for batch, _ in batches],
            str(batches[0][1].path),
            self.report,
            strict=False,
            bulk=self.bulk,
            facts=self.facts,
        )


def _commit(
    store: Store,
    batches: list[ConvertedBatch],
    source: str,
    report: LoadReport,
    *,
    strict: bool,
    bulk: bool,
    facts: RunFacts | None = None,
) -> None:
    """Write converted batches in one transaction (or bulk), after the strict check; `facts`
    notes which run graphs are new before the write and keeps their statements after it."""
    for batch in batches:
        if strict and batch.bad:
            first = batch.bad[0]
            more = f" (and {len(batch.bad) - 1} more in this batch)" if len(batch.bad) > 1 else ""
            raise MalformedEvent(
                f"{first}{more}", path=first.path, line=first.line, reason=first.reason
            )
    runs = set().union(*(batch.runs for batch in batches))
    if facts is not None:
        facts.check(store, sorted(iris.run(run) for run in runs))
    merged = digests.merge(batch.digests for batch in batches)
    if any(batch.nquads for batch in batches):
        write = store.bulk_load if bulk else store.load
        # The runs' marks and their metric digests go in the batch's transaction: a crash after
        # it leaves them to finish.
        data = b"".join(
            [
                *(batch.nquads for batch in batches),
                unfinished_marks(runs),
                to_utf8("".join(digests.pending_quads(merged))),
            ]
        )
        for batch in batches:
            batch.nquads = b""  # held once, in `data`, while the store writes it
        write(data, "nquads", source=source)
    if facts is not None:
        facts.add_digests(merged)
    for batch in batches:
        if facts is not None:
            facts.add(batch.facts)
        batch.facts = {}
        report.events += batch.events
        report.quads += batch.quads
        report.bad.extend(batch.bad)
    report.runs |= runs
    report.batches += len(batches)


@contextlib.contextmanager
def _converter(
    parallel: bool, workers: int, first_here: int
) -> Iterator[Callable[[Chunk], Future[ConvertedBatch] | ConvertedBatch]]:
    """A function converting a chunk: here, or in worker processes (`provml.loaders.workers`:
    fresh interpreters, not forks of this process, which holds the store's threads and locks).
    With workers, about `first_here` bytes of chunks are converted here while they start (an
    interpreter takes a fraction of a second to be ready), so the first commit starts sooner."""
    if not parallel:
        yield lambda chunk: convert_lines(chunk.data, chunk.first_line, chunk.path)
        return
    from provml.loaders.workers import ConversionPool  # its module is also a worker's __main__

    with ConversionPool(workers) as pool:
        here = first_here

        def submit(chunk: Chunk) -> Future[ConvertedBatch] | ConvertedBatch:
            nonlocal here
            if here > 0:
                here -= len(chunk.data)
                return convert_lines(chunk.data, chunk.first_line, chunk.path)
            return pool.submit(chunk.data, chunk.first_line, chunk.path)

        yield submit


@contextlib.contextmanager
def _progress_bar(show: bool, total: int) -> Iterator[Callable[[int], None]]:
    """A rich progress bar over the spool bytes to read, or a no-op."""
    if not show:
        yield lambda _done: None
        return
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    columns = (
        TextColumn("loading"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, transient=True) as bar:
        task = bar.add_task("load", total=total)
        yield lambda done: bar.advance(task, done)


def _holds_loaded_data(store: Store) -> bool:
    """Whether `store` holds any quad outside the ontology graph (what loads write)."""
    return bool(
        store.query(f"ASK {{ GRAPH ?graph {{ ?s ?p ?o }} FILTER(?graph != <{ONTOLOGY_GRAPH}>) }}")
    )


def _spool_files(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Every spool file under the given paths, in write order, each once."""
    found: dict[Path, None] = {}
    for path in paths:
        try:
            for spool_file in spool_files(path):
                found.setdefault(spool_file.resolve(), None)
        except SpoolError as error:
            raise LoadError(str(error)) from None
        except OSError as error:
            raise LoadError(f"cannot read {os.fspath(path)}: {error}") from None
    return list(found)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError as error:
        raise LoadError(f"cannot read the spool file {path}: {error}") from None
