"""A real Oxigraph server (`oxigraph serve`, from the `oxigraph` package) for the remote tests.

Started once per session on a free loopback port with its database in a temporary directory.
provml queries read the union of all graphs outside GRAPH, so the query URL asks for it
(`?union-default-graph`); the server's own `--union-default-graph` would also apply to updates,
which it then refuses when they use WITH. Without the binary the tests that need it are
skipped locally, and fail under CI=true.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from provml.kg import Store, open_store
from tests.helpers.virtuoso import STARTUP_SECONDS, _answers, _free_loopback_port, _unavailable


@dataclass(frozen=True)
class OxigraphServer:
    """A running Oxigraph server: its root URL."""

    base: str

    def open(self) -> Store:
        """A provml store on this server: union-default-graph queries, updates, Graph Store."""
        return open_store(
            f"{self.base}/query?union-default-graph",
            update_url=f"{self.base}/update",
            graph_store_url=f"{self.base}/store",
        )


def _executable() -> str | None:
    """The `oxigraph` binary: beside this interpreter (a venv's bin), else on PATH."""
    beside = Path(sys.executable).parent / "oxigraph"
    return str(beside) if beside.is_file() else shutil.which("oxigraph")


@pytest.fixture(scope="session")
def oxigraph_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OxigraphServer]:
    """An Oxigraph server on a free loopback port for the whole session, stopped at the end."""
    executable = _executable()
    if executable is None:
        _unavailable("the oxigraph server is not installed (pip install oxigraph)")
        return
    directory = tmp_path_factory.mktemp("oxigraph-server")
    port = _free_loopback_port()
    with (directory / "console.log").open("wb") as console:
        process = subprocess.Popen(
            [
                executable,
                "serve",
                "--location",
                str(directory / "db"),
                "--bind",
                f"127.0.0.1:{port}",
            ],
            stdout=console,
            stderr=subprocess.STDOUT,
        )
    server = OxigraphServer(f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not _answers(f"{server.base}/query"):
            if process.poll() is not None or time.monotonic() > deadline:
                output = (directory / "console.log").read_text(errors="replace")[-3000:]
                pytest.fail(f"oxigraph serve did not start on port {port}:\n{output}")
            time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
