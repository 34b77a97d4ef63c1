"""What the finishing reads of a run, gathered from its events as they convert, so that a run
new to the store is finished without scanning its graph (as `digests.py` does for the metrics).

Finishing pairs each epoch and iteration with the one before it (`run_sections.rq`) and writes
the duration of every activity with a start and an end (`run_durations.rq`): both read
statements of the run's own graph only, which only its events write (`convert.py`). So for a
run whose graph was empty before this load's first commit of it (checked then), the statements
this load committed are all there is: `RunFacts` keeps them (`sectionIndex`, `partOfExecution`,
`startedAtTime`, `endedAtTime`, and which nodes are `WorkflowExecution`s, whose times the
finishing merges first: theirs are read from the store), and the merged keys of its metric
digests (`digests.state_keys`), which its batches also wrote as pending state: nothing else
wrote pending state for a run whose graph was empty. The statements go to a temporary SQLite
file as they are committed (a 1M-event spool has about 650k: too many to hold in memory), read
back a run at a time. Any other run (loaded before, left unfinished by a crash, or past
`MAX_DIGESTS`) is finished from the store, as before.
"""

from __future__ import annotations

import datetime
import sqlite3
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import pyoxigraph

from provml.errors import QueryError
from provml.kg.store import Store
from provml.loaders import digests, iris
from provml.loaders import ntriples as nt
from provml.loaders.terms import C, P

#: The statements of a batch the finishing reads, per graph (IRI in N-Quads text): (subject,
#: kind, value), kind one of `_KINDS`' ("0" start and "1" end, in microseconds since 1970; "2"
#: an index; "3" a stage IRI's text), "r" (the subject is a WorkflowExecution) or "unknown".
Facts = dict[str, list[tuple[str, str, Any]]]
#: Metric summaries whose digest keys are kept per load at most (about 400 bytes each, 40 MB):
#: past it, the run that would add more is finished from the store.
MAX_DIGESTS = 100_000
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
_MICROSECOND = datetime.timedelta(microseconds=1)

_KINDS = {
    P.startedAtTime: "0",
    P.endedAtTime: "1",
    P.sectionIndex: "2",
    P.partOfExecution: "3",
}
_RUN_TYPE = f"{C.WorkflowExecution} "
_TAIL = len(" .\n")


def gather(lines: Iterable[str], facts: Facts) -> None:
    """Add to `facts` the statements of `lines` (N-Quads lines as `convert` writes them) that
    the finishing reads."""
    for line in lines:
        subject, predicate, rest = line.split(" ", 2)
        kind = _KINDS.get(predicate)
        if kind is not None:
            obj, graph = rest[:-_TAIL].rsplit(" ", 1)
            subject = sys.intern(subject)  # pickled once for its kinds
            try:
                facts.setdefault(graph, []).append((subject, kind, _value(kind, obj)))
            except ValueError:  # not as `convert` writes it: that run is read from the store
                facts.setdefault(graph, []).append((subject, "unknown", None))
        elif predicate == P.type and rest.startswith(_RUN_TYPE):
            facts.setdefault(rest[len(_RUN_TYPE) : -_TAIL], []).append((subject, "r", None))


