"""`/sparql`: the SPARQL 1.1 Protocol (queries by GET or POST, updates by POST).

Queries: `GET ?query=`, `POST` form-encoded `query=` or a body of `application/sparql-query`,
with `default-graph-uri` / `named-graph-uri` as the protocol names them; checked read-only (and
SERVICE-free unless the server allows it) before the engine sees them. Updates: `POST`
form-encoded `update=` or `application/sparql-update`, only with `--allow-update` and the
bearer token. Answers are written by pyoxigraph's serializers in the negotiated format.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from urllib.parse import parse_qs

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from provml.errors import QueryError
from provml.kg.results import is_graph_answer
from provml.kg.store import Store
from provml.queries.adhoc import check_read_only
from provml.serve.auth import require_writer
from provml.serve.limits import CappedOutput, read_body
from provml.serve.negotiation import GRAPH_FORMATS, RESULT_FORMATS, Format, choose_format
from provml.serve.settings import ServeSettings
from provml.serve.workers import QueryPool, query_shape

FORM = "application/x-www-form-urlencoded"
QUERY_BODY = "application/sparql-query"
UPDATE_BODY = "application/sparql-update"


@dataclass(frozen=True)
class ProtocolRequest:
    """What a protocol request asks: a query or an update, its graphs, its format parameter."""

    query: str | None
    update: str | None
    default_graphs: list[str]
    named_graphs: list[str]
    requested_formats: list[str]


def _one(fields: dict[str, list[str]], name: str) -> str | None:
    """The single value of a field; 400 if it is given more than once."""
    values = fields.get(name, [])
    if len(values) > 1:
        raise HTTPException(400, f"the parameter {name!r} is given {len(values)} times")
    return values[0] if values else None


async def parse_request(request: Request, settings: ServeSettings) -> ProtocolRequest:
    """Read the query or update of a GET or POST, as the protocol places it; 4xx if malformed."""
    fields = parse_qs(request.url.query, keep_blank_values=True)
    if request.method == "POST":
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        body = await read_body(request, settings.max_query_bytes, "request")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as error:
            raise HTTPException(400, f"the request body is not UTF-8: {error}") from None
        if kind == FORM:
            for name, values in parse_qs(text, keep_blank_values=True).items():
                fields.setdefault(name, []).extend(values)
        elif kind == QUERY_BODY:
            fields.setdefault("query", []).append(text)
        elif kind == UPDATE_BODY:
            fields.setdefault("update", []).append(text)
        else:
            raise HTTPException(
                415,
                f"a POST to /sparql carries {FORM}, {QUERY_BODY} or {UPDATE_BODY}, "
                f"not {kind or 'no content type'}",
            )
    elif "update" in fields:
        raise HTTPException(405, "updates are sent by POST (SPARQL 1.1 Protocol)")
    query, update = _one(fields, "query"), _one(fields, "update")
    sent = query if query is not None else update
    if sent is None or (query is not None and update is not None):
        raise HTTPException(400, "send exactly one of the parameters 'query' and 'update'")
    if len(sent.encode("utf-8")) > settings.max_query_bytes:
        raise HTTPException(
            413,
            f"the query is larger than this server's limit of {settings.max_query_bytes:,} bytes",
        )
    requested = [*fields.get("format", []), *fields.get("output", [])]
    return ProtocolRequest(
        query,
        update,
        fields.get("default-graph-uri", []),
        fields.get("named-graph-uri", []),
        requested,
    )


@functools.lru_cache(maxsize=256)
def _refusal(text: str, allow_service: bool) -> tuple[type[QueryError], str] | None:
    """Why `check_read_only` refuses the text (error class and message), or None; remembered,
    as dashboards repeat their queries and rdflib's parser takes milliseconds."""
    try:
        check_read_only(text, "the query", allow_service=allow_service)
    except QueryError as error:
        return type(error), str(error)
    return None


def answer_query(
    store: Store,
    asked: ProtocolRequest,
    accept: str | None,
    allow_service: bool,
    output: CappedOutput,
) -> Format:
    """Check, evaluate and serialize a query into `output` (in a query worker); its format.

    Raises UnsafeParameter for an update or a refused SERVICE, QueryError for a query that
    cannot be parsed or evaluated, AnswerTooLarge or QueryTimeout from the output.
    """
    text = asked.query or ""
    refusal = _refusal(text, allow_service)
    if refusal is not None:
        kind, message = refusal
        raise kind(message)  # a fresh error each time: a raised one keeps its traceback
    answer = store.evaluate(
        text, default_graphs=asked.default_graphs, named_graphs=asked.named_graphs
    )
    formats = GRAPH_FORMATS if is_graph_answer(answer) else RESULT_FORMATS
    answer_format = choose_format(formats, accept, asked.requested_formats)
    try:
        answer.serialize(output, answer_format)  # type: ignore[arg-type]
    except (OSError, RuntimeError, ValueError, SyntaxError) as error:
        raise QueryError(f"the query cannot be evaluated: {error}") from None
    return answer_format


def sparql_job(
    store: Store, asked: ProtocolRequest, accept: str | None, allow_service: bool, max_bytes: int
) -> tuple[str, bytes]:
    """A query's answer (media type, bytes) of at most `max_bytes`, in a query worker."""
    output = CappedOutput(max_bytes)
    answer_format = answer_query(store, asked, accept, allow_service, output)
    return answer_format.media_type, output.getvalue()


async def sparql_endpoint(request: Request) -> Response:
    """Answer one SPARQL 1.1 Protocol request."""
    state = request.app.state
    settings: ServeSettings = state.settings
    asked = await parse_request(request, settings)
    if asked.update is not None:
        require_writer(request, settings, "SPARQL update")
        update = asked.update
        await state.writer.run(lambda: state.store.update(update))
        return PlainTextResponse("update applied\n")
    runner: QueryPool = state.runner
    accept = request.headers.get("accept")
    media_type, body = await runner.run(
        sparql_job,
        asked,
        accept,
        settings.allow_service,
        settings.max_bytes,
        what="the query",
        shape=query_shape(asked.query or ""),
    )
    return Response(body, media_type=media_type)
