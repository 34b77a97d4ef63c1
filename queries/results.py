"""Query rows as Python values: numbers, datetimes, booleans, IRIs (`IRI`, a str) and text."""

from __future__ import annotations

__all__ = ["IRI", "QueryRows", "to_python"]

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import pyoxigraph

from provml.errors import QueryError
from provml.extras import needs

XSD = "http://www.w3.org/2001/XMLSchema#"
_INTEGERS = {
    XSD + name
    for name in (
        "integer",
        "long",
        "int",
        "short",
        "byte",
        "nonNegativeInteger",
        "positiveInteger",
        "nonPositiveInteger",
        "negativeInteger",
        "unsignedLong",
        "unsignedInt",
        "unsignedShort",
        "unsignedByte",
    )
}
_FLOATS = {XSD + "double", XSD + "float"}


class IRI(str):
    """An IRI in a result row: a str, told apart from plain text by its type."""

    __slots__ = ()

    def __repr__(self) -> str:
        """`IRI('https://...')`."""
        return f"IRI({str(self)!r})"


def to_python(term: object) -> Any:
    """The Python value of a result term; the lexical text where no better type fits."""
    if term is None:
        return None
    if isinstance(term, pyoxigraph.NamedNode):
        return IRI(term.value)
    if isinstance(term, pyoxigraph.BlankNode):
        return f"_:{term.value}"
    if not isinstance(term, pyoxigraph.Literal):
        return str(term)
    lexical, datatype = term.value, term.datatype.value
    try:
        if datatype in _INTEGERS:
            return int(lexical)
        if datatype in _FLOATS:
            return float(lexical)
        if datatype == XSD + "decimal":
            return Decimal(lexical)
        if datatype == XSD + "boolean":
            return lexical.strip() in ("true", "1")
        if datatype == XSD + "dateTime":
            return dt.datetime.fromisoformat(lexical.strip())
        if datatype == XSD + "date":
            return dt.date.fromisoformat(lexical.strip())
    except (ValueError, InvalidOperation):
        return lexical  # an ill-typed literal keeps its text
    return lexical


@dataclass(frozen=True)
class QueryRows:
    """The rows of a query as dicts of Python values, in the engine's order."""

    columns: list[str]
    rows: list[dict[str, Any]] = field(default_factory=list)
    query: str = "<query>"

    @classmethod
    def from_terms(
        cls, columns: list[str], rows: Sequence[Mapping[str, object]], query: str = "<query>"
    ) -> QueryRows:
        """Rows of pyoxigraph terms converted to Python values."""
        # Answers repeat terms (a run, a parameter name on every row): convert each once. The
        # values are immutable, so rows may share them.
        values: dict[object, Any] = {}

        def value(term: object) -> Any:
            if term not in values:
                values[term] = to_python(term)
            return values[term]

        converted = [{name: value(row.get(name)) for name in columns} for row in rows]
        return cls(list(columns), converted, query)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        """Iterate over the rows, each a dict from column to value (None where unbound)."""
        return iter(self.rows)

    def __len__(self) -> int:
        """The number of rows."""
        return len(self.rows)

    def tuples(self) -> list[tuple[Any, ...]]:
        """The rows as tuples in column order."""
        return [tuple(row[name] for name in self.columns) for row in self.rows]

    def to_pandas(self) -> Any:
        """The rows as a pandas DataFrame (pandas must be installed)."""
        try:
            import pandas
        except ImportError:
            raise QueryError(
                needs("pandas", f"{self.query}: to_pandas()"), query=self.query
            ) from None
        records = [{name: _plain(row[name]) for name in self.columns} for row in self.rows]
        return pandas.DataFrame.from_records(records, columns=self.columns)


def _plain(value: Any) -> Any:
    """IRIs as plain str, so pandas holds ordinary text."""
    return str(value) if isinstance(value, IRI) else value
