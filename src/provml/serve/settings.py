"""What a running server allows and how far: writes, SERVICE, time and size limits."""

from __future__ import annotations

__all__ = ["ServeSettings"]

from dataclasses import dataclass, field
from pathlib import Path

from provml.errors import ServeError
from provml.loaders.follow import DEFAULT_INTERVAL

#: Defaults of `provml serve`'s options, its command line's too. The address is this machine's
#: loopback only: another machine reaches the server only if asked for with --host.
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7878
DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
DEFAULT_MAX_QUERY_BYTES = 256 * 1024
DEFAULT_MAX_INGEST_BYTES = 64 * 1024 * 1024
DEFAULT_WORKERS = 4


@dataclass(frozen=True)
class ServeSettings:
    """The switches and limits of one server; the defaults are read-only and local."""

    #: SPARQL updates and `POST /ingest` are accepted (with `token`); otherwise 403.
    allow_update: bool = False
    #: The bearer token that writes must carry (`Authorization: Bearer <token>`).
    token: str | None = None
    #: Queries may use SERVICE (the server then fetches from addresses the query names).
    allow_service: bool = False
    #: Seconds a query may take (waiting for a worker included) before the answer is 503.
    timeout: float = DEFAULT_TIMEOUT
    #: Bytes a serialized answer may have before the answer is 422.
    max_bytes: int = DEFAULT_MAX_BYTES
    #: Bytes of query or update text a request may carry before the answer is 413.
    max_query_bytes: int = DEFAULT_MAX_QUERY_BYTES
    #: Bytes of spool lines or RDF one `POST /ingest` may carry before the answer is 413.
    max_ingest_bytes: int = DEFAULT_MAX_INGEST_BYTES
    #: Queries evaluated at once; more wait for a worker (within their time limit).
    workers: int = DEFAULT_WORKERS
    #: Spool files or directories loaded as they grow, with their checkpoint and quarantine.
    follow: tuple[Path, ...] = field(default_factory=tuple)
    checkpoint: Path | None = None
    quarantine: Path | None = None
    follow_interval: float = DEFAULT_INTERVAL
    #: Where `POST /ingest` keeps the event ids it took, so an id reused with other content by a
    #: later request (or after a restart) is refused, not merged; None keeps them in a temporary
    #: index for the server's lifetime.
    ingest_ids: Path | None = None
    #: Host header names answered (others get 400), against DNS rebinding: a web page whose
    #: name re-resolves to 127.0.0.1 must not read a local server; ("*",) answers every name.
    allowed_hosts: tuple[str, ...] = ("*",)

    def __post_init__(self) -> None:
        """Refuse writes without a token (ServeError): an open write endpoint is never the
        default."""
        if self.allow_update and not self.token:
            raise ServeError(
                "the setting allow_update needs a token (--token or $PROVML_SERVE_TOKEN)"
            )


#: Addresses whose server answers only to loopback host names.
LOOPBACK_HOSTS = ("127.0.0.1", "localhost")


def allowed_hosts_for(host: str) -> tuple[str, ...]:
    """The Host header names a server listening on `host` answers: loopback names for a
    loopback address, any for others (reached by names this process cannot know)."""
    return LOOPBACK_HOSTS if host in LOOPBACK_HOSTS else ("*",)
