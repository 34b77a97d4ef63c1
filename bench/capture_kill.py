"""Kill stress for buffered capture: ``kill -9`` a process logging metrics as fast as it can.

Run: ``python bench/capture_kill.py`` (``--trials 30``). Each trial starts a process that calls
``log_metric`` in a tight loop (unthrottled) and notes, every 1024 calls, the step just
acknowledged and the time (``CLOCK_MONOTONIC``, shared by all processes) in a memory-mapped
file. After a random 0.3-1.5 s the process is killed with SIGKILL; the spool is read back.

Printed per trial and in total: events acknowledged, events lost that were acknowledged more
than the documented window (the flush interval) before the kill (must be 0), how far behind the
writer was at the kill (the age of the newest event on disk), and the process's peak RSS.
"""

from __future__ import annotations

import argparse
import mmap
import os
import random
import signal
import struct
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

from provml import read_spool

ACK = struct.Struct("<qd")  # (step acknowledged, time.monotonic() just after)
ACK_SLOTS = 1 << 20
VICTIM = textwrap.dedent(
    """
    import mmap, struct, sys, time, provml
    acks_path, flush_ms = sys.argv[1], float(sys.argv[2])
    with open(acks_path, "r+b") as handle:
        acks = mmap.mmap(handle.fileno(), 0)
    wf = provml.Workflow("victim", run_id="r", flush_interval_ms=flush_ms, capture_git=False)
    wf.start()
    print("ready", flush=True)
    pack, monotonic, log_metric = struct.Struct("<qd").pack_into, time.monotonic, wf.log_metric
    step = slot = 0
    while True:
        log_metric("loss", 0.5, step=step, split="training")
        if not step & 1023:
            pack(acks, slot * 16, step, monotonic())
            slot += 1
        step += 1
    """
)


@dataclass(frozen=True)
class KillTrial:
    """What one kill left: acknowledged and lost events, the writer's lag, the peak RSS."""

    acknowledged: int  # steps acknowledged (as last noted before the kill)
    covered: int  # steps acknowledged more than the window before the kill
    lost_beyond_window: int  # of those, missing from the spool
    written: int  # metric events in the spool
    lag_s: float  # kill time minus the acknowledgement time of the newest step on disk
    peak_rss_mb: float
    torn_lines: int


def _peak_rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def kill_trial(directory: Path, run_for_s: float, flush_interval_ms: float = 200) -> KillTrial:
    """Run the victim in ``directory`` for ``run_for_s`` seconds, ``kill -9`` it, and check."""
    acks_path = directory / "acks"
    with open(acks_path, "wb") as handle:
        handle.truncate(ACK_SLOTS * ACK.size)
    child = subprocess.Popen(
        [sys.executable, "-c", VICTIM, str(acks_path), str(flush_interval_ms)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PROVML_SPOOL": str(directory / "spool")},
    )
    assert child.stdout is not None
    if child.stdout.readline().strip() != "ready":
        child.kill()
        raise RuntimeError(f"the victim did not start: {child.communicate()[1]}")
    time.sleep(run_for_s)
    peak_rss = _peak_rss_mb(child.pid)
    killed_at = time.monotonic()
    os.kill(child.pid, signal.SIGKILL)
    child.communicate(timeout=60)
    acks: list[tuple[int, float]] = []
    with open(acks_path, "rb") as reader, mmap.mmap(reader.fileno(), 0, prot=mmap.PROT_READ) as m:
        for slot in range(ACK_SLOTS):
            step, at = ACK.unpack_from(m, slot * ACK.size)
            if at == 0.0:
                break
            acks.append((step, at))
    window = flush_interval_ms / 1000
    covered = max((step for step, at in acks if at <= killed_at - window), default=-1)
    contents = read_spool(directory / "spool" / "r")
    steps = {event["step"] for event in contents.events if event.get("kind") == "metrics"}
    newest = max(steps, default=-1)
    newest_acked = max((at for step, at in acks if step <= newest), default=killed_at)
    return KillTrial(
        acknowledged=acks[-1][0] + 1 if acks else 0,
        covered=covered + 1,
        lost_beyond_window=sum(1 for step in range(covered + 1) if step not in steps),
        written=len(steps),
        lag_s=killed_at - newest_acked,
        peak_rss_mb=peak_rss,
        torn_lines=sum(1 for bad in contents.bad_lines if bad.torn),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--flush-interval-ms", type=float, default=200)
    parser.add_argument("--seed", type=int, default=0)
    options = parser.parse_args()
    rng = random.Random(options.seed)
    window = options.flush_interval_ms / 1000
    print(
        f"kill -9 stress, buffered capture, unthrottled log_metric, window {window:.3f} s, "
        f"{options.trials} trials (Python {sys.version.split()[0]}, {os.cpu_count()} CPUs)"
    )
    header = ("trial", 5), ("run s", 6), ("acked", 9), ("covered", 9), ("lost", 5), ("lag ms", 7)
    print(" ".join(f"{name:>{width}}" for name, width in header), f"{'RSS MB':>7}")
    trials = []
    for number in range(options.trials):
        run_for = rng.uniform(0.3, 1.5)
        with tempfile.TemporaryDirectory() as temporary:
            trial = kill_trial(Path(temporary), run_for, options.flush_interval_ms)
        trials.append(trial)
        print(
            f"{number:5d} {run_for:6.2f} {trial.acknowledged:9d} {trial.covered:9d} "
            f"{trial.lost_beyond_window:5d} {trial.lag_s * 1000:7.1f} {trial.peak_rss_mb:7.1f}"
        )
    acknowledged = sum(t.acknowledged for t in trials)
    lost = sum(t.lost_beyond_window for t in trials)
    print(
        f"\n{len(trials)} trials, {acknowledged:,} events acknowledged, "
        f"{sum(t.covered for t in trials):,} more than {window:.3f} s before the kill; "
        f"lost of those: {lost}\n"
        f"writer lag at the kill (age of the newest event on disk): median "
        f"{sorted(t.lag_s for t in trials)[len(trials) // 2] * 1000:.1f} ms, "
        f"max {max(t.lag_s for t in trials) * 1000:.1f} ms\n"
        f"peak RSS: max {max(t.peak_rss_mb for t in trials):.1f} MB; torn final lines: "
        f"{sum(t.torn_lines for t in trials)}"
    )
    if lost:
        sys.exit(1)


if __name__ == "__main__":
    main()