class RunFacts:
    """The gathered statements of the run graphs new to the store in this load, kept in a
    temporary SQLite file (so memory stays bounded whatever the spool's size), and the merged
    keys of their metric digests (in memory: a few per run and metric, at most MAX_DIGESTS)."""

    def __init__(self) -> None:
        """Nothing gathered yet."""
        # "" is SQLite's private temporary file, removed on close. The writer thread adds,
        # the finishing (another thread, later) reads.
        self._db = sqlite3.connect("", check_same_thread=False)
        self._db.execute("CREATE TABLE facts (graph INTEGER, subject TEXT, kind TEXT, value)")
        self._indexed = False
        #: new graph (IRI in N-Quads text) -> its number in the table
        self._numbers: dict[str, int] = {}
        self._old: set[str] = set()
        #: new graph -> (metric name, split) -> pending digest keys by kind, merged
        self._digests: dict[str, dict[tuple[str, str | None], dict[str, str]]] = {}
        self._digest_count = 0

    def close(self) -> None:
        """Remove what was gathered."""
        self._db.close()

    def __enter__(self) -> RunFacts:
        """The facts themselves; closed on exit."""
        return self

    def __exit__(self, *exception: object) -> None:
        """Remove what was gathered."""
        self.close()

    def check(self, store: Store, graphs: Iterable[str]) -> None:
        """Note which of `graphs` (IRIs in N-Quads text) are new: empty in `store` now, before
        this load writes them for the first time. Raises as `Store.query` does."""
        for graph in graphs:
            if graph in self._numbers or graph in self._old:
                continue
            if store.query(f"ASK {{ GRAPH {graph} {{ ?s ?p ?o }} }}"):
                self._old.add(graph)
            else:
                self._numbers[graph] = len(self._numbers) + len(self._old) + 1
                self._digests[graph] = {}

    def add(self, facts: Facts) -> None:
        """Keep committed statements of new graphs (others are read from the store)."""
        rows: list[tuple[int, str, str, Any]] = []
        for graph, statements in facts.items():
            number = self._numbers.get(graph)
            if number is None:
                continue
            if any(kind == "unknown" for _, kind, _ in statements):
                self._forget(graph)
                continue
            rows.extend((number, subject, kind, value) for subject, kind, value in statements)
        self._db.executemany("INSERT INTO facts VALUES (?, ?, ?, ?)", rows)

    def add_digests(self, committed: digests.MetricDigests) -> None:
        """Keep the merged keys of committed metric digests of new graphs."""
        for (run, name, split), state in committed.items():
            held = self._digests.get(iris.run(run))
            if held is None:
                continue
            found = held.get((name, split))
            if found is None:
                if self._digest_count >= MAX_DIGESTS:
                    self._forget(iris.run(run))
                    continue
                found = held[name, split] = {}
                self._digest_count += 1
            digests.merge_keys(found, digests.state_keys(state))

    def _forget(self, graph: str) -> None:
        """Leave a run to be finished from the store."""
        number = self._numbers.pop(graph)
        self._db.execute("DELETE FROM facts WHERE graph = ?", (number,))
        self._digest_count -= len(self._digests.pop(graph))
        self._old.add(graph)

    def pending(
        self, graphs: Iterable[pyoxigraph.NamedNode]
    ) -> Iterator[tuple[pyoxigraph.NamedNode, str, str | None, dict[str, str]]]:
        """(graph, metric name, split, keys by kind) of each metric of `graphs`:
        `pending_digests.rq`'s rows, merged."""
        for graph in graphs:
            for (name, split), found in self._digests[str(graph)].items():
                yield graph, name, split, found

    def known(self, graphs: Sequence[pyoxigraph.NamedNode]) -> set[pyoxigraph.NamedNode]:
        """Those of `graphs` whose statements are all gathered here."""
        return {graph for graph in graphs if str(graph) in self._numbers}

    def _values(self, graph: pyoxigraph.NamedNode, kinds: str) -> dict[str, dict[str, set[Any]]]:
        """Kind -> subject -> values, of one graph's statements of `kinds`."""
        if not self._indexed:  # once, after the last insert: cheaper than an index kept up
            self._db.execute("CREATE INDEX facts_by_graph ON facts (graph, kind)")
            self._indexed = True
        found: dict[str, dict[str, set[Any]]] = {kind: defaultdict(set) for kind in kinds}
        marks = ", ".join("?" * len(kinds))
        rows = self._db.execute(
            f"SELECT kind, subject, value FROM facts WHERE graph = ? AND kind IN ({marks})",
            (self._numbers[str(graph)], *kinds),
        )
        for kind, subject, value in rows:
            found[kind][subject].add(value)
        return found

    def sections(
        self, graphs: Iterable[pyoxigraph.NamedNode]
    ) -> Iterator[tuple[pyoxigraph.NamedNode, pyoxigraph.NamedNode, pyoxigraph.NamedNode, int]]:
        """(graph, section, stage, index) for each section of `graphs`: `run_sections.rq`'s
        rows."""
        for graph in graphs:
            values = self._values(graph, "23")
            stages = values["3"]
            for subject, indexes in values["2"].items():
                if subject not in stages:
                    continue
                section = _node(subject)
                for index in indexes:
                    for stage in stages[subject]:
                        yield graph, section, _node(stage), index

    def durations(
        self, graphs: Iterable[pyoxigraph.NamedNode]
    ) -> Iterator[tuple[Any, Any, datetime.datetime, datetime.datetime]]:
        """(graph, activity, start, end) for each activity of `graphs` with both but the
        workflow executions (`run_durations.rq`'s rows; theirs are merged, so read back)."""
        for graph in graphs:
            values = self._values(graph, "01r")
            starts, ends, executions = values["0"], values["1"], values["r"]
            for subject, started in starts.items():
                if subject not in ends or subject in executions:
                    continue
                activity = _node(subject)
                for start in started:
                    for end in ends[subject]:
                        yield graph, activity, _from_micros(start), _from_micros(end)


def _value(kind: str, text: str) -> Any:
    """A statement's object as the finishing uses it: a time in microseconds since 1970 (exact,
    as the datetimes' differences are), an index, or an IRI's text."""
    if kind in "01":
        return (_moment(text) - _EPOCH) // _MICROSECOND
    if kind == "2":
        return _integer(text)
    return sys.intern(text)


def _from_micros(micros: int) -> datetime.datetime:
    """The aware datetime (UTC) of a time `_value` keeps."""
    return _EPOCH + micros * _MICROSECOND


def _node(text: str) -> pyoxigraph.NamedNode:
    """A NamedNode from its N-Quads text (`<iri>`, as `iris` writes them)."""
    if not (text.startswith("<") and text.endswith(">")):
        raise QueryError(f"the loader gathered {text!r} where an IRI belongs")
    return pyoxigraph.NamedNode(text[1:-1])


def _lexical(text: str) -> str:
    """The lexical form of a typed literal in N-Quads text (`"form"^^<type>`)."""
    return text[1 : text.rindex('"^^')]


def _integer(text: str) -> int:
    return int(_lexical(text))


def _moment(text: str) -> datetime.datetime:
    """A dateTime literal in N-Quads text (as `ntriples.timestamp` writes it), aware."""
    return nt.moment(_lexical(text))
