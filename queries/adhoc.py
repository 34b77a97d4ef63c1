"""Ad-hoc queries from users: read-only, and no SERVICE unless the caller allows it.

The text is parsed with rdflib's SPARQL parser (which decodes `\\u` escapes first, as SPARQL
engines do), so `SERVICE` is found in the query's structure, however it is spelled.
"""

from __future__ import annotations

__all__ = ["check_read_only"]

from typing import Any

from pyparsing import ParseBaseException
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue

from provml.errors import QueryError, UnsafeParameter


def _names(node: Any) -> set[str]:
    """The names of every parse-tree node (CompValue) under `node`."""
    found: set[str] = set()
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, CompValue):
            found.add(item.name)
            stack.extend(item.values())
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list | tuple) or type(item).__name__ == "ParseResults":
            stack.extend(item)
    return found


def check_read_only(text: str, source: str, *, allow_service: bool = False) -> None:
    """Refuse updates (LOAD, CLEAR, INSERT...) and, unless allowed, SERVICE; QueryError if the
    text is not a SPARQL query. Messages name `source`."""
    try:
        tree = parseQuery(text)
    except ParseBaseException as query_error:
        try:
            update = parseUpdate(text)
        except ParseBaseException:
            raise QueryError(
                f"{source}: not a SPARQL query: {query_error} (line {query_error.lineno})"
            ) from None
        found = _names(update) & _UPDATE_OPERATIONS.keys()
        operations = sorted(_UPDATE_OPERATIONS[name] for name in found)
        raise UnsafeParameter(
            f"{source}: updates are refused ({', '.join(operations) or 'update'}): "
            "ad-hoc queries are read-only"
        ) from None
    except RecursionError:
        raise QueryError(f"{source}: the query is nested too deeply to check") from None
    if not allow_service and "ServiceGraphPattern" in _names(tree):
        raise UnsafeParameter(
            f"{source}: SERVICE is refused: it makes the store fetch from another address; "
            "pass --allow-service (allow_service=True) if you trust the query"
        )


#: rdflib's names of update operations, and their SPARQL keywords for messages.
_UPDATE_OPERATIONS = {
    "Load": "LOAD",
    "Clear": "CLEAR",
    "Drop": "DROP",
    "Create": "CREATE",
    "Add": "ADD",
    "Move": "MOVE",
    "Copy": "COPY",
    "InsertData": "INSERT DATA",
    "DeleteData": "DELETE DATA",
    "DeleteWhere": "DELETE WHERE",
    "Modify": "DELETE/INSERT",
}
