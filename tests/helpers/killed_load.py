"""Loads killed at random points (`kill -9`), then loaded again, compared with a clean load.

Shared by the regression tests and `bench/load_stress.py`. A killed load runs in a forked
process doing what `provml load` does (the ontology, then `load_spools` with a checkpoint and a
quarantine beside the store), with small batches so that kills land between, inside and after
commits and inside the finishing updates. Stores compare by `store_digest`: the sorted N-Quads
of every graph but the ontology's (whose blank nodes get fresh labels at each load), and the
ontology graph's size.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from provml.kg import open_store
from provml.loaders import load_ontology, load_spools
from provml.loaders.iris import ONTOLOGY_GRAPH

#: Small batches: a small spool still makes dozens of commits to kill between.
BATCH_BYTES = 16 * 1024

# Imports and compiles once, then forks one load per request line (store, spool, mode, workers):
# a killed load costs no interpreter start. It prints "ready PID" when the fork has opened the
# store, "done" when the load ended, and "reaped STATUS" once the fork is gone.
_FORKER = """
import os
import sys
from pathlib import Path

from provml.kg import open_store
from provml.loaders import load_ontology, load_spools
from provml.loaders.schema import validate

try:
    validate({})
except Exception:
    pass  # compiled the schemas once, for every fork
for request in sys.stdin:
    store, spool, bulk, workers, batch_bytes = request.split()
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        status = 1
        try:
            with open_store(store) as opened:
                print("ready", os.getpid(), flush=True)
                load_ontology(opened)
                load_spools(
                    opened,
                    [spool],
                    checkpoint=Path(store + ".checkpoint.json"),
                    quarantine=Path(store + ".quarantine.jsonl"),
                    bulk=bulk == "bulk",
                    workers=int(workers),
                    batch_bytes=int(batch_bytes),
                )
            print("done", flush=True)
            status = 0
        finally:
            os._exit(status)
    _, status = os.waitpid(pid, 0)
    print("reaped", status, flush=True)
"""


@dataclass
class Trial:
    """One killed load and the load after it."""

    delay: float
    bulk: bool
    workers: int
    #: Whether the load had already ended when the kill came.
    finished: bool = False
    #: The killed load's child processes, and those still alive after the kill.
    children: list[int] = field(default_factory=list)
    survivors: list[int] = field(default_factory=list)
    digest: str = ""


def load(store: Path, spool: Path, *, bulk: bool = False, workers: int = 1) -> None:
    """Load `spool` into `store` here, as `provml load` does."""
    with open_store(store) as opened:
        load_ontology(opened)
        load_spools(
            opened,
            [spool],
            checkpoint=Path(f"{store}.checkpoint.json"),
            quarantine=Path(f"{store}.quarantine.jsonl"),
            bulk=bulk,
            workers=workers,
            batch_bytes=BATCH_BYTES,
        )


def store_digest(store: Path) -> str:
    """The SHA-256 of the store's sorted N-Quads outside the ontology graph, and that graph's
    size."""
    buffer = io.BytesIO()
    with open_store(store) as opened:
        opened.dump(buffer, "nquads")
    ontology = f"<{ONTOLOGY_GRAPH}> .".encode()
    lines = buffer.getvalue().splitlines()
    kept = sorted(line for line in lines if not line.endswith(ontology))
    digest = hashlib.sha256(b"\n".join(kept))
    digest.update(f"ontology {len(lines) - len(kept)}".encode())
    return digest.hexdigest()


class Forker:
    """A child process that forks killable loads (see `_FORKER`); a context manager."""

    def __init__(self) -> None:
        """Start the child; it is ready once it has read a first request."""
        self.process = subprocess.Popen(
            [sys.executable, "-c", _FORKER], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )

    def start(self, store: Path, spool: Path, bulk: bool, workers: int) -> int:
        """Start a load of `spool` into `store` in a fork; its pid, once it opened the store."""
        assert self.process.stdin is not None and self.process.stdout is not None
        mode = "bulk" if bulk else "atomic"
        request = f"{store} {spool} {mode} {workers} {BATCH_BYTES}\n"
        self.process.stdin.write(request.encode())
        self.process.stdin.flush()
        answer = self.process.stdout.readline().split()
        if answer[:1] != [b"ready"]:
            raise RuntimeError(f"the load of {spool} into {store} did not start: {answer!r}")
        return int(answer[1])

    def wait(self) -> bool:
        """Wait for the fork to be reaped; whether its load ended."""
        assert self.process.stdout is not None
        done = False
        while not (line := self.process.stdout.readline()).startswith(b"reaped"):
            if not line:
                raise RuntimeError("the forking process died")
            done = done or line.startswith(b"done")
        return done

    def __enter__(self) -> Forker:
        """The forker, for a `with` block."""
        return self

    def __exit__(self, *_: object) -> None:
        """End the child."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.close()
        self.process.wait()
        self.process.stdout.close()


def timed_load(forker: Forker, store: Path, spool: Path) -> float:
    """Seconds a forked load of `spool` into the fresh `store` takes, once the store is open."""
    forker.start(store, spool, bulk=False, workers=1)
    start = time.monotonic()
    if not forker.wait():
        raise RuntimeError(f"the load of {spool} into {store} failed")
    return time.monotonic() - start


def kill_trial(
    forker: Forker, store: Path, spool: Path, delay: float, *, bulk: bool, workers: int
) -> Trial:
    """Load into the fresh `store` in a fork killed `delay` seconds after it opened the store,
    then load again here; the trial with the resulting store's digest."""
    trial = Trial(delay, bulk, workers)
    pid = forker.start(store, spool, bulk, workers)
    time.sleep(delay)
    trial.children = children(pid)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    trial.finished = forker.wait()
    deadline = time.monotonic() + 5
    while (survivors := [pid for pid in trial.children if alive(pid)]) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.05)
    trial.survivors = survivors
    load(store, spool, bulk=bulk)  # as a user would, once; one worker to keep trials short
    trial.digest = store_digest(store)
    return trial


def random_trials(
    directory: Path, spool: Path, count: int, *, seed: int = 0
) -> tuple[str, list[Trial]]:
    """The digest of a clean load, and `count` kill trials at random points of a load, in
    stores under `directory`: default and bulk loads alternate, a third of each with two workers."""
    chooser = random.Random(seed)
    trials = []
    with Forker() as forker:
        span = timed_load(forker, directory / "clean.store", spool)
        expected = store_digest(directory / "clean.store")
        for number in range(count):
            trials.append(
                kill_trial(
                    forker,
                    directory / f"killed-{number}.store",
                    spool,
                    chooser.uniform(0, span),
                    bulk=number % 2 == 1,
                    workers=2 if number % 6 >= 4 else 1,
                )
            )
    return expected, trials


def children(parent: int) -> list[int]:
    """The processes whose parent is `parent` (Linux /proc)."""
    pids = (int(entry) for entry in os.listdir("/proc") if entry.isdigit())
    return [pid for pid in pids if _stat(pid)[1:] == [str(parent)]]


def _stat(pid: int) -> list[str]:
    """State and parent pid of a process, or [] if it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return []
    fields = text[text.rindex(")") + 2 :].split()
    return fields[:2]


def alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie has exited: only its parent's wait is missing)."""
    state = _stat(pid)
    return bool(state) and state[0] != "Z"
