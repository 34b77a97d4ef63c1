"""Running a canned query on a store: parameters checked, bound by the engine, rows typed."""

from __future__ import annotations

__all__ = ["bindings_for", "run_query"]

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from provml.errors import QueryError
from provml.kg.results import SelectResult
from provml.queries.catalog import CannedQuery, get_query
from provml.queries.params import to_term
from provml.queries.results import QueryRows

if TYPE_CHECKING:
    from provml.kg.store import Store
    from provml.kg.terms import BindingTerm


def bindings_for(query: CannedQuery, params: dict[str, object]) -> dict[str, BindingTerm]:
    """Each declared parameter's term: the caller's value, else its default.

    QueryError naming the query and the parameter for an unknown or missing one;
    UnsafeParameter for a value its type refuses.
    """
    declared = {param.name for param in query.params}
    for name in params:
        if name not in declared:
            known = ", ".join(sorted(declared)) or "none"
            raise QueryError(
                f"{query.name}: unknown parameter {name!r} (parameters: {known})",
                query=query.name,
            )
    bindings: dict[str, BindingTerm] = {}
    for param in query.params:
        if param.name in params:
            bindings[param.name] = to_term(param, params[param.name], query.name)
        elif param.default is not None:
            bindings[param.name] = to_term(param, param.default, query.name)
        else:
            raise QueryError(
                f"{query.name}: missing required parameter {param.name} ({param.type})",
                query=query.name,
            )
    return bindings


def run_query(
    store: Store,
    query: str | CannedQuery,
    /,
    *,
    directories: Iterable[str | Path] = (),
    **params: object,
) -> QueryRows:
    """Run a canned query (by name or as parsed) with keyword parameters; its typed rows.

    Values are bound by the engine, never put in the query text; a query whose header names a
    `limit` parameter keeps that many rows (SPARQL's LIMIT takes no variable). Raises UnknownQuery,
    QueryError (bad parameter name, missing parameter, engine failure), UnsafeParameter.
    """
    canned = query if isinstance(query, CannedQuery) else get_query(query, directories)
    bindings = bindings_for(canned, params)
    try:
        result = store.query(canned.text, bindings)
    except QueryError as error:
        renamed = type(error)(f"{canned.name} ({canned.source}): {error}")
        vars(renamed).update(vars(error), query=canned.name)  # keep `parameter` and the like
        raise renamed from None
    if not isinstance(result, SelectResult):
        raise QueryError(
            f"{canned.name} ({canned.source}) is not a SELECT query", query=canned.name
        )
    rows = result.rows
    if canned.limit is not None:
        rows = rows[: max(0, int(bindings[canned.limit].value))]
    return QueryRows.from_terms(result.variables, rows, canned.name)
