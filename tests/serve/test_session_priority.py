"""The query pool's session priority as an unprivileged server meets it: Linux lets a process
that is not privileged change a session's (autogroup's) priority once per 0.1 s, and
`set_session_nice` must say when it was refused so the pool tries again (tests run as root,
which has no such limit, so the check runs in a child switched to the `nobody` user)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import provml

NOBODY = 65534
# Run as `nobody`: lower its own session's priority until allowed, again at once (refused: the
# kernel's 0.1 s limit), then after the limit (allowed); report what /proc says.
CHILD = """
import json, os, time
from provml.serve.workers import set_session_nice
os.setsid()
deadline = time.monotonic() + 2
while not set_session_nice(os.getpid(), 10):
    assert time.monotonic() < deadline, "never allowed"
    time.sleep(0.02)
at_once = set_session_nice(os.getpid(), 12)
time.sleep(0.15)
later = set_session_nice(os.getpid(), 12)
with open("/proc/self/autogroup") as autogroup:
    print(json.dumps({"at_once": at_once, "later": later, "autogroup": autogroup.read()}))
"""


def _can_run_as_nobody() -> str | None:
    """Why the check cannot run here, or None."""
    if not Path("/proc/self/autogroup").exists():
        return "this kernel groups no sessions (no /proc/self/autogroup)"
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        return "needs root and setpriv to switch to an unprivileged user"
    return None


def test_an_unprivileged_session_priority_change_is_refused_within_the_limit_then_done() -> None:
    why_not = _can_run_as_nobody()
    if why_not:
        pytest.skip(why_not)
    source = str(Path(provml.__file__).resolve().parent.parent)
    command = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
    command += [sys.executable, "-c", CHILD]
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=30,
        cwd="/",
        env={**os.environ, "PYTHONPATH": source, "HOME": "/"},
    )
    if "Permission denied" in done.stderr and "set_session_nice" not in done.stderr:
        pytest.skip(f"the user nobody cannot read this checkout: {done.stderr.strip()[-200:]}")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["at_once"] is False  # refused: the pool must try again
    assert report["later"] is True
    assert report["autogroup"].strip().endswith("nice 12")
