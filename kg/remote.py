"""The remote backend: any SPARQL 1.1 endpoint (Virtuoso, Fuseki, GraphDB, Neptune...).

Queries and updates go through SPARQLWrapper (SPARQL 1.1 Protocol). Writes of data go through the
SPARQL 1.1 Graph Store Protocol when a `graph_store_url` is given (one POST of N-Triples per
graph), else through `INSERT DATA` requests of at most `chunk_bytes`.

Guarantees differ from the embedded store, and the docstrings say where:
- Input is parsed and validated here, in full, before the first request: bad syntax never
  reaches the server, and the store is unchanged.
- Each request is one transaction on servers that run a request atomically (Virtuoso, Fuseki).
  A write that needs several requests (several graphs, or more than `chunk_bytes` of INSERT DATA)
  is not atomic as a whole: a failure midway leaves the earlier requests applied. Replaying the
  same load is harmless for provml's data (deterministic IRIs, no blank nodes).
- Durability is the server's; `flush()` has nothing to do.
- Endpoints may hold system graphs of their own (Virtuoso does); `graphs()`, `count()` and
  `dump()` leave out the graphs `is_system_graph` names, and report every other graph.
  Queries see them: Virtuoso's pragmas that would hide them (`input:*-graph-exclude`) change
  what `GRAPH <iri>` and the default graph match, so they are not used.
- Every row of a SELECT comes back, past a server's result cap (announced in a header, or
  given as `max_rows`), and doubles come back exactly (see `SparqlStore.query`).
"""

from __future__ import annotations

import contextlib
import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote, urlsplit

import pyoxigraph
from SPARQLWrapper import BASIC, DIGEST, JSON, POST, TURTLE, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import (
    EndPointInternalError,
    QueryBadFormed,
    SPARQLWrapperException,
)

from provml.atomic_file import atomic_write
from provml.errors import AnswerTooLarge, LoadError, QueryError, StoreError, UnsafeParameter
from provml.kg.formats import RdfInput, describe_input, input_format, output_format, syntax_error
from provml.kg.results import GraphResult, QueryResult, SelectResult, Term
from provml.kg.sparql_text import (
    bind,
    has_codepoint_escape,
    has_top_level_order,
    query_form,
    sparql_term,
    split_select,
    with_projected,
)
from provml.kg.store import Store
from provml.kg.terms import BindingTerm, checked_bindings, named_node

_READ_FORMS = {"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"}
#: The header in which Virtuoso announces that it cut a result at its cap (ResultSetMaxRows).
_MAX_ROWS_HEADER = "X-SPARQL-MaxRows"
_DOUBLE = "http://www.w3.org/2001/XMLSchema#double"
#: The prefix of the columns that carry doubles' full lexical forms from Virtuoso.
_LEXICAL = "provml_lexical_"
_BLANK_LABEL_UNSAFE = re.compile(r"[^A-Za-z0-9_]")
_MARKUP = re.compile(r"<[^>]*>")
#: Triples per INSERT DATA request: Virtuoso's SPARQL parser runs out of stack ("SP030 memory
#: exhausted") near 5,000 triples in one request, whatever their size.
CHUNK_TRIPLES = 1_000


def _term(value: Mapping[str, str]) -> Term:
    """A pyoxigraph term from one SPARQL JSON results binding."""
    kind, lexical = value["type"], value["value"]
    if kind == "uri":
        return pyoxigraph.NamedNode(lexical)
    if kind == "bnode":
        return pyoxigraph.BlankNode(_BLANK_LABEL_UNSAFE.sub("_", lexical) or None)
    if "xml:lang" in value:
        return pyoxigraph.Literal(lexical, language=value["xml:lang"])
    if "datatype" in value:  # "typed-literal" is the SPARQL 1.0 JSON spelling Virtuoso still uses
        return pyoxigraph.Literal(lexical, datatype=pyoxigraph.NamedNode(value["datatype"]))
    return pyoxigraph.Literal(lexical)


