"""`/queries`: the canned queries listed, and one run with its parameters from the URL.

`GET /queries` lists every query (name, summary, description, taxonomy, parameters, columns).
`GET /queries/{name}.rq` gives its text (the page's SPARQL editor takes it as a template).
`GET /queries/{name}?param=value` runs it through `provml.queries.run_query`, which checks each
value against its declared type and binds it by the engine (never into the query text); the
URL's parameters are exactly the header's (any other is a 400 naming it).
The rows come back as JSON: numbers, booleans and text as themselves, datetimes and decimals
as their lexical text, IRIs as `{"@id": iri}` (JSON-LD's node reference) so a page can tell
them from text.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from provml.errors import AnswerTooLarge
from provml.kg.store import Store
from provml.queries import IRI, QueryRows, describe, list_queries, run_query
from provml.queries.catalog import CannedQuery, get_query
from provml.queries.run import bindings_for
from provml.serve.settings import ServeSettings
from provml.serve.workers import QueryPool


def cell(value: Any) -> Any:
    """One result value as JSON: IRIs as {"@id": ...}, datetimes and decimals as text."""
    if isinstance(value, IRI):
        return {"@id": str(value)}
    if isinstance(value, dt.date | dt.datetime | Decimal):
        return str(value) if isinstance(value, Decimal) else value.isoformat()
    return value


def rows_document(rows: QueryRows) -> dict[str, Any]:
    """The JSON answer of a canned query: its name, columns and rows (lists in column order)."""
    return {
        "query": rows.query,
        "columns": rows.columns,
        "rows": [[cell(row[name]) for name in rows.columns] for row in rows.rows],
    }


async def list_canned(request: Request) -> Response:
    """`GET /queries`: every canned query's header."""
    return JSONResponse([describe(query) for query in list_queries()])


async def canned_text(request: Request) -> Response:
    """`GET /queries/{name}.rq`: a canned query's text, header included; 404 for an unknown one."""
    canned = get_query(request.path_params["name"])  # the built-in catalogue only
    return PlainTextResponse(canned.text, media_type="application/sparql-query")


def canned_job(store: Store, canned: CannedQuery, params: dict[str, str], max_bytes: int) -> bytes:
    """A canned query's JSON answer of at most `max_bytes`, in a query worker."""
    rows = run_query(store, canned, **params)
    encoded = json.dumps(rows_document(rows), ensure_ascii=False).encode("utf-8")
    if len(encoded) > max_bytes:
        raise AnswerTooLarge(
            f"{canned.name}: the answer has {len(encoded):,} bytes, more than this server's "
            f"limit of {max_bytes:,} (provml serve --max-bytes); narrow it with its parameters",
            query=canned.name,
        )
    return encoded


async def run_canned(request: Request) -> Response:
    """`GET /queries/{name}?param=...`: run one canned query; 404 for an unknown one, 400 for a
    parameter its header does not declare, given twice or of the wrong type."""
    name = request.path_params["name"]
    params: dict[str, str] = {}
    for key, value in request.query_params.multi_items():
        if key in params:
            raise HTTPException(400, f"{name}: the parameter {key!r} is given more than once")
        params[key] = value
    canned = get_query(name)  # the built-in catalogue only: never a directory of the request
    bindings_for(canned, dict(params))  # 400 before any work: unknown, missing or ill-typed
    runner: QueryPool = request.app.state.runner
    settings: ServeSettings = request.app.state.settings
    body = await runner.run(
        canned_job,
        canned,
        params,
        settings.max_bytes,
        what=f"the canned query {name}",
        shape=f"canned {name}",
    )
    return Response(body, media_type="application/json")
