"""Two events with the same id were merged silently: one measure with two values and two steps.
The second is refused now (a bad line naming where the id was first used), within a batch,
across batches and against an earlier load, while replays of the same lines add nothing and are
not reported."""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from provml.cli.app import app
from provml.errors import MalformedEvent
from provml.kg import open_store
from provml.loaders.load import load_events, load_spools
from tests.helpers.loaders import write_seismic_workflow

MEASURES = (
    "SELECT ?m ?v WHERE { ?m <http://www.w3.org/ns/prov#value> ?v . "
    "FILTER(CONTAINS(STR(?m), '/metric/')) }"
)


def _reuse_an_id(spool_file):
    """Give the second metrics event of the file the first one's id; their line numbers."""
    lines = spool_file.read_bytes().splitlines(keepends=True)
    first, second = [n for n, line in enumerate(lines) if b'"metrics"' in line][:2]
    event = json.loads(lines[second])
    event["id"] = json.loads(lines[first])["id"]
    lines[second] = json.dumps(event).encode() + b"\n"
    spool_file.write_bytes(b"".join(lines))
    return first + 1, second + 1


def _measure_values(store):
    values: dict[str, int] = {}
    with open_store(store) as opened:
        for row in opened.query(MEASURES):
            values[row["m"].value] = values.get(row["m"].value, 0) + 1
    return values


def test_the_second_is_refused_naming_the_first_and_a_reload_adds_nothing(tmp_path):
    run_dir = write_seismic_workflow(tmp_path / "spool")
    (spool_file,) = run_dir.iterdir()
    first, second = _reuse_an_id(spool_file)
    store, quarantine = tmp_path / "store", tmp_path / "bad.jsonl"
    args = ["load", str(run_dir), "--store", str(store), "--quarantine", str(quarantine)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert f"{spool_file}:{second}: duplicate event id" in result.output
    assert f"first used at {spool_file}:{first} " in result.output
    assert json.loads(quarantine.read_text())["line"] == second
    assert set(_measure_values(store).values()) == {1}  # no measure with two values
    with open_store(store) as opened:
        count = opened.count()
    # Loading the file again from the start (no checkpoint) is a replay: the first event passes.
    (tmp_path / "store.checkpoint.json").unlink()
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 0, again.output
    assert "duplicate" not in again.output.replace(f"{spool_file}:{second}: duplicate", "")
    with open_store(store) as opened:
        assert opened.count() == count


def test_across_batches_and_against_an_earlier_load(tmp_path):
    run_dir = write_seismic_workflow(tmp_path / "spool")
    (spool_file,) = run_dir.iterdir()
    first, second = _reuse_an_id(spool_file)
    checkpoint = tmp_path / "ck.json"
    with open_store(tmp_path / "store") as opened:
        # Batches of a few lines: the two events are in different batches.
        report = load_spools(opened, [run_dir], checkpoint=checkpoint, batch_bytes=600, workers=1)
        assert report.batches > 5
        reused = json.loads(spool_file.read_bytes().splitlines()[first - 1])["id"]
        assert [(b.line, b.reason.split(":")[0]) for b in report.bad] == [
            (second, f"duplicate event id {reused!r} in run 'f3-001'")
        ]
        count = opened.count()
        # Another file of the same run, loaded later, reusing an id an earlier load took.
        later = run_dir / "other-9-0.jsonl"
        event = json.loads(spool_file.read_bytes().splitlines()[first - 1])
        event["values"] = {"loss": 12.5}
        later.write_text(json.dumps(event) + "\n")
        report = load_spools(opened, [later], checkpoint=checkpoint, workers=1)
        assert [str(b) for b in report.bad] == [
            f"{later}:1: duplicate event id {event['id']!r} in run 'f3-001': first used at "
            f"{spool_file}:{first} by an event with other content"
        ]
        assert report.events == 0 and opened.count() == count
        with pytest.raises(MalformedEvent, match="duplicate event id"):
            copy = shutil.copy(later, run_dir / "other-10-0.jsonl")  # not past the checkpoint
            load_spools(opened, [copy], checkpoint=checkpoint, strict=True, workers=1)


def test_a_replay_after_a_crash_is_not_a_duplicate(tmp_path):
    run_dir = write_seismic_workflow(tmp_path / "spool")
    checkpoint = tmp_path / "ck.json"
    with open_store(tmp_path / "store") as opened:
        load_spools(opened, [run_dir], checkpoint=checkpoint, batch_bytes=600, workers=1)
        count = opened.count()
        # As if the load had died after its commits and before its checkpoint moved.
        shutil.copy(checkpoint, tmp_path / "later.json")
        checkpoint.write_text(json.dumps({"version": 1, "files": {}}))
        report = load_spools(opened, [run_dir], checkpoint=checkpoint, batch_bytes=600, workers=1)
        assert report.bad == [] and report.events > 0 and opened.count() == count


def test_events_given_as_dicts_are_checked_too(tmp_path):
    event = {
        "v": 1,
        "kind": "run_start",
        "id": "e1",
        "run": "r",
        "t": 1.0,
        "name": "n",
        "user": "u",
        "host": "h",
        "pid": 1,
    }
    with open_store(tmp_path / "store") as opened:
        report = load_events(opened, [event, event, {**event, "name": "other"}], source="api")
        assert report.events == 2
        assert [str(b) for b in report.bad] == [
            "api:3: duplicate event id 'e1' in run 'r': first used at api:1 by an event with "
            "other content"
        ]
