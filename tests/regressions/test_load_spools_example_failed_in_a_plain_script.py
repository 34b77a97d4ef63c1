"""The `load_spools` example of docs/loaders.md, pasted into a script as written (no
`if __name__ == "__main__":` guard) and given a spool larger than one batch, failed with
`StoreLocked`, then "a conversion worker process died": spawned workers re-ran the script.
Workers are now fresh interpreters on `provml.loaders.workers`, which never import the script."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from provml.loaders.load import DEFAULT_BATCH_BYTES
from provml.synth import synthesize

DOCS = Path(__file__).resolve().parents[2] / "docs" / "loaders.md"


def test_the_docs_example_runs_as_a_plain_script(tmp_path: Path) -> None:
    example = re.search(r"```python\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.DOTALL)
    assert example is not None and "__main__" not in example.group(1)
    script = tmp_path / "load_example.py"
    script.write_text(example.group(1), encoding="utf-8")
    synthesize(tmp_path / "campaign", 12_000, nodes=4, gpus=8)
    (tmp_path / "campaign" / "spool").rename(tmp_path / "provml-spool")
    size = sum(path.stat().st_size for path in (tmp_path / "provml-spool").rglob("*.jsonl"))
    assert size > DEFAULT_BATCH_BYTES  # more than one batch: converted by worker processes
    result = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.split()[0]) >= 12_000 and result.stderr == ""
    assert (tmp_path / "ck.json").exists() and os.path.isdir(tmp_path / "provml-store")
