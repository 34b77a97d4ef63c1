"""Online analyses: a workflow subprocess writes metrics while a follower loads them; a query
sees the newest epoch within 5 s (through `provml serve --follow`), and `provml load --follow`
loads files as they grow until it is stopped."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from provml.kg import open_store
from provml.queries import run_query
from tests.helpers.serve import running_server

SCRIPT = Path(__file__).parents[1] / "helpers" / "online_workflow.py"
DEADLINE = 5.0  # seconds from an epoch's metric being written to a query seeing it
RUN_ID = "online-1"
RUN = f"https://w3id.org/provml/id/run/{RUN_ID}"


def start_workflow(spool: Path, epochs: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(SCRIPT), str(spool), RUN_ID, str(epochs)],
        stdout=subprocess.PIPE,
        text=True,
    )


def epochs_seen(server) -> set[int]:
    code, _, body = server.request(
        "/queries/metric_trajectory", params={"run": RUN, "metric": "loss"}
    )
    assert code == 200, body
    answer = json.loads(body)
    return {row[answer["columns"].index("epoch")] for row in answer["rows"]}


def test_a_query_sees_a_running_workflows_newest_epoch_within_5_s(tmp_path):
    spool = tmp_path / "spool"
    spool.mkdir()
    with running_server(tmp_path / "store", "--follow", str(spool)) as server:
        with start_workflow(spool, epochs=8) as workflow:
            waits = []
            for line in workflow.stdout:
                epoch = int(line.split()[1])
                written = time.monotonic()
                while epoch not in epochs_seen(server):
                    assert time.monotonic() - written < DEADLINE, (
                        f"epoch {epoch} not visible after {DEADLINE} s:\n{server.log.read_text()}"
                    )
                    time.sleep(0.1)
                waits.append(epoch)
                assert workflow.poll() is None  # seen while the run goes on
            assert waits == list(range(8))
        assert workflow.returncode == 0


def test_load_follow_loads_a_growing_spool_until_stopped(tmp_path):
    spool = tmp_path / "spool"
    store = tmp_path / "store"
    follower = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "provml",
            "load",
            "--follow",
            str(spool),
            "--store",
            str(store),
            "--interval",
            "0.2",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert follower.stdout.readline().startswith("following ")
        with start_workflow(spool, epochs=3) as workflow:
            assert workflow.wait(60) == 0
        # Each round that loads something prints a line; wait until the last epoch is in.
        deadline = time.monotonic() + 30
        loaded = 0
        while loaded == 0 or time.monotonic() < deadline:
            line = follower.stdout.readline()
            if line.startswith("loaded "):
                loaded += int(line.split()[1].replace(",", ""))
            if loaded >= 5:  # run start, task start, 3 metrics; the ends may follow
                break
        follower.send_signal(signal.SIGTERM)
        out, err = follower.communicate(timeout=30)
    finally:
        if follower.poll() is None:
            follower.kill()
    assert follower.returncode == 0, err
    assert "stopped following: loaded" in out
    with open_store(store) as opened:
        rows = run_query(opened, "metric_trajectory", run=RUN, metric="loss")
    assert sorted(row["epoch"] for row in rows) == [0, 1, 2]
