"""The embedded backend: an Oxigraph database in a directory on this machine.

Oxigraph (RocksDB) lets one process open a directory for writing; a second process gets
`StoreLocked`. Each `add_quads`, `load` and `update` is one transaction: committed data survives
`kill -9` of the process (RocksDB's write-ahead log), and `flush()` forces it to the data files.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit
from urllib.request import url2pathname

import pyoxigraph

from provml.atomic_file import atomic_write
from provml.errors import (
    LoadError,
    QueryError,
    StoreCorrupt,
    StoreError,
    StoreLocked,
    UnsafeParameter,
)
from provml.kg.formats import RdfInput, describe_input, input_format, output_format, syntax_error
from provml.kg.results import GraphResult, QueryResult, SelectResult
from provml.kg.sparql_text import bind, has_dataset_clause, query_form
from provml.kg.store import Store
from provml.kg.terms import BindingTerm, checked_bindings, named_node


def directory_of(location: str | os.PathLike[str]) -> Path:
    """The directory a location names: a path, or a file: URL."""
    where = os.fspath(location)
    if where.lower().startswith("file:"):
        where = url2pathname(urlsplit(where).path)
    return Path(where).expanduser()


# How often a waiting opener retries a held store.
_LOCK_RETRY_SECONDS = 0.2


def _open_error(path: Path, error: BaseException) -> StoreError:
    """The provml error for a failure to open the directory, naming it and what to do."""
    message = str(error)
    # RocksDB names its lock file in the message ("While lock file: <dir>/LOCK", or "lock hold by
    # current process ... <dir>/LOCK"), so a path that merely contains "lock" is not mistaken.
    if str(path / "LOCK") in message:
        return StoreLocked(
            f"the store {path} is already open for writing ({message}), by another process or "
            "by an earlier open_store in this one. Stop that process (a running `provml load` or "
            "`provml serve`) or close the other store, or send queries through the running "
            "server (`provml serve`), then retry.",
            path=path,
        )
    if isinstance(error, RuntimeError) or "Corruption" in message:
        return StoreCorrupt(
            f"the store {path} cannot be read ({message}). Restore it from a backup or a dump, "
            "or load the sources again into a new directory.",
            path=path,
        )
    return StoreError(f"cannot open the store {path}: {message}")


class OxigraphStore(Store):
    """An Oxigraph store in a directory, created if missing; held for writing until `close()`."""

    # pyoxigraph 0.5 ingests a bulk load's sorted files in one RocksDB step, after parsing.
    atomic_bulk_load = True
    #: False for a store opened with `read_only` (nothing to flush when it closes).
    _writable = True

    @classmethod
    def local_directory(cls, location: str | os.PathLike[str]) -> Path:
        """The directory a location names (a path or a file: URL); reads no file."""
        return directory_of(location)

    def __init__(self, location: str | os.PathLike[str], *, wait: float = 0.0) -> None:
        """Open (or create) the directory (a path or file: URL); StoreLocked, StoreCorrupt or
        StoreError if it cannot be opened.

        `wait` seconds: while another process holds the directory, retry until it lets go
        (e.g. a query waiting for a load to finish) before raising StoreLocked.
        """
        self.path = directory_of(location)
        self.location = str(self.path)
        deadline = time.monotonic() + wait
        while True:
            try:
                self.path.mkdir(parents=True, exist_ok=True)
                self._store: pyoxigraph.Store | None = pyoxigraph.Store(str(self.path))
                return
            except (OSError, RuntimeError) as error:
                failure = _open_error(self.path, error)
            if not isinstance(failure, StoreLocked) or time.monotonic() >= deadline:
                if wait and isinstance(failure, StoreLocked):
                    raise StoreLocked(
                        f"after waiting {wait:g} s: {failure}", path=self.path
                    ) from None
                raise failure
            time.sleep(_LOCK_RETRY_SECONDS)

    @classmethod
    def read_only(cls, location: str | os.PathLike[str]) -> OxigraphStore:
        """Open a directory no process writes (a `snapshot`) for reading only, without its lock:
        several processes may read it at once; writes raise StoreError. Raises StoreCorrupt or
        StoreError if it cannot be opened."""
        opened = cls.__new__(cls)
        opened.path = directory_of(location)
        opened.location = str(opened.path)
        opened._writable = False
        try:
            opened._store = pyoxigraph.Store.read_only(str(opened.path))
        except (OSError, RuntimeError) as error:
            raise _open_error(opened.path, error) from None
        return opened

    def snapshot(self, target: str | os.PathLike[str]) -> None:
        """Write a consistent copy of the store as it is now into the new directory `target`
        (RocksDB checkpoint: hard links on the same file system, so it is cheap); it changes no
        more, and `read_only` opens it. Raises StoreError if it cannot be written."""
        with self._storage("copying"):
            self._db.backup(str(target))

    @property
    def _db(self) -> pyoxigraph.Store:
        """The open pyoxigraph store; StoreError once closed."""
        if self._store is None:
            raise StoreError(f"the store {self.path} is closed")
        return self._store

    @contextlib.contextmanager
    def _storage(self, doing: str) -> Iterator[None]:
        """Turn pyoxigraph's storage errors into StoreError naming the path and the operation."""
        try:
            yield
        except (OSError, RuntimeError) as error:
            raise StoreError(f"{doing} the store {self.path} failed: {error}") from None

    def add_quads(self, quads: Iterable[pyoxigraph.Quad]) -> None:
        """Add quads in one transaction (pyoxigraph `extend`): all or nothing; durable on commit.

        The quads are gathered in memory first. Raises StoreError if the store cannot be written;
        an error raised by the iterable itself propagates unchanged (nothing is written).
        """
        producer_errors: list[BaseException] = []

        def produced() -> Iterator[pyoxigraph.Quad]:
            try:
                yield from quads
            except BaseException as error:
                producer_errors.append(error)
                raise

        try:
            with self._storage("writing to"):
                self._db.extend(produced())
        except StoreError:
            if producer_errors:  # the caller's iterable failed, not the store: re-raise its error
                raise producer_errors[0] from None
            raise

    def load(
        self,
        data: RdfInput,
        format: str,
        graph: str | None = None,
        *,
        base_iri: str | None = None,
        source: str | None = None,
    ) -> None:
        """Parse and add RDF in one transaction (pyoxigraph `load`): all or nothing.

        The whole input is held in memory while parsing. Raises LoadError naming the input and
        the line for bad syntax (nothing written), UnsafeParameter for a bad graph IRI,
        StoreError if the store cannot be written.

        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as directory, OxigraphStore(directory) as store:
        ...     store.load(b'<http://e/a> <http://e/p> "1" .', "ntriples", "http://e/g")
        ...     store.count("http://e/g")
        1
        """
        self._load(self._db.load, data, format, graph, base_iri, source)

    def bulk_load(
        self,
        data: RdfInput,
        format: str,
        graph: str | None = None,
        *,
        base_iri: str | None = None,
        source: str | None = None,
    ) -> None:
        """Load an input with pyoxigraph `bulk_load`: fastest, streaming, all or nothing.

        The input is parsed into sorted files that are added to the database in one step at the
        end (pyoxigraph 0.5), so bad syntax or a crash midway writes nothing; durable on return.
        No other write may run meanwhile. Raises as `load` does.
        """
        self._load(self._db.bulk_load, data, format, graph, base_iri, source)

    def _load(
        self,
        loader: object,
        data: RdfInput,
        format: str,
        graph: str | None,
        base_iri: str | None,
        source: str | None,
    ) -> None:
        """Run one of pyoxigraph's loaders, mapping its errors to provml's."""
        name = describe_input(data, source)
        rdf_format = input_format(format, name)
        to_graph = named_node(graph, "graph") if graph is not None else None
        arguments: dict[str, object] = {"format": rdf_format, "base_iri": base_iri}
        if to_graph is not None:
            arguments["to_graph"] = to_graph
        if isinstance(data, Path):
            arguments["path"] = str(data)
        else:
            arguments["input"] = data
        try:
            loader(**arguments)  # type: ignore[operator]
        except SyntaxError as error:
            raise syntax_error(name, error) from None
        except ValueError as error:
            raise LoadError(f"{name}: {error}") from None
        except (FileNotFoundError, IsADirectoryError, PermissionError) as error:
            raise LoadError(f"{name}: cannot read the input: {error}") from None
        except (OSError, RuntimeError) as error:
            raise StoreError(f"loading {name} into the store {self.path} failed: {error}") from None

    def query(self, sparql: str, bindings: Mapping[str, BindingTerm] | None = None) -> QueryResult:
        """Run a SPARQL query; a SELECT's bindings become a VALUES block of validated terms
        opening its WHERE group (`provml.kg.sparql_text.bind`), other bindings go through Oxigraph's
        `substitutions` (SEP-0007).

        The query's default graph is the union of all graphs, as on Virtuoso, unless the query
        names its dataset (`FROM`, `FROM NAMED`).
        Reads only; results are read in full. Raises UnsafeParameter for a bad binding,
        QueryError for a query Oxigraph cannot parse or evaluate, StoreError on storage failure.
        """
        answer = self.evaluate(sparql, bindings)
        with self._evaluation():
            if isinstance(answer, pyoxigraph.QueryBoolean):
                return bool(answer)
            if isinstance(answer, pyoxigraph.QueryTriples):
                return GraphResult(
                    [pyoxigraph.Quad(t.subject, t.predicate, t.object) for t in answer]
                )
            names = [variable.value for variable in answer.variables]
            return SelectResult(names, [{name: row[name] for name in names} for row in answer])

    @contextlib.contextmanager
    def _evaluation(self) -> Iterator[None]:
        """Turn pyoxigraph's query errors into QueryError (parse, evaluation) or StoreError."""
        try:
            yield
        except SyntaxError as error:
            raise QueryError(f"the query cannot be parsed: {error}") from None
        except OSError as error:
            raise StoreError(f"reading the store {self.path} failed: {error}") from None
        except (RuntimeError, ValueError, TypeError) as error:
            # Evaluation errors, e.g. a binding for a variable the SELECT does not project.
            raise QueryError(f"the query cannot be evaluated: {error}") from None

    def evaluate(
        self,
        sparql: str,
        bindings: Mapping[str, BindingTerm] | None = None,
        *,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
    ) -> pyoxigraph.QuerySolutions | pyoxigraph.QueryBoolean | pyoxigraph.QueryTriples:
        """The engine's own lazy answer, for pyoxigraph's result writers (the SPARQL endpoint).

        Like `query`, but rows are computed while the answer is read or serialized, so errors
        of evaluation may surface then (as OSError, RuntimeError or ValueError from pyoxigraph).
        `default_graphs` replaces the union default graph; `named_graphs` restricts `GRAPH`
        (SPARQL Protocol's default-graph-uri and named-graph-uri, which take the place of the
        query's FROM and FROM NAMED). A request that names its dataset, by these or by the
        query's clauses, gets that dataset: with named graphs only, the default graph is the
        store's own (not the union). Reads only. Raises
        UnsafeParameter for a bad binding or graph IRI, QueryError for a query that cannot be
        parsed, StoreError on storage failure.
        """
        # The union default graph unless the request names a dataset (protocol or FROM clause).
        union = not default_graphs and not named_graphs and not has_dataset_clause(sparql)
        sparql, substitutions = _bound(sparql, bindings)
        graphs: dict[str, object] = {"use_default_graph_as_union": union}
        if default_graphs:
            graphs["default_graph"] = [named_node(iri, "default graph") for iri in default_graphs]
        if named_graphs:
            graphs["named_graphs"] = [named_node(iri, "named graph") for iri in named_graphs]
        with self._evaluation():
            return self._db.query(sparql, substitutions=substitutions or None, **graphs)  # type: ignore[arg-type]

    def update(self, sparql: str) -> None:
        """Run a SPARQL update in one transaction: all or nothing; durable on commit.

        Raises QueryError for an update Oxigraph cannot parse, StoreError on storage failure.
        """
        try:
            self._db.update(sparql)
        except SyntaxError as error:
            raise QueryError(f"the update cannot be parsed: {error}") from None
        except OSError as error:
            raise StoreError(f"updating the store {self.path} failed: {error}") from None
        except (RuntimeError, ValueError, TypeError) as error:
            raise QueryError(f"the update cannot be run: {error}") from None

    def graphs(self) -> list[str]:
        """The IRIs of the non-empty named graphs, sorted (blank-node graph names are left out)."""
        with self._storage("reading"):
            db = self._db
            return sorted(
                graph.value
                for graph in db.named_graphs()
                if isinstance(graph, pyoxigraph.NamedNode)
                and next(iter(db.quads_for_pattern(None, None, None, graph)), None) is not None
            )

    def count(self, graph: str | None = None) -> int:
        """Triples in the named graph `graph`, or quads in the whole store (default graph too)."""
        with self._storage("reading"):
            if graph is None:
                return len(self._db)
            # A validated NamedNode prints as <iri> and cannot close the pattern; Oxigraph only
            # substitutes projected variables, so it cannot bind ?g here.
            node = named_node(graph, "graph")
            answer = self._db.query(
                f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {node} {{ ?s ?p ?o }} }}"
            )
            row = next(iter(answer))  # type: ignore[arg-type]
            return int(row["n"].value)

    def dump(self, output: Path | IO[bytes], format: str, graph: str | None = None) -> None:
        """Serialize one named graph, or the whole store in a dataset format (nquads, trig, jsonld).

        A path is written beside its target and renamed into place. Reads only.
        Raises StoreError for a bad format or a storage or output failure.
        """
        rdf_format = output_format(format, graph)
        from_graph = named_node(graph, "graph") if graph is not None else None
        if not isinstance(output, Path):
            with self._storage("dumping"):
                self._db.dump(output, rdf_format, from_graph=from_graph)
            return
        with self._storage("dumping"), atomic_write(output) as stream:
            self._db.dump(stream, rdf_format, from_graph=from_graph)

    def flush(self) -> None:
        """Write buffered data to the data files (committed data already survives `kill -9`)."""
        with self._storage("flushing"):
            self._db.flush()

    def close(self) -> None:
        """Flush and release the directory lock; later calls raise StoreError. Idempotent."""
        if self._store is not None:
            if self._writable:
                with self._storage("closing"):
                    self._store.flush()
            self._store = None


def _bound(
    sparql: str, bindings: Mapping[str, BindingTerm] | None
) -> tuple[str, dict[pyoxigraph.Variable, BindingTerm]]:
    """The query text and substitutions that bind `bindings` (checked).

    Oxigraph plans a query before it substitutes, so a bound lineage query was planned as if
    unbound (seconds instead of milliseconds): a SELECT also gets the terms as a VALUES block
    opening its WHERE group (validated, as on remote stores), which the planner reads. Terms
    query text cannot hold (a blank node, text SPARQL would read as a \\u escape) are only
    substituted.
    """
    checked = checked_bindings(bindings)
    substitutions = {pyoxigraph.Variable(name): term for name, term in checked.items()}
    if checked and query_form(sparql) == "SELECT":
        with contextlib.suppress(UnsafeParameter):
            sparql = bind(sparql, "SELECT", checked)
    return sparql, substitutions
