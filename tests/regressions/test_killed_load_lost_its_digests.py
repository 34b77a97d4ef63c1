"""`kill -9` of `provml load` (default or `--bulk`) at a random point, then `provml load` again,
did not give the store a clean load gives: the runs committed before the kill were never
finished again (no metric summaries, durations or lineage shortcuts), and the second load said
`loaded 0 events`. Each batch now marks its runs unfinished in its own transaction."""

from __future__ import annotations

from pathlib import Path

import pytest

from provml.kg import open_store
from provml.loaders import finish
from provml.synth import synthesize
from tests.helpers.killed_load import load, random_trials, store_digest

KILLS = 20


@pytest.fixture(scope="module")
def spool(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small synthetic campaign: about 50 batches of `killed_load.BATCH_BYTES`."""
    directory = tmp_path_factory.mktemp("campaign")
    synthesize(directory, 800, nodes=4, gpus=8)
    return directory / "spool"


def test_loads_killed_at_random_points_end_as_a_clean_load(spool: Path, tmp_path: Path) -> None:
    expected, trials = random_trials(tmp_path, spool, KILLS, seed=14)
    wrong = [trial for trial in trials if trial.digest != expected]
    assert not wrong, f"{len(wrong)} of {KILLS} killed loads ended unlike a clean load: {wrong}"
    cut_short = [trial for trial in trials if not trial.finished]
    assert len(cut_short) >= KILLS // 4, f"too few kills landed before the end: {trials}"
    assert not [trial for trial in trials if trial.survivors]


def test_a_load_interrupted_while_finishing_is_finished_by_the_next(
    spool: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load(tmp_path / "clean.store", spool)
    real_lineage = finish.lineage_shortcuts
    calls = []

    def fail_after_clearing(*arguments: object) -> object:
        calls.append(arguments)
        raise RuntimeError("killed")  # after the old digests were cleared, before the new

    monkeypatch.setattr(finish, "lineage_shortcuts", fail_after_clearing)
    with pytest.raises(RuntimeError, match="killed"):
        load(tmp_path / "interrupted.store", spool)
    assert calls
    monkeypatch.setattr(finish, "lineage_shortcuts", real_lineage)
    load(tmp_path / "interrupted.store", spool)  # reads no new event, finishes the runs
    assert store_digest(tmp_path / "interrupted.store") == store_digest(tmp_path / "clean.store")
    with open_store(tmp_path / "interrupted.store") as store:
        assert f"{finish.iris.plain(finish.iris.UNFINISHED_GRAPH)}" not in store.graphs()
