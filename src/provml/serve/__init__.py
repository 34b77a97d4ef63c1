"""`provml serve`: a SPARQL 1.1 Protocol endpoint, the canned queries and a browser page over
the embedded store.

One process holds the store (Oxigraph lets one process open a directory for writing), so the
server is also where writes meet: SPARQL updates and `POST /ingest` (with `--allow-update` and a
bearer token) and spool directories it follows (`--follow`) go through one writer lock, while
queries run beside them in worker threads, each against a consistent snapshot.

Modules, one concept each: `settings` (the server's limits and switches), `limits` (worker
threads, time and size limits), `negotiation` (result formats by Accept header), `protocol`
(`/sparql`), `canned` (`/queries`), `lineage` (`/lineage`), `ingest` (`/ingest`), `auth` (bearer
tokens), `follow` (the background spool follower), `page` (`/` and its static assets), `app`
(routes and error statuses).
"""

from typing import TYPE_CHECKING, Any

from provml.serve.settings import ServeSettings

if TYPE_CHECKING:
    from provml.serve.app import create_app

__all__ = ["ServeSettings", "create_app"]


def __getattr__(name: str) -> Any:
    """`create_app` on first use: the command line reads `settings` without Starlette."""
    if name == "create_app":
        from provml.serve.app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
