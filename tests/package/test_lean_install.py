"""`pip install provml` alone: no third-party dependency, capture works, and the `provml` command
names the extra it needs instead of failing with a traceback."""

from __future__ import annotations

import json
import subprocess
import textwrap
import venv
from pathlib import Path

import pytest

CAPTURE_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import provml

    with provml.Workflow("lean", spool_dir=sys.argv[1]) as wf:
        data = wf.dataset("block 0", path="block0.npy")
        with wf.task("fit", phase="learning", stage="training", used=[data]) as fit:
            fit.log_params({"lr": 0.01})
            for epoch in range(3):
                wf.log_metric("loss", 1.0 / (epoch + 1), epoch=epoch, split="train")
            fit.generated(wf.model("tiny", path="tiny.pt"))
    contents = provml.read_spool(sys.argv[1])
    heavy = sorted(name for name in sys.modules if name.split(".")[0] in {
        "rdflib", "pyoxigraph", "typer", "rich", "owlready2", "SPARQLWrapper", "prov"})
    print(json.dumps({
        "run": wf.run_id,
        "kinds": [event["kind"] for event in contents.events],
        "losses": [(event["epoch"], event["split"], event["values"]["loss"])
                   for event in contents.events if event["kind"] == "metrics"],
        "bad": len(contents.bad_lines),
        "heavy": heavy,
    }))
    """
)


@pytest.fixture(scope="module")
def bare_environment(tmp_path_factory: pytest.TempPathFactory, provml_wheel: Path) -> Path:
    """A fresh venv holding the provml wheel and nothing it could have pulled in."""
    work = tmp_path_factory.mktemp("lean")
    environment = work / "env"
    venv.EnvBuilder(with_pip=True).create(environment)
    # --no-index: a declared dependency could not be found, so the install itself proves none.
    pip = [environment / "bin" / "python", "-m", "pip"]
    subprocess.run(
        [*pip, "install", "-q", "--no-index", str(provml_wheel)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return environment


def test_the_bare_package_installs_nothing_else(bare_environment: Path) -> None:
    listing = subprocess.run(
        [bare_environment / "bin" / "python", "-m", "pip", "list", "--format", "json"],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    installed = {package["name"].lower() for package in json.loads(listing.stdout)}
    assert installed - {"pip", "setuptools"} == {"provml"}


def test_the_bare_package_captures_a_run(bare_environment: Path, tmp_path: Path) -> None:
    script = tmp_path / "train.py"
    script.write_text(CAPTURE_SCRIPT)
    spool = tmp_path / "spool"
    result = subprocess.run(
        [bare_environment / "bin" / "python", str(script), str(spool)],
        check=True, capture_output=True, text=True, cwd=tmp_path,
    )  # fmt: skip
    outcome = json.loads(result.stdout)
    kinds = outcome["kinds"]
    assert kinds[0] == "run_start" and kinds[-1] == "run_end"
    assert {"entity", "task_start", "used", "params", "task_end"} <= set(kinds)
    assert outcome["losses"] == [[0, "training", 1.0], [1, "training", 0.5], [2, "training", 1 / 3]]
    assert outcome["bad"] == 0 and outcome["heavy"] == []
    assert (spool / outcome["run"]).is_dir()


def test_a_command_that_needs_an_extra_names_it(bare_environment: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [bare_environment / "bin" / "provml", "load", str(tmp_path)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 2
    assert "pip install 'provml[cli]'" in result.stderr
    assert "Traceback" not in result.stderr
