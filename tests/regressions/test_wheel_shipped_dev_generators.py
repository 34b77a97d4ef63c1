"""The wheel shipped the ontology's dev generators (build_imports, generate_namespace, docs,
diagram, canonical --write), which write into their own package directory: site-packages."""

from __future__ import annotations

import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GENERATORS = ("build_imports", "generate_namespace", "diagram", "docs", "ontology_docs")


def test_the_wheel_holds_no_generator_and_the_checkout_keeps_them(provml_wheel: Path) -> None:
    names = zipfile.ZipFile(provml_wheel).namelist()
    modules = {Path(name).stem for name in names if name.endswith(".py")}
    assert not modules & set(GENERATORS)
    assert not any(name.startswith("tools/") for name in names)
    assert "provml/ontology/canonical.py" in names  # the check stays; only its writer left
    canonical = (ROOT / "ontology" / "canonical.py").read_text()
    assert "--write" not in canonical and "def main" not in canonical
    for tool in ("build_imports", "generate_namespace", "diagram", "ontology_docs", "canonical"):
        assert (ROOT / "tools" / f"{tool}.py").is_file()
