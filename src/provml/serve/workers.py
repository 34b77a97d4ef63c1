"""Query worker processes: every query the server answers runs in a process of a pool, over a
read-only view of the store, so that a query past its limits is stopped by ending its process.

Oxigraph cannot cancel a query or bound its memory, and a thread cannot be stopped; a process
can. The server (the one process that holds the store for writing) keeps `Views`: consistent
copies of the store as it was after its last write (RocksDB checkpoints, hard links beside the
store, made in tens of milliseconds), which any number of processes may open read-only. Each
write the server makes (an update, an ingest, a follower round) makes a new view before it
answers, and a worker opens the newest view before its next query, so a client reads its own
writes; views no worker holds any more are deleted.

`QueryPool` keeps `workers` warm processes ("the fast lane"; started by a fork server that has
provml imported, so a new one is ready in tens of milliseconds, not a Python start-up). A query
takes an idle one and its answer comes back through a pipe. Limits, each enforced from outside
the query:

- time: at `timeout` seconds the process is killed (SIGKILL), so it uses no CPU past its
  deadline, and the answer is 503; a fresh process takes its place.
- memory: a watchdog thread reads every worker's resident memory every `WATCH_SECONDS` and kills
  one past `max_memory` (answer 422 naming `--max-memory`); the process's address space is also
  capped (RLIMIT_AS) a little above that, so an allocation past it fails in the process itself
  even if the watchdog were late.
- fairness: a query still running after `long_after` seconds leaves the fast lane: its process
  gets the lowest CPU priority (nice 19 and, on Linux, SCHED_IDLE: only CPU time nothing else
  wants) and a fresh process takes its place (started at the priority the other had), so
  simple queries neither wait behind it nor lose the CPU to it. At most `workers` such long
  queries run at once; while that many run, any other query still running after `SHED_AFTER`
  seconds is stopped with 503 (the server is busy with long queries), so a burst of heavy
  queries drains from the fast lane in a fraction of a second and simple queries queue
  behind it only that long.
- shapes: a query's shape is its text with comments, strings, IRIs and numbers blanked and its
  variables numbered (`query_shape`; a canned query's is its name). The pool remembers how long
  the last query of each shape took (a stopped one: its whole time limit). Queries waiting for
  a worker are served shortest expected first (an unknown shape counts as `long_after`), one
  shape at a time, and one idle worker (with two or more) is kept for known-quick shapes: the
  queries a dashboard repeats never wait behind a flood of new heavy ones, and a flood of copies
  of one query, however varied in its constants, takes one turn at a time. A query of a shape
  not known to be quick runs in a probation worker: one started at nice `PROBATION_NICE` in a
  session of its own, so it does not slow the known-quick ones either. Linux may share CPU
  time between sessions before nice values count (autogroups: a nice value, SCHED_IDLE
  included, then ranks only the processes of one session), so the session is given that
  priority too, and the lowest when its query runs long. A probation worker stays one (a
  process cannot raise its priority back): an idle worker of normal priority is exchanged
  for one when a query needs it, and one that served a known-quick query is exchanged back.
  So a burst of heavy queries neither runs nor starts a process at normal priority.
- repeats: a request the same as one stopped for its time or memory limit in the last
  `REMEMBER_SECONDS` (same function and arguments: query text, graphs, format), or of the same
  shape as one running long while the long lane is full, is refused at once without taking a
  worker, so a burst of copies of one heavy query costs almost nothing.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import ctypes
import gc
import logging
import multiprocessing
import os
import re
import resource
import shutil
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any, TypeVar

from starlette.exceptions import HTTPException

from provml.errors import ProvmlError, QueryError, QueryOverMemory, QueryTimeout, StoreError
from provml.kg.oxigraph import OxigraphStore
from provml.kg.sparql_text import masked

log = logging.getLogger("provml.serve")

T = TypeVar("T")

#: Seconds between two readings of the workers' memory.
WATCH_SECONDS = 0.02
#: Address space a worker may reserve beyond its limit (libraries, thread stacks, allocator).
ADDRESS_SLACK = 1024 * 1024 * 1024
#: Seconds after which a query is stopped while `workers` long queries already run.
SHED_AFTER = 0.1
#: Seconds a request stopped for its time or memory limit is refused at once if sent again,
#: and how many such requests are remembered.
REMEMBER_SECONDS = 60.0
REMEMBERED = 1000
#: The CPU priority (nice) of a query of a shape not known to be quick.
PROBATION_NICE = 10
#: The CPU priority (nice) of a query running long, the lowest (with SCHED_IDLE on Linux).
LONG_NICE = 19
#: Seconds a new worker may take to start and open its view.
START_SECONDS = 60.0
_PAGE = os.sysconf("SC_PAGE_SIZE")
_PR_SET_PDEATHSIG = 1
#: Modules the fork server imports once, so that a new worker starts with them.
PRELOAD = (
    "provml.serve.workers",
    "provml.serve.protocol",
    "provml.serve.canned",
    "provml.serve.lineage",
    "provml.queries",
    "provml.serve.warm",
)


def default_max_memory(workers: int) -> int:
    """The default memory limit of one query: a quarter of this machine's memory shared by the
    `workers` fast and as many long queries that may run at once (so all of them together stay
    under half of it)."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return max(256 * 1024 * 1024, total // (4 * workers))


