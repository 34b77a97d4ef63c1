"""Limits on connections and request heads, below the application: slow clients are timed out,
oversize URLs and headers get their status code, and bare HTTP errors are plain text.

uvicorn's HTTP/1.1 protocol (h11) gives up on a request head larger than its buffer with a
bare 400, and closes the connection with the rest of the request unread, so the client sees a
TCP reset rather than any answer; and it times out only a connection idle between requests.
`limited_protocol` makes a subclass that

- answers a head over the buffer with 414 (the request line alone is too long) or 431 (the
  headers are), then shuts its side, reads and drops what the client still sends for up to
  `LINGER_SECONDS`, and only then closes: the client reads the answer, not a reset;
- answers 408 and closes a connection that has not sent a whole request head within
  `header_timeout` seconds of its opening or of the first byte of its next request (slowloris);
- leaves uvicorn's own keep-alive timeout (`timeout_keep_alive`) to close idle connections.

`RequestLimits` (ASGI middleware) refuses heads that the buffer let through but the server's
limits do not: 414 for a URL over `max_url_bytes`, 431 for headers over `max_header_bytes`.
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

#: Seconds a refused client may go on sending (what it sends is dropped) before the close.
LINGER_SECONDS = 2.0
#: Bytes of a request's head h11 holds beyond the URL and header limits (request line, CRLFs).
HEAD_SLACK = 4096


def _plain(status: int, reason: str, text: str) -> bytes:
    """A whole HTTP/1.1 answer that closes the connection, with a plain-text body."""
    body = f"error: {text}\n".encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: text/plain; charset=utf-8\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


def limited_protocol(
    *, header_timeout: float, max_url_bytes: int, max_header_bytes: int
) -> type[H11Protocol]:
    """uvicorn's h11 protocol with these limits (see the module); pass it as `http=`."""

    class LimitedH11Protocol(H11Protocol):
        """h11 with head timeouts and statuses for oversize heads."""

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            """Start the clock for the first request head."""
            super().connection_made(transport)  # type: ignore[arg-type]
            self._refused = False
            self._head_timer: asyncio.TimerHandle | None = None
            self._protocol_error: h11.RemoteProtocolError | None = None
            next_event = self.conn.next_event

            def recorded() -> Any:
                """h11's next event, keeping the error it raises for `send_400_response`."""
                try:
                    return next_event()
                except h11.RemoteProtocolError as error:
                    self._protocol_error = error
                    raise

            setattr(self.conn, "next_event", recorded)  # noqa: B010 (a method of one instance)
            self._watch_head()

        def data_received(self, data: bytes) -> None:
            """Parse, unless the request was refused (then what still comes is dropped)."""
            if self._refused:
                return
            super().data_received(data)
            self._watch_head()

        def connection_lost(self, exc: Exception | None) -> None:
            """Stop the head clock with the connection."""
            self._stop_head_clock()
            super().connection_lost(exc)

        def _watch_head(self) -> None:
            """Run the head clock while a request head is awaited and has begun (or the
            connection is new); stop it once the head is whole."""
            awaiting = self.conn.their_state is h11.IDLE and not self.transport.is_closing()
            if awaiting and self._head_timer is None:
                self._head_timer = self.loop.call_later(header_timeout, self._head_too_slow)
            elif not awaiting:
                self._stop_head_clock()

        def _stop_head_clock(self) -> None:
            """Cancel the head clock."""
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _head_too_slow(self) -> None:
            """408 and close: the head did not come in time."""
            self._head_timer = None
            if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
                if self.conn.trailing_data[0]:  # a request was begun: say why it ends
                    text = f"the request head took longer than {header_timeout:g} s"
                    self.transport.write(_plain(408, "Request Timeout", text))
                self.transport.close()

        def on_response_complete(self) -> None:
            """uvicorn's keep-alive clock runs from here; ours waits for the next byte."""
            self._stop_head_clock()
            super().on_response_complete()

        def send_400_response(self, msg: str) -> None:
            """h11 refused the head: 414 or 431 if it was too long, else 400; then linger."""
            error = self._protocol_error
            buffered = self.conn.trailing_data[0]
            if error is not None and error.error_status_hint == 431:
                if b"\n" not in buffered[: max_url_bytes + HEAD_SLACK]:
                    answer = _plain(
                        414,
                        "URI Too Long",
                        f"the URL is longer than this server's limit of {max_url_bytes:,} bytes",
                    )
                else:
                    answer = _plain(
                        431,
                        "Request Header Fields Too Large",
                        f"the request's headers are larger than this server's limit of "
                        f"{max_header_bytes:,} bytes",
                    )
            else:
                detail = str(error) if error is not None else msg
                answer = _plain(400, "Bad Request", f"the request is not valid HTTP: {detail}")
            self._refuse(answer)

        def _refuse(self, answer: bytes) -> None:
            """Send `answer`, shut our side, drop what the client still sends, close later."""
            self._refused = True
            self._stop_head_clock()
            self.transport.write(answer)
            if self.transport.can_write_eof():
                self.transport.write_eof()
            self.loop.call_later(LINGER_SECONDS, self.transport.close)

    return LimitedH11Protocol


class RequestLimits:
    """ASGI middleware: 414 for a URL over `max_url_bytes`, 431 for headers over
    `max_header_bytes`, before the application reads anything."""

    def __init__(self, app: ASGIApp, *, max_url_bytes: int, max_header_bytes: int) -> None:
        """Wrap `app`."""
        self.app = app
        self.max_url_bytes = max_url_bytes
        self.max_header_bytes = max_header_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse an oversize head, or pass the request on."""
        if scope["type"] == "http":
            url = len(scope.get("raw_path", b"")) + len(scope.get("query_string", b"")) + 1
            headers = sum(len(name) + len(value) + 4 for name, value in scope["headers"])
            refusal: tuple[int, str] | None = None
            if url > self.max_url_bytes:
                limit = self.max_url_bytes
                refusal = 414, f"the URL is longer than this server's limit of {limit:,} bytes"
            elif headers > self.max_header_bytes:
                refusal = (
                    431,
                    "the request's headers are larger than this server's limit of "
                    f"{self.max_header_bytes:,} bytes",
                )
            if refusal is not None:
                status, text = refusal
                body = f"error: {text}\n".encode()
                await send(
                    {
                        "type": "http.response.start",
                        "status": status,
                        "headers": [
                            (b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)
