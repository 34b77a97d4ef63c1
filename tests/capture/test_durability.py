"""Capture transport on real files and real processes: ranks, kill -9, signals, torn lines, I/O
failures, rotation."""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from bench.capture_kill import kill_trial

from provml import Workflow, read_spool
from provml.capture.spool import SpoolWriter, spool_file_name
from tests.helpers.capture import assert_valid, of_kind, read_valid_events


def _run_child(code: str, spool: Path, **env: str) -> subprocess.Popen[str]:
    environment = {**os.environ, "PROVML_SPOOL": str(spool), **env}
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
    )


def _rank_main(rank: int) -> None:
    os.environ["RANK"] = str(rank)
    os.environ["WORLD_SIZE"] = "3"
    with Workflow("ddp", capture_git=False) as wf, wf.task("fit", "learning", stage="training"):
        for step in range(20):
            wf.log_metric("loss", 1.0 / (step + 1), step=step)


def test_spawned_ranks_join_the_run_and_write_their_own_files(tmp_path):
    with Workflow("ddp", spool_dir=tmp_path, run_id="job-1", capture_git=False):
        context = multiprocessing.get_context("spawn")
        ranks = [context.Process(target=_rank_main, args=(rank,)) for rank in range(3)]
        for process in ranks:
            process.start()
        for process in ranks:
            process.join(60)
        assert [process.exitcode for process in ranks] == [0, 0, 0]
    run_dir = tmp_path / "job-1"
    events = read_valid_events(run_dir)
    pids = {process.pid for process in ranks}
    files = sorted(path.name for path in run_dir.iterdir())
    assert len(files) == 4 and all(any(f"-{pid}-" in name for name in files) for pid in pids)
    rank_starts = [e for e in of_kind(events, "run_start") if e["pid"] in pids]
    assert sorted(e["hpc"]["rank"] for e in rank_starts) == [0, 1, 2]
    assert {e["hpc"]["world_size"] for e in rank_starts} == {3}
    assert len(of_kind(events, "metrics")) == 60
    assert {e["rank"] for e in of_kind(events, "task_start")} == {0, 1, 2}


_forked_workflow: Workflow | None = None


def _forked_child() -> None:
    assert _forked_workflow is not None
    with _forked_workflow.task("shard", "preparation") as task:
        task.log_metric("rows", 10.0)


@pytest.mark.skipif(sys.platform != "linux", reason="fork start method is Linux-only here")
def test_forked_children_write_their_own_file_and_keep_the_parent_task(tmp_path):
    global _forked_workflow
    with Workflow("fork", spool_dir=tmp_path, capture_git=False) as wf, wf.task("outer") as outer:
        _forked_workflow = wf
        wf.log_metric("before", 1.0)
        context = multiprocessing.get_context("fork")
        children = [context.Process(target=_forked_child) for _ in range(2)]
        for child in children:
            child.start()
        for child in children:
            child.join(60)
        assert [child.exitcode for child in children] == [0, 0]
    events = read_valid_events(tmp_path)
    assert len(list(tmp_path.rglob("*.jsonl"))) == 3
    shards = [e for e in of_kind(events, "task_start") if e["name"] == "shard"]
    assert sorted(e["pid"] for e in shards) == sorted(child.pid for child in children)
    assert {e["parent"] for e in shards} == {outer.id}
    assert len(of_kind(events, "run_end")) == 1, "children must not end the parent's run"
    assert len(of_kind(events, "metrics")) == 3


def test_kill_9_in_sync_mode_loses_no_acknowledged_event(tmp_path):
    child = _run_child(
        """
        import sys, provml
        wf = provml.Workflow("victim", run_id="r", durability="sync", capture_git=False).start()
        step = 0
        while True:
            wf.log_metric("loss", 0.5, step=step)
            print(step, flush=True)
            step += 1
        """,
        tmp_path,
    )
    assert child.stdout is not None
    acknowledged = [int(child.stdout.readline()) for _ in range(300)]
    child.send_signal(signal.SIGKILL)
    child.communicate(timeout=30)
    assert child.returncode == -signal.SIGKILL
    contents = read_spool(tmp_path / "r")
    assert_valid(contents.events)
    steps = {e["step"] for e in of_kind(contents.events, "metrics")}
    assert set(acknowledged) <= steps
    assert all(line.torn for line in contents.bad_lines) and len(contents.bad_lines) <= 1


