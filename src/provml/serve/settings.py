"""What a running server allows and how far: writes, SERVICE, time and size limits."""

from __future__ import annotations

__all__ = ["ServeSettings"]

import re
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
#: Seconds after which a running query leaves the fast lane (`provml.serve.workers`).
DEFAULT_LONG_AFTER = 0.25
#: Seconds a client has to send a whole request head; seconds a connection may idle between
#: requests; bytes of request headers (`provml.serve.connections`).
DEFAULT_HEADER_TIMEOUT = 10.0
DEFAULT_IDLE_TIMEOUT = 5.0
DEFAULT_MAX_HEADER_BYTES = 64 * 1024


@dataclass(frozen=True)
class ServeSettings:
    """The switches and limits of one server; the defaults are read-only and local."""

    #: SPARQL updates and `POST /ingest` are accepted (with `token`); otherwise 403.
    allow_update: bool = False
    #: The bearer token that writes must carry (`Authorization: Bearer <token>`).
    token: str | None = None
    #: Queries may use SERVICE (the server then fetches from addresses the query names).
    allow_service: bool = False
    #: Seconds a query may take (waiting for a worker included) before it is stopped (503).
    timeout: float = DEFAULT_TIMEOUT
    #: Bytes of memory one query's worker process may use before it is stopped (422); None:
    #: `provml.serve.workers.default_max_memory`, a share of this machine's memory.
    max_memory: int | None = None
    #: Bytes a serialized answer may have before the answer is 422.
    max_bytes: int = DEFAULT_MAX_BYTES
    #: Bytes of query or update text a request may carry before the answer is 413.
    max_query_bytes: int = DEFAULT_MAX_QUERY_BYTES
    #: Bytes of spool lines or RDF one `POST /ingest` may carry before the answer is 413.
    max_ingest_bytes: int = DEFAULT_MAX_INGEST_BYTES
    #: Query worker processes; as many queries run at once, more wait (within their time
    #: limit); as many more long queries may run at the lowest CPU priority beside them.
    workers: int = DEFAULT_WORKERS
    #: Seconds after which a query counts as long and leaves the fast lane.
    long_after: float = DEFAULT_LONG_AFTER
    #: The directory of the read-only views of the store that the workers query (beside the
    #: store, on its file system); None: a temporary one beside it.
    views: Path | None = None
    #: Seconds a client has to send a request's head (request line and headers), from the
    #: connection's opening or its next request's first byte; later, 408 and the close.
    header_timeout: float = DEFAULT_HEADER_TIMEOUT
    #: Seconds a connection may idle between requests before the server closes it.
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT
    #: Bytes of request headers (names and values) before the answer is 431.
    max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES
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

    @property
    def max_url_bytes(self) -> int:
        """Bytes of a request's URL before the answer is 414: room for a GET of the longest
        query allowed, percent-encoded, so such a query gets the clear 413 instead."""
        return 3 * self.max_query_bytes + 16 * 1024

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


_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}


def parse_size(text: str, option: str) -> int:
    """Bytes from `123`, `512M`, `2G` (powers of 1024; a trailing B or iB is allowed);
    ServeError naming `option` otherwise."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?\s*", text, re.IGNORECASE)
    if match is None or float(match.group(1)) <= 0:
        raise ServeError(f"{option} takes a size such as 2G, 512M or 1073741824, not {text!r}")
    return int(float(match.group(1)) * _UNITS[match.group(2).upper()])
