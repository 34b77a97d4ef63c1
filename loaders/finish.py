"""What a load does after its batches commit: SPARQL updates over the loaded runs.

The updates are data files beside this module (`merge_run_times.ru`, `link_runs.ru`). They
read the whole store, not only the runs just loaded, so a load that crashed after committing and
before finishing is repaired by the next one; each is idempotent and runs in one transaction.
"""

from __future__ import annotations

import functools
from importlib.resources import files

from provml.kg.store import Store

#: Run in this order after every load.
UPDATES = ("merge_run_times.ru", "link_runs.ru")


@functools.cache
def update_text(name: str) -> str:
    """The text of one of the loader's SPARQL update files."""
    return files("provml.loaders").joinpath(name).read_text(encoding="utf-8")


def finish_runs(store: Store) -> None:
    """Merge the ranks' run times and statuses, then add the links that span events.

    Each update is one transaction (on a remote store, one request). Raises QueryError or
    StoreError as `Store.update` does.
    """
    for name in UPDATES:
        store.update(update_text(name))