@pytest.mark.parametrize("run_for_s", [0.3, 0.45, 0.6])
def test_kill_9_at_an_unthrottled_rate_loses_nothing_older_than_the_window(tmp_path, run_for_s):
    # bench/capture_kill.py runs the same trial 30 times and prints the figures.
    trial = kill_trial(tmp_path, run_for_s, flush_interval_ms=200)
    assert trial.covered > 1000, trial  # the victim ran long enough to check something
    assert trial.lost_beyond_window == 0, trial
    assert trial.written >= trial.covered and trial.torn_lines <= 1
    assert trial.peak_rss_mb < 200, trial  # the backlog is bounded


def test_buffered_events_are_flushed_at_exit_without_end(tmp_path):
    child = _run_child(
        """
        import provml
        wf = provml.Workflow("exit", run_id="r", flush_interval_ms=600000, capture_git=False)
        wf.start()
        for step in range(500):
            wf.log_metric("loss", 0.5, step=step)
        """,
        tmp_path,
    )
    _, stderr = child.communicate(timeout=60)
    assert child.returncode == 0, stderr
    events = read_valid_events(tmp_path / "r")
    assert [e["step"] for e in of_kind(events, "metrics")] == list(range(500))
    assert of_kind(events, "run_end")[0]["status"] == "completed"


def test_sigterm_flushes_buffered_events_and_marks_the_run_killed(tmp_path):
    child = _run_child(
        """
        import time, provml
        wf = provml.Workflow("term", run_id="r", flush_interval_ms=600000, capture_git=False)
        wf.start()
        for step in range(200):
            wf.log_metric("loss", 0.5, step=step)
        print("ready", flush=True)
        time.sleep(60)
        """,
        tmp_path,
    )
    assert child.stdout is not None and child.stdout.readline().strip() == "ready"
    child.send_signal(signal.SIGTERM)
    child.communicate(timeout=30)
    assert child.returncode == -signal.SIGTERM
    events = read_valid_events(tmp_path / "r")
    assert len(of_kind(events, "metrics")) == 200
    assert of_kind(events, "run_end")[0]["status"] == "killed"


def test_sigint_flushes_and_the_run_ends_as_killed(tmp_path):
    child = _run_child(
        """
        import time, provml
        with provml.Workflow("int", run_id="r", flush_interval_ms=600000, capture_git=False) as wf:
            for step in range(50):
                wf.log_metric("loss", 0.5, step=step)
            print("ready", flush=True)
            time.sleep(60)
        """,
        tmp_path,
    )
    assert child.stdout is not None and child.stdout.readline().strip() == "ready"
    child.send_signal(signal.SIGINT)
    _, stderr = child.communicate(timeout=30)
    # Python ends an uncaught KeyboardInterrupt by re-raising SIGINT.
    assert child.returncode == -signal.SIGINT and "KeyboardInterrupt" in stderr
    events = read_valid_events(tmp_path / "r")
    assert len(of_kind(events, "metrics")) == 50
    assert of_kind(events, "run_end")[0]["status"] == "killed"


def test_sigterm_chains_to_the_applications_own_handler(tmp_path):
    child = _run_child(
        """
        import signal, sys, time, provml
        signal.signal(signal.SIGTERM, lambda *_: (print("app handler", flush=True), sys.exit(3)))
        with provml.Workflow("term", run_id="r", flush_interval_ms=600000, capture_git=False) as wf:
            wf.log_metric("loss", 0.5)
            print("ready", flush=True)
            time.sleep(60)
        """,
        tmp_path,
    )
    assert child.stdout is not None and child.stdout.readline().strip() == "ready"
    child.send_signal(signal.SIGTERM)
    stdout, _ = child.communicate(timeout=30)
    assert child.returncode == 3 and "app handler" in stdout
    events = read_valid_events(tmp_path / "r")
    assert len(of_kind(events, "metrics")) == 1
    assert of_kind(events, "run_end")[0]["status"] == "failed"  # SystemExit(3) left the run


def test_a_torn_final_line_is_reported_and_complete_events_kept(tmp_path):
    with Workflow("torn", spool_dir=tmp_path, run_id="r") as wf:
        for step in range(10):
            wf.log_metric("loss", 0.1, step=step)
    path = wf.spool_file
    assert path is not None
    with open(path, "ab") as handle:
        handle.write(b'{"v":1,"kind":"metrics","id":"x.1","ru')
    contents = read_spool(tmp_path)
    assert_valid(contents.events)
    assert len(contents.events) == 12
    (torn,) = contents.bad_lines
    assert torn.torn and torn.path == path and torn.line == 13
    assert str(torn).startswith(f"{path}:13: torn final line")


