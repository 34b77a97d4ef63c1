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
wrote pending state for a run whose graph was empty. Any other run (loaded before, left
unfinished by a crash, or past `MAX_STATEMENTS`) is finished from the store, as before.
"""

from __future__ import annotations

import datetime
import sys
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import pyoxigraph

from provml.errors import QueryError
from provml.kg.store import Store
from provml.loaders import digests, iris
from provml.loaders import ntriples as nt
from provml.loaders.terms import C, P

#: The statements of a batch the finishing reads, per graph (IRI in N-Quads text): (subject,
#: kind, value), kind an index of `_Run.values` (value parsed: a datetime, an index, an IRI's
#: text) or "run" (the subject is a WorkflowExecution).
Facts = dict[str, list[tuple[str, str, Any]]]
#: Statements kept per load at most (about 100 bytes each, 15 MB): past it, the run that would
#: add more is finished from the store, so memory stays bounded whatever the spool's size (a
#: 200k-event synth spool has about 127k).
MAX_STATEMENTS = 150_000
#: What one metric summary's digest keys count for against MAX_STATEMENTS (four keys).
DIGEST_STATEMENTS = 4

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
            facts.setdefault(rest[len(_RUN_TYPE) : -_TAIL], []).append((subject, "run", None))


class _Run:
    """One new run graph's statements: per kind, subject -> value (a set if it has several)."""

    def __init__(self) -> None:
        self.values: tuple[dict[str, Any], ...] = ({}, {}, {}, {})
        self.executions: set[str] = set()
        #: (metric name, split) -> pending digest keys by kind, merged
        self.digests: dict[tuple[str, str | None], dict[str, str]] = {}
        self.size = 0


class RunFacts:
    """The gathered statements of the run graphs new to the store in this load."""

    def __init__(self) -> None:
        """Nothing gathered yet."""
        self._runs: dict[str, _Run] = {}
        self._old: set[str] = set()
        self._size = 0

    def check(self, store: Store, graphs: Iterable[str]) -> None:
        """Note which of `graphs` (IRIs in N-Quads text) are new: empty in `store` now, before
        this load writes them for the first time. Raises as `Store.query` does."""
        for graph in graphs:
            if graph in self._runs or graph in self._old:
                continue
            if store.query(f"ASK {{ GRAPH {graph} {{ ?s ?p ?o }} }}"):
                self._old.add(graph)
            else:
                self._runs[graph] = _Run()

    def add(self, facts: Facts) -> None:
        """Keep committed statements of new graphs (others are read from the store)."""
        for graph, statements in facts.items():
            run = self._runs.get(graph)
            if run is None:
                continue
            for subject, kind, value in statements:
                if kind == "run":
                    run.executions.add(subject)
                    continue
                if kind == "unknown" or self._size >= MAX_STATEMENTS:
                    self._forget(graph)
                    break
                values = run.values[int(kind)]
                held = values.get(subject)
                if held is None:
                    values[sys.intern(subject)] = value  # one copy for the kinds of a subject
                    run.size += 1
                    self._size += 1
                elif isinstance(held, set):
                    held.add(value)
                elif held != value:
                    values[subject] = {held, value}

    def add_digests(self, committed: digests.MetricDigests) -> None:
        """Keep the merged keys of committed metric digests of new graphs (a summary counts as
        DIGEST_STATEMENTS statements)."""
        for (run, name, split), state in committed.items():
            held = self._runs.get(iris.run(run))
            if held is None:
                continue
            found = held.digests.get((name, split))
            if found is None:
                if self._size >= MAX_STATEMENTS:
                    self._forget(iris.run(run))
                    continue
                found = held.digests[name, split] = {}
                held.size += DIGEST_STATEMENTS
                self._size += DIGEST_STATEMENTS
            digests.merge_keys(found, digests.state_keys(state))

    def _forget(self, graph: str) -> None:
        """Leave a run to be finished from the store."""
        self._size -= self._runs.pop(graph).size
        self._old.add(graph)

    def pending(
        self, graphs: Iterable[pyoxigraph.NamedNode]
    ) -> Iterator[tuple[pyoxigraph.NamedNode, str, str | None, dict[str, str]]]:
        """(graph, metric name, split, keys by kind) of each metric of `graphs`:
        `pending_digests.rq`'s rows, merged."""
        for graph in graphs:
            for (name, split), found in self._runs[str(graph)].digests.items():
                yield graph, name, split, found

    def known(self, graphs: Sequence[pyoxigraph.NamedNode]) -> set[pyoxigraph.NamedNode]:
        """Those of `graphs` whose statements are all gathered here."""
        return {graph for graph in graphs if str(graph) in self._runs}

    def sections(
        self, graphs: Iterable[pyoxigraph.NamedNode]
    ) -> Iterator[tuple[pyoxigraph.NamedNode, pyoxigraph.NamedNode, pyoxigraph.NamedNode, int]]:
        """(graph, section, stage, index) for each section of `graphs`: `run_sections.rq`'s
        rows."""
        for graph in graphs:
            _, _, indexes, stages = self._runs[str(graph)].values
            for subject, index in indexes.items():
                stage = stages.get(subject)
                if stage is None:
                    continue
                section = _node(subject)
                for each_index in _each(index):
                    for each_stage in _each(stage):
                        yield graph, section, _node(each_stage), each_index

    def durations(
        self, graphs: Iterable[pyoxigraph.NamedNode]
    ) -> Iterator[tuple[Any, Any, datetime.datetime, datetime.datetime]]:
        """(graph, activity, start, end) for each activity of `graphs` with both but the
        workflow executions (`run_durations.rq`'s rows; theirs are merged, so read back)."""
        for graph in graphs:
            run = self._runs[str(graph)]
            starts, ends, _, _ = run.values
            for subject, start in starts.items():
                end = ends.get(subject)
                if end is None or subject in run.executions:
                    continue
                activity = _node(subject)
                for started in _each(start):
                    for ended in _each(end):
                        yield graph, activity, started, ended


def _each(value: Any) -> Iterable[Any]:
    """The values held for a subject: one, or a set of several."""
    return value if isinstance(value, set) else (value,)


def _value(kind: str, text: str) -> Any:
    """A statement's object as the finishing uses it: a datetime, an index, or an IRI's text."""
    if kind in "01":
        return _moment(text)
    if kind == "2":
        return _integer(text)
    return sys.intern(text)


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
