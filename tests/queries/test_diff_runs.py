"""`diff_runs` on two runs of one workflow written with the real capture API and loaded with the
real loader: the final step replaced by two others (none of the three with parameters), a step
run twice with different parameters per invocation, another software version and another node.
The expected rows come from what the test recorded (the constants below and the spools'
run_start events), and the answer is the same after loading the runs again in another order."""

from __future__ import annotations

import platform
import socket
from pathlib import Path
from typing import Any

import pytest

from provml import Workflow, read_spool
from provml.capture import environment
from provml.kg import open_store
from provml.loaders.load import load_spools
from provml.queries import run_query

ID = "https://w3id.org/provml/id/"
WORKFLOW = "survey conversion"
# Per run: the tool version and node it ran with, the sizes of its two tiling passes, its final
# steps, and the content of the label file it reads.
RUNS: dict[str, dict[str, Any]] = {
    "conv-1": {
        "tool": "1.4.0",
        "host": "node-a",
        "tiles": [12, 9],
        "final": ["convert"],
        "labels": b"faults v1\n",
    },
    "conv-2": {
        "tool": "1.5.2",
        "host": "node-b",
        "tiles": [12, 12],
        "final": ["reproject", "compress"],
        "labels": b"faults v2, revised\n",
    },
}


def _run(root: Path, run: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """One run: read the survey and labels, prepare, tile twice, the final steps writing the
    same output path in every run."""
    spec = RUNS[run]
    # The environment the run records: its node and its tool's version.
    monkeypatch.setattr(socket, "gethostname", lambda: spec["host"])
    tools = {"python": platform.python_version(), "segyconv": spec["tool"]}
    monkeypatch.setattr(environment, "software_versions", lambda: dict(tools))
    data = root / "data"
    data.mkdir(exist_ok=True)
    (data / "survey.segy").write_bytes(b"survey" * 100)
    (data / "labels.csv").write_bytes(spec["labels"])
    with Workflow(WORKFLOW, run_id=run, spool_dir=root / "spool", capture_git=False) as wf:
        survey = wf.dataset("survey", data / "survey.segy", id="survey", type="raw_data", hash=True)
        labels = wf.dataset("labels", data / "labels.csv", id="labels", type="raw_data", hash=True)
        with wf.task("prepare", "curation", used=[survey, labels]) as prepare:
            current = wf.dataset("prepared", root / "out" / "prepared.npy", id="prepared")
            prepare.generated(current)
        for size in spec["tiles"]:
            with wf.task("tile", "preparation", used=[current]) as tile:
                tile.log_params({"size": size})
        for name in spec["final"]:
            with wf.task(name, "curation", used=[current]) as step:
                current = wf.dataset("final", root / "out" / "final.tif", id="final")
                step.generated(current)
    monkeypatch.undo()


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The two runs' spools and their events (a module-scoped monkeypatch per run)."""
    root = tmp_path_factory.mktemp("diff")
    for run in RUNS:
        with pytest.MonkeyPatch.context() as monkeypatch:
            _run(root, run, monkeypatch)
    spools = {run: root / "spool" / run for run in RUNS}
    events = {run: read_spool(path).events for run, path in spools.items()}
    return root, spools, events


def _software(events: list[dict[str, Any]]) -> dict[str, str]:
    """name -> version of the software a run's run_start recorded (as the loader maps it)."""
    (start,) = [event for event in events if event["kind"] == "run_start"]
    found = {**start["software"], "python": start["python"]}
    name, _, version = start["platform"].partition("-")
    found[name] = version
    return found


def _expected(events: dict[str, list[dict[str, Any]]]) -> list[tuple[Any, ...]]:
    """diff_runs' rows for conv-1 against conv-2, from the recorded runs."""
    one, two = RUNS["conv-1"], RUNS["conv-2"]
    rows: list[tuple[Any, ...]] = []
    rows += [
        ("node", one["host"], None, one["host"], None),
        ("node", two["host"], None, None, two["host"]),
    ]
    for invocation, (mine, theirs) in enumerate(zip(one["tiles"], two["tiles"], strict=True), 1):
        if mine != theirs:
            rows.append(("parameter", "tile/size", invocation, str(mine), str(theirs)))
    soft_one, soft_two = _software(events["conv-1"]), _software(events["conv-2"])
    for name in sorted(soft_one.keys() | soft_two.keys()):
        if soft_one.get(name) != soft_two.get(name):
            rows.append(("software", name, None, soft_one.get(name), soft_two.get(name)))
    steps_one = {"prepare": 1, "tile": len(one["tiles"])} | dict.fromkeys(one["final"], 1)
    steps_two = {"prepare": 1, "tile": len(two["tiles"])} | dict.fromkeys(two["final"], 1)
    for name in sorted(steps_one.keys() | steps_two.keys()):
        mine, theirs = steps_one.get(name), steps_two.get(name)
        if mine != theirs:
            rows.append(
                ("step", name, None, *(None if n is None else str(n) for n in (mine, theirs)))
            )
    return rows


def _diff(store: Any, kinds: set[str]) -> list[tuple[Any, ...]]:
    """diff_runs' rows for conv-1 against conv-2 of the given kinds, without the run columns
    (checked once), in the query's order."""
    found = run_query(store, "diff_runs", run=f"{ID}run/conv-1", other=f"{ID}run/conv-2")
    rows = []
    for row in found:
        assert (row["run_label"], row["other_label"]) == (WORKFLOW, WORKFLOW)
        if row["kind"] in kinds:
            values = (row["invocation"], row["value"], row["other_value"])
            rows.append((row["kind"], row["name"], *values))
    return rows


KINDS = {"node", "parameter", "software", "step"}


def test_replaced_steps_invocations_software_and_nodes_differ(runs, tmp_path):
    _, spools, events = runs
    with open_store(tmp_path / "store") as store:
        load_spools(store, [spools["conv-1"], spools["conv-2"]], workers=1)
        assert _diff(store, KINDS) == _expected(events)
        # A run does not differ from itself.
        same = run_query(store, "diff_runs", run=f"{ID}run/conv-1", other=f"{ID}run/conv-1")
        assert len(same) == 0


def test_the_answer_is_the_same_after_loading_again_in_another_order(runs, tmp_path):
    _, spools, events = runs
    with open_store(tmp_path / "store") as store:
        load_spools(store, [spools["conv-2"]], workers=1)
        load_spools(store, [spools["conv-1"]], workers=1)
        load_spools(store, [spools["conv-1"], spools["conv-2"]], workers=1)  # a replay
        first = _diff(store, KINDS | {"input"})
    assert [row for row in first if row[0] != "input"] == _expected(events)
    with open_store(tmp_path / "other") as store:
        load_spools(store, [spools["conv-1"], spools["conv-2"]], workers=1)
        assert _diff(store, KINDS | {"input"}) == first


def test_an_input_read_in_another_version_shows_both_contents(runs, tmp_path):
    # The label file changed between the runs: one stable entity, a version per content.
    _, spools, events = runs
    hashes = {
        run: next(
            e["sha256"] for e in events[run] if e["kind"] == "entity" and e["entity"] == "labels"
        )
        for run in RUNS
    }
    with open_store(tmp_path / "store") as store:
        load_spools(store, [spools["conv-1"], spools["conv-2"]], workers=1)
        assert _diff(store, {"input"}) == [
            ("input", f"{ID}entity/labels", None, hashes["conv-1"], hashes["conv-2"])
        ]
