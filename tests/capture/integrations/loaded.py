"""Shared by the hook tests: load a run's spool into an on-disk Oxigraph store and query it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from provml.kg import open_store
from provml.kg.store import Store
from provml.loaders import iris
from provml.loaders.load import load_spools
from provml.queries import run_query

#: Test queries (not canned) for what no canned query answers per task.
QUERIES = Path(__file__).parent / "queries"


@contextmanager
def loaded(spool: Path, root: Path) -> Iterator[Store]:
    """A store at ``root``/store holding every event under ``spool``, loaded by the loader."""
    with open_store(root / "store") as store:
        report = load_spools(store, [spool])
        assert report.events > 0 and not report.bad
        yield store


def rows(store: Store, query: str, **params: Any) -> list[dict[str, Any]]:
    """The rows of a canned (or test) query as dicts."""
    return list(run_query(store, query, directories=[QUERIES], **params))


def run_iri(run_id: str) -> str:
    """The IRI of a run."""
    return iris.plain(iris.run(run_id))


def workflow_iri(name: str) -> str:
    """The IRI of a workflow."""
    return iris.plain(iris.named("workflow", name))


def task_iri(run_id: str, task_id: str) -> str:
    """The IRI of a task execution."""
    return iris.plain(iris.task(run_id, task_id))


def entity_iri(entity_id: str) -> str:
    """The IRI of an entity."""
    return iris.plain(iris.entity(entity_id))


def version_iri(entity_id: str, key: str) -> str:
    """The IRI of an entity's version."""
    return iris.plain(iris.entity_version(entity_id, key))
