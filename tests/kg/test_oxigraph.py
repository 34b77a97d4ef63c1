"""The embedded Oxigraph backend's own guarantees: one writer, clear errors, durability."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pyoxigraph
import pytest

from provml import QueryError, StoreCorrupt, StoreError, StoreLocked
from provml.kg import open_store
from provml.kg.oxigraph import OxigraphStore
from provml.kg.registry import store_class

GRAPH = "https://w3id.org/provml/id/run/r1/graph"
DATA = Path(__file__).parents[1] / "data" / "kg"


def _run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120
    )


def test_a_path_opens_the_embedded_backend_and_creates_the_directory(tmp_path):
    location = tmp_path / "nested" / "store"
    with open_store(location) as store:
        assert isinstance(store, OxigraphStore)
        assert store.count() == 0
    assert location.is_dir()


def test_a_file_url_opens_the_directory_it_names(tmp_path):
    location = tmp_path / "store"
    with open_store(location.as_uri()) as store:
        assert isinstance(store, OxigraphStore)
        assert store.path == location
    assert location.is_dir()


def test_a_second_process_gets_store_locked_naming_the_path_and_what_to_do(tmp_path):
    location = tmp_path / "blocks" / "store"  # "lock" in the path must not confuse the check
    with open_store(location):
        result = _run_python(
            f"""
            from provml import StoreLocked
            from provml.kg import open_store
            try:
                open_store({str(location)!r})
            except StoreLocked as error:
                print("LOCKED", error)
            """
        )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("LOCKED")
    assert str(location) in result.stdout
    assert "provml serve" in result.stdout


def _holder(location: Path) -> subprocess.Popen[str]:
    """A process holding the store until a line arrives on its stdin."""
    code = f"""
        import sys
        from provml.kg import open_store
        with open_store({str(location)!r}):
            print("holding", flush=True)
            sys.stdin.readline()
        """
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline() == "holding\n"
    return holder


def test_an_opener_that_waits_gets_the_store_once_the_holder_lets_go(tmp_path):
    location = tmp_path / "store"
    holder = _holder(location)
    release = threading.Timer(0.5, lambda: holder.communicate("release\n"))
    release.start()
    try:
        with open_store(location, wait=120) as store:
            assert store.count() == 0
        assert holder.returncode == 0
    finally:
        release.join()


def test_an_opener_that_waits_too_short_gets_store_locked(tmp_path):
    location = tmp_path / "store"
    holder = _holder(location)
    try:
        with pytest.raises(StoreLocked, match=r"after waiting 0\.3 s"):
            open_store(location, wait=0.3)
    finally:
        holder.communicate("release\n")


def test_closing_releases_the_lock_for_another_process(tmp_path):
    location = tmp_path / "store"
    store = open_store(location)
    store.load((DATA / "run.ttl"), "turtle", GRAPH)
    store.close()
    result = _run_python(
        f"""
        from provml.kg import open_store
        with open_store({str(location)!r}) as store:
            print(store.count({GRAPH!r}))
        """
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) == 13


def test_a_closed_store_refuses_calls(tmp_path):
    store = open_store(tmp_path / "store")
    store.close()
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.count()


def test_committed_data_survives_kill_9(tmp_path):
    location = tmp_path / "store"
    result = _run_python(
        f"""
        import os, signal
        from pathlib import Path
        from provml.kg import open_store
        store = open_store({str(location)!r})
        store.load(Path({str(DATA / "run.ttl")!r}), "turtle", {GRAPH!r})
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    assert result.returncode == -signal.SIGKILL
    with open_store(location) as store:
        assert store.count(GRAPH) == 13


def test_a_corrupt_directory_raises_store_corrupt_naming_it(tmp_path):
    location = tmp_path / "store"
    open_store(location).close()
    (location / "CURRENT").write_text("not a manifest name\n")
    with pytest.raises(StoreCorrupt) as raised:
        open_store(location)
    assert str(location) in str(raised.value)


def test_a_file_in_place_of_the_directory_is_a_store_error_not_os_error(tmp_path):
    location = tmp_path / "lock"
    location.write_text("not a store")
    with pytest.raises(StoreError) as raised:
        open_store(location)
    assert type(raised.value) is StoreError
    assert str(location) in str(raised.value)


def test_bulk_load_reads_nquads_into_their_graphs(tmp_path):
    quads = "".join(
        f'<http://e/s{i}> <http://e/p> "{i}" <http://e/g{i % 3}> .\n' for i in range(30)
    )
    with open_store(tmp_path / "store") as store:
        store.bulk_load(quads.encode(), "nquads")
        assert store.graphs() == ["http://e/g0", "http://e/g1", "http://e/g2"]
        assert [store.count(g) for g in store.graphs()] == [10, 10, 10]


def test_a_select_binding_must_be_projected_on_oxigraph(tmp_path):
    with open_store(tmp_path / "store") as store:
        store.add_quads([pyoxigraph.Quad(*(pyoxigraph.NamedNode(f"http://e/{n}") for n in "spog"))])
        with pytest.raises(QueryError, match="does not project"):
            store.query(
                "SELECT ?s WHERE { GRAPH ?g { ?s ?p ?o } }",
                {"g": pyoxigraph.NamedNode("http://e/g")},
            )


def test_oxigraph_stores_integer_subtypes_as_xsd_integer(tmp_path):
    # Pinned because provml:sizeBytes is xsd:long: read back from the embedded store it is an
    # xsd:integer (Virtuoso keeps xsd:long), so queries compare numbers by value, not datatype.
    xsd = "http://www.w3.org/2001/XMLSchema#"
    size = pyoxigraph.Literal("1024", datatype=pyoxigraph.NamedNode(xsd + "long"))
    node = pyoxigraph.NamedNode("http://e/a")
    with open_store(tmp_path / "store") as store:
        store.add_quads([pyoxigraph.Quad(node, node, size, node)])
        stored = store.query("SELECT ?o WHERE { GRAPH ?g { ?s ?p ?o } }")
        assert [row["o"] for row in stored] == [
            pyoxigraph.Literal("1024", datatype=pyoxigraph.NamedNode(xsd + "integer"))
        ]
        assert store.query("ASK { GRAPH ?g { ?s ?p 1024 } }") is True


def test_the_embedded_backend_declares_its_directory_and_no_credentials(tmp_path):
    assert store_class(tmp_path / "store") is OxigraphStore
    assert not OxigraphStore.takes_credentials
    assert OxigraphStore.local_directory(tmp_path.as_uri() + "/store") == tmp_path / "store"
    assert not (tmp_path / "store").exists()
