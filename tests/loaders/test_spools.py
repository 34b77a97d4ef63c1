"""`load_spools` on real spool files and a real Oxigraph store: replays, growth, torn lines,
quarantine, strict mode, checkpoints and crashes, parallel conversion, bulk mode."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from provml import LoadError, MalformedEvent, Workflow, read_spool
from provml.kg import open_store
from provml.loaders import load as load_module
from provml.loaders.load import load_spools


def _spool(tmp_path: Path, steps: int = 30, run_id: str = "r1") -> Path:
    with (
        Workflow("spooled", spool_dir=tmp_path / "spool", run_id=run_id, capture_git=False) as wf,
        wf.task("fit", "learning", stage="training"),
    ):
        for step in range(steps):
            wf.log_metric("loss", 1.0 / (step + 1), step=step, split="train")
    (path,) = (tmp_path / "spool" / run_id).iterdir()
    return path


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def test_loading_twice_leaves_the_same_triple_count(tmp_path):
    path = _spool(tmp_path)
    with open_store(tmp_path / "store") as store:
        first = load_spools(store, [path.parent])
        count = store.count()
        second = load_spools(store, [path.parent])  # no checkpoint: everything again
        assert second.events == first.events == len(_lines(path))
        assert store.count() == count


def test_a_grown_spool_loads_only_its_new_lines(tmp_path):
    path = _spool(tmp_path)
    lines = _lines(path)
    checkpoint = tmp_path / "checkpoint.json"
    path.write_bytes(b"".join(lines[:10]))
    with open_store(tmp_path / "store") as store:
        assert load_spools(store, [path], checkpoint=checkpoint).events == 10
        path.write_bytes(b"".join(lines))
        grown = load_spools(store, [path], checkpoint=checkpoint)
        assert grown.events == len(lines) - 10
        assert load_spools(store, [path], checkpoint=checkpoint).events == 0
        count = store.count()
    with open_store(tmp_path / "again") as fresh:
        load_spools(fresh, [path])
        assert fresh.count() == count
    saved = json.loads(checkpoint.read_text())["files"][str(path.resolve())]
    assert saved["offset"] == path.stat().st_size and saved["line"] == len(lines) + 1


def test_a_torn_final_line_waits_and_loads_once_complete(tmp_path):
    path = _spool(tmp_path)
    lines = _lines(path)
    checkpoint, quarantine = tmp_path / "checkpoint.json", tmp_path / "quarantine.jsonl"
    half = len(lines[-1]) // 2
    path.write_bytes(b"".join(lines[:-1]) + lines[-1][:half])
    with open_store(tmp_path / "store") as store:
        report = load_spools(store, [path], checkpoint=checkpoint, quarantine=quarantine)
        assert report.events == len(lines) - 1  # every complete event
        assert [(str(torn.path), torn.line) for torn in report.torn] == [
            (str(path.resolve()), len(lines))
        ]
        assert all(torn.torn for torn in report.torn) and report.bad == []
        assert not quarantine.exists()
        with open(path, "ab") as handle:  # the writer finishes its line
            handle.write(lines[-1][half:])
        report = load_spools(store, [path], checkpoint=checkpoint, quarantine=quarantine)
        assert report.events == 1 and report.torn == []


def test_bad_lines_are_quarantined_and_every_valid_event_loaded(tmp_path):
    path = _spool(tmp_path)
    lines = _lines(path)
    event = json.loads(lines[5])
    bad = [
        b"not json at all\n",
        json.dumps({**event, "kind": "metric"}).encode() + b"\n",
        json.dumps({**event, "step": "three"}).encode() + b"\n",
        json.dumps({**event, "colour": "red"}).encode() + b"\n",
        json.dumps({**event, "t": 1e300}).encode() + b"\n",
        b"[1, 2]\n",
    ]
    path.write_bytes(b"".join(lines[:3] + bad + lines[3:]))
    quarantine = tmp_path / "q" / "quarantine.jsonl"
    with open_store(tmp_path / "store") as store:
        report = load_spools(store, [path], quarantine=quarantine)
        assert report.events == len(lines)
    source = str(path.resolve())
    assert [(str(bad.path), bad.line) for bad in report.bad] == [(source, n) for n in range(4, 10)]
    reasons = [bad.reason for bad in report.bad]
    assert reasons[0].startswith("invalid JSON")
    assert reasons[1].startswith("event.kind must be one of")
    assert reasons[2] == "event.step must be integer or null"
    assert reasons[3] == "event must not contain {'colour'} properties"
    assert reasons[4].startswith("value out of range")
    assert reasons[5] == "not a JSON object but list"
    kept = [json.loads(line) for line in quarantine.read_text().splitlines()]
    assert [(item["source"], item["line"], item["reason"]) for item in kept] == [
        (str(bad.path), bad.line, bad.reason) for bad in report.bad
    ]
    assert kept[0]["text"] == "not json at all"


def test_strict_mode_fails_naming_file_and_line_and_writes_nothing_of_that_batch(tmp_path):
    good = _spool(tmp_path, run_id="good")
    path = _spool(tmp_path, run_id="bad")
    lines = _lines(path)
    event = json.loads(lines[5])
    path.write_bytes(b"".join([*lines[:7], json.dumps({**event, "pid": 1}).encode() + b"\n"]))
    checkpoint = tmp_path / "checkpoint.json"
    with open_store(tmp_path / "store") as store:
        with pytest.raises(MalformedEvent) as raised:
            load_spools(store, [good, path], checkpoint=checkpoint, strict=True)
        assert str(raised.value) == (
            f"{path.resolve()}:8: event must not contain {{'pid'}} properties"
        )
        assert (raised.value.path, raised.value.line) == (path.resolve(), 8)
        assert raised.value.reason == "event must not contain {'pid'} properties"
        assert "https://w3id.org/provml/id/run/bad" not in store.graphs()
        assert "https://w3id.org/provml/id/run/good" in store.graphs()
    saved = json.loads(checkpoint.read_text())["files"]
    assert list(saved) == [str(good.resolve())]  # the bad file's checkpoint did not move


def test_strict_mode_names_the_bad_line_of_a_batch_without_a_valid_event(tmp_path):
    # Such a batch staged no ids: taking them back must not fail on the id index.
    good = _spool(tmp_path, run_id="good")
    path = tmp_path / "spool" / "only-bad.jsonl"
    path.write_bytes(b'{"v": 1, "kind": "nope", "id": "a.1", "run": "r", "t": 1}\n')
    with open_store(tmp_path / "store") as store:
        with pytest.raises(MalformedEvent) as raised:
            load_spools(store, [good, path], checkpoint=tmp_path / "ck.json", strict=True)
        assert (raised.value.path, raised.value.line) == (path.resolve(), 1)
        assert "https://w3id.org/provml/id/run/good" in store.graphs()


def test_a_crash_between_commit_and_checkpoint_replays_the_batch_harmlessly(tmp_path, monkeypatch):
    path = _spool(tmp_path, steps=400)
    checkpoint = tmp_path / "checkpoint.json"
    batch_bytes = path.stat().st_size // 4
    saves = 0
    real_save = load_module.Checkpoint.save

    def crash_on_second_save(self):
        nonlocal saves
        saves += 1
        if saves == 2:
            raise KeyboardInterrupt("killed after the second commit, before its checkpoint")
        real_save(self)

    with open_store(tmp_path / "store") as store:
        monkeypatch.setattr(load_module.Checkpoint, "save", crash_on_second_save)
        with pytest.raises(KeyboardInterrupt):
            load_spools(store, [path], checkpoint=checkpoint, batch_bytes=batch_bytes, workers=1)
        monkeypatch.undo()
        first_offset = json.loads(checkpoint.read_text())["files"][str(path.resolve())]["offset"]
        assert 0 < first_offset < path.stat().st_size
        resumed = load_spools(store, [path], checkpoint=checkpoint, batch_bytes=batch_bytes)
        assert resumed.events == len(_lines(path)) - _lines_before(path, first_offset)
        count = store.count()
    with open_store(tmp_path / "again") as fresh:
        load_spools(fresh, [path])
        assert fresh.count() == count


def _lines_before(path: Path, offset: int) -> int:
    return path.read_bytes()[:offset].count(b"\n")


def test_a_replaced_file_is_loaded_again_from_the_start(tmp_path):
    path = _spool(tmp_path, steps=10)
    checkpoint = tmp_path / "checkpoint.json"
    with open_store(tmp_path / "store") as store:
        load_spools(store, [path], checkpoint=checkpoint)
        replacement = _spool(tmp_path / "other", steps=12)  # same run id, new content
        replacement.replace(path)
        report = load_spools(store, [path], checkpoint=checkpoint)
        assert report.restarted == [str(path.resolve())]
        assert report.events == len(_lines(path))
        path.write_bytes(b"".join(_lines(path)[:3]))  # truncated: also starts over
        report = load_spools(store, [path], checkpoint=checkpoint)
        assert report.restarted == [str(path.resolve())] and report.events == 3


def test_parallel_conversion_and_bulk_mode_write_the_same_triples(tmp_path):
    for run in ("a", "b", "c"):
        _spool(tmp_path, steps=300, run_id=run)
    spool = tmp_path / "spool"
    total = sum(len(_lines(path)) for path in spool.rglob("*.jsonl"))
    with open_store(tmp_path / "serial") as serial:
        load_spools(serial, [spool], workers=1)
        expected = serial.count()
    with open_store(tmp_path / "parallel") as parallel:
        report = load_spools(parallel, [spool], workers=2, batch_bytes=8192, progress=True)
        assert report.events == total and report.batches > 6 and report.files == 3
        assert parallel.count() == expected
    with open_store(tmp_path / "bulk") as bulk:
        assert load_spools(bulk, [spool], bulk=True).events == total
        assert bulk.count() == expected


def test_a_missing_path_or_a_broken_checkpoint_is_a_load_error(tmp_path):
    with open_store(tmp_path / "store") as store:
        with pytest.raises(LoadError, match="no spool file or directory at"):
            load_spools(store, [tmp_path / "nowhere"])
        broken = tmp_path / "checkpoint.json"
        broken.write_text("{not json")
        with pytest.raises(LoadError, match=f"cannot read the checkpoint {broken}"):
            load_spools(store, [_spool(tmp_path)], checkpoint=broken)


def test_read_spool_and_the_loader_agree_on_the_events(tmp_path):
    path = _spool(tmp_path)
    with open_store(tmp_path / "store") as store:
        assert load_spools(store, [path]).events == len(read_spool(path).events)
