"""`import provml.__main__` (as a doctest collector or a tool walking the package does) started
the command line, which printed its help and exited the importing process."""

from __future__ import annotations

import subprocess
import sys


def test_importing_the_main_module_runs_nothing() -> None:
    result = subprocess.run(
        [sys.executable, "-c", "import provml.__main__; print('still here')"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert result.stdout == "still here\n"
    assert result.stderr == ""
