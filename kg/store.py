"""The `Store` interface every knowledge-graph backend implements.

Terms are pyoxigraph's (NamedNode, Literal, BlankNode, Quad, DefaultGraph) in every backend. Graph
names are passed as IRI strings. Errors are provml's: `StoreError` (and `StoreLocked`,
`StoreCorrupt`) for storage, `LoadError` for input that cannot be parsed, `QueryError` for a query
or update the engine refuses, `UnsafeParameter` for a binding, variable name or graph IRI refused
before anything is sent. A backend never lets a raw OSError escape.

Notes for loaders (embedded Oxigraph; figures live in `bench/load.py`, not here):

- `add_quads(quads)` (pyoxigraph `extend`) and `load(nquads_bytes, "nquads")` are both atomic
  and hold the batch in memory. Formatting N-Quads text (escaping literals as N-Triples
  requires) and calling `load` per large batch is cheaper than building Quad objects.
- `bulk_load(nquads_bytes, "nquads")` is faster (it writes sorted files and adds them to the
  database at once) and must not run beside other writes to the same store. With pyoxigraph 0.5
  it is also atomic: the files of one call are added in one step, or none of them
  (`atomic_bulk_load`), so a loader that is the store's only writer commits with it.
- Oxigraph 0.5 stores integer subtypes (xsd:long, xsd:int...) as xsd:integer: compare numbers by
  value in queries, not by datatype. Virtuoso keeps xsd:long from Turtle/N-Triples loads.
"""

from __future__ import annotations

__all__ = ["Store"]

import abc
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, ClassVar, Self

import pyoxigraph

from provml.errors import QueryError
from provml.kg.formats import RdfInput
from provml.kg.results import Answer, QueryResult, answer_of
from provml.kg.terms import BindingTerm


