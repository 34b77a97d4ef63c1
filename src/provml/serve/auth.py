"""Who may write: a server started with `--allow-update` and a bearer token, and a request that
carries that token."""

from __future__ import annotations

import hmac

from starlette.exceptions import HTTPException
from starlette.requests import Request

from provml.serve.settings import ServeSettings


def require_writer(request: Request, settings: ServeSettings, what: str) -> None:
    """Let the request write, or refuse: 403 if the server is read-only, 401 without the token."""
    if not settings.allow_update or not settings.token:
        raise HTTPException(
            403,
            f"{what} refused: this server is read-only (start it with --allow-update and a token "
            "to accept writes)",
        )
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    # Compared in constant time, so the answer's timing does not reveal the token.
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        given.strip().encode(), settings.token.encode()
    ):
        raise HTTPException(
            401,
            f"{what} refused: send this server's token as 'Authorization: Bearer <token>'",
            headers={"WWW-Authenticate": 'Bearer realm="provml"'},
        )
