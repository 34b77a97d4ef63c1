"""The package's public face: version, exported names, and a light `import provml`."""

from __future__ import annotations

import subprocess
import sys

import provml

EXPECTED_PUBLIC_NAMES = {
    "BadLine",
    "CaptureHealth",
    "Entity",
    "SpoolContents",
    "Task",
    "Workflow",
    "read_spool",
    "CaptureError",
    "LoadError",
    "MalformedEvent",
    "OntologyError",
    "ProvmlError",
    "QueryError",
    "SpoolError",
    "StoreCorrupt",
    "StoreError",
    "StoreLocked",
    "UnknownQuery",
    "UnsafeParameter",
    "__version__",
}


def test_public_names_do_not_drift() -> None:
    assert set(provml.__all__) == EXPECTED_PUBLIC_NAMES


def test_every_error_descends_from_the_root() -> None:
    for name in provml.__all__:
        value = getattr(provml, name)
        if isinstance(value, type) and issubclass(value, BaseException):
            assert issubclass(value, provml.ProvmlError)


def test_cli_reports_the_installed_version() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "provml", "--version"], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == f"provml {provml.__version__}"
    assert provml.__version__ != "0+unknown"


def test_import_provml_loads_no_rdf_or_cli_library() -> None:
    heavy = ["rdflib", "pyoxigraph", "owlready2", "typer", "rich", "SPARQLWrapper", "prov"]
    code = f"import sys, provml; print([m for m in {heavy!r} if m in sys.modules])"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