def test_an_invalid_middle_line_is_reported_not_torn(tmp_path):
    spool = tmp_path / "r" / "h-1-0.jsonl"
    spool.parent.mkdir()
    spool.write_text('{"a": 1}\nnot json\n[1]\n{"b": 2}\n')
    contents = read_spool(tmp_path)
    assert contents.events == [{"a": 1}, {"b": 2}]
    assert [(bad.line, bad.torn) for bad in contents.bad_lines] == [(2, False), (3, False)]


def test_files_rotate_by_size_and_read_back_in_order(tmp_path):
    with Workflow("rotate", spool_dir=tmp_path, run_id="r", max_file_bytes=4000) as wf:
        for step in range(300):
            wf.log_metric("loss", 0.5, step=step)
            if step % 25 == 0:
                wf.flush()
    files = sorted((tmp_path / "r").iterdir())
    assert len(files) > 3
    events = read_valid_events(tmp_path / "r")
    assert [e["step"] for e in of_kind(events, "metrics")] == list(range(300))


@pytest.mark.parametrize("durability", ["buffered", "sync"])
def test_a_full_disk_degrades_without_raising(tmp_path, caplog, durability):
    run_dir = tmp_path / "r"
    run_dir.mkdir()
    first = run_dir / spool_file_name(socket.gethostname(), os.getpid(), 0)
    first.symlink_to("/dev/full")
    caplog.set_level(logging.WARNING, logger="provml.capture")
    with Workflow("full", spool_dir=tmp_path, run_id="r", durability=durability) as wf:
        wf.log_metric("lost", 1.0)
        wf.flush()
        health = wf.capture_health
        assert not health.ok and health.dropped >= 1
        assert "ENOSPC" in health.last_error and str(first) in health.last_error
        wf.log_metric("kept", 2.0)
    dropped = wf.capture_health.dropped
    warnings = [r for r in caplog.records if r.name == "provml.capture"]
    assert len(warnings) == 1 and "ENOSPC" in warnings[0].getMessage()
    events = read_valid_events(run_dir / first.name.replace("-0.jsonl", "-1.jsonl"))
    # Events go either to the dropped first batch or to the next file; none is lost silently.
    assert dropped + len(events) == 4  # run_start, lost, kept, run_end
    assert of_kind(events, "metrics")[-1]["values"] == {"kept": 2.0}
    assert wf.capture_health.written == len(events)


def test_an_unusable_spool_directory_degrades_without_raising(tmp_path, caplog):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    caplog.set_level(logging.WARNING, logger="provml.capture")
    with Workflow("nowhere", spool_dir=blocker / "spool", durability="sync") as wf:
        for step in range(5):
            wf.log_metric("loss", 1.0, step=step)
        health = wf.capture_health
    assert health.written == 0 and health.dropped == 6  # run_start and five metrics
    assert "ENOTDIR" in (health.last_error or "")
    assert len([r for r in caplog.records if r.name == "provml.capture"]) == 1


def test_an_unserialisable_record_is_dropped_alone(tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="provml.capture")
    writer = SpoolWriter(tmp_path / "r", "r", durability="buffered", flush_interval=60)
    good = {"v": 1, "kind": "run_end", "id": "a.1", "run": "r", "t": 1.0, "status": "completed"}
    writer.submit(good)
    writer.submit({**good, "id": "a.2", "error": object()})
    writer.submit({**good, "id": "a.3"})
    writer.close()
    assert (writer.health.written, writer.health.dropped) == (2, 1)
    assert "cannot serialise" in (writer.health.last_error or "")
    assert [e["id"] for e in read_valid_events(tmp_path / "r")] == ["a.1", "a.3"]


def test_a_full_backlog_is_written_by_the_calling_thread(tmp_path):
    # The background thread never runs here (a one-hour interval): the bound alone writes.
    writer = SpoolWriter(tmp_path / "r", "r", flush_interval=3600, max_backlog=100)
    wf = Workflow("bounded", spool_dir=tmp_path, run_id="r", capture_git=False, sink=writer)
    wf.start()
    longest = 0
    for step in range(1050):
        wf.log_metric("loss", 0.5, step=step)
        longest = max(longest, len(writer.queue))
    assert longest < 100
    on_disk = [e["step"] for e in of_kind(read_valid_events(tmp_path / "r"), "metrics")]
    assert on_disk == list(range(1000))  # the last 50 wait for the next write
    wf.end()
    assert [e["step"] for e in of_kind(read_valid_events(tmp_path / "r"), "metrics")] == list(
        range(1050)
    )
