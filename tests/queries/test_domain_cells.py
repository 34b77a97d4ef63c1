"""The three domain-data cells of the taxonomy on the golden lifecycle: the columns their golden
files leave out (task IRIs the capture decides), checked against the recorded events."""

from __future__ import annotations

from typing import Any

import pytest

from provml.kg import open_store
from provml.loaders.load import load_spools
from tests.helpers import query_data as data
from tests.queries.test_golden import ask, iri, tasks_of


@pytest.fixture(scope="module")
def lifecycle(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The golden lifecycle, loaded into an on-disk Oxigraph store; (store, root, events)."""
    root = tmp_path_factory.mktemp("lifecycle")
    spools = data.write_lifecycle(root)
    with open_store(root / "store") as store:
        load_spools(store, spools, workers=1)
        yield store, root, data.spool_events(spools)


RUN = "https://w3id.org/provml/id/run/"


def _task_iris(events, run, name):
    """The IRIs of a run's tasks of a name, from its task_start events."""
    return {
        f"{RUN}{run}/task/{event['task']}".removeprefix("https://w3id.org/provml/id/")
        for event in events
        if event["run"] == run and event["kind"] == "task_start" and event["name"] == name
    }


def test_the_running_training_is_the_task_of_the_rows(lifecycle):
    store, _, events = lifecycle
    rows = ask(store, "domain_data_in_training", run=iri("run/seis-c"))
    assert rows and {row[2] for row in rows} == _task_iris(events, "seis-c", "train unet")
    # seis-c's training has a task_start and no task_end in the loaded spool.
    assert tasks_of(events, "seis-c")["train unet"]["end"] is None


def test_each_epoch_row_names_the_runs_finished_training(lifecycle):
    store, _, events = lifecycle
    rows = ask(store, "domain_data_per_epoch", run=iri("run/seis-a"))
    assert rows and {row[2] for row in rows} == _task_iris(events, "seis-a", "train unet")
    assert tasks_of(events, "seis-a")["train unet"]["end"] is not None
