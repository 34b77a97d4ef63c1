"""Loaders: capture events and foreign provenance (PROV, MLflow) into PROV-ML triples.

`load_spools(store, paths, ...)` loads spool files (resuming from a checkpoint, quarantining bad
lines), `load_events(store, events)` events already in memory and `load_lines(store, lines)`
spool lines received whole (the server's `POST /ingest`), all into a `provml.kg` store;
`load_ontology(store)` puts the ontology in its own graph. `import_mlflow` and `import_prov` bring
in MLflow runs and W3C PROV documents (`mlflow_events` reads MLflow runs as events without loading
them), `export` writes runs back out as PROV, `follow_spools` keeps loading spools that grow, and
`store_graph` reads a store back as an rdflib graph (for SHACL validation).
"""

from __future__ import annotations

from provml.loaders.follow import follow_spools
from provml.loaders.load import LoadReport, load_events, load_lines, load_spools
from provml.loaders.mlflow_import import import_mlflow, mlflow_events
from provml.loaders.ontology import load_ontology
from provml.loaders.prov_export import ExportReport, export
from provml.loaders.prov_import import ProvImportReport, import_prov
from provml.loaders.readback import store_graph

__all__ = [
    "ExportReport",
    "LoadReport",
    "ProvImportReport",
    "export",
    "follow_spools",
    "import_mlflow",
    "import_prov",
    "load_events",
    "load_lines",
    "load_ontology",
    "load_spools",
    "mlflow_events",
    "store_graph",
]
