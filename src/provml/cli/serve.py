"""`provml serve`: the SPARQL endpoint, canned queries and browser page over an embedded store."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import typer

from provml.cli import options
from provml.errors import ProvmlError, StoreError
from provml.extras import needs

# The server's own defaults (importing settings loads neither Starlette nor the RDF loaders).
from provml.serve import settings as defaults

HOST = typer.Option(
    defaults.DEFAULT_HOST, "--host", help="Address to listen on (only this machine by default)."
)
PORT = typer.Option(defaults.DEFAULT_PORT, "--port", min=0, max=65535, help="Port to listen on.")
ALLOW_UPDATE = typer.Option(
    False, "--allow-update", help="Accept SPARQL updates and POST /ingest (needs --token)."
)
TOKEN = typer.Option(
    None,
    "--token",
    envvar="PROVML_SERVE_TOKEN",
    help="Bearer token writes must carry (prefer $PROVML_SERVE_TOKEN: options show in ps).",
)
ALLOW_SERVICE = typer.Option(
    False, "--allow-service", help="Let queries use SERVICE (the server then fetches from URLs)."
)
TIMEOUT = typer.Option(
    defaults.DEFAULT_TIMEOUT, "--timeout", min=0.001, metavar="SECONDS", help="Time per query."
)
MAX_BYTES = typer.Option(
    defaults.DEFAULT_MAX_BYTES, "--max-bytes", min=1, metavar="N", help="Largest answer, in bytes."
)
WORKERS = typer.Option(
    defaults.DEFAULT_WORKERS,
    "--workers",
    min=1,
    metavar="N",
    help="Query worker processes (queries at once; as many long ones more).",
)
MAX_MEMORY = typer.Option(
    None,
    "--max-memory",
    metavar="SIZE",
    help="Memory per query (bytes, or with K, M, G); default: a share of this machine's.",
)
HEADER_TIMEOUT = typer.Option(
    defaults.DEFAULT_HEADER_TIMEOUT,
    "--header-timeout",
    min=0.001,
    metavar="SECONDS",
    help="Time a client has to send a request's head.",
)
FOLLOW = typer.Option(
    None,
    "--follow",
    metavar="DIR",
    help="Spool directory to load as it grows (repeatable): queries see running workflows.",
)


def serve(
    store: str | None = options.STORE,
    host: str = HOST,
    port: int = PORT,
    allow_update: bool = ALLOW_UPDATE,
    token: str | None = TOKEN,
    allow_service: bool = ALLOW_SERVICE,
    timeout: float = TIMEOUT,
    max_bytes: int = MAX_BYTES,
    workers: int = WORKERS,
    max_memory: str | None = MAX_MEMORY,
    header_timeout: float = HEADER_TIMEOUT,
    follow: list[Path] | None = FOLLOW,
    wait: float = options.WAIT,
) -> None:
    """Serve the store over HTTP: SPARQL 1.1 Protocol at /sparql, canned queries at /queries,
    a browser page at /. Read-only unless --allow-update with a token."""
    try:
        import uvicorn
    except ModuleNotFoundError:
        raise options.fail(StoreError(needs("serve", "provml serve"))) from None

    from provml.cli.load import default_sidecar
    from provml.kg.registry import store_class
    from provml.loaders.ontology import load_ontology
    from provml.serve import ServeSettings, create_app
    from provml.serve.connections import HEAD_SLACK, limited_protocol
    from provml.serve.settings import allowed_hosts_for, parse_size

    if allow_update and not token:
        raise options.fail(StoreError("--allow-update needs --token (or $PROVML_SERVE_TOKEN)"))
    writes = allow_update or bool(follow)
    try:
        location = options.store_location(store, must_exist=not writes)
        if store_class(location).local_directory(location) is None:
            raise StoreError(
                f"provml serve serves an embedded store directory, not {location}: "
                "a remote endpoint already speaks SPARQL"
            )
        opened = options.open_cli_store(location, wait=wait, must_exist=not writes)
    except ProvmlError as error:
        raise options.fail(error) from None
    try:
        if writes:
            load_ontology(opened)
        settings = ServeSettings(
            allow_update=allow_update,
            token=token,
            allow_service=allow_service,
            timeout=timeout,
            max_bytes=max_bytes,
            workers=workers,
            max_memory=parse_size(max_memory, "--max-memory") if max_memory else None,
            header_timeout=header_timeout,
            follow=tuple(follow or ()),
            checkpoint=default_sidecar(opened.location, "checkpoint.json"),
            quarantine=default_sidecar(opened.location, "quarantine.jsonl"),
            ingest_ids=default_sidecar(opened.location, "ingest-ids.sqlite"),
            allowed_hosts=allowed_hosts_for(host),
        )
        app = create_app(opened, settings)
        mode = "read-write (token required)" if allow_update else "read-only"
        typer.echo(
            f"serving {opened.location} ({mode}) at http://{host}:{port}/ "
            f"(SPARQL endpoint /sparql); Ctrl-C stops",
            err=True,
        )
        sys.stderr.flush()
        # uvicorn stops gracefully on SIGINT/SIGTERM, then re-raises the signal to the handler it
        # found: with these no-op handlers the command goes on to close (flush) the store.
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: None)
        uvicorn.run(
            app,
            host=host,
            port=port,
            log_level="warning",
            access_log=False,
            http=limited_protocol(
                header_timeout=settings.header_timeout,
                max_url_bytes=settings.max_url_bytes,
                max_header_bytes=settings.max_header_bytes,
            ),
            timeout_keep_alive=int(settings.idle_timeout),
            # h11 holds a head up to the URL and header limits; past them, 414 or 431.
            h11_max_incomplete_event_size=(
                settings.max_url_bytes + settings.max_header_bytes + HEAD_SLACK
            ),
        )
    except ProvmlError as error:
        raise options.fail(error) from None
    finally:
        opened.close()