class Views:
    """Read-only copies of the server's store, the newest of which the next query reads."""

    def __init__(self, store: OxigraphStore, root: Path) -> None:
        """Views of `store` in the directory `root` (emptied first: one server holds a store,
        so what is there was left by a server that stopped), the first made now."""
        self.store = store
        self.root = root
        self._lock = threading.Lock()
        self._generation = 0
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        self.current = ""
        self.refresh()

    def refresh(self) -> str:
        """Make a view of the store as it is now the current one; its path."""
        with self._lock:
            self._generation += 1
            path = self.root / f"view-{self._generation}"
            self.store.snapshot(path)
            self.current = str(path)
            return self.current

    def prune(self, in_use: set[str]) -> None:
        """Delete the views older than the current one that no worker holds."""
        with self._lock:
            for path in self.root.iterdir():
                if str(path) != self.current and str(path) not in in_use:
                    shutil.rmtree(path, ignore_errors=True)

    def close(self) -> None:
        """Delete every view."""
        shutil.rmtree(self.root, ignore_errors=True)


# -- the worker process -----------------------------------------------------------------------


def _address_space() -> int:
    """This process's virtual memory size in bytes."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * _PAGE


def set_session_nice(pid: int, nice: int) -> bool:
    """Set the priority of the session (autogroup) of process `pid` to `nice` (0 to 19);
    False if the kernel refused for now (it allows one such change in 0.1 s to a process that
    is not privileged: try again), True if done or if this kernel groups no sessions."""
    try:
        with open(f"/proc/{pid}/autogroup", "w") as autogroup:
            autogroup.write(str(nice))
    except BlockingIOError:
        return False
    except OSError:  # no autogroups (or the process is gone)
        pass
    return True


def worker_main(connection: Connection, view: str, max_memory: int, nice: int) -> None:
    """A worker's loop: lower its priority to `nice`, open `view`, then answer jobs `(view,
    function, args)` with `("ok", result)`, `("error", class, message, attributes)` or
    `("http", status, detail, headers)` until the pipe closes."""
    if nice:  # first: opening the view is most of a new worker's CPU
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, 0, nice)
        # A session of its own: where Linux shares CPU time between sessions first
        # (autogroups), a nice value only ranks the processes of one session, and the
        # server's session would pay for this worker's queries.
        with contextlib.suppress(OSError):
            os.setsid()
        deadline = time.monotonic() + START_SECONDS
        while (
            os.getsid(0) == os.getpid()  # (never the server's session)
            and not set_session_nice(os.getpid(), nice)
            and time.monotonic() < deadline
        ):
            time.sleep(WATCH_SECONDS)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the server, which stops us
    with contextlib.suppress(OSError, AttributeError):
        # Linux: die with the fork server, which ends with the server even if it is killed
        # (a worker busy with a query would not notice its pipe closing).
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    store = OxigraphStore.read_only(view)
    # What the process has now lives as long as it does: out of the collector's full passes,
    # which would otherwise take a query's time again every few hundred queries.
    gc.freeze()
    with contextlib.suppress(ProvmlError):  # the first read of a view opens its files
        store.query("ASK { ?s ?p ?o }")
    with contextlib.suppress(ValueError, OSError):
        limit = _address_space() + max_memory + ADDRESS_SLACK
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    connection.send(("ready", view))
    while True:
        try:
            wanted, function, args = connection.recv()
        except (EOFError, OSError):
            return
        reply: tuple[Any, ...]
        try:
            if wanted != view:
                store.close()
                store = OxigraphStore.read_only(wanted)
                view = wanted
            reply = ("ok", function(store, *args))
        except ProvmlError as error:
            reply = ("error", type(error), str(error), vars(error))
        except HTTPException as error:  # a refusal of the request (406 for a format)
            reply = ("http", error.status_code, error.detail, error.headers)
        except MemoryError:
            reply = ("error", QueryOverMemory, "the query ran out of memory", {})
        except Exception as error:  # a bug, not the client's: say what it was
            reply = ("error", StoreError, f"the query failed: {error!r}", {})
        connection.send(reply)
        del reply


def _rebuilt(kind: type[ProvmlError], message: str, attributes: dict[str, Any]) -> ProvmlError:
    """An error sent back by a worker, made again in this process."""
    error = kind.__new__(kind)
    Exception.__init__(error, message)
    vars(error).update(attributes)
    return error


# -- the pool, in the server ------------------------------------------------------------------


class Worker:
    """One worker process and the server's end of its pipe."""

    def __init__(self, process: BaseProcess, connection: Connection, view: str, nice: int) -> None:
        """A started worker holding `view`, running at CPU priority `nice` (in a session of
        its own if that is lower than normal)."""
        self.process = process
        self.connection = connection
        self.view = view
        self.nice = nice
        self.own_session = False  # set once it is ready (it leaves the server's session then)
        self.session_nice = nice  # the priority its session has been given
        self.stopped_for: str | None = None
        self.long = False
        self.key = ""
        self.shape = ""

    def lower_priority(self, nice: int) -> None:
        """Run the process at `nice` from now on (a process cannot raise its priority back),
        and its session too if it has its own (else the watchdog tries again)."""
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, self.process.pid or 0, nice)
        self.nice = nice
        self.lower_session()

    def lower_session(self) -> None:
        """Give the worker's own session its priority, if the kernel allows it now."""
        wanted = self.own_session and self.session_nice < self.nice and not self.stopped_for
        if wanted and set_session_nice(self.process.pid or 0, self.nice):
            self.session_nice = self.nice

    def resident(self) -> int:
        """Resident memory in bytes (0 once the process is gone)."""
        try:
            with open(f"/proc/{self.process.pid}/statm") as statm:
                return int(statm.read().split()[1]) * _PAGE
        except (OSError, IndexError, ValueError):
            return 0

    def kill(self, reason: str) -> None:
        """End the process now (SIGKILL), remembering why; idempotent."""
        if self.stopped_for is None:
            self.stopped_for = reason
        # Its session back at normal priority first (an unprivileged process may raise a
        # session's; the process id is not yet free for another): a process frees its memory
        # as it ends, which at the lowest priority of a busy machine could take seconds.
        if self.own_session and self.session_nice and self.process.pid:
            self.session_nice = 0
            set_session_nice(self.process.pid, 0)
        with contextlib.suppress(OSError, ValueError, AttributeError):
            self.process.kill()

    def reap(self) -> None:
        """Collect the ended process and close the pipe."""
        with contextlib.suppress(OSError, ValueError, AttributeError):
            self.process.join(5)
        with contextlib.suppress(OSError):
            self.connection.close()


class QueryPool:
    """Worker processes answering queries within time and memory limits (see the module)."""

    def __init__(
        self,
        views: Views,
        *,
        workers: int,
        timeout: float,
        max_memory: int,
        long_after: float,
    ) -> None:
        """A pool, started by `start()` in the server's event loop."""
        self.views = views
        self.workers = workers
        self.timeout = timeout
        self.max_memory = max_memory
        self.long_after = long_after
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(list(PRELOAD))
        self._idle: list[Worker] = []
        self._all: set[Worker] = set()
        self._fast = 0  # fast-lane workers: idle, busy or starting
        self._long = 0
        self._long_shapes: dict[str, int] = {}  # shapes of the queries running long -> how many
        self._stopped: dict[str, tuple[float, QueryError]] = {}  # -> (until, why)
        # Queries waiting for a worker, by shape, served in turn (round robin over shapes).
        self._waiting: dict[str, collections.deque[asyncio.Future[Worker]]] = {}
        self._started = False
        self._seconds: dict[str, float] = {}  # shape -> seconds its last query took
        self._reserve = 1 if workers > 1 else 0  # idle workers kept for known-quick shapes
        self._executor = ThreadPoolExecutor(4 * workers + 4, thread_name_prefix="provml-pipe")
        self._closed = threading.Event()
        self._watchdog = threading.Thread(target=self._watch, name="provml-memory", daemon=True)
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Start the watchdog and the fast lane's workers; wait until they are ready."""
        self._started = True
        self._watchdog.start()
        self._fast = self.workers
        await asyncio.gather(*(self._add_worker(0) for _ in range(self.workers)))

    def close(self) -> None:
        """Kill every worker and stop the watchdog."""
        self._closed.set()
        for worker in list(self._all):
            worker.kill("the server stopped")
            worker.reap()
        self._executor.shutdown(wait=False, cancel_futures=True)

    # -- workers coming and going --

    def _spawn(self, view: str, nice: int) -> Worker:
        """Start a worker process at priority `nice` (blocking: run in a thread) and wait for
        it to be ready."""
        ours, theirs = self._context.Pipe()
        process = self._context.Process(
            target=worker_main,
            args=(theirs, view, self.max_memory, nice),
            name="provml-query",
            daemon=True,
        )
        process.start()
        theirs.close()
        worker = Worker(process, ours, view, nice)
        if not ours.poll(START_SECONDS):
            worker.kill("it did not start")
            worker.reap()
            raise StoreError(f"a query worker did not start within {START_SECONDS:g} s")
        ours.recv()
        with contextlib.suppress(OSError):
            worker.own_session = os.getsid(process.pid or 0) != os.getsid(0)
        return worker

    async def _add_worker(self, nice: int) -> None:
        """Start one fast-lane worker at priority `nice` (already counted in `_fast`) and make
        it idle."""
        loop = asyncio.get_running_loop()
        try:
            worker = await loop.run_in_executor(
                self._executor, self._spawn, self.views.current, nice
            )
        except (ProvmlError, OSError, EOFError) as error:
            self._fast -= 1
            log.error("a query worker could not start: %s", error)
            return
        if self._closed.is_set():
            worker.kill("the server stopped")
            return
        self._all.add(worker)
        self._release(worker)

    def _replace(self, nice: int) -> None:
        """Start a fast-lane worker at priority `nice` in the background, in place of one that
        left it."""
        self._fast += 1
        task = asyncio.get_running_loop().create_task(self._add_worker(nice))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _release(self, worker: Worker) -> None:
        """Hand a fast-lane worker to the next waiting query, taking the shapes of the waiting
        queries in turn (so a flood of one shape does not hold up the others), or make it idle."""
        while self._waiting:
            # Known-quick shapes first (shortest job first), else the oldest turn; the last
            # `_reserve` idle workers of normal priority are kept for known-quick shapes.
            shape = min(self._waiting, key=self._expected)
            if not self._quick(shape) and not worker.nice:
                # A query on probation runs in a worker of a session of its own: one of
                # normal priority is exchanged for one, while `_reserve` others stay idle.
                if self._normal_idle() >= self._reserve:
                    self._retire(worker, nice=PROBATION_NICE)
                    return
                break
            queue = self._waiting.pop(shape)
            while queue:
                waiter = queue.popleft()
                if not waiter.done():
                    waiter.set_result(worker)
                    if queue:
                        self._waiting[shape] = queue  # its next query waits for its next turn
                    return
        self._idle.append(worker)

    def _normal_idle(self) -> int:
        """How many idle workers run at normal priority."""
        return sum(1 for worker in self._idle if not worker.nice)

    def _take_idle(self, shape: str) -> Worker | None:
        """The idle worker a query of `shape` takes now, if any: for a known-quick shape the
        one of highest priority; for another one on probation. Without one, an idle worker
        of normal priority is exchanged for one on probation while more than `_reserve` are
        idle (the query then waits for it)."""
        if not self._idle:
            return None
        if self._quick(shape):  # the most recently used of the highest priority
            chosen = min(reversed(self._idle), key=lambda worker: worker.nice)
        else:
            chosen = max(reversed(self._idle), key=lambda worker: worker.nice)
            if not chosen.nice:
                if len(self._idle) > self._reserve:
                    self._idle.remove(chosen)
                    self._retire(chosen, nice=PROBATION_NICE)
                return None
        self._idle.remove(chosen)
        return chosen

    def _quick(self, shape: str) -> bool:
        """Whether the last query of `shape` took less than `long_after`."""
        return self._expected(shape) < self.long_after

    def _expected(self, shape: str) -> float:
        """Seconds a query of `shape` is expected to take: its last time here, else as long
        as a query may take before it counts as long."""
        return self._seconds.get(shape, self.long_after)

    def _record(self, shape: str, seconds: float) -> None:
        """Remember how long a query of `shape` took (stopped ones: their whole time limit)."""
        if len(self._seconds) >= REMEMBERED and shape not in self._seconds:
            self._seconds.pop(next(iter(self._seconds)))
        self._seconds[shape] = seconds

    def _retire(self, worker: Worker, nice: int | None = None) -> None:
        """Forget a worker that is gone (killed, crashed or done with its long query); a
        fast-lane one is replaced by one at priority `nice` (by default its own)."""
        self._all.discard(worker)
        if worker.long:
            self._long -= 1
            self._long_shapes[worker.shape] -= 1
            if not self._long_shapes[worker.shape]:
                del self._long_shapes[worker.shape]
        else:
            self._fast -= 1
            if not self._closed.is_set():
                self._replace(worker.nice if nice is None else nice)
        worker.kill("retired")
        self._executor.submit(worker.reap)
        self.views.prune({other.view for other in self._all})

    def _demote(self, worker: Worker) -> None:
        """Move a worker whose query runs long out of the fast lane, at the lowest priority;
        its replacement starts at the priority it had."""
        self._fast -= 1
        self._replace(worker.nice)
        worker.lower_priority(LONG_NICE)
        with contextlib.suppress(OSError, AttributeError):  # Linux: only idle CPU time
            os.sched_setscheduler(worker.process.pid or 0, os.SCHED_IDLE, os.sched_param(0))
        worker.long = True
        self._long += 1
        self._long_shapes[worker.shape] = self._long_shapes.get(worker.shape, 0) + 1

    def _watch(self) -> None:
        """The memory watchdog: kill any worker whose resident memory passes the limit."""
        while not self._closed.wait(WATCH_SECONDS):
            for worker in list(self._all):
                if worker.resident() > self.max_memory:
                    worker.kill("memory")
                worker.lower_session()

    # -- queries --

    async def run(
        self, function: Callable[..., T], *args: Any, what: str, shape: str | None = None
    ) -> T:
        """`function(store, *args)` in a worker, within the limits; its result.

        `shape` names the kind of request (e.g. `query_shape` of a query's text; by default
        the function): waiting queries are served one shape at a time in turn, and while the
        long lane is full, a request of the same shape as a long one is refused at once.
        Raises what the function raised (rebuilt from the worker's message), QueryTimeout past
        the time limit or when too many long queries run, QueryOverMemory past the memory limit.
        """
        assert self._started, "the pool is not started"
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        key = repr((function.__module__, function.__qualname__, args))
        shape = shape if shape is not None else f"{function.__module__}.{function.__qualname__}"
        self._refuse_known(key, shape, loop.time())
        worker = await self._acquire(deadline, what, shape)
        try:
            self._refuse_known(key, shape, loop.time())
        except QueryError:
            self._release(worker)
            raise
        worker.key, worker.shape = key, shape
        quick = self._quick(shape)
        if not quick and worker.nice < PROBATION_NICE:  # below the known-quick queries
            worker.lower_priority(PROBATION_NICE)
        view = self.views.current
        worker.view = view
        try:
            worker.connection.send((view, function, args))
            reply = loop.run_in_executor(self._executor, worker.connection.recv)
            reply.add_done_callback(_retrieved)
            started = loop.time()
            done: set[Any] = set()
            # While the long lane is full, a query is shed at SHED_AFTER, else moved there at
            # long_after: either way it leaves the fast lane soon.
            for after in sorted({min(SHED_AFTER, self.long_after), self.long_after}):
                until = min(deadline, started + after)
                done, _ = await asyncio.wait({reply}, timeout=max(0.0, until - loop.time()))
                if done or loop.time() >= deadline:
                    break
                if self._long >= self.workers:
                    worker.kill("busy")
                    self._retire(worker)
                    self._record(shape, self.timeout)
                    raise QueryTimeout(
                        f"{what} was stopped after {after:g} s: this server already runs "
                        f"{self._long} long queries (provml serve --workers); try again later"
                    )
            if not done and loop.time() < deadline:
                self._demote(worker)
                done, _ = await asyncio.wait({reply}, timeout=max(0.0, deadline - loop.time()))
            if not done:
                worker.kill("time")
                self._retire(worker)
                self._record(shape, self.timeout)
                raise self._remember(key, self._timeout(what, "running"))
            message = reply.result()
        except (EOFError, OSError):
            self._retire(worker)
            self._record(shape, self.timeout)
            raise self._remember(key, self._lost(worker, what)) from None
        except asyncio.CancelledError:
            worker.kill("the request was cancelled")
            self._retire(worker)
            raise
        self._record(shape, loop.time() - started)
        # A worker stays for the next query at its priority if that is normal, or lower in a
        # session of its own after a query on probation; else it is replaced by one of the
        # priority the query wanted (a process cannot raise its priority back).
        stays = not worker.nice or (not quick and worker.own_session)
        if worker.long or worker.stopped_for is not None or not stays:
            self._retire(worker, nice=0 if quick else PROBATION_NICE)
        else:
            self._release(worker)
            self.views.prune({other.view for other in self._all})
        if message[0] == "ok":
            return message[1]  # type: ignore[no-any-return]
        if message[0] == "http":
            raise HTTPException(message[1], message[2], message[3])
        raise _rebuilt(*message[1:])

    async def _acquire(self, deadline: float, what: str, shape: str) -> Worker:
        """An idle fast-lane worker that is alive, waited for (in the turn of `shape`) until
        `deadline`."""
        loop = asyncio.get_running_loop()
        while True:
            idle = self._take_idle(shape)
            if idle is not None:
                worker = idle
            else:
                waiter: asyncio.Future[Worker] = loop.create_future()
                self._waiting.setdefault(shape, collections.deque()).append(waiter)
                try:
                    async with asyncio.timeout_at(deadline):
                        worker = await waiter
                except (TimeoutError, asyncio.CancelledError) as stopped:
                    if waiter.done() and not waiter.cancelled():
                        self._release(waiter.result())  # handed over just as we gave up
                    waiter.cancel()
                    if isinstance(stopped, asyncio.CancelledError):
                        raise
                    raise self._timeout(what, "waiting for a query worker") from None
            if worker.stopped_for is None and worker.process.is_alive():
                return worker
            self._retire(worker)  # the watchdog stopped it while it was idle

    def _remember(self, key: str, error: QueryError) -> QueryError:
        """Remember for `REMEMBER_SECONDS` that the request `key` was stopped with `error`."""
        if len(self._stopped) >= REMEMBERED:
            self._stopped.clear()
        until = asyncio.get_running_loop().time() + REMEMBER_SECONDS
        self._stopped[key] = until, error
        return error

    def _refuse_known(self, key: str, shape: str, now: float) -> None:
        """Refuse at once a request the same as one stopped for its limits a moment ago, or as
        one running long while the long lane is full: it would only take a worker to fail."""
        stopped = self._stopped.get(key)
        if stopped is not None and stopped[0] > now:
            until, error = stopped
            raise type(error)(
                f"{error} (the same request was stopped less than {REMEMBER_SECONDS:g} s ago; "
                f"it is refused for another {until - now:.0f} s)"
            )
        if stopped is not None:
            del self._stopped[key]
        if shape in self._long_shapes and self._long >= self.workers:
            raise QueryTimeout(
                "a request of the same shape already runs as a long query here, and this "
                "server runs "
                f"{self._long} long queries (provml serve --workers); try again later"
            )

    def _timeout(self, what: str, doing: str) -> QueryTimeout:
        """The error of a query past its time limit."""
        return QueryTimeout(
            f"{what} took longer than this server's limit of {self.timeout:g} s "
            f"(provml serve --timeout) {doing}; it was stopped"
        )

    def _lost(self, worker: Worker, what: str) -> QueryError:
        """The error of a query whose worker ended before answering."""
        worker.reap()
        code = worker.process.exitcode
        if worker.stopped_for == "memory" or code in (-signal.SIGABRT, -signal.SIGSEGV):
            return QueryOverMemory(
                f"{what} needed more memory than this server's limit of "
                f"{self.max_memory / 2**20:,.0f} MiB (provml serve --max-memory); it was stopped"
            )
        return QueryError(f"{what} stopped its worker process (exit status {code})")


def _retrieved(reply: asyncio.Future[Any]) -> None:
    """Read a pipe's outcome, so that one nobody waits for any more is not logged as lost."""
    if not reply.cancelled():
        reply.exception()


_VARIABLE = re.compile(r"[?$][A-Za-z0-9_\u00b7\u00c0-\ufffd]+")
_NUMBER = re.compile(r"(?<![\w:])[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def query_shape(text: str) -> str:
    """A query's text with what varies between copies of one query made alike: comments,
    strings and IRIs blanked, numbers as 0, variables numbered in order, spaces collapsed."""
    variables: dict[str, str] = {}
    code = _NUMBER.sub("0", masked(text))
    code = _VARIABLE.sub(lambda found: variables.setdefault(found[0], f"?{len(variables)}"), code)
    return " ".join(code.split())
