"""Query results shared by every backend: rows of pyoxigraph terms, a boolean, or quads."""

from __future__ import annotations

__all__ = ["GraphResult", "QueryResult", "SelectResult", "Term"]

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

import pyoxigraph

#: An RDF term as a query returns it.
Term = pyoxigraph.NamedNode | pyoxigraph.BlankNode | pyoxigraph.Literal | pyoxigraph.Triple


def term_value(term: Term) -> str:
    """A term's IRI, blank node id or lexical form; a quoted triple (it has none) in N-Triples."""
    return str(term) if isinstance(term, pyoxigraph.Triple) else term.value


@dataclass(frozen=True)
class SelectResult:
    """The answer to a SELECT query: its variables and every row, read in full.

    Each row maps a variable name (without `?`) to its term, or None where it is unbound.
    """

    variables: list[str]
    rows: list[dict[str, Term | None]] = field(default_factory=list)

    def __iter__(self) -> Iterator[dict[str, Term | None]]:
        """Iterate over the rows in the order the engine returned them."""
        return iter(self.rows)

    def __len__(self) -> int:
        """The number of rows."""
        return len(self.rows)


@dataclass(frozen=True)
class GraphResult:
    """The answer to a CONSTRUCT or DESCRIBE query: quads in the default graph, read in full."""

    quads: Sequence[pyoxigraph.Quad]

    def __iter__(self) -> Iterator[pyoxigraph.Quad]:
        """Iterate over the constructed quads."""
        return iter(self.quads)

    def __len__(self) -> int:
        """The number of constructed quads."""
        return len(self.quads)

    def serialize(self, output: IO[bytes], format: pyoxigraph.RdfFormat) -> None:
        """Write the constructed triples in an RDF format, as pyoxigraph's `QueryTriples` does."""
        triples = [pyoxigraph.Triple(q.subject, q.predicate, q.object) for q in self.quads]
        pyoxigraph.serialize(triples, output, format)


#: SELECT -> SelectResult, ASK -> bool, CONSTRUCT/DESCRIBE -> GraphResult.
QueryResult = SelectResult | bool | GraphResult

#: A query's answer for pyoxigraph's result writers (`answer.serialize(output, format)`):
#: `QuerySolutions` (SELECT) or `QueryBoolean` (ASK) in a SPARQL results format,
#: `QueryTriples` or `GraphResult` (CONSTRUCT, DESCRIBE) in an RDF format (see `Store.evaluate`).
Answer = pyoxigraph.QuerySolutions | pyoxigraph.QueryBoolean | pyoxigraph.QueryTriples | GraphResult


def is_graph_answer(answer: Answer) -> bool:
    """Whether the answer is triples (CONSTRUCT, DESCRIBE), written in an RDF format."""
    return isinstance(answer, pyoxigraph.QueryTriples | GraphResult)


def answer_of(result: QueryResult) -> Answer:
    """A result read in full as an answer pyoxigraph's result writers take."""
    if isinstance(result, GraphResult):
        return result
    if isinstance(result, bool):
        document: dict[str, Any] = {"head": {}, "boolean": result}
    else:
        document = {
            "head": {"vars": result.variables},
            "results": {
                "bindings": [
                    {name: _json_term(term) for name, term in row.items() if term is not None}
                    for row in result.rows
                ]
            },
        }
    encoded = json.dumps(document).encode("utf-8")
    return pyoxigraph.parse_query_results(encoded, pyoxigraph.QueryResultsFormat.JSON)


def _json_term(term: Term) -> dict[str, Any]:
    """One term in SPARQL 1.1 JSON results (triple terms as SPARQL 1.2 writes them)."""
    if isinstance(term, pyoxigraph.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, pyoxigraph.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, pyoxigraph.Triple):
        parts = {"subject": term.subject, "predicate": term.predicate, "object": term.object}
        return {"type": "triple", "value": {key: _json_term(part) for key, part in parts.items()}}
    literal: dict[str, Any] = {"type": "literal", "value": term.value}
    if term.language is not None:
        literal["xml:lang"] = term.language
    else:
        literal["datatype"] = term.datatype.value
    return literal
