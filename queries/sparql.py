"""Running an ad-hoc query from a user: checked read-only (and SERVICE-free), rows typed."""

from __future__ import annotations

__all__ = ["run_sparql"]

from typing import TYPE_CHECKING

from provml.errors import QueryError
from provml.kg.results import GraphResult, SelectResult
from provml.queries.adhoc import check_read_only
from provml.queries.results import QueryRows

if TYPE_CHECKING:
    from provml.kg.store import Store


def run_sparql(
    store: Store, text: str, *, source: str = "<query>", allow_service: bool = False
) -> QueryRows:
    """Run an ad-hoc read-only query; its rows (ASK: one `boolean` column; CONSTRUCT/DESCRIBE:
    subject, predicate, object).

    Raises UnsafeParameter for an update or (unless `allow_service`) a SERVICE pattern, before
    the store sees the text; QueryError naming `source` if it cannot be parsed or run.
    """
    check_read_only(text, source, allow_service=allow_service)
    try:
        result = store.query(text)
    except QueryError as error:
        raise type(error)(f"{source}: {error}") from None
    if isinstance(result, SelectResult):
        return QueryRows.from_terms(result.variables, result.rows, source)
    if isinstance(result, GraphResult):
        columns = ["subject", "predicate", "object"]
        rows = [
            {"subject": quad.subject, "predicate": quad.predicate, "object": quad.object}
            for quad in result
        ]
        return QueryRows.from_terms(columns, rows, source)
    return QueryRows(["boolean"], [{"boolean": bool(result)}], source)
