"""`provml ontology check` and `provml ontology path`, run as a user runs them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from rdflib import OWL, RDF, RDFS, Literal, Namespace

from provml.ontology import paths
from provml.ontology.canonical import canonical_turtle
from provml.ontology.graph import parse_turtle

PROVML = Namespace(paths.NAMESPACE)


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "provml", "ontology", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin", "NO_COLOR": "1"},
    )


def test_check_passes_on_the_packaged_ontology() -> None:
    result = run_cli("check")
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "OK:" in out and "FAILED" not in out
    assert "classes" in out and "datatype properties" in out
    for step in ("HermiT: ontology + oilgas.ttl", "QC duplicate_label", "SHACL: oilgas.ttl"):
        assert step in out, step
    classes = next(line for line in out.splitlines() if "│ classes" in line)
    graph = parse_turtle(paths.ONTOLOGY_FILE)
    declared = {c for c in graph.subjects(RDF.type, OWL.Class) if str(c).startswith(str(PROVML))}
    assert classes.split("│")[2].strip() == str(len(declared))


def test_check_fails_on_a_copy_with_a_duplicate_label(tmp_path: Path) -> None:
    graph = parse_turtle(paths.ONTOLOGY_FILE)
    graph.set((PROVML.Validation, RDFS.label, Literal("training", lang="en")))
    broken = tmp_path / "provml.ttl"
    broken.write_text(canonical_turtle(graph))
    result = run_cli("check", "--ontology", str(broken))
    assert result.returncode == 1
    assert "FAILED" in result.stdout
    failing = [line for line in result.stdout.splitlines() if "✗" in line]
    assert any("duplicate_label" in line for line in failing), result.stdout


def test_check_fails_on_an_example_that_breaks_the_shapes(tmp_path: Path) -> None:
    text = paths.OILGAS_EXAMPLE.read_text(encoding="utf-8")
    broken = tmp_path / "oilgas.ttl"
    broken.write_text(text.replace('provml:schedulerName "slurm"', 'provml:schedulerName "cron"'))
    assert broken.read_text() != text
    result = run_cli("check", "--example", str(broken))
    assert result.returncode == 1
    assert any("SHACL: oilgas.ttl" in line and "✗" in line for line in result.stdout.splitlines())


def test_check_names_file_and_line_of_broken_turtle(tmp_path: Path) -> None:
    broken = tmp_path / "provml.ttl"
    lines = paths.ONTOLOGY_FILE.read_text(encoding="utf-8").splitlines()
    lines[20] = lines[20] + " <<<"
    broken.write_text("\n".join(lines) + "\n")
    result = run_cli("check", "--ontology", str(broken))
    assert result.returncode == 1
    assert f"{broken}:21: bad Turtle syntax" in result.stdout.replace("\n", "")


def test_path_prints_existing_files_for_protege() -> None:
    result = run_cli("path")
    assert result.returncode == 0, result.stderr
    entries = dict(line.split("\t") for line in result.stdout.splitlines())
    assert Path(entries["ontology"]) == paths.ONTOLOGY_FILE
    assert Path(entries["catalog"]).parent == Path(entries["ontology"]).parent
    assert all(Path(location).exists() for location in entries.values())
