"""Query results shared by every backend: rows of pyoxigraph terms, a boolean, or quads."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

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


#: SELECT -> SelectResult, ASK -> bool, CONSTRUCT/DESCRIBE -> GraphResult.
QueryResult = SelectResult | bool | GraphResult
