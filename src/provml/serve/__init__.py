"""`provml serve`: a SPARQL 1.1 Protocol endpoint, the canned queries and a browser page over
the embedded store.

One process holds the store (Oxigraph lets one process open a directory for writing), so the
server is also where writes meet: SPARQL updates and `POST /ingest` (with `--allow-update` and a
bearer token) and spool directories it follows (`--follow`) go through one writer lock, while
queries run beside them in worker processes, over read-only views of the store made after each
write, stopped by ending their process past their time or memory limit.

Modules, one concept each: `settings` (the server's limits and switches), `workers` (query
worker processes, views, time and memory limits), `warm` (what the workers' fork server loads
first), `limits` (answer and request-body sizes), `connections` (slow clients, oversize URLs and
headers), `negotiation` (result formats by Accept header), `protocol` (`/sparql`), `canned`
(`/queries`), `lineage` (`/lineage`), `ingest` (`/ingest`), `auth` (bearer tokens), `follow`
(the background spool follower), `page` (`/` and its static assets), `app` (routes and error
statuses).
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
