"""Errors carry what they name as attributes, set where they are really raised."""

from __future__ import annotations

import pickle
from pathlib import Path

import pyoxigraph
import pytest

from provml import (
    OntologyError,
    QueryError,
    SpoolError,
    StoreCorrupt,
    StoreLocked,
    UnknownQuery,
    UnsafeParameter,
    read_spool,
)
from provml.kg import open_store
from provml.ontology.catalog import read_catalog
from provml.ontology.graph import parse_turtle
from provml.queries import run_query
from provml.synth.population import synthesize


def test_store_locked_carries_the_store_directory(tmp_path):
    location = tmp_path / "store"
    with open_store(location):
        with pytest.raises(StoreLocked) as raised:
            open_store(location)
        assert raised.value.path == location
        with pytest.raises(StoreLocked, match="after waiting") as waited:
            open_store(location, wait=0.01)
        assert waited.value.path == location


def test_store_corrupt_carries_the_store_directory(tmp_path):
    location = tmp_path / "store"
    open_store(location).close()
    (location / "CURRENT").write_text("not a manifest name\n")
    with pytest.raises(StoreCorrupt) as raised:
        open_store(location)
    assert raised.value.path == location


@pytest.fixture
def store(tmp_path):
    with open_store(tmp_path / "store") as opened:
        yield opened


def test_unknown_query_carries_the_name_asked_for(store):
    with pytest.raises(UnknownQuery) as raised:
        run_query(store, "no_such_query")
    assert raised.value.query == "no_such_query"
    assert "no_such_query" in str(raised.value)


def test_query_errors_carry_the_canned_query(store):
    with pytest.raises(QueryError) as unknown_parameter:
        run_query(store, "task_times", rn="https://e/r")
    assert unknown_parameter.value.query == "task_times"
    with pytest.raises(QueryError) as missing:
        run_query(store, "task_times")
    assert missing.value.query == "task_times"


def test_unsafe_parameter_carries_the_query_and_the_parameter(store):
    with pytest.raises(UnsafeParameter) as raised:
        run_query(store, "models_covering_inline_range", inline_min="low", inline_max=3)
    assert raised.value.query == "models_covering_inline_range"
    assert raised.value.parameter == "inline_min"
    with pytest.raises(UnsafeParameter) as iri:
        run_query(store, "task_times", run="https://e/r> } CLEAR ALL {")
    assert (iri.value.query, iri.value.parameter) == ("task_times", "run")


def test_a_refused_binding_names_its_variable(store):
    with pytest.raises(UnsafeParameter) as raised:
        store.query("SELECT ?x WHERE { ?x ?p ?o }", {"x": "not a term"})
    assert raised.value.parameter == "x"
    assert raised.value.query is None
    with pytest.raises(UnsafeParameter) as bad_name:
        store.query("SELECT ?x WHERE { ?x ?p ?o }", {"x y": pyoxigraph.NamedNode("https://e/a")})
    assert bad_name.value.parameter == "x y"


def test_spool_error_carries_the_path(tmp_path):
    missing = tmp_path / "no-spool"
    with pytest.raises(SpoolError) as raised:
        read_spool(missing)
    assert raised.value.path == missing
    output = tmp_path / "campaign"
    (output / "spool").mkdir(parents=True)
    (output / "spool" / "other.jsonl").write_text("{}\n")
    with pytest.raises(SpoolError) as taken:
        synthesize(output, events=10)
    assert taken.value.path == output / "spool"


def test_ontology_error_carries_the_file(tmp_path):
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix ex: <http://e/> .\nex:a ex:b .\n")
    with pytest.raises(OntologyError) as raised:
        parse_turtle(bad)
    assert raised.value.path == bad
    catalog = tmp_path / "catalog-v001.xml"
    with pytest.raises(OntologyError) as unreadable:
        read_catalog(catalog)
    assert unreadable.value.path == catalog


def test_the_attributes_survive_pickling() -> None:
    # Errors cross process boundaries (worker pools); the data must come along with the message.
    error = UnsafeParameter("q: parameter p refused", query="q", parameter="p")
    copy = pickle.loads(pickle.dumps(error))
    assert (str(copy), copy.query, copy.parameter) == (str(error), "q", "p")
    locked = pickle.loads(pickle.dumps(StoreLocked("held", path=Path("/s"))))
    assert (str(locked), locked.path) == ("held", Path("/s"))
