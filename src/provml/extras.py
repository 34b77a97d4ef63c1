"""Which optional extra brings which third-party module, so a missing one is named with its fix.

`pip install provml` is the capture API alone; everything else comes with an extra (see
`pyproject.toml`). Standard library only: this runs before any extra is known to be there.
"""

from __future__ import annotations

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


def install_hint(error: ModuleNotFoundError) -> str | None:
    """A one-line fix for a missing optional module, or None where no extra brings it.

    >>> install_hint(ModuleNotFoundError("No module named 'pyoxigraph'", name="pyoxigraph"))
    "provml needs the 'kg' extra for this (missing module pyoxigraph): pip install 'provml[kg]'"
    >>> install_hint(ModuleNotFoundError("No module named 'nope'", name="nope")) is None
    True
    """
    extra = extra_for(error)
    if extra is None:
        return None
    return (
        f"provml needs the {extra!r} extra for this (missing module {error.name}): "
        f"pip install 'provml[{extra}]'"
    )