class Store(abc.ABC):
    """A quad store that provml loads into and queries, embedded or remote.

    Atomicity and durability of writes (`add_quads`, `load`, `update`): on the embedded store
    each call is one transaction, and once it returns its data survives `kill -9` of the process
    (`flush()` also pushes it into the data files). On a remote store bad input is refused
    before anything is sent, each request is one server transaction, and a write is durable
    once the server acknowledges it; a write split over several requests is not atomic as a
    whole (see `provml.kg.remote`).
    """

    #: Where the store lives: a directory path or an endpoint URL, for messages.
    location: str

    # -- capabilities: what the command line and the server ask of a backend ----------------

    #: Opening takes `user=` and `password=`, the credentials of a server.
    takes_credentials: ClassVar[bool] = False

    #: `bulk_load` is all or nothing, like `load` (a crash or bad input midway writes nothing),
    #: so a writer that runs alone can commit each batch with it.
    atomic_bulk_load: ClassVar[bool] = False

    @classmethod
    def local_directory(cls, location: str | os.PathLike[str]) -> Path | None:
        """The directory on this machine that holds the store at `location`; None if remote.

        A store in a directory is held by one process at a time: opening it takes `wait=`
        seconds to wait for the holder, and the files that go with it (a load's checkpoint and
        quarantine) sit beside it. Reads no file: the directory may not exist yet.
        """
        return None

    def evaluate(
        self,
        sparql: str,
        bindings: Mapping[str, BindingTerm] | None = None,
        *,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
    ) -> Answer:
        """A query's answer for pyoxigraph's result writers (a SPARQL Protocol endpoint).

        By default it is `query`, read in full; a backend that computes rows while the answer is
        written overrides it, so that a server can stop a query at its size or time limit
        (errors of evaluation may then surface while writing). `default_graphs` replaces the
        union default graph and `named_graphs` restricts `GRAPH` (the protocol's
        default-graph-uri and named-graph-uri); by default they are refused with QueryError.
        Reads only. Raises as `query` does.
        """
        if default_graphs or named_graphs:
            raise QueryError(
                f"the store {self.location} cannot restrict a query's dataset "
                "(default-graph-uri, named-graph-uri)"
            )
        return answer_of(self.query(sparql, bindings))

    @abc.abstractmethod
    def add_quads(self, quads: Iterable[pyoxigraph.Quad]) -> None:
        """Add quads in one transaction: either all are written, or none; durable on return.

        Raises StoreError if the store cannot be written (nothing is written then); an error
        raised by the iterable itself propagates unchanged (nothing is written then either).
        """

    @abc.abstractmethod
    def load(
        self,
        data: RdfInput,
        format: str,
        graph: str | None = None,
        *,
        base_iri: str | None = None,
        source: str | None = None,
    ) -> None:
        """Parse RDF and add it in one transaction: either all of it is written, or none.

        Durable on return. Remote stores need a named graph for every triple.
        `format` is one of nquads, ntriples, turtle, trig, rdfxml, jsonld. `graph` puts the triples
        of a triple format into that named graph (default: the default graph). `source` names the
        input in error messages (default: the path, or the kind of input).
        Raises LoadError naming the input and the line for bad syntax or an unknown format,
        UnsafeParameter for a bad graph IRI, StoreError if the store cannot be written.
        """

    def bulk_load(
        self,
        data: RdfInput,
        format: str,
        graph: str | None = None,
        *,
        base_iri: str | None = None,
        source: str | None = None,
    ) -> None:
        """Load large inputs the fastest way the backend has; by default the same as `load`.

        Backends that override it may give up atomicity for speed; their docstring says so.
        """
        self.load(data, format, graph, base_iri=base_iri, source=source)

    @abc.abstractmethod
    def query(self, sparql: str, bindings: Mapping[str, BindingTerm] | None = None) -> QueryResult:
        """Run a SPARQL query; SELECT -> SelectResult, ASK -> bool, CONSTRUCT -> GraphResult.

        `bindings` maps variable names (without `?`) to pyoxigraph terms, bound by the engine,
        never formatted into the text. Bind only variables that a SELECT projects (Oxigraph's
        rule) and that occur in triple patterns or FILTERs of the top-level group (not only
        inside aggregates or subqueries): the remote backend, which puts a VALUES block at the
        start of that group, then agrees with Oxigraph.
        Outside `GRAPH` patterns a query reads the union of all graphs on every backend;
        updates should name their graphs (`GRAPH <g>`, `WITH <g>`), since there they differ.
        Reads only. Raises UnsafeParameter for a bad binding, QueryError for a query the engine
        refuses, StoreError if the store cannot be read.
        """

    @abc.abstractmethod
    def update(self, sparql: str) -> None:
        """Run a SPARQL 1.1 update in one transaction: either all of it applies, or none.

        Durable on return. The text is trusted code (see `provml.kg` on SERVICE and LOAD).
        Raises QueryError for an update the engine refuses, StoreError if the store cannot be
        written.
        """

    @abc.abstractmethod
    def graphs(self) -> list[str]:
        """The IRIs of the named graphs that hold at least one triple, sorted."""

    @abc.abstractmethod
    def count(self, graph: str | None = None) -> int:
        """Triples in one named graph; without `graph`, all quads of the store.

        "All quads" is every graph, the default one included, on the embedded store, and every
        named graph but the server's own (`provml.kg.remote.is_system_graph`) on a remote endpoint.
        """

    @abc.abstractmethod
    def dump(self, output: Path | IO[bytes], format: str, graph: str | None = None) -> None:
        """Write one named graph, or the whole store (dataset formats only), to a file or stream.

        A path is written to a temporary file beside it and renamed into place, so it never
        holds half a dump. Raises StoreError for an unknown format, a single-graph format without
        `graph`, or a storage or output failure.
        """

    @abc.abstractmethod
    def flush(self) -> None:
        """Make everything written so far durable on disk (no-op where the server owns it)."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release the store (the embedded store's directory lock); later calls raise StoreError."""

    def __enter__(self) -> Self:
        """Use the store in a `with` block; it is closed at the end."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Close the store."""
        self.close()

    def __repr__(self) -> str:
        """The backend class and location."""
        return f"{type(self).__name__}({self.location!r})"
