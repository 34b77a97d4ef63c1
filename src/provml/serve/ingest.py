"""`POST /ingest`: capture events (spool JSON lines) or RDF streamed to the server by many
capturing processes, written by the one process that holds the store.

Content types: `application/x-ndjson` (or `application/jsonl`): capture events, one JSON object
a line, loaded with `provml.loaders.load.load_lines`, the path a spool file's lines take (parsed,
validated, converted, committed; strict: a bad line refuses its batch with 400 naming its line;
an event id an earlier request took with other content is such a bad line).
`text/turtle`, `application/n-triples` (into `?graph=IRI`, else the default graph),
`application/n-quads`, `application/trig`: one atomic `Store.load`. Needs `--allow-update` and the
bearer token.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from provml.loaders.load import load_lines
from provml.serve.auth import require_writer
from provml.serve.limits import read_body
from provml.serve.settings import ServeSettings

EVENT_TYPES = ("application/x-ndjson", "application/jsonl", "application/json-lines")
#: RDF media types -> provml format names (`Store.load`).
RDF_TYPES = {
    "text/turtle": "turtle",
    "application/n-triples": "ntriples",
    "application/n-quads": "nquads",
    "application/trig": "trig",
}


async def ingest(request: Request) -> Response:
    """Load the posted events or RDF; JSON saying what was written."""
    state = request.app.state
    settings: ServeSettings = state.settings
    require_writer(request, settings, "ingest")
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in EVENT_TYPES and kind not in RDF_TYPES:
        offered = ", ".join((*EVENT_TYPES, *RDF_TYPES))
        raise HTTPException(415, f"ingest takes {offered}; not {kind or 'no content type'}")
    body = await read_body(request, settings.max_ingest_bytes, "ingest body")
    source = "POST /ingest"
    if kind in EVENT_TYPES:
        report = await state.writer.run(
            lambda: load_lines(state.store, body, source=source, strict=True, ids=state.ingest_ids)
        )
        return JSONResponse(
            {"events": report.events, "quads": report.quads, "runs": sorted(report.runs)}
        )
    graph = request.query_params.get("graph")
    await state.writer.run(lambda: state.store.load(body, RDF_TYPES[kind], graph, source=source))
    return JSONResponse({"format": RDF_TYPES[kind], "graph": graph, "bytes": len(body)})