def _select_or_ask(form: str, document: Mapping[str, Any]) -> SelectResult | bool:
    """A SelectResult (SELECT) or a boolean (ASK) from a SPARQL JSON results document."""
    if "boolean" in document:
        return bool(document["boolean"])
    variables = list(document["head"].get("vars", []))
    rows = [
        {name: (_term(row[name]) if name in row else None) for name in variables}
        for row in document["results"]["bindings"]
    ]
    if form == "ASK":
        # Virtuoso 7 answers ASK with a one-column table: no row when false, 1 when true.
        return any(
            isinstance(value, pyoxigraph.Literal) and value.value not in ("0", "false")
            for row in rows
            for value in row.values()
        )
    return SelectResult(variables, rows)


@dataclass(frozen=True)
class _Reply:
    """A query's response: its body, the row cap it was cut at (None if whole), and whether
    Virtuoso sent it."""

    body: bytes
    cap: int | None
    virtuoso: bool


#: Graphs a server writes for itself on a fresh database (Virtuoso: its RDF views, the OWL and
#: LDP vocabularies, the DAV folder and the endpoint's service description, named after the
#: host in its [URIQA] DefaultHost, and rule sets named urn:...).
_SYSTEM_GRAPH = re.compile(
    r"^(?:http://www\.openlinksw\.com/"
    r"|http://www\.w3\.org/2002/07/owl#$"
    r"|http://www\.w3\.org/ns/ldp#$"
    r"|https?://[^/]+/DAV/"
    r"|https?://[^/]+/sparql/?$"
    r"|urn:activitystreams-owl:|urn:rules\.|urn:virtuoso:)"
)


def is_system_graph(graph: str) -> bool:
    """Whether a named graph is one a SPARQL server keeps for itself, not the user's data:
    `graphs()`, `count()` and `dump()` of a remote store leave these out."""
    return _SYSTEM_GRAPH.match(graph) is not None


def _has_doubles(answer: SelectResult) -> bool:
    """Whether any value of the answer is an xsd:double."""
    return any(
        isinstance(term, pyoxigraph.Literal) and term.datatype.value == _DOUBLE
        for row in answer.rows
        for term in row.values()
    )


def _exact(row: Mapping[str, Term | None], variables: list[str]) -> dict[str, Term | None]:
    """A row of the nested query: its variables, each double rebuilt from its full lexical
    form where the row carries one (shortest form that reads back as the same double)."""
    exact: dict[str, Term | None] = {}
    for name in variables:
        term = row.get(name)
        lexical = row.get(f"{_LEXICAL}{name}")
        if (
            isinstance(term, pyoxigraph.Literal)
            and isinstance(lexical, pyoxigraph.Literal)
            and term.datatype.value == _DOUBLE
            and lexical.value
        ):
            with contextlib.suppress(ValueError):
                term = pyoxigraph.Literal(
                    repr(float(lexical.value)), datatype=pyoxigraph.NamedNode(_DOUBLE)
                )
        exact[name] = term
    return exact


def _restore_bound(answer: SelectResult, bindings: Mapping[str, BindingTerm]) -> None:
    """Put the bound terms back in their columns: a server may give them back in another form
    (Virtuoso has no booleans: it answers true as 1)."""
    for name, term in bindings.items():
        if name in answer.variables and isinstance(term, pyoxigraph.Literal | pyoxigraph.NamedNode):
            for row in answer.rows:
                if row.get(name) is not None:
                    row[name] = term


def _ntriples_by_graph(
    quads: Iterable[pyoxigraph.Quad], source: str
) -> dict[pyoxigraph.NamedNode, list[str]]:
    """N-Triples lines grouped by named graph; StoreError for a quad outside a named graph."""
    grouped: dict[pyoxigraph.NamedNode, list[str]] = {}
    for quad in quads:
        graph = quad.graph_name
        if not isinstance(graph, pyoxigraph.NamedNode):
            # Virtuoso has no writable default graph; refusing here keeps every server alike.
            raise StoreError(
                f"{source}: {quad.subject} {quad.predicate} {quad.object} is not in a named "
                "graph; a remote store is written per named graph: pass graph=IRI"
            )
        grouped.setdefault(graph, []).append(f"{quad.subject} {quad.predicate} {quad.object} .\n")
    return grouped


