"""A JSON line nested 5,000 levels deep made `provml load` die with a RecursionError on every
retry, so nothing of its batch loaded. It is one bad line now: named by file and line,
quarantined, and the rest of the spool loads (also through the conversion worker processes)."""

from __future__ import annotations

import json
import shutil

from typer.testing import CliRunner

from provml.capture.reader import MAX_DEPTH, TOO_DEEP
from provml.cli.app import app
from provml.kg import open_store
from provml.loaders.load import load_events, load_spools
from tests.helpers.loaders import write_seismic_workflow

DEEP = b'{"a":' * 5000 + b"1" + b"}" * 5000 + b"\n"


def _spools_with_and_without_the_deep_line(tmp_path):
    """A clean run directory, and a copy with the deep line inserted as line 4 of its file."""
    clean = write_seismic_workflow(tmp_path / "clean")
    bad = tmp_path / "bad" / clean.name
    shutil.copytree(clean, bad)
    (spool_file,) = bad.iterdir()
    lines = spool_file.read_bytes().splitlines(keepends=True)
    spool_file.write_bytes(b"".join([*lines[:3], DEEP, *lines[3:]]))
    return clean, bad, spool_file


def _quads(path):
    with open_store(path) as opened:
        return opened.count()


def test_load_quarantines_the_deep_line_and_loads_the_rest(tmp_path):
    clean, bad, spool_file = _spools_with_and_without_the_deep_line(tmp_path)
    assert (
        CliRunner().invoke(app, ["load", str(clean), "--store", str(tmp_path / "c")]).exit_code == 0
    )
    store, quarantine = tmp_path / "store", tmp_path / "bad.jsonl"
    args = ["load", str(bad), "--store", str(store), "--quarantine", str(quarantine)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert f"{spool_file}:4: nested too deeply" in result.output
    (kept,) = [json.loads(line) for line in quarantine.read_text().splitlines()]
    assert (kept["source"], kept["line"], kept["reason"]) == (str(spool_file), 4, TOO_DEEP)
    assert _quads(store) == _quads(tmp_path / "c")
    again = CliRunner().invoke(app, args)  # a retry neither crashes nor adds anything
    assert again.exit_code == 0 and "loaded 0 events" in again.output, again.output
    assert _quads(store) == _quads(tmp_path / "c")


def test_worker_processes_refuse_it_too(tmp_path):
    clean, bad, spool_file = _spools_with_and_without_the_deep_line(tmp_path)
    with open_store(tmp_path / "c") as opened:
        load_spools(opened, [clean], workers=1)
        expected = opened.count()
    with open_store(tmp_path / "store") as opened:
        report = load_spools(opened, [bad], workers=2, batch_bytes=2048)
        assert [(b.path, b.line, b.reason) for b in report.bad] == [(spool_file, 4, TOO_DEEP)]
        assert opened.count() == expected


def test_a_line_just_past_the_limit_is_refused_and_one_at_it_loads(tmp_path):
    def event(depth, event_id):
        attributes: object = 1
        for _ in range(depth - 1):  # the event object is one more level
            attributes = {"a": attributes}
        return {
            "v": 1,
            "kind": "run_start",
            "id": event_id,
            "run": "deep",
            "t": 1.0,
            "name": "n",
            "user": "u",
            "host": "h",
            "pid": 1,
            "attributes": attributes,
        }

    spool_file = tmp_path / "spool" / "h-1-0.jsonl"
    spool_file.parent.mkdir()
    lines = [event(MAX_DEPTH, "e1"), event(MAX_DEPTH + 1, "e2")]
    spool_file.write_text("".join(json.dumps(line) + "\n" for line in lines))
    with open_store(tmp_path / "store") as opened:
        report = load_spools(opened, [spool_file], workers=1)
        assert report.events == 1 and [(b.line, b.reason) for b in report.bad] == [(2, TOO_DEEP)]
        deeper = load_events(opened, [event(5000, "e3")], source="api")
        assert [str(b) for b in deeper.bad] == [f"api:1: {TOO_DEEP}"]
