"""Shared by the serve tests: `provml serve` started as a real subprocess on a free loopback
port, waited for, and stopped at teardown; a store built from a real captured workflow."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from provml.kg import open_store
from provml.loaders.load import load_spools
from provml.loaders.ontology import load_ontology
from tests.helpers.loaders import write_seismic_workflow

STARTUP_SECONDS = 30
TOKEN = "s3cret-token-for-tests"
RUN = "https://w3id.org/provml/id/run/f3-001"
MODEL = "https://w3id.org/provml/id/entity/unet-faults"
# Our own opener: other tests install a global one with digest authentication, which fails on
# the server's Bearer challenge instead of returning the 401.
OPENER = urllib.request.build_opener()


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def build_store(directory: Path) -> Path:
    """A store holding the ontology and the seismic workflow (one run, two epochs)."""
    run_dir = write_seismic_workflow(directory / "spool")
    store = directory / "store"
    with open_store(store) as opened:
        load_ontology(opened)
        load_spools(opened, [run_dir], workers=1)
    return store


@dataclass
class Server:
    """A running `provml serve`: its base URL and process."""

    base: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def sparql(self) -> str:
        """The SPARQL endpoint."""
        return f"{self.base}/sparql"

    def request(
        self,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        data: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        method: str | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        """One HTTP request; its status, headers and body (errors included, never raised)."""
        url = self.base + path
        if params:
            url += "?" + urllib.parse.urlencode(params)
        request = urllib.request.Request(url, data=data, headers=dict(headers or {}), method=method)
        try:
            with OPENER.open(request, timeout=60) as reply:
                return reply.status, dict(reply.headers), reply.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def select(self, query: str) -> list[dict[str, str]]:
        """A SELECT's rows as {variable: value}, through the protocol's JSON results."""
        status, _, body = self.request(
            "/sparql",
            params={"query": query},
            headers={"Accept": "application/sparql-results+json"},
        )
        assert status == 200, body
        document = json.loads(body)
        return [
            {name: cell["value"] for name, cell in row.items()}
            for row in document["results"]["bindings"]
        ]

    def quad_count(self) -> int:
        """Quads in the store: every named graph and the default graph."""
        (row,) = self.select(
            "SELECT (COUNT(*) AS ?n) WHERE { { GRAPH ?g { ?s ?p ?o } } UNION "
            "{ SELECT * WHERE { ?s ?p ?o } } }"
        )
        return int(row["n"])


def process_tree(pid: int) -> list[int]:
    """`pid` and every process below it (the server, its fork server and query workers)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def resident_bytes(pids: list[int]) -> int:
    """The resident memory of these processes together (gone ones count 0)."""
    total = 0
    for pid in pids:
        with (
            contextlib.suppress(OSError, IndexError, ValueError),
            open(f"/proc/{pid}/statm") as statm,
        ):
            total += int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    return total


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """CPU seconds (user and system) each of these processes has used, if still alive."""
    ticks = os.sysconf("SC_CLK_TCK")
    used: dict[int, float] = {}
    for pid in pids:
        with (
            contextlib.suppress(OSError, IndexError, ValueError),
            open(f"/proc/{pid}/stat") as stat,
        ):
            fields = stat.read().rsplit(")", 1)[1].split()
            used[pid] = (int(fields[11]) + int(fields[12])) / ticks
    return used


def raw_exchange(base: str, request: bytes, *, wait: float = 10.0) -> bytes:
    """Send `request` as is on a new connection and read until the server closes it (or
    `wait` seconds pass); what came back (b"" if nothing)."""
    host, port = urllib.parse.urlsplit(base).netloc.split(":")
    received = []
    with socket.create_connection((host, int(port)), timeout=wait) as connection:
        connection.sendall(request)
        with contextlib.suppress(TimeoutError, ConnectionResetError):
            while chunk := connection.recv(65536):
                received.append(chunk)
    return b"".join(received)


def _answers(base: str) -> bool:
    """Whether the server answers its list of canned queries."""
    try:
        with OPENER.open(f"{base}/queries", timeout=2) as reply:
            return bool(reply.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@contextlib.contextmanager
def running_server(store: Path, *options: str, log: Path | None = None) -> Iterator[Server]:
    """`provml serve --store STORE OPTIONS` on a free port until the block ends."""
    port = free_port()
    log = log or store.with_name(f"serve-{port}.log")
    command = [sys.executable, "-m", "provml", "serve", "--store", str(store), "--port", str(port)]
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [*command, *options], stdout=output, stderr=subprocess.STDOUT, env=dict(os.environ)
        )
    base = f"http://127.0.0.1:{port}"
    server = Server(base, process, log)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not _answers(base):
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"provml serve did not start:\n{log.read_text()}")
            time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
