"""Each `kill -9` of `provml load` left its two conversion workers and multiprocessing's resource
tracker alive for good. Workers now die with the loader (PR_SET_PDEATHSIG, and the end of their
input pipe), and no resource tracker is started."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from provml.synth import synthesize
from tests.helpers.killed_load import alive, children


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_no_process_of_a_killed_load_survives_it(tmp_path: Path) -> None:
    synthesize(tmp_path / "campaign", 12_000, nodes=4, gpus=8)
    command = [sys.executable, "-m", "provml", "load", str(tmp_path / "campaign" / "spool")]
    command += ["--store", str(tmp_path / "store"), "--workers", "2"]
    loader = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while len(found := children(loader.pid)) < 2 and loader.poll() is None:
        assert time.monotonic() < deadline, "the load started no conversion workers"
        time.sleep(0.02)
    loader.send_signal(signal.SIGKILL)
    loader.wait()
    assert len(found) >= 2, "the load ended before its workers could be seen"
    deadline = time.monotonic() + 10
    while [pid for pid in found if alive(pid)] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in found if alive(pid)]
