"""The package's public face: version, exported names, and a light `import provml`.

The exported names are checked by rules derived from the code, not against a hand-kept list:
every error class in provml.errors is exported at the top level; each layer exports exactly what
its modules declare in their `__all__`, and each such name is documented and typed (see
`test_a_layer_exports_exactly_what_its_modules_declare_public`).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import subprocess
import sys
import types
import typing
from types import ModuleType

import pytest

import provml
import provml.capture
import provml.errors

# The layers users program against; each must declare its public names (other subpackages that
# declare `__all__`, e.g. provml.synth, are held to the same rules).
LAYERS = ("capture", "kg", "loaders", "queries", "ontology", "serve")


def _error_classes() -> set[str]:
    """Every exception class defined in provml.errors."""
    return {
        name
        for name, value in vars(provml.errors).items()
        if isinstance(value, type)
        and issubclass(value, BaseException)
        and value.__module__ == provml.errors.__name__
    }


def _packages_with_all() -> list[ModuleType]:
    """provml's direct subpackages that declare `__all__`."""
    found = []
    for info in pkgutil.iter_modules(provml.__path__, "provml."):
        if info.ispkg:
            package = importlib.import_module(info.name)
            if hasattr(package, "__all__"):
                found.append(package)
    return found


def _declaring_modules(package: ModuleType) -> dict[str, ModuleType]:
    """Each name a package's modules declare public in their own `__all__` -> that module."""
    declared: dict[str, ModuleType] = {}
    for info in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
        if info.ispkg:
            continue  # a nested package (capture.integrations) is imported by name, not re-exported
        module = importlib.import_module(info.name)
        for name in getattr(module, "__all__", ()):
            assert name not in declared, f"{name} declared public by two modules of {package}"
            declared[name] = module
    return declared


def _own_doc(value: object) -> str:
    """An object's own docstring ('' for none, or for the signature a dataclass makes up)."""
    doc = (value.__doc__ if isinstance(value, type) else inspect.getdoc(value)) or ""
    if isinstance(value, type) and doc.startswith(f"{value.__name__}("):
        return ""  # @dataclass writes its signature as the docstring when there is none
    return doc.strip()


def _unhinted(function: typing.Callable[..., object]) -> list[str]:
    """The parameters (and 'return') of a function that lack a type hint."""
    signature = inspect.signature(function)
    missing = [
        name
        for name, parameter in signature.parameters.items()
        if name not in ("self", "cls") and parameter.annotation is inspect.Parameter.empty
    ]
    if signature.return_annotation is inspect.Signature.empty:
        missing.append("return")
    return missing


def _problems(name: str, value: object, module: ModuleType) -> list[str]:
    """What keeps one exported name from being a documented, typed public name."""
    where = f"{module.__name__}.{name}"
    if name.startswith("_"):
        return [f"{where} is private"]
    if isinstance(value, type):
        problems = [] if _own_doc(value) else [f"{where} has no docstring"]
        if value.__module__ != module.__name__:
            problems.append(f"{where} is defined in {value.__module__}, which should declare it")
        for member_name, member in vars(value).items():
            if member_name.startswith("_") and member_name != "__init__":
                continue
            function = member.fget if isinstance(member, property) else member
            if isinstance(function, (staticmethod, classmethod)):
                function = function.__func__
            if not inspect.isfunction(function) or function.__module__ != module.__name__:
                continue
            if member_name != "__init__" and not _own_doc(function):
                problems.append(f"{where}.{member_name} has no docstring")
            if _unhinted(function):
                problems.append(f"{where}.{member_name} lacks hints: {_unhinted(function)}")
        return problems
    if inspect.isfunction(value):
        problems = [] if _own_doc(value) else [f"{where} has no docstring"]
        if value.__module__ != module.__name__:
            problems.append(f"{where} is defined in {value.__module__}, which should declare it")
        if _unhinted(value):
            problems.append(f"{where} lacks hints: {_unhinted(value)}")
        return problems
    # Data: a constant (UPPER_CASE) or a type alias; a stray lower-case value is not public API.
    alias = isinstance(value, (types.UnionType, types.GenericAlias)) or typing.get_origin(value)
    if name.isupper() or alias:
        return []
    return [f"{where} is neither a class, a function, a CONSTANT nor a type alias"]


def test_every_error_is_exported_from_the_top_level() -> None:
    errors = _error_classes()
    assert errors <= set(provml.__all__)
    for name in errors:
        assert getattr(provml, name) is getattr(provml.errors, name)


def test_the_top_level_exports_the_errors_the_capture_api_and_the_version() -> None:
    # Anything else at the top level would pull a layer into `import provml`.
    others = set(provml.__all__) - _error_classes() - {"__version__"}
    assert others <= set(provml.capture.__all__), others - set(provml.capture.__all__)
    for name in others:
        assert getattr(provml, name) is getattr(provml.capture, name)


def test_every_layer_declares_its_public_names() -> None:
    declaring = {package.__name__ for package in _packages_with_all()}
    assert {f"provml.{layer}" for layer in LAYERS} <= declaring


@pytest.mark.parametrize("package", _packages_with_all(), ids=lambda package: package.__name__)
def test_a_layer_exports_exactly_what_its_modules_declare_public(package: ModuleType) -> None:
    """A layer's `__all__` is derived, not kept by hand twice: it must equal the union of the
    `__all__` its own modules declare, and each exported object must be the declaring module's.
    A module's `__all__` sits beside the code it names, so a public function is added (or
    dropped) in one place; an export no module declares, or a declaration the layer forgets,
    fails here. Every declared name must also be a usable public name: not private, a class or
    function defined in the declaring module with its own docstring and complete type hints
    (public methods too), or a CONSTANT or type alias. A snapshot of the names would only
    restate them; these rules catch an accidental export by what it is."""
    declared = _declaring_modules(package)
    assert sorted(package.__all__) == sorted(set(package.__all__)), "duplicates in __all__"
    assert set(package.__all__) == set(declared), (
        f"exported, declared by no module: {sorted(set(package.__all__) - set(declared))}; "
        f"declared, not exported: {sorted(set(declared) - set(package.__all__))}"
    )
    problems = []
    for name, module in sorted(declared.items()):
        assert getattr(package, name) is getattr(module, name), name
        problems += _problems(name, getattr(module, name), module)
    assert problems == []


def test_errors_are_documented_and_descend_from_the_root() -> None:
    for name in _error_classes():
        error = getattr(provml.errors, name)
        assert issubclass(error, provml.ProvmlError)
        assert _own_doc(error), name
        assert name in (provml.errors.__doc__ or ""), f"{name} is missing from the error tree"


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