class SparqlStore(Store):
    """A store behind SPARQL 1.1 query and update endpoints, optionally the Graph Store Protocol.

    `location` is the query endpoint URL; `update_url` defaults to it; `graph_store_url` enables
    the Graph Store Protocol for writes and dumps; `user`/`password` authenticate every request
    with `auth` "basic" or "digest" (Virtuoso's /sparql-auth uses digest).
    """

    takes_credentials = True

    def __init__(
        self,
        location: str,
        *,
        update_url: str | None = None,
        graph_store_url: str | None = None,
        user: str | None = None,
        password: str | None = None,
        auth: str = "basic",
        timeout: float = 60.0,
        chunk_bytes: int = 1_000_000,
        max_rows: int | None = None,
    ) -> None:
        """Remember the endpoints; nothing is sent until the first call. StoreError if invalid.

        `max_rows` is the server's result cap when it cuts results without saying so (no
        `X-SPARQL-MaxRows` header): an answer of that many rows is taken as cut.
        """
        for url in (location, update_url, graph_store_url):
            if url is not None and urlsplit(url).scheme not in ("http", "https"):
                raise StoreError(f"{url!r} is not an http(s) URL of a SPARQL endpoint")
        if auth not in ("basic", "digest"):
            raise StoreError(f"unknown HTTP authentication {auth!r}; use basic or digest")
        if max_rows is not None and max_rows < 1:
            raise StoreError(f"max_rows={max_rows}: a server's result cap is at least 1 row")
        self.location = location
        self.update_url = update_url or location
        self.graph_store_url = graph_store_url
        self._user = user
        self._password = password or ""
        self._auth = auth
        self._timeout = timeout
        self._chunk_bytes = chunk_bytes
        self._max_rows = max_rows
        self._closed = False

    # -- requests --------------------------------------------------------------------------

    def _wrapper(self, text: str) -> SPARQLWrapper:
        """A SPARQLWrapper for one request, with method, timeout and credentials set."""
        if self._closed:
            raise StoreError(f"the store {self.location} is closed")
        wrapper = SPARQLWrapper(self.location, updateEndpoint=self.update_url)
        wrapper.setMethod(POST)
        wrapper.setTimeout(int(self._timeout))
        if self._user is not None:
            wrapper.setHTTPAuth(DIGEST if self._auth == "digest" else BASIC)
            wrapper.setCredentials(self._user, self._password)
        wrapper.setQuery(text)
        return wrapper

    @contextlib.contextmanager
    def _requests(self, url: str, doing: str) -> Iterator[None]:
        """Turn HTTP and endpoint failures into QueryError or StoreError naming the URL."""
        try:
            try:
                yield
            except SPARQLWrapperException as error:
                # SPARQLWrapper reads the HTTPError it wraps but leaves its socket open.
                if isinstance(error.__context__, urllib.error.HTTPError):
                    error.__context__.close()
                raise
        except QueryBadFormed as error:
            raise QueryError(f"{url} refused the {doing}: {_reason(error)}") from None
        except EndPointInternalError as error:
            # Virtuoso answers 500 for queries it parsed but cannot compile or run.
            raise QueryError(f"{url} failed to run the {doing}: {_reason(error)}") from None
        except urllib.error.HTTPError as error:
            with error:
                body = error.read().decode("utf-8", "replace")
            text = _plain(body)[:500]
            raise StoreError(f"{doing} at {url} failed: HTTP {error.code}: {text}") from None
        except SPARQLWrapperException as error:
            raise StoreError(f"{doing} at {url} failed: {_reason(error)}") from None
        except (urllib.error.URLError, OSError, ValueError) as error:
            raise StoreError(f"{doing} at {url} failed: {error}") from None

    def _read(self, sparql: str, bindings: Mapping[str, BindingTerm]) -> tuple[str, str, _Reply]:
        """Send a read-only query: its form (SELECT, ASK...), the text sent, and the reply."""
        form = query_form(sparql)
        if form not in _READ_FORMS:
            raise QueryError(f"{form} is an update: run it with update(), not query()")
        if bindings:
            sparql = bind(sparql, form, bindings)
        return form, sparql, self._send_query(sparql, form)

    def _send_query(self, sparql: str, form: str) -> _Reply:
        """POST one query as it is; the reply's body and the headers that matter here."""
        wrapper = self._wrapper(sparql)
        wrapper.queryType = form  # setQuery's own reading may be wrong (see query_form)
        wrapper.setReturnFormat(JSON if form in ("SELECT", "ASK") else TURTLE)
        with self._requests(self.location, "query"):
            response = wrapper.query().response
            try:
                body = response.read()
            finally:
                response.close()
        headers = response.headers
        cap = headers.get(_MAX_ROWS_HEADER)
        return _Reply(
            body,
            int(cap) if cap is not None and cap.strip().isdigit() else None,
            headers.get("Server", "").lower().startswith("virtuoso"),
        )

    def _send_update(self, sparql: str) -> None:
        """Send one SPARQL update request."""
        wrapper = self._wrapper(sparql)
        if not wrapper.isSparqlUpdateRequest():
            raise QueryError(
                f"this is a {wrapper.queryType} query, not an update: run it with query()"
            )
        with self._requests(self.update_url, "update"):
            wrapper.query().response.close()

    def _graph_store(self, method: str, graph: str, body: bytes | None = None) -> bytes:
        """One Graph Store Protocol request on the named graph `graph`."""
        assert self.graph_store_url is not None
        separator = "&" if "?" in self.graph_store_url else "?"
        url = f"{self.graph_store_url}{separator}graph={quote(graph, safe='')}"
        request = urllib.request.Request(url, data=body, method=method)
        if body is not None:
            request.add_header("Content-Type", "text/turtle; charset=utf-8")
        else:
            request.add_header("Accept", "text/turtle")
        handlers: list[urllib.request.BaseHandler] = []
        if self._user is not None:
            passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
            passwords.add_password(None, self.graph_store_url, self._user, self._password)
            handler_class = (
                urllib.request.HTTPDigestAuthHandler
                if self._auth == "digest"
                else urllib.request.HTTPBasicAuthHandler
            )
            handlers.append(handler_class(passwords))
        with (
            self._requests(self.graph_store_url, f"graph store {method}"),
            urllib.request.build_opener(*handlers).open(request, timeout=self._timeout) as reply,
        ):
            data: bytes = reply.read()
            return data

    # -- writing ---------------------------------------------------------------------------

    def add_quads(self, quads: Iterable[pyoxigraph.Quad]) -> None:
        """Add quads: one request per graph (Graph Store Protocol) or per INSERT DATA chunk.

        Atomic when it takes one request (one graph through the Graph Store Protocol, or under
        `chunk_bytes`); otherwise a failure midway leaves the earlier requests applied.
        Blank nodes are shared only within one request. Every quad must be in a named graph.
        Raises StoreError for a quad outside a named graph and (with the URL) when the endpoint
        fails, UnsafeParameter for a term that cannot be sent as query text; both checks run
        before the first request.
        """
        self._write(quads, "the quads")

    def _write(self, quads: Iterable[pyoxigraph.Quad], source: str) -> None:
        """Check every quad, then send them per graph; nothing is sent if a check fails."""
        grouped = _ntriples_by_graph(quads, source)
        if self.graph_store_url is not None:
            for graph, lines in grouped.items():
                self._graph_store("POST", graph.value, "".join(lines).encode("utf-8"))
            return
        for lines in grouped.values():
            for line in lines:
                if has_codepoint_escape(line):
                    raise UnsafeParameter(
                        f"{source}: the triple {line.strip()} contains a \\u escape that SPARQL "
                        "would decode before parsing; give the store a graph_store_url to load it"
                    )
        for graph, lines in grouped.items():
            for chunk in _chunks(lines, self._chunk_bytes):
                inner = "".join(chunk)
                self._send_update(f"INSERT DATA {{ GRAPH {graph} {{\n{inner}}} }}")

    def load(
        self,
        data: RdfInput,
        format: str,
        graph: str | None = None,
        *,
        base_iri: str | None = None,
        source: str | None = None,
    ) -> None:
        """Parse RDF here in full, then send it as `add_quads` does (see its atomicity).

        Raises LoadError naming the input and the line for bad syntax (nothing is sent),
        UnsafeParameter for a bad graph IRI, StoreError (with the URL) when the endpoint fails.
        """
        name = describe_input(data, source)
        rdf_format = input_format(format, name)
        target = named_node(graph, "graph") if graph is not None else None
        arguments: dict[str, Any] = {"format": rdf_format, "base_iri": base_iri}
        if isinstance(data, Path):
            arguments["path"] = str(data)
        else:
            arguments["input"] = data
        try:
            quads = list(pyoxigraph.parse(**arguments))
        except SyntaxError as error:
            raise syntax_error(name, error) from None
        except (OSError, ValueError) as error:
            raise LoadError(f"{name}: cannot read the input: {error}") from None
        if target is not None:
            quads = [
                pyoxigraph.Quad(q.subject, q.predicate, q.object, target)
                if isinstance(q.graph_name, pyoxigraph.DefaultGraph)
                else q
                for q in quads
            ]
        self._write(quads, name)

    def update(self, sparql: str) -> None:
        """Send a SPARQL update as one request (one transaction on Virtuoso and Fuseki).

        Raises QueryError when the endpoint refuses it (HTTP 400) or it is not an update,
        StoreError (with the URL) for any other failure.
        """
        self._send_update(sparql)

    # -- reading ---------------------------------------------------------------------------

    def query(self, sparql: str, bindings: Mapping[str, BindingTerm] | None = None) -> QueryResult:
        """Run a query; bindings become a VALUES block of validated N-Triples terms
        (`provml.kg.sparql_text.bind`), and bound variables come back as the terms bound.

        Every row comes back: a SELECT the server cuts at its result cap (announced in the
        `X-SPARQL-MaxRows` header, as Virtuoso does) is fetched again page by page, each page
        one request (not one snapshot: a write between pages can show in the result); so is
        an answer of `max_rows` rows, for a server that cuts without saying so. A
        CONSTRUCT or DESCRIBE the server cuts raises AnswerTooLarge naming the cap. Numbers come
        back exactly: Virtuoso writes doubles with 6 significant digits in every results
        format, so a SELECT answer holding doubles from Virtuoso is fetched again with their
        full lexical forms (`bif:sprintf`).
        Reads only. Raises UnsafeParameter for a bad binding (including blank nodes and terms
        holding `\\u` escapes), QueryError when the endpoint refuses the query, StoreError (with
        the URL) for any other failure.
        """
        checked = checked_bindings(bindings)
        form, text, reply = self._read(sparql, checked)
        if form in ("CONSTRUCT", "DESCRIBE"):
            triples = self._parse_graph(reply.body)
            cut = self._cut(reply, len(triples)).cap
            if cut is not None:
                said = "X-SPARQL-MaxRows" if reply.cap is not None else "max_rows"
                raise AnswerTooLarge(
                    f"{self.location} cut the {form} answer at its limit of {cut} rows "
                    f"({said}); raise the limit (Virtuoso: ResultSetMaxRows in the [SPARQL] "
                    "section of virtuoso.ini) or narrow the query"
                )
            return GraphResult(triples)
        answer = self._results(form, reply.body)
        if isinstance(answer, SelectResult):
            reply = self._cut(reply, len(answer.rows))
            if reply.cap is not None or (reply.virtuoso and _has_doubles(answer)):
                answer = self._select_in_full(text, answer.variables, reply)
            _restore_bound(answer, checked)
        return answer

    def _cut(self, reply: _Reply, rows: int) -> _Reply:
        """The reply with its cap: the server's header, else `max_rows` when the answer has that
        many rows (a server that cuts without saying so sends a page that comes back full)."""
        if reply.cap is None and self._max_rows is not None and rows >= self._max_rows:
            return replace(reply, cap=self._max_rows)
        return reply

    def _results(self, form: str, body: bytes) -> SelectResult | bool:
        """A SELECT or ASK answer from a SPARQL JSON results body."""
        try:
            return _select_or_ask(form, json.loads(body))
        except (ValueError, KeyError, TypeError) as error:
            raise StoreError(f"{self.location} sent an unreadable result: {error}") from None

    def _select_in_full(self, sparql: str, variables: list[str], first: _Reply) -> SelectResult:
        """Every row of a SELECT, with exact doubles on Virtuoso: the query nested in one
        that adds each double's full lexical form and, past a cap, takes it page by page.

        Pages follow the query's own ORDER BY; a query without one is ordered by all its
        variables, so that every request sees the rows in the same order. Virtuoso keeps a
        subquery's order and refuses an outer ORDER BY with an OFFSET past its cap, hence the
        nesting.
        """
        lexical = "".join(
            f' (IF(DATATYPE(?{name}) = <{_DOUBLE}>, bif:sprintf("%.17g", ?{name}), "") '
            f"AS ?{_LEXICAL}{name})"
            for name in variables
        )
        # In place where it can go: Virtuoso may estimate a nested copy of a GRAPH ?g query
        # far above its cost limit (MaxQueryCostEstimationTime) though the query itself passed.
        in_place = with_projected(sparql, lexical) if first.cap is None else None
        if in_place is not None:
            answer = self._results("SELECT", self._send_query(in_place, "SELECT").body)
            assert isinstance(answer, SelectResult)
            return SelectResult(variables, [_exact(row, variables) for row in answer.rows])
        prologue, select = split_select(sparql)
        if first.cap is not None and not has_top_level_order(select):
            order = " ".join(f"?{name}" for name in variables)
            select = f"SELECT * WHERE {{ {{\n{select}\n}} }} ORDER BY {order}"
        columns = " ".join(f"?{name}" for name in variables)
        if first.virtuoso:
            columns += lexical
        nested = f"{prologue}SELECT {columns} WHERE {{ {{\n{select}\n}} }}"
        rows: list[dict[str, Term | None]] = []
        while True:
            page = nested if first.cap is None else f"{nested} OFFSET {len(rows)} LIMIT {first.cap}"
            reply = self._send_query(page, "SELECT")
            answer = self._results("SELECT", reply.body)
            assert isinstance(answer, SelectResult)
            reply = self._cut(reply, len(answer.rows))
            rows.extend(_exact(row, variables) for row in answer.rows)
            if first.cap is None or len(answer.rows) < first.cap:
                return SelectResult(variables, rows)
            if reply.cap is not None and reply.cap < first.cap:
                raise AnswerTooLarge(
                    f"{self.location} cut a page of {first.cap} rows at {reply.cap}: the "
                    "query cannot be fetched in full"
                )

    def _parse_graph(self, body: bytes) -> list[pyoxigraph.Quad]:
        """Quads in the default graph from a Turtle response."""
        try:
            return [
                pyoxigraph.Quad(q.subject, q.predicate, q.object)
                for q in pyoxigraph.parse(body, pyoxigraph.RdfFormat.TURTLE)
            ]
        except (SyntaxError, ValueError) as error:
            raise StoreError(f"{self.location} sent unreadable Turtle: {error}") from None

    def _single_number(self, sparql: str) -> int:
        """The integer in the first column of the first row of a SELECT."""
        answer = self.query(sparql)
        assert isinstance(answer, SelectResult)
        first = answer.rows[0][answer.variables[0]] if answer.rows else None
        return int(first.value) if isinstance(first, pyoxigraph.Literal) else 0

    def _graph_sizes(self) -> dict[str, int]:
        """Triples per named graph, the server's own graphs left out (`is_system_graph`)."""
        answer = self.query(
            "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
        )
        assert isinstance(answer, SelectResult)
        return {
            row["g"].value: int(row["n"].value)
            for row in answer
            if isinstance(row["g"], pyoxigraph.NamedNode)
            and isinstance(row["n"], pyoxigraph.Literal)
            and not is_system_graph(row["g"].value)
        }

    def graphs(self) -> list[str]:
        """The IRIs of the named graphs holding triples, sorted; the server's own graphs
        (`is_system_graph`) are left out."""
        return sorted(self._graph_sizes())

    def count(self, graph: str | None = None) -> int:
        """Triples in the named graph `graph`, or in all named graphs of the endpoint but the
        server's own (`is_system_graph`)."""
        if graph is None:
            return sum(self._graph_sizes().values())
        node = sparql_term(named_node(graph, "graph"), "graph")
        return self._single_number(
            f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {node} {{ ?s ?p ?o }} }}"
        )

    def _graph_quads(self, graph: str) -> list[pyoxigraph.Quad]:
        """Every triple of one graph as quads in it; StoreError if the endpoint truncated it."""
        node = named_node(graph, "graph")
        if self.graph_store_url is not None:
            source = self.graph_store_url
            triples = self._parse_graph(self._graph_store("GET", graph))
        else:
            source = self.location
            # Read past the cap's refusal: the count below names what is missing.
            reply = self._send_query(
                f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {sparql_term(node, 'graph')} "
                "{ ?s ?p ?o } }",
                "CONSTRUCT",
            )
            triples = self._parse_graph(reply.body)
        expected = self.count(graph)
        if len(triples) != expected:
            # Servers cap result sizes (Virtuoso: [SPARQL] ResultSetMaxRows, for the Graph Store
            # Protocol too); a short dump would silently lose data, so refuse it.
            raise StoreError(
                f"{source} returned {len(triples)} of the {expected} triples of {graph}: the "
                "server caps result sizes; raise its limit (Virtuoso: ResultSetMaxRows in the "
                "[SPARQL] section of virtuoso.ini) and dump again"
            )
        return [pyoxigraph.Quad(t.subject, t.predicate, t.object, node) for t in triples]

    def dump(self, output: Path | IO[bytes], format: str, graph: str | None = None) -> None:
        """Download one graph, or every named graph (dataset formats), and serialize it here.

        The data is held in memory. A path is written beside its target and renamed into place.
        Raises StoreError for a bad format, a truncated download, or an endpoint/output failure.
        """
        rdf_format = output_format(format, graph)
        names = [graph] if graph is not None else self.graphs()
        quads = [quad for name in names for quad in self._graph_quads(name)]
        if graph is not None:
            serializable: list[Any] = [
                pyoxigraph.Triple(q.subject, q.predicate, q.object) for q in quads
            ]
        else:
            serializable = quads
        if not isinstance(output, Path):
            pyoxigraph.serialize(serializable, output, rdf_format)
            return
        try:
            with atomic_write(output) as stream:
                pyoxigraph.serialize(serializable, stream, rdf_format)
        except OSError as error:
            raise StoreError(f"writing the dump to {output} failed: {error}") from None

    def flush(self) -> None:
        """Nothing to do: the server owns durability (each acknowledged request is committed)."""

    def close(self) -> None:
        """Refuse further calls; no connection is held between requests. Idempotent."""
        self._closed = True


def _chunks(lines: list[str], limit: int, most: int = CHUNK_TRIPLES) -> Iterator[list[str]]:
    """Consecutive runs of at most `most` lines, each run at most `limit` UTF-8 bytes (or one
    line if longer)."""
    chunk: list[str] = []
    size = 0
    for line in lines:
        length = len(line.encode("utf-8"))
        if chunk and (size + length > limit or len(chunk) >= most):
            yield chunk
            chunk, size = [], 0
        chunk.append(line)
        size += length
    if chunk:
        yield chunk


def _plain(text: str) -> str:
    """A server's message on one line, its tags dropped when it is an HTML page."""
    if "<html" in text.lower():
        text = _MARKUP.sub(" ", text)
    return " ".join(text.split())


def _reason(error: BaseException) -> str:
    """The endpoint's message from a SPARQLWrapper exception, on one line, shortened."""
    text = _plain(str(error).replace("\\n", "\n"))
    return text if len(text) <= 800 else text[:800] + "..."
