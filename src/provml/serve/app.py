"""The Starlette application: routes, the store and runner it shares, and error statuses.

provml's errors become plain-text answers naming what went wrong: an unknown canned query 404;
a bad query, parameter or input 400; a query past its time limit 503 (with Retry-After); an
answer past the size limit or a query past the memory limit 422; a storage failure 500. Nothing
of a refused write is stored.
"""

from __future__ import annotations

__all__ = ["create_app"]

import contextlib
import gc
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route

from provml.errors import (
    AnswerTooLarge,
    LoadError,
    ProvmlError,
    QueryError,
    QueryOverMemory,
    QueryTimeout,
    ServeError,
    StoreError,
    UnknownQuery,
)
from provml.kg.oxigraph import OxigraphStore
from provml.kg.store import Store
from provml.loaders.event_ids import EventIds
from provml.serve.canned import canned_text, list_canned, run_canned
from provml.serve.connections import RequestLimits
from provml.serve.follow import Follower
from provml.serve.ingest import ingest
from provml.serve.lineage import lineage_route
from provml.serve.page import index, static_files
from provml.serve.protocol import sparql_endpoint
from provml.serve.settings import ServeSettings
from provml.serve.workers import QueryPool, Views, default_max_memory
from provml.serve.writer import Writer

log = logging.getLogger("provml.serve")

#: provml errors -> HTTP statuses; the first class an error is an instance of wins.
STATUSES: tuple[tuple[type[ProvmlError], int], ...] = (
    (UnknownQuery, 404),
    (QueryTimeout, 503),
    (AnswerTooLarge, 422),
    (QueryOverMemory, 422),
    (QueryError, 400),
    (LoadError, 400),
    (StoreError, 500),
    (ProvmlError, 500),
)


async def provml_error(request: Request, error: Exception) -> Response:
    """A provml error as a plain-text answer with its status."""
    status = next(code for kind, code in STATUSES if isinstance(error, kind))
    if status >= 500:
        log.error("%s %s: %s", request.method, request.url.path, error)
    headers = {"Retry-After": "5"} if isinstance(error, QueryTimeout) else None
    return PlainTextResponse(f"error: {error}\n", status_code=status, headers=headers)


async def http_error(request: Request, error: Exception) -> Response:
    """A refusal by the server itself (4xx) as plain text, with its headers."""
    assert isinstance(error, HTTPException)
    return PlainTextResponse(
        f"error: {error.detail}\n", status_code=error.status_code, headers=error.headers
    )


def create_app(store: Store, settings: ServeSettings | None = None) -> Starlette:
    """The server's application over an open embedded store (the caller closes it).

    Queries run in worker processes (`provml.serve.workers`) over read-only views of the store
    beside it (`settings.views`), within the time, memory and size limits; the views are made
    and the workers started when the application starts, and removed when it stops. Raises
    ServeError for a store that is not an embedded Oxigraph directory.
    """
    settings = settings or ServeSettings()
    if not isinstance(store, OxigraphStore):
        raise ServeError(f"provml serve serves an embedded store directory, not {store.location}")
    views_root = settings.views or store.path.with_name(f"{store.path.name}.serve-views")
    views = Views(store, views_root)
    pool = QueryPool(
        views,
        workers=settings.workers,
        timeout=settings.timeout,
        max_memory=settings.max_memory or default_max_memory(settings.workers),
        long_after=settings.long_after,
    )
    writer = Writer(written=views.refresh)
    follower = Follower(store, settings, writer) if settings.follow else None
    ingest_ids = EventIds(settings.ingest_ids) if settings.allow_update else None

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await pool.start()
        # The modules and the application live as long as the server: out of the collector's
        # full passes, each of which would otherwise delay the request that triggers it.
        gc.freeze()
        if follower is not None:
            follower.start()
        try:
            yield
        finally:
            if follower is not None:
                follower.stop()
            pool.close()
            views.close()
            if ingest_ids is not None:
                ingest_ids.close()

    routes = [
        Route("/", index),
        Route("/sparql", sparql_endpoint, methods=["GET", "POST"]),
        Route("/queries", list_canned),
        Route("/queries/{name}.rq", canned_text),
        Route("/queries/{name}", run_canned),
        Route("/lineage", lineage_route),
        Route("/ingest", ingest, methods=["POST"]),
        Mount("/static", static_files(), name="static"),
    ]
    middleware = [
        Middleware(
            RequestLimits,
            max_url_bytes=settings.max_url_bytes,
            max_header_bytes=settings.max_header_bytes,
        )
    ]
    if "*" not in settings.allowed_hosts:
        hosts = list(settings.allowed_hosts)
        middleware.append(Middleware(TrustedHostMiddleware, allowed_hosts=hosts))
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=middleware,
        exception_handlers={ProvmlError: provml_error, HTTPException: http_error},
    )
    app.state.store = store
    app.state.settings = settings
    app.state.writer = writer
    app.state.ingest_ids = ingest_ids
    app.state.runner = pool
    return app
