"""Crash-proof loading under stress: loads killed (`kill -9`) at random points, each loaded again
and compared with a clean load by the hash of its N-Quads.

Run: ``python bench/load_stress.py`` (``--trials N``, default 100; ``--events N``, default
2,000; ``--seed N``). It writes a `provml synth` spool, loads it once cleanly, then for each trial
starts a load (default and ``--bulk`` alternating, a third of each with two conversion workers,
small batches) in a fresh store, kills it after a random delay within the clean load's duration,
loads again and compares. It prints one line per mismatch or surviving worker, then the counts;
the exit status is 1 if any trial ended unlike the clean load.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.helpers, run as a file

from tests.helpers.killed_load import random_trials

from provml.synth import synthesize


def main() -> None:
    """Run the trials and print the count of mismatches."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--events", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=0)
    arguments = parser.parse_args()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="provml-load-stress-") as directory:
        root = Path(directory)
        synthesize(root / "campaign", arguments.events, seed=arguments.seed, nodes=4, gpus=8)
        expected, trials = random_trials(
            root, root / "campaign" / "spool", arguments.trials, seed=arguments.seed
        )
    mismatches = [trial for trial in trials if trial.digest != expected]
    orphans = [trial for trial in trials if trial.survivors]
    for trial in mismatches:
        print(f"mismatch: {trial}")
    for trial in orphans:
        print(f"surviving processes: {trial}")
    cut_short = sum(not trial.finished for trial in trials)
    print(
        f"{len(trials)} killed loads ({cut_short} before their end), {len(mismatches)} mismatches, "
        f"{len(orphans)} with surviving processes, {time.monotonic() - started:.0f} s"
    )
    sys.exit(1 if mismatches or orphans else 0)


if __name__ == "__main__":
    main()
