"""Process hooks that keep buffered events: at exit, on SIGTERM/SIGINT, and across fork.

Installed once per process when the first workflow starts. Signal handlers flush every live writer
and then hand the signal to the handler that was there before (the default action included), so
an application's own handlers keep working.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import sys
import threading
import weakref
from types import FrameType
from typing import Any, Protocol

from provml.capture.sinks import Sink


class _Endable(Protocol):
    def end(self, status: str = "completed", error: str | None = None) -> None: ...


_writers: weakref.WeakSet[Sink] = weakref.WeakSet()
_workflows: weakref.WeakSet[Any] = weakref.WeakSet()
_previous: dict[int, Any] = {}
_installed = False
_lock = threading.Lock()


def register(writer: Sink, workflow: _Endable) -> None:
    """Keep ``writer`` flushed and ``workflow`` ended at exit, on signals and across fork."""
    _install()
    _writers.add(writer)
    _workflows.add(workflow)


def unregister(writer: Sink, workflow: _Endable) -> None:
    """Stop tracking a closed workflow and its writer."""
    _writers.discard(writer)
    _workflows.discard(workflow)


def flush_all() -> None:
    """Write every live writer's queue to its file now."""
    for writer in list(_writers):
        writer.flush()


def _end_all(status: str) -> None:
    for workflow in list(_workflows):
        # Ending is best effort at shutdown; the events so far are kept either way.
        with contextlib.suppress(Exception):
            workflow.end(status)
    flush_all()


def _at_exit() -> None:
    _end_all("completed")


def _on_signal(signum: int, frame: FrameType | None) -> None:
    previous = _previous.get(signum, signal.SIG_DFL)
    if previous is signal.SIG_DFL or previous is None:
        # The default action ends the process: record the runs as killed, then die as asked.
        _end_all("killed")
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        return
    flush_all()
    if callable(previous):
        previous(signum, frame)


def _after_fork_in_child() -> None:
    # The parent owns its workflows' run_end; the child only writes its own events.
    _workflows.clear()
    for writer in list(_writers):
        writer.after_fork_in_child()
    # multiprocessing's forked children leave through os._exit(), which skips atexit, and clear
    # its finalizers before running its after-fork hooks: register a finalizer from such a hook.
    if "multiprocessing.util" in sys.modules:
        from multiprocessing import util

        util.register_after_fork(_FORK_TOKEN, _register_multiprocessing_finalizer)


class _Token:
    """A weak-referenceable key for multiprocessing's after-fork registry."""


_FORK_TOKEN = _Token()


def _register_multiprocessing_finalizer(_: object) -> None:
    from multiprocessing import util

    util.Finalize(None, flush_all, exitpriority=100)


def _install() -> None:
    global _installed
    with _lock:
        if _installed:
            return
        _installed = True
    atexit.register(_at_exit)
    os.register_at_fork(after_in_child=_after_fork_in_child)
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            _previous[signum] = signal.getsignal(signum)
            signal.signal(signum, _on_signal)
    if "multiprocessing" in sys.modules:
        from multiprocessing import current_process

        if current_process().name != "MainProcess":  # a spawned or forked multiprocessing child
            _register_multiprocessing_finalizer(None)
