"""A training run that keeps going: run as `python online_workflow.py SPOOL RUN_ID EPOCHS`.

Each epoch logs a loss, flushes the capture, prints `epoch N` and waits a little, so a test can
check how soon the store shows the newest epoch while the run is still going; after the last
epoch the run stays open for HOLD_SECONDS (longer than the test's deadline), so the last epochs
too are seen while it goes on.
"""

from __future__ import annotations

import sys
import time

from provml import Workflow

#: Seconds the run stays open after its last epoch (the test waits at most 5 s per epoch).
HOLD_SECONDS = 6.0


def main(spool: str, run_id: str, epochs: int) -> None:
    """Train for `epochs` epochs, announcing each once its metric is in the spool file."""
    with (
        Workflow("online training", spool_dir=spool, run_id=run_id, capture_git=False) as wf,
        wf.task("train", "learning", stage="training"),
    ):
        for epoch in range(epochs):
            wf.log_metric("loss", 1.0 / (epoch + 1), epoch=epoch, step=epoch, split="train")
            wf.flush()
            print(f"epoch {epoch}", flush=True)
            time.sleep(0.5)
        time.sleep(HOLD_SECONDS)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
