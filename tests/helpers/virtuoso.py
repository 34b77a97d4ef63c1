"""A real Virtuoso for the remote-store tests, started once per session on loopback ports.

`virtuoso-t` (Debian's virtuoso-opensource, installed by .ci/run) runs in the foreground with
Debian's own `virtuoso.ini`, of which only the paths and ports are changed (`stock_ini`): the
tests see what a user of the package sees, the anonymous /sparql endpoint that cannot write and
the cap of 10,000 result rows included. Updates and the Graph Store Protocol go through the
authenticated endpoints with the fresh database's dba/dba account over digest authentication.
Without virtuoso-t the tests that need it are skipped locally, and fail under CI=true.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from provml.kg import Store, open_store

#: The configuration Debian's virtuoso-opensource package installs.
STOCK_INI = Path("/etc/virtuoso-opensource-7/virtuoso.ini")
#: Where the stock configuration keeps the database, replaced by the test's directory.
STOCK_DATABASE_DIRECTORY = "/var/lib/virtuoso-opensource-7/db"
#: The stock configuration's result cap ([SPARQL] ResultSetMaxRows).
STOCK_RESULT_ROWS = 10_000
STARTUP_SECONDS = 120


@dataclass(frozen=True)
class Virtuoso:
    """A running Virtuoso: its endpoints and the account allowed to write."""

    http_port: int
    log: Path
    user: str = "dba"
    password: str = "dba"

    @property
    def base(self) -> str:
        """The HTTP server's root URL."""
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def query_url(self) -> str:
        """The public SPARQL query endpoint."""
        return f"{self.base}/sparql"

    def open(self, *, graph_store: bool = True) -> Store:
        """A provml store on this server, writing through the authenticated endpoints."""
        return open_store(
            self.query_url,
            update_url=f"{self.base}/sparql-auth",
            graph_store_url=f"{self.base}/sparql-graph-crud-auth" if graph_store else None,
            user=self.user,
            password=self.password,
            auth="digest",
        )


def _free_loopback_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _answers(url: str) -> bool:
    """Whether the SPARQL endpoint answers a trivial query."""
    try:
        with urllib.request.urlopen(f"{url}?query=ASK%7B%7D", timeout=2) as reply:
            return bool(reply.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _unavailable(reason: str) -> None:
    """Fail under CI (the server must be there), skip elsewhere."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{reason} (CI=true: .ci/run installs virtuoso-opensource)", pytrace=False)
    pytest.skip(reason)


def stock_ini(
    stock: str, directory: Path, http_port: int, isql_port: int, result_rows: int | None = None
) -> str:
    """Debian's virtuoso.ini with only its paths and ports changed (and, if given, the cap of
    result rows): the database and the HTTP root in `directory`, both servers on loopback."""
    section = ""
    lines = []
    for line in stock.splitlines():
        key = line.split("=", 1)[0].strip()
        if line.startswith("["):
            section = line.strip()
        elif key == "ServerPort" and section == "[Parameters]":
            line = f"ServerPort = 127.0.0.1:{isql_port}"
        elif key == "ServerPort" and section == "[HTTPServer]":
            line = f"ServerPort = 127.0.0.1:{http_port}"
        elif key == "ServerRoot" and section == "[HTTPServer]":
            line = f"ServerRoot = {directory}"
        elif key == "DefaultHost" and section == "[URIQA]":
            line = f"DefaultHost = localhost:{http_port}"
        elif key == "ResultSetMaxRows" and result_rows is not None:
            line = f"ResultSetMaxRows = {result_rows}"
        lines.append(line.replace(STOCK_DATABASE_DIRECTORY, str(directory)))
    return "\n".join(lines) + "\n"


def _start(
    executable: str, directory: Path, result_rows: int | None
) -> tuple[subprocess.Popen[bytes], Virtuoso]:
    """Start virtuoso-t in `directory` on two free loopback ports and wait until it answers.

    Fails with the server's console output if it exits or stays silent; a port taken between
    choosing it and binding it makes the server exit, so the caller may retry.
    """
    http_port, isql_port = _free_loopback_port(), _free_loopback_port()
    while isql_port == http_port:
        isql_port = _free_loopback_port()
    ini = directory / "virtuoso.ini"
    ini.write_text(stock_ini(STOCK_INI.read_text(), directory, http_port, isql_port, result_rows))
    server = Virtuoso(http_port=http_port, log=directory / "virtuoso.log")
    with (directory / "console.log").open("wb") as console:
        process = subprocess.Popen(
            [executable, "+foreground", "+configfile", str(ini)],
            cwd=directory,
            stdout=console,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + STARTUP_SECONDS
    while process.poll() is None and time.monotonic() < deadline:
        if _answers(server.query_url):
            return process, server
        time.sleep(0.5)
    _stop(process)
    output = (directory / "console.log").read_text(errors="replace")[-3000:]
    raise RuntimeError(f"virtuoso-t did not start on 127.0.0.1:{http_port}:\n{output}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop virtuoso-t: SIGTERM (it checkpoints and exits), SIGKILL if it hangs."""
    process.terminate()
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _serve(
    tmp_path_factory: pytest.TempPathFactory, result_rows: int | None = None
) -> Iterator[Virtuoso]:
    """Run a Virtuoso until the generator is closed; fail (CI) or skip without virtuoso-t or
    its stock configuration."""
    executable = shutil.which("virtuoso-t")
    if executable is None or not STOCK_INI.is_file():
        _unavailable("virtuoso-t is not installed (apt-get install virtuoso-opensource)")
        return
    failures = []
    for _attempt in range(3):
        try:
            directory = tmp_path_factory.mktemp("virtuoso")
            process, server = _start(executable, directory, result_rows)
            break
        except RuntimeError as failure:
            failures.append(str(failure))
    else:
        pytest.fail("\n\n".join(failures), pytrace=False)
    try:
        yield server
    finally:
        _stop(process)


@pytest.fixture(scope="session")
def virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Virtuoso]:
    """A Virtuoso with the stock configuration on free loopback ports for the whole session,
    stopped at the end."""
    yield from _serve(tmp_path_factory)


@pytest.fixture(scope="session")
def virtuoso_with_small_results(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Virtuoso]:
    """A second Virtuoso whose endpoint returns at most 5 result rows (its one change beyond
    paths and ports), to test a cap without loading 10,000 rows."""
    yield from _serve(tmp_path_factory, result_rows=5)


@pytest.fixture(scope="session")
def virtuoso_system_graphs(virtuoso: Virtuoso) -> frozenset[str]:
    """The graphs a fresh Virtuoso holds for itself, before any test writes."""
    with virtuoso.open() as store:
        return frozenset(store.graphs())
