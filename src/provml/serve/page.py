"""`/`: the browser page (query editor, canned queries, results table, lineage view).

The page and its script are files in `static/`; the graph library (cytoscape.js) is vendored
into `static/vendor/` at package time by `web/build.mjs` (npm), so nothing is fetched from a
CDN when the page runs.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles


def static_directory() -> Path:
    """The folder of the page's files inside the installed package."""
    return Path(str(files("provml.serve").joinpath("static")))


async def index(request: Request) -> Response:
    """`GET /`: the page."""
    return FileResponse(static_directory() / "index.html", media_type="text/html")


def static_files() -> StaticFiles:
    """The app serving `static/` under `/static`."""
    return StaticFiles(directory=static_directory())
