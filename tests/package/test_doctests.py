"""Every docstring example in the installed provml package runs, so none can drift from the code.

The modules are found by walking the package (`pkgutil.walk_packages`), never listed by hand, so a
new module's examples run as soon as it exists. No module is skipped: the test environment
installs every extra, so each module imports.
"""

from __future__ import annotations

import doctest
import importlib
import os
import pkgutil

import pytest

import provml

# Keras 3 picks its backend on import; the test environment has torch, not TensorFlow.
os.environ.setdefault("KERAS_BACKEND", "torch")
MODULES = sorted(info.name for info in pkgutil.walk_packages(provml.__path__, "provml."))


def _examples_of(name: str) -> tuple[int, int, str]:
    """Run a module's docstring examples: (tried, failed, the failure report)."""
    module = importlib.import_module(name)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    report: list[str] = []
    # DocTestFinder keeps to objects defined in the module, so re-exports do not run twice.
    for test in doctest.DocTestFinder().find(module, name):
        runner.run(test, out=report.append)
    return runner.tries, runner.failures, "".join(report)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_pass(name: str) -> None:
    _, failed, report = _examples_of(name)
    assert failed == 0, report


def test_the_walk_finds_the_layers_and_their_examples() -> None:
    layers = {"capture", "kg", "loaders", "queries", "ontology", "serve", "cli"}
    assert {f"provml.{layer}" for layer in layers} <= set(MODULES)
    assert sum(_examples_of(name)[0] for name in MODULES) > 0
