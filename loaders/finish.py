"""What a load does after its batches commit: SPARQL updates over the loaded runs.

The updates are data files beside this module; in each, a line holding only `;` separates
operations, and each operation is idempotent and sent on its own with the file's prefixes.
- `merge_run_times.ru` reads the whole store, so a load that crashed after committing and
  before finishing is repaired by the next one.
- `link_runs.ru` runs once per run the load touched, with `${graph}` replaced by the run's
  graph IRI (validated): Virtuoso fails INSERT templates whose graph is a variable.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from importlib.resources import files
from string import Template

from provml.kg.store import Store
from provml.kg.terms import named_node
from provml.loaders import iris

MERGE = "merge_run_times.ru"
LINKS = "link_runs.ru"


@functools.cache
def operations(name: str) -> tuple[str, ...]:
    """The operations of one of the loader's SPARQL update files, each with the prefixes.

    Comment lines are left out: SPARQLWrapper guesses an update's form from its words and can
    mistake one in a comment ("task") for a query form (ASK).
    """
    text = files("provml.loaders").joinpath(name).read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    prefixes = [line for line in lines if line.startswith("PREFIX ")]
    body = "\n".join(line for line in lines if not line.startswith("PREFIX "))
    return tuple(
        "\n".join([*prefixes, operation.strip()])
        for operation in body.split("\n;\n")
        if operation.strip()
    )


def finish_runs(store: Store, runs: Iterable[str]) -> None:
    """Merge the ranks' run times and statuses (whole store), then add the links that span
    events in each of `runs` (run ids).

    Each operation is one transaction (on a remote store, one request). Raises QueryError or
    StoreError as `Store.update` does.
    """
    for operation in operations(MERGE):
        store.update(operation)
    for run in sorted(runs):
        graph = str(named_node(iris.plain(iris.run(run)), "run graph"))
        for operation in operations(LINKS):
            store.update(Template(operation).substitute(graph=graph))
