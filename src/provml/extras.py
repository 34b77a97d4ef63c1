"""Which optional extra brings which third-party module, so a missing one is named with its fix.

`pip install provml` is the capture API alone; everything else comes with an extra (see
`pyproject.toml`). Standard library only: this runs before any extra is known to be there.
"""

from __future__ import annotations

from importlib.util import find_spec

__all__ = ["EXTRA_OF_MODULE", "extra_for", "install_hint", "missing_modules", "needs"]

#: Top-level import name -> the extra of `pip install 'provml[EXTRA]'` that installs it.
EXTRA_OF_MODULE: dict[str, str] = {
    "rdflib": "kg",
    "pyoxigraph": "kg",
    "SPARQLWrapper": "kg",
    "prov": "kg",
    "owlready2": "kg",
    "pyshacl": "kg",
    "fastjsonschema": "kg",
    "pyparsing": "kg",
    "typer": "cli",
    "rich": "cli",
    "click": "cli",
    "starlette": "serve",
    "uvicorn": "serve",
    "mimeparse": "serve",
    "numpy": "demo",
    "sklearn": "demo",
    "matplotlib": "demo",
    "networkx": "demo",
    "pandas": "pandas",
    "mlflow": "mlflow",
    "sqlalchemy": "mlflow",
    "alembic": "mlflow",
}


def extra_for(error: ModuleNotFoundError) -> str | None:
    """The extra that installs the module `error` says is missing, or None if provml has none."""
    top_level = (error.name or "").partition(".")[0]
    return EXTRA_OF_MODULE.get(top_level)


def needs(extra: str, what: str) -> str:
    """The sentence saying that `what` needs `extra`, with the command that installs it.

    >>> needs("serve", "provml serve")
    "provml serve needs the 'serve' extra: pip install 'provml[serve]'"
    """
    return f"{what} needs the {extra!r} extra: pip install 'provml[{extra}]'"


def missing_modules(extra: str) -> list[str]:
    """The modules that `extra` brings and this environment cannot import."""
    wanted = [module for module, owner in EXTRA_OF_MODULE.items() if owner == extra]
    return [module for module in wanted if find_spec(module) is None]


def install_hint(error: ModuleNotFoundError) -> str | None:
    """A one-line fix for a missing optional module, or None where no extra brings it.

    >>> install_hint(ModuleNotFoundError("No module named 'pyoxigraph'", name="pyoxigraph"))
    "this command (missing module pyoxigraph) needs the 'kg' extra: pip install 'provml[kg]'"
    >>> install_hint(ModuleNotFoundError("No module named 'nope'", name="nope")) is None
    True
    """
    extra = extra_for(error)
    if extra is None:
        return None
    return needs(extra, f"this command (missing module {error.name})")
