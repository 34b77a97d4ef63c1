"""Development tools run from a checkout (`python tools/NAME.py`); not part of the package.

They regenerate the ontology's derived files in the checkout's ontology/ folder: the canonical
Turtle form (`canonical`), the import modules (`build_imports`), the `PROVML` namespace module
(`generate_namespace`), the README's term tables (`ontology_docs`) and the class diagram
(`diagram`). The tests import them to check that the committed files are in sync.
"""
