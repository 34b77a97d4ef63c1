"""`provml synth`: capture spools imitating a training campaign on an HPC cluster, at scale.

`synthesize(output, events, seed=, nodes=, gpus=)` writes `output/spool/<run>/<host>-<pid>-0.jsonl`
(one file per rank) and `output/queries.json` (for every canned query, parameters that return
rows on this data). The same loaders and queries as real captures apply.
"""

from __future__ import annotations

from provml.synth.campaign import DEFAULT_EVENTS, DEFAULT_SEED
from provml.synth.cluster import DEFAULT_GPUS, DEFAULT_NODES
from provml.synth.population import (
    Picks,
    iri,
    parameters,
    synthesize,
    write_population,
)

__all__ = [
    "DEFAULT_EVENTS",
    "DEFAULT_GPUS",
    "DEFAULT_NODES",
    "DEFAULT_SEED",
    "Picks",
    "iri",
    "parameters",
    "synthesize",
    "write_population",
]
